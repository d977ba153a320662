"""Person ids as they are compared: :func:`evaluation.privacy.normalise_person_id` everywhere.

``" fok012"``, ``"FOK\\u200b012"`` and ``"fok012\\t"`` are one person, ``"FOK012"``, in
the in-process panel, in the Ibis panel (which reads the validated inputs) and in the plan
runner's tables. In DuckDB the ASCII ids (nearly all) are normalised in SQL (whitespace
removed, upper case: what the function does to ASCII); the others call the function itself,
registered on the connection.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from evaluation.errors import Problem
from evaluation.privacy import normalise_person_id
from evaluation.registers.screening import ASCII_WHITESPACE

#: Name of :func:`evaluation.privacy.normalise_person_id` inside DuckDB connections.
ID_FUNCTION = "pilot_eval_normalise_person_id"


def register_id_function(con: duckdb.DuckDBPyConnection) -> None:
    """Make :data:`ID_FUNCTION` available in ``con`` (once per connection)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [ID_FUNCTION]
    ).fetchall()[0][0]
    if not exists:
        con.create_function(
            ID_FUNCTION,
            normalise_person_id,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            side_effects=False,
        )


def normalised_id_sql(text: str) -> str:
    """SQL of the normalised id of the VARCHAR expression ``text`` (NULL when empty).

    The connection needs :func:`register_id_function` first.
    """
    ascii_form = f"upper(regexp_replace({text}, '{ASCII_WHITESPACE}', '', 'g'))"
    return (
        f"nullif(CASE WHEN strlen({text}) = length({text}) THEN {ascii_form} "
        f"ELSE {ID_FUNCTION}({text}) END, '')"
    )


def normalise_ids(ids: pd.Series) -> pd.Series:
    """``ids`` as text, normalised (each distinct value once); empty ids become missing."""
    text = ids.astype("string")
    mapping = {v: normalise_person_id(v) for v in text.dropna().unique()}
    out = text.map(mapping).astype("string")
    return out.mask(out == "")


def normalised_note(where: str, n_ids: int, n_rows: int) -> Problem | None:
    """The note saying how many ids were normalised (``None`` when none were)."""
    if not n_ids:
        return None
    return Problem(
        where,
        f"{n_ids} person id(s) on {n_rows} row(s) were normalised (spaces, zero-width or "
        "full-width characters removed, letters in upper case) and are compared so",
        "nothing to do if these are the same persons; otherwise correct the ids at export",
    )
