"""``validate(kind, data)``: our small API in front of Great Expectations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
from openpyxl.utils import get_column_letter

from evaluation.checks.engine import RawFailure, run_duckdb, run_pandas
from evaluation.checks.messages import column_label, message, ui
from evaluation.checks.report import Failure, ValidationReport
from evaluation.checks.submission import ParsedSubmission, parse_submission
from evaluation.checks.suites import DID_COLUMNS, KINDS, Suite, suites_for
from evaluation.errors import InputDataError, OptionError
from evaluation.privacy import mask_identity_codes
from evaluation.schema import load_schema
from evaluation.workbook.layout import first_data_col
from evaluation.workbook.model import SelfEvaluation

Engine = Literal["auto", "pandas", "duckdb"]
#: Above this many rows a pandas frame is validated in DuckDB instead of GE's pandas engine.
PANDAS_MAX_ROWS = 2_000_000


def _rows_text(rows: tuple[int, ...], n: int, lang: str) -> str:
    word = {"fi": "rivit", "sv": "rader", "en": "rows"}.get(lang, "rows")
    shown = ", ".join(str(r + 1) for r in rows[:10])
    more = f" (+{n - min(len(rows), 10)})" if n > min(len(rows), 10) else ""
    return f"{word} {shown}{more}" if rows else ""


def _values_text(values: tuple[Any, ...], family: str) -> str:
    if family == "personal_id":
        return ""  # never echo an identity code
    uniq = list(dict.fromkeys("" if v is None else mask_identity_codes(str(v)) for v in values))
    text = ", ".join(repr(v) for v in uniq[:5])
    return text + (", ..." if len(uniq) > 5 else "")


def _word(f: RawFailure, lang: str, table: str) -> tuple[str, str]:
    e = f.expectation
    k = e.kwargs
    detail = ""
    if e.type == "expect_column_values_to_be_in_set":
        detail = ", ".join(str(v) for v in k["value_set"][:12])
    elif e.type == "expect_column_values_to_be_between":
        detail = f"{k.get('min_value')}..{k.get('max_value')}"
    elif e.type == "expect_column_values_to_match_regex":
        detail = str(k["regex"])
    elif e.family in ("comparison", "required_if"):
        detail = str(k.get("description", ""))
    return message(
        e.family,
        lang,
        n=f.n_failed,
        column=column_label(table, e.column, lang),
        other=column_label(table, k.get("column_B"), lang) or "",
        values=_values_text(f.values, e.family),
        min=k.get("min_value"),
        max=k.get("max_value"),
        detail=detail,
    )


def _failures(suite: Suite, raw: list[RawFailure], *, lang: str, where: str) -> list[Failure]:
    out = []
    for f in raw:
        what, fix = _word(f, lang, suite.table)
        col = f.expectation.column
        label = column_label(suite.table, col, lang)
        loc = f"{where}, {ui('column', lang)} '{label}'" if col else where
        rows = _rows_text(f.rows, f.n_failed, lang)
        if rows:
            loc = f"{loc}, {rows}"
        out.append(
            Failure(
                table=suite.table,
                family=f.expectation.family,
                expectation=f.expectation.type,
                column=col,
                n_failed=f.n_failed,
                where=loc,
                what=what,
                fix=fix,
                rows=f.rows,
                values=f.values,
                samples=f.samples,
            )
        )
    return out


def _quarantine(
    suite: Suite,
    frame: pd.DataFrame,
    failures: list[Failure],
    row_numbers: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """Failing rows of ``frame`` with their reasons (one line per row and failure)."""
    out = []
    for f in failures:
        for r in f.rows:
            if r >= len(frame):
                continue
            rec = frame.iloc[r].astype(object).where(frame.iloc[r].notna(), None).to_dict()
            number = row_numbers[r] if row_numbers and r < len(row_numbers) else r + 1
            out.append(
                {
                    "table": suite.table,
                    "row": number,
                    "family": f.family,
                    "reason": mask_identity_codes(f"{f.where}: {f.what}"),
                    "record": mask_identity_codes(json.dumps(rec, ensure_ascii=False, default=str)),
                }
            )
    return pd.DataFrame(out, columns=["table", "row", "family", "reason", "record"])


# -- inputs -----------------------------------------------------------------------------
def _source_of(data: Any) -> tuple[duckdb.DuckDBPyConnection, str] | None:
    """A DuckDB-held input as (connection, table or view name)."""
    con = getattr(data, "con", None)
    table = getattr(data, "table", None)
    if isinstance(con, duckdb.DuckDBPyConnection) and isinstance(table, str):
        return con, table
    return None


def _renamed(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Map of user column -> suite column for DiD inputs."""
    if not columns:
        return {}
    bad = [k for k in columns if k not in DID_COLUMNS]
    if bad:
        raise OptionError(
            f"unknown role(s) {', '.join(map(repr, bad))} in columns=",
            where="validate(columns=...)",
            fix=f"use roles {', '.join(DID_COLUMNS)}, e.g. "
            "columns={'unit': 'person_id', 'time': 'month_index'}",
        )
    return {v: k for k, v in columns.items()}


