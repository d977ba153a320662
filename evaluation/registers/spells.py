"""The spell schema and its validation.

Spell schema
------------
A register extract arrives as *spells*, one row per person x status/benefit x spell:

============  ===========  ===============================================================
column        type         meaning
============  ===========  ===============================================================
person_id     str          pseudonymous person id (required, non-empty)
code          str          status/benefit code from :data:`evaluation.registers.codes.CODES`
start         date         first day of the spell (required)
end           date         last day of the spell, *inclusive*; missing (NaT/NULL/empty) =
                           still ongoing at the extract date
(any other)   any          carried along unchanged, never dropped
============  ===========  ===============================================================

Dates may be datetime64/DATE/TIMESTAMP columns, or text in ISO form (``2021-03-15``) or
Finnish form (``15.3.2021``); text that is none of these is reported as unparseable.

:func:`validate_spells` checks every row and raises :class:`evaluation.errors.SpellError`
listing *every* bad row (row number, column, problem, fix); it never drops or repairs a row.
Row numbers are 1-based positions in the input (the first data row is row 1; in a CSV file
with a header line, row ``n`` is on line ``n + 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from evaluation.errors import InputDataError, Problem, SpellError
from evaluation.privacy import mask_identity_codes
from evaluation.registers._duck import (
    DuckTable,
    TableInput,
    connect,
    load_table,
    quote_ident,
    quote_literal,
    release,
    unique_name,
)
from evaluation.registers.codes import CODES, closest_code
from evaluation.registers.ids import normalised_id_sql, normalised_note, register_id_function
from evaluation.registers.intake import csv_read_error, missing_column_error
from evaluation.registers.screening import MAX_LISTED, refuse_identity_codes

#: Required columns of spells, in order.
SPELL_COLUMNS: tuple[str, ...] = ("person_id", "code", "start", "end")

#: Column added to validated spells: the 1-based input row number (reserved name).
ROW_COLUMN = "spell_row"

#: Plausible years of register dates; dates outside are reported as typos.
MIN_YEAR, MAX_YEAR = 1900, 2100


def date_expression(column: str, sql_type: str, *, where: str) -> str:
    """Return an SQL expression that parses ``column`` to DATE (NULL when unparseable).

    Parameters
    ----------
    column:
        Column name (unquoted).
    sql_type:
        DuckDB type of the column.
    where:
        Input name for error messages.

    Raises
    ------
    evaluation.errors.InputDataError
        If the column type cannot hold dates at all (e.g. numbers).
    """
    q = quote_ident(column)
    t = sql_type.upper()
    if t == "DATE":
        return q
    if t.startswith("TIMESTAMP"):
        return f"CAST({q} AS DATE)"
    if t == "VARCHAR":
        s = f"nullif(trim({q}), '')"
        return (
            f"coalesce(try_cast({s} AS DATE), try_strptime({s}, '%d.%m.%Y')::DATE, "
            f"try_cast({s} AS TIMESTAMP)::DATE)"
        )
    if t == '"NULL"' or t == "NULL":
        return "CAST(NULL AS DATE)"
    raise InputDataError(
        f"column {column!r} has type {sql_type}, which cannot hold dates",
        where=where,
        fix="give dates as datetime64 / DATE, or as text like 2021-03-15 or 15.3.2021",
    )


def raw_missing_expression(column: str, sql_type: str) -> str:
    """SQL condition: the raw value of ``column`` is missing (NULL or empty text)."""
    q = quote_ident(column)
    if sql_type.upper() == "VARCHAR":
        return f"({q} IS NULL OR trim({q}) = '')"
    return f"({q} IS NULL)"


def id_expression(column: str, sql_type: str, *, where: str) -> str:
    """Return an SQL expression giving the id column normalised (NULL when missing).

    Ids are compared as :func:`evaluation.privacy.normalise_person_id` gives them; the
    connection needs :func:`evaluation.registers.ids.register_id_function` first.

    Raises
    ------
    evaluation.errors.InputDataError
        If the ids are floating-point numbers (ids read as numbers lose leading zeros and
        may turn into ``123.0``).
    """
    q = quote_ident(column)
    t = sql_type.upper()
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        raise InputDataError(
            f"column {column!r} holds decimal numbers ({sql_type}), not ids",
            where=where,
            fix="read person ids as text (e.g. dtype=str), keeping leading zeros",
        )
    return normalised_id_sql(f"CAST({q} AS VARCHAR)")


@dataclass(frozen=True)
class Spells(DuckTable):
    """Validated spells inside DuckDB.

    Columns: ``person_id`` (VARCHAR), ``code`` (VARCHAR), ``start`` (DATE), ``end`` (DATE,
    NULL = ongoing), every extra input column unchanged, and ``spell_row`` (1-based input
    row). Canonical order: ``person_id, start, code, spell_row``.
    """

    source: str = "spells"
    #: Located notes that are not errors: normalised ids, overlapping spells.
    notes: tuple[Problem, ...] = ()

    def summary(self) -> str:
        """Counts of spells, persons and open spells, and spells per code."""
        t = self.table
        row = self.con.execute(
            f'SELECT count(*), count(DISTINCT person_id), count(*) FILTER ("end" IS NULL), '
            f'min(start), max(coalesce("end", start)) FROM {t}'
        ).fetchall()[0]
        n, n_persons, n_open, first, last = row if row else (0, 0, 0, None, None)
        lines = [
            f"Spells from {self.source}: {n} spells of {n_persons} persons, "
            f"{n_open} open-ended, dates {first} .. {last}",
        ]
        for code, count in self.con.execute(
            f"SELECT code, count(*) FROM {t} GROUP BY code ORDER BY code"
        ).fetchall():
            lines.append(f"  {code:<42} {count:>10}")
        return "\n".join(lines)


def validate_spells(
    spells: TableInput,
    *,
    source: str = "spells",
    con: duckdb.DuckDBPyConnection | None = None,
) -> Spells:
    """Check spells row by row and return them, typed, inside DuckDB.

    Parameters
    ----------
    spells:
        pandas DataFrame, path to a parquet or CSV file, or DuckDB relation with the columns
        of the spell schema (see module docstring). Extra columns are kept.
    source:
        Name of the input used in messages (e.g. the file name).
    con:
        DuckDB connection to work in; default a new in-memory one (see
        :func:`evaluation.registers.connect`).

    Returns
    -------
    Spells
        The validated spells (``person_id, code, start, end``, extras, ``spell_row``).

    Raises
    ------
    evaluation.errors.MissingColumnError
        A required column is absent.
    evaluation.errors.InputDataError
        A column has a type that cannot hold its values (numbers as dates, decimal ids).
    evaluation.errors.SpellError
        One or more rows are bad; ``.problems`` lists every bad row and every problem:
        missing person id, missing code, unknown code (with the closest known code), missing
        or unparseable start, unparseable end, end before start, implausible year.
    """
    con = con if con is not None else connect()
    view = load_table(spells, con=con, kind="spells_in", row_column=ROW_COLUMN, where=source)
    try:
        refuse_identity_codes(con, view, source=source, row_column=ROW_COLUMN)
        return _validate_loaded(con, view, source)
    except duckdb.InvalidInputException as exc:
        raise csv_read_error(exc, where=source) from None
    finally:
        release(con, view)


def _validate_loaded(con: duckdb.DuckDBPyConnection, view: str, source: str) -> Spells:
    rel = con.table(view)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    available = [c for c in rel.columns if c != ROW_COLUMN]
    missing = [c for c in SPELL_COLUMNS if c not in types]
    if missing:
        raise missing_column_error(missing, where=source, available=available)
    register_id_function(con)

    pid = id_expression("person_id", types["person_id"], where=source)
    code = f"CAST({quote_ident('code')} AS VARCHAR)"
    start = date_expression("start", types["start"], where=source)
    end = date_expression("end", types["end"], where=source)
    start_missing = raw_missing_expression("start", types["start"])
    end_missing = raw_missing_expression("end", types["end"])
    known = ", ".join(quote_literal(c) for c in CODES)
    extras = [c for c in available if c not in SPELL_COLUMNS]

    typed = f"{view}_typed"
    con.execute(
        f"CREATE TEMP VIEW {typed} AS SELECT {pid} AS _pid, {code} AS _code, "
        f"{start} AS _start, {end} AS _end, {start_missing} AS _start_missing, "
        f"{end_missing} AS _end_missing, CAST({quote_ident('start')} AS VARCHAR) AS _start_raw, "
        f"CAST({quote_ident('end')} AS VARCHAR) AS _end_raw, * FROM {view}"
    )
    bad = con.execute(
        f"""
        SELECT {ROW_COLUMN} AS row, _pid, _code, _start, _end, _start_raw, _end_raw,
               _pid IS NULL AS no_pid,
               _code IS NULL OR trim(_code) = '' AS no_code,
               _code IS NOT NULL AND trim(_code) <> '' AND _code NOT IN ({known}) AS bad_code,
               _start_missing AS no_start,
               NOT _start_missing AND _start IS NULL AS bad_start,
               NOT _end_missing AND _end IS NULL AS bad_end,
               _end < _start AS end_first,
               year(_start) NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR} AS odd_start,
               year(_end) NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR} AS odd_end
        FROM {typed}
        WHERE _pid IS NULL OR _code IS NULL OR _code NOT IN ({known}) OR _start IS NULL
           OR (NOT _end_missing AND _end IS NULL) OR _end < _start
           OR year(_start) NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR}
           OR year(_end) NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR}
        ORDER BY {ROW_COLUMN}
        """
    ).fetchall()
    if bad:
        raise SpellError(source, _problems(bad, source))

    out = unique_name("spells")
    extra_sql = "".join(f", {quote_ident(c)}" for c in extras)
    con.execute(
        f"CREATE TABLE {out} AS SELECT _pid AS person_id, _code AS code, _start AS start, "
        f'_end AS "end"{extra_sql}, {ROW_COLUMN} FROM {typed} '
        f"ORDER BY person_id, start, code, {ROW_COLUMN}"
    )
    con.execute("CHECKPOINT")
    notes = [*normalised_notes(con, typed, source), *overlap_notes(con, out, source)]
    return Spells(
        con=con,
        table=out,
        order_by=("person_id", "start", "code", ROW_COLUMN),
        source=source,
        notes=tuple(notes),
    )


def normalised_notes(con: duckdb.DuckDBPyConnection, typed: str, source: str) -> list[Problem]:
    """The note on ids that normalisation changed (``_pid`` against raw ``person_id``)."""
    n_rows, n_ids = con.execute(
        f"SELECT count(*), count(DISTINCT raw) FROM (SELECT _pid, CAST(person_id AS VARCHAR) "
        f"AS raw FROM {typed}) WHERE _pid <> raw"
    ).fetchall()[0]
    note = normalised_note(f"{source}, column 'person_id'", int(n_ids), int(n_rows))
    return [note] if note else []


def overlap_notes(con: duckdb.DuckDBPyConnection, table: str, source: str) -> list[Problem]:
    """Notes on spells of one person and code that overlap an earlier one (by start).

    The panel counts a month once whatever the overlap, so these are notes, not errors;
    but a duplicated row or a typo in a date often shows up as one.
    """
    never = "DATE '9999-12-31'"
    rows = con.execute(
        f"""WITH w AS (
            SELECT {ROW_COLUMN} AS r, code, start,
                   max(coalesce("end", {never})) OVER prev AS prev_end,
                   arg_max({ROW_COLUMN}, coalesce("end", {never})) OVER prev AS prev_row
            FROM {table}
            WINDOW prev AS (PARTITION BY person_id, code ORDER BY start, {ROW_COLUMN}
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
        SELECT prev_row, r, code, start, count(*) OVER () FROM w WHERE prev_end >= start
        ORDER BY r LIMIT {MAX_LISTED}"""
    ).fetchall()
    fix = (
        "nothing to do if both spells are real (the panel counts each month once); "
        "remove a duplicated row or correct a mistyped date"
    )
    notes = [
        Problem(
            f"{source} rows {prev} and {row}",
            f"two spells of one person with code {code!r} overlap (the later starts {start})",
            fix,
        )
        for prev, row, code, start, _n in rows
    ]
    total = int(rows[0][4]) if rows else 0
    if total > len(rows):
        notes.append(
            Problem(source, f"{total - len(rows)} more overlapping spells of one code", fix)
        )
    return notes


def _problems(rows: list[tuple[object, ...]], source: str) -> list[Problem]:
    problems: list[Problem] = []
    suggestions: dict[str, str | None] = {}
    for row in rows:
        (n, _pid, code, start, end, start_raw, end_raw) = row[:7]
        no_pid, no_code, bad_code, no_start, bad_start, bad_end, end_first = row[7:14]
        odd_start, odd_end = row[14:16]

        def at(col: str, n: object = n) -> str:
            return f"{source} row {n}, column '{col}'"

        if no_pid:
            problems.append(
                Problem(at("person_id"), "person id is missing", "fill in the person's id")
            )
        if no_code:
            problems.append(
                Problem(
                    at("code"),
                    "code is missing",
                    "fill in a code from evaluation.registers.code_table()",
                )
            )
        if bad_code:
            text = str(code)
            if text not in suggestions:
                suggestions[text] = closest_code(text)
            near = suggestions[text]
            fix = (
                f"did you mean {near!r}? Use a code from evaluation.registers.code_table()"
                if near
                else "use a code from evaluation.registers.code_table()"
            )
            shown = mask_identity_codes(text)
            problems.append(Problem(at("code"), f"unknown code {shown!r}", fix))
        if no_start:
            problems.append(
                Problem(at("start"), "start date is missing", "fill in the first day of the spell")
            )
        if bad_start:
            problems.append(
                Problem(
                    at("start"),
                    f"start date {mask_identity_codes(str(start_raw))!r} cannot be read as a date",
                    "write dates like 2021-03-15 or 15.3.2021",
                )
            )
        if bad_end:
            problems.append(
                Problem(
                    at("end"),
                    f"end date {mask_identity_codes(str(end_raw))!r} cannot be read as a date",
                    "write dates like 2021-03-15 or 15.3.2021; leave empty for an ongoing spell",
                )
            )
        if end_first:
            problems.append(
                Problem(
                    at("end"),
                    f"end date {end} is before start date {start}",
                    "correct or swap the dates (end is the last day of the spell, inclusive)",
                )
            )
        if odd_start:
            problems.append(
                Problem(
                    at("start"),
                    f"start date {start} is outside {MIN_YEAR}-{MAX_YEAR}",
                    "correct the year (probably a typo)",
                )
            )
        if odd_end:
            problems.append(
                Problem(
                    at("end"),
                    f"end date {end} is outside {MIN_YEAR}-{MAX_YEAR}",
                    "correct the year, or leave end empty for an ongoing spell",
                )
            )
    return problems
