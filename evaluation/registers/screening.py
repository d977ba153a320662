"""Identity codes refused at the door: every person id and text column of a register input.

The one detector is :mod:`evaluation.privacy`; this module only makes it fast on national
extracts. DuckDB scans the input once with :data:`PREFILTER`, a cheap regular expression
that matches everything the detector could find (a code-like or pseudonym-like run of
ASCII, or any non-ASCII character, which normalisation could turn into one), grouped by
distinct value; the detector then confirms each distinct candidate (check character and
all). Person ids are also checked in their normalised form (spaces removed), since that
form is what the panel keeps.

A hit refuses the whole input with :class:`~evaluation.errors.IntakeRefusedError`: each
problem names the file, row and column and shows only the shape (``######-####``), never a
character of the code. The scan runs before any other check, so it runs whatever else is
wrong with the input, and no other message (which might quote a value) is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from evaluation.errors import IntakeRefusedError, Problem
from evaluation.privacy import find_identity_codes, mask_identity_codes, normalise_person_id
from evaluation.registers._duck import connect, load_table, quote_ident, quote_literal, release
from evaluation.registers.intake import name_problems

#: Matches (in raw text) a superset of what the detector finds: see the module docstring.
PREFILTER = r"[0-9]{6}[-+A-Fa-fU-Yu-y ]?[0-9]{3}[0-9A-Ya-y]|[Pp][Ss][0-9A-Fa-f]{32}|[^\x01-\x7f]"
#: ASCII whitespace that :func:`evaluation.privacy.normalise_person_id` removes.
ASCII_WHITESPACE = r"[\x09-\x0d\x1c-\x1f ]"
#: Column types that cannot hold text (not scanned).
UNSCANNED_TYPES = ("DATE", "TIME", "TIMESTAMP", "BOOLEAN", "INTERVAL")
#: Located problems listed one by one; the rest are counted in one more problem.
MAX_LISTED = 20
#: Distinct candidate values fetched from DuckDB at a time.
FETCH_ROWS = 50_000
#: The fix of every refusal.
PSEUDONYMISE_FIX = (
    "pseudonymise the data before export: replace every identity code with the project's "
    "pseudonymous id (and remove codes from text columns); never send identity codes"
)


@dataclass(frozen=True)
class _Hit:
    column: str
    first_row: int
    n_rows: int
    shape: str


def _scanned_columns(rel: duckdb.DuckDBPyRelation, row_column: str) -> list[str]:
    return [
        c
        for c, t in zip(rel.columns, rel.types, strict=True)
        if c != row_column and not str(t).upper().startswith(UNSCANNED_TYPES)
    ]


def _candidate_sql(view: str, columns: list[str], row_column: str, id_column: str) -> str:
    pattern = quote_literal(PREFILTER)
    picks, matches = [], []
    for k, col in enumerate(columns):
        value = f"CAST({quote_ident(col)} AS VARCHAR)"
        match = f"regexp_matches({value}, {pattern})"
        if col == id_column:
            stripped = f"regexp_replace({value}, {quote_literal(ASCII_WHITESPACE)}, '', 'g')"
            match = f"({match} OR regexp_matches({stripped}, {pattern}))"
        picks.append(f"CASE WHEN {match} THEN {value} END AS c{k}")
        matches.append(match)
    names = ", ".join(f"c{k}" for k in range(len(columns)))
    return (
        f"WITH cand AS (SELECT {quote_ident(row_column)} AS r, {', '.join(picks)} "
        f"FROM {view} WHERE {' OR '.join(matches)}) "
        f"SELECT name, val, min(r), count(*) FROM (UNPIVOT cand ON {names} "
        "INTO NAME name VALUE val) GROUP BY name, val"
    )


def _confirm(value: str, *, is_id: bool) -> str | None:
    hits = find_identity_codes(value)
    if not hits and is_id:
        hits = find_identity_codes(normalise_person_id(value))
    return hits[0].shape if hits else None


def _hits(
    con: duckdb.DuckDBPyConnection, view: str, columns: list[str], row_column: str, id_column: str
) -> list[_Hit]:
    cursor = con.execute(_candidate_sql(view, columns, row_column, id_column))
    found = []
    while batch := cursor.fetchmany(FETCH_ROWS):
        for name, value, first, n in batch:
            column = columns[int(str(name)[1:])]
            shape = _confirm(str(value), is_id=column == id_column)
            if shape is not None:
                found.append(_Hit(column, int(first), int(n), shape))
    return sorted(found, key=lambda h: (h.first_row, h.column))


def _hit_problems(shown: str, hits: list[_Hit]) -> list[Problem]:
    problems = []
    for h in hits[:MAX_LISTED]:
        same = f"; the same value is on {h.n_rows} rows" if h.n_rows > 1 else ""
        problems.append(
            Problem(
                f"{shown} row {h.first_row}, column {mask_identity_codes(h.column)!r}",
                f"holds an identity code or pseudonym ({h.shape}){same}",
                PSEUDONYMISE_FIX,
            )
        )
    rest = hits[MAX_LISTED:]
    if rest:
        columns = sorted({mask_identity_codes(h.column) for h in rest})
        problems.append(
            Problem(
                f"{shown}, column(s) {', '.join(repr(c) for c in columns)}",
                f"{len(rest)} more value(s) with identity codes or pseudonyms, on "
                f"{sum(h.n_rows for h in rest)} more row(s)",
                PSEUDONYMISE_FIX,
            )
        )
    return problems


def refuse_identity_codes(
    con: duckdb.DuckDBPyConnection,
    view: str,
    *,
    source: str,
    row_column: str,
    id_column: str = "person_id",
) -> None:
    """Refuse an input in ``con`` (table or view ``view``) that holds an identity code.

    Every column but dates, times and booleans is scanned as text; ``id_column`` also in
    its normalised form. ``source`` (the file name) and the column names are checked too.

    Raises
    ------
    evaluation.errors.IntakeRefusedError
        Each hit located by file, row (``row_column``) and column, showing only the shape.
    """
    shown = mask_identity_codes(source)
    rel = con.table(view)
    problems = name_problems(source, [c for c in rel.columns if c != row_column])
    columns = _scanned_columns(rel, row_column)
    if columns:
        problems += _hit_problems(shown, _hits(con, view, columns, row_column, id_column))
    if problems:
        raise IntakeRefusedError(shown, problems)


def refuse_identity_codes_in_frame(frame: pd.DataFrame, *, source: str) -> None:
    """:func:`refuse_identity_codes` on a pandas DataFrame (rows numbered from 1)."""
    con = connect(memory_limit="1GB")
    try:
        view = load_table(frame, con=con, kind="screen", row_column="_screen_row", where=source)
        refuse_identity_codes(con, view, source=source, row_column="_screen_row")
        release(con, view)
    finally:
        con.close()