def _validate_table(
    suite: Suite,
    data: Any,
    *,
    lang: str,
    source: str,
    engine: Engine,
    columns: Mapping[str, str] | None,
    quarantine_table: str | None,
) -> tuple[list[Failure], int, pd.DataFrame]:
    rename = _renamed(columns)
    where = f"{source}, table '{suite.table}'"
    if isinstance(data, pd.DataFrame):
        frame = data.rename(columns=rename) if rename else data
        use_duck = engine == "duckdb" or (engine == "auto" and len(frame) > PANDAS_MAX_ROWS)
        if not use_duck:
            raw, n = run_pandas(suite, frame)
            fails = _failures(suite, raw, lang=lang, where=where)
            return fails, n, _quarantine(suite, frame.reset_index(drop=True), fails)
        con = duckdb.connect()
        try:
            con.register("checks_frame", frame.reset_index(drop=True))
            con.execute(
                "CREATE TEMP VIEW checks_input AS SELECT *, "
                "(row_number() OVER () - 1)::BIGINT AS __row__ FROM checks_frame"
            )
            raw, n = run_duckdb(suite, con, "checks_input")
        finally:
            con.close()
        fails = _failures(suite, raw, lang=lang, where=where)
        return fails, n, _quarantine(suite, frame.reset_index(drop=True), fails)
    if engine == "pandas":
        raise OptionError(
            "engine='pandas' needs a pandas DataFrame",
            where="validate(engine=...)",
            fix="use engine='duckdb' or 'auto'",
        )
    if isinstance(data, duckdb.DuckDBPyRelation):
        con = duckdb.connect()
        name = "checks_relation"
        try:
            con.register(name, data.arrow())
        except Exception as exc:  # pragma: no cover - depends on the relation
            raise InputDataError(
                f"cannot read the relation: {exc}",
                where=source,
                fix="pass a DuckTable (con + table) instead",
            ) from exc
        src: tuple[duckdb.DuckDBPyConnection, str] | None = (con, name)
    else:
        src = _source_of(data)
    if src is None:
        raise InputDataError(
            f"cannot validate data of type {type(data).__name__}",
            where=source,
            fix="pass a pandas DataFrame or a DuckDB-backed table (e.g. a PersonMonthPanel)",
        )
    con, table = src
    view = table
    if rename:
        cols = ", ".join(f'"{c}" AS "{rename.get(c, c)}"' for c in con.table(table).columns)
        view = "checks_renamed_input"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {cols} FROM {table}")
    raw, n = run_duckdb(suite, con, view, quarantine_table=quarantine_table)
    fails = _failures(suite, raw, lang=lang, where=where)
    return fails, n, pd.DataFrame(columns=["table", "row", "family", "reason", "record"])


def _refusals(parsed: ParsedSubmission, lang: str) -> list[Failure]:
    """The intake's refusal as failures (family ``personal_id`` for codes, else ``intake``)."""
    out = []
    for p in parsed.refused:
        what, fix = message("workbook", lang, detail=p.what, other=p.fix)
        reason = getattr(p, "reason", "")
        family = "personal_id" if reason in ("identity_code", "file_name") else "intake"
        out.append(
            Failure(
                table="workbook",
                family=family,
                expectation="intake",
                column=None,
                n_failed=1,
                where=p.where,
                what=what,
                fix=fix,
            )
        )
    return out


def validate_submission(parsed: ParsedSubmission, *, lang: str | None = None) -> ValidationReport:
    """Validate a parsed submission: the reader's problems plus the suites on its tables."""
    schema = load_schema()
    lg = lang or parsed.lang
    failures: list[Failure] = _refusals(parsed, lg)
    q = parsed.quarantine
    for p in parsed.problems:
        what, fix = message("workbook", lg, detail=p.what, other=p.fix)
        hits = q[q["reason"].str.contains(p.where, regex=False)] if len(q) else q
        samples = tuple(
            {"row": int(r["row"]), **json.loads(str(r["record"]))}
            for r in hits.to_dict(orient="records")
        )
        failures.append(
            Failure(
                table=str(hits["table"].iloc[0]) if len(hits) else "workbook",
                family="workbook",
                expectation="read_workbook",
                column=None,
                n_failed=1,
                where=p.where,
                what=what,
                fix=fix,
                rows=tuple(int(r) - 1 for r in hits["row"]) if len(hits) else (),
                samples=samples,
            )
        )
    quarantine = [parsed.quarantine] if len(parsed.quarantine) else []
    n_rows: dict[str, int] = {}
    n_exp = 0
    for suite in suites_for("submission"):
        frame = parsed.tables.get(suite.table)
        if frame is None:
            continue
        n_exp += len(suite.expectations)
        raw, n = run_pandas(suite, frame)
        n_rows[suite.table] = n
        if suite.table == "forms":
            where = parsed.path.name
            fails = _failures(suite, raw, lang=lg, where=where)
            rownums = None
        else:
            sec = schema.section(suite.table)
            sheet = parsed.sheets.get(suite.table, sec.sheet(lg))  # type: ignore[arg-type]
            rownums = parsed.rows.get(suite.table, ())
            fails = []
            for f in raw:
                col = f.expectation.column
                cells = ""
                if col in sec.field_ids and f.rows:
                    letter = get_column_letter(first_data_col(sec) + sec.field_ids.index(col))
                    nums = [rownums[r] if r < len(rownums) else r + 1 for r in f.rows[:10]]
                    cells = ", ".join(f"{letter}{r}" for r in nums)
                where = schema.text("where_sheet", lg, sheet=sheet)  # type: ignore[arg-type]
                if cells:
                    where = f"{where}, {cells}"
                fails += _failures(suite, [f], lang=lg, where=where)
                if cells:  # the cell list already names the rows
                    last = fails[-1]
                    fails[-1] = Failure(**{**last.__dict__, "where": where})
        failures += fails
        q = _quarantine(suite, frame, fails, rownums)
        if len(q):
            quarantine.append(q)
    qframe = (
        pd.concat(quarantine, ignore_index=True)
        if quarantine
        else pd.DataFrame(columns=["table", "row", "family", "reason", "record"])
    )
    return ValidationReport(
        kind="submission",
        source=mask_identity_codes(parsed.path.name),
        lang=lg,
        n_expectations=n_exp + (1 if parsed.evaluation is None else 0),
        n_rows=n_rows,
        failures=tuple(failures),
        engine="great_expectations",
        meta={
            "pilot": parsed.pilot,
            "period": parsed.period,
            "schema_version": parsed.schema_version,
            "lang": parsed.lang,
        },
        quarantine=qframe,
    )


def validate(
    kind: str,
    data: Any,
    *,
    lang: str | None = None,
    source: str | None = None,
    engine: Engine = "auto",
    columns: Mapping[str, str] | None = None,
    quarantine_table: str | None = None,
    **options: Any,
) -> ValidationReport:
    """Check ``data`` against the expectation suites of ``kind``.

    Parameters
    ----------
    kind:
        ``"submission"`` (a filled workbook: path, :class:`SelfEvaluation` or mapping of
        tidy tables), ``"spells"``, ``"panel"`` or ``"did_input"``.
    data:
        A pandas DataFrame, or a DuckDB-backed table with ``.con`` and ``.table`` (e.g. a
        :class:`~evaluation.registers.PersonMonthPanel`), or a DuckDB relation.
    lang:
        Language of the messages (default: the submission's, else English).
    source:
        Name of the data in messages (default: the file name or the kind).
    engine:
        ``"auto"`` (GE on pandas frames up to :data:`PANDAS_MAX_ROWS` rows, DuckDB SQL
        otherwise and for DuckDB tables), ``"pandas"`` or ``"duckdb"``.
    columns:
        For ``did_input``: role -> column name, e.g. ``{"unit": "person_id", "time":
        "month_index", "cohort": "first_pilot_month_index", "outcome": "employed"}``.
    quarantine_table:
        For DuckDB-held data: copy every failing row with its reason into this table of the
        same connection (the input is never changed).
    **options:
        Options of the ``did_input`` suite (``outcome_min``, ``outcome_max``,
        ``min_comparison_units``, ``treated``).

    Returns
    -------
    ValidationReport
        ``.ok``, ``.failures``, ``.summary()``, ``.tidy()``, ``.to_html()`` and the
        quarantined rows in ``.quarantine``.
    """
    if kind not in KINDS:
        raise OptionError(
            f"unknown check kind {kind!r}",
            where="validate(kind=...)",
            fix=f"use one of: {', '.join(KINDS)}",
        )
    if lang is not None and lang not in ("fi", "sv", "en"):
        raise OptionError(
            f"unknown language {lang!r}", where="validate(lang=...)", fix="use fi, sv or en"
        )
    if kind == "submission":
        if isinstance(data, str | Path):
            return validate_submission(parse_submission(data), lang=lang)
        if isinstance(data, SelfEvaluation):
            from evaluation.checks.submission import tidy_tables

            parsed = ParsedSubmission(
                path=Path(source or f"{data.pilot}.xlsx"),
                pilot=data.pilot,
                lang=data.lang,
                period=str(data.report_date or "unknown"),
                schema_version=data.schema_version,
                evaluation=data,
                problems=(),
                tables=tidy_tables(data),
            )
            return validate_submission(parsed, lang=lang)
        if isinstance(data, Mapping):
            parsed = ParsedSubmission(
                path=Path(source or "tables"),
                pilot="",
                lang=lang or "en",
                period="unknown",
                schema_version="",
                evaluation=None,
                problems=(),
                tables=dict(data),
            )
            return validate_submission(parsed, lang=lang)
        raise InputDataError(
            f"cannot validate a submission of type {type(data).__name__}",
            where="validate('submission', data)",
            fix="pass a workbook path, a SelfEvaluation or a dict of tables",
        )
    if options and kind != "did_input":
        raise OptionError(
            f"options {', '.join(options)} apply to kind 'did_input' only",
            where="validate(...)",
            fix="remove them",
        )
    lg = lang or "en"
    src = source or kind
    failures: list[Failure] = []
    n_rows: dict[str, int] = {}
    n_exp = 0
    quarantine = []
    for suite in suites_for(kind, **options):
        fails, n, q = _validate_table(
            suite,
            data,
            lang=lg,
            source=src,
            engine=engine,
            columns=columns,
            quarantine_table=quarantine_table,
        )
        failures += fails
        n_rows[suite.table] = n
        n_exp += len(suite.expectations)
        if len(q):
            quarantine.append(q)
    used = (
        "duckdb"
        if not isinstance(data, pd.DataFrame)
        or engine == "duckdb"
        or (engine == "auto" and len(data) > PANDAS_MAX_ROWS)
        else "great_expectations"
    )
    return ValidationReport(
        kind=kind,
        source=src,
        lang=lg,
        n_expectations=n_exp,
        n_rows=n_rows,
        failures=tuple(failures),
        engine=used,
        meta={"quarantine_table": quarantine_table} if quarantine_table else {},
        quarantine=(
            pd.concat(quarantine, ignore_index=True)
            if quarantine
            else pd.DataFrame(columns=["table", "row", "family", "reason", "record"])
        ),
    )
