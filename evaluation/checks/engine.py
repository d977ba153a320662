"""Running suites: Great Expectations on pandas, our SQL translation in DuckDB.

Two executors of the *same* suites:

* :func:`run_pandas` hands every column expectation to Great Expectations (1.x, an
  ephemeral context with a pandas datasource; ``result_format="COMPLETE"`` gives the failing
  row positions), and runs the ``unexpected_rows_expectation`` queries in DuckDB over the
  same frame (GE's pandas engine cannot run SQL).
* :func:`run_duckdb` translates every expectation to SQL and runs it where the data lives,
  so a 10-million-row panel is never loaded into pandas: all row-wise predicates are
  counted in *one* scan, and only failing expectations fetch a few sample rows. Failing
  rows can be copied into a quarantine table beside the data.

GE is imported lazily (it takes several seconds), and only by :func:`run_pandas`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb
import pandas as pd

from evaluation.checks.report import MAX_SAMPLES
from evaluation.checks.suites import Expectation, Suite

_ROW = "__row__"


@dataclass(frozen=True)
class RawFailure:
    """A failed expectation before it is worded for people."""

    expectation: Expectation
    n_failed: int
    rows: tuple[int, ...] = ()
    values: tuple[Any, ...] = ()
    samples: tuple[dict[str, Any], ...] = ()
    predicate: str | None = None  # SQL over the table selecting the failing rows


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _missing_columns(suite: Suite, columns: Sequence[str]) -> list[RawFailure]:
    have = set(columns)
    return [
        RawFailure(e, 1)
        for e in suite.expectations
        if e.type == "expect_column_to_exist" and e.kwargs["column"] not in have
    ]


def _runnable(suite: Suite, columns: Sequence[str]) -> list[Expectation]:
    have = set(columns)
    return [
        e
        for e in suite.expectations
        if e.type != "expect_column_to_exist" and all(c in have for c in e.columns)
    ]


# -- SQL translation -------------------------------------------------------------------
def row_predicate(e: Expectation, types: dict[str, str]) -> str | None:
    """SQL predicate selecting the rows failing a row-wise expectation (``None`` if the
    expectation is not row-wise)."""
    k = e.kwargs
    if e.type == "expect_column_values_to_not_be_null":
        return f"{_q(k['column'])} IS NULL"
    if e.type == "expect_column_values_to_be_in_set":
        col = _q(k["column"])
        if types.get(k["column"], "").startswith(("ENUM", "VARCHAR")) or any(
            isinstance(v, str) for v in k["value_set"]
        ):
            col = f"CAST({col} AS VARCHAR)"
            vals = ", ".join(_lit(str(v)) for v in k["value_set"])
        else:
            vals = ", ".join(_lit(v) for v in k["value_set"])
        return f"{col} IS NOT NULL AND {col} NOT IN ({vals})"
    if e.type == "expect_column_values_to_be_between":
        col = _q(k["column"])
        conds = []
        if k.get("min_value") is not None:
            conds.append(f"{col} < {_lit(k['min_value'])}")
        if k.get("max_value") is not None:
            conds.append(f"{col} > {_lit(k['max_value'])}")
        return f"{col} IS NOT NULL AND ({' OR '.join(conds) or 'FALSE'})"
    if e.type == "expect_column_value_lengths_to_be_between":
        col = f"length(CAST({_q(k['column'])} AS VARCHAR))"
        return (
            f"{col} IS NOT NULL AND ({col} < {int(k.get('min_value') or 0)} OR "
            f"{col} > {int(k['max_value'])})"
        )
    if e.type == "expect_column_values_to_match_regex":
        col = f"CAST({_q(k['column'])} AS VARCHAR)"
        return f"{col} IS NOT NULL AND NOT regexp_matches({col}, {_lit(k['regex'])})"
    if e.type == "expect_column_values_to_not_match_regex":
        col = f"CAST({_q(k['column'])} AS VARCHAR)"
        return f"{col} IS NOT NULL AND regexp_matches({col}, {_lit(k['regex'])})"
    if e.type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = _q(k["column_A"]), _q(k["column_B"])
        op = "<" if k.get("or_equal") else "<="
        return f"{a} IS NOT NULL AND {b} IS NOT NULL AND {a} {op} {b}"
    return None


def _group_query(e: Expectation, source: str) -> str | None:
    """Query of the rows repeating a key (uniqueness expectations)."""
    if e.type == "expect_column_values_to_be_unique":
        cols = [e.kwargs["column"]]
    elif e.type == "expect_compound_columns_to_be_unique":
        cols = list(e.kwargs["column_list"])
    else:
        return None
    keys = ", ".join(_q(c) for c in cols)
    notnull = " OR ".join(f"{_q(c)} IS NOT NULL" for c in cols)
    if e.type == "expect_column_values_to_be_unique":
        notnull = " AND ".join(f"{_q(c)} IS NOT NULL" for c in cols)
    return (
        f"SELECT * FROM {source} WHERE ({keys}) IN (SELECT ({keys}) FROM {source} "
        f"WHERE {notnull} GROUP BY ALL HAVING count(*) > 1)"
    )


def _rows_query(e: Expectation, source: str) -> str | None:
    if e.type != "unexpected_rows_expectation":
        return None
    return str(e.kwargs["unexpected_rows_query"]).replace("{batch}", source)


def _records(frame: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    frame = frame.drop(columns=[_ROW], errors="ignore")
    recs = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return tuple({str(k): v for k, v in r.items()} for r in recs)


def _sample_values(frame: pd.DataFrame, e: Expectation) -> tuple[Any, ...]:
    col = e.column
    if col is None or col not in frame.columns:
        if e.family == "comparison" and "cohort" in frame.columns:
            return tuple(frame["cohort"].tolist())
        return ()
    if "column_list" in e.kwargs:
        cols = list(e.kwargs["column_list"])
        return tuple(" / ".join(str(v) for v in row) for row in frame[cols].itertuples(False))
    return tuple(frame[col].tolist())


def run_duckdb(
    suite: Suite,
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    quarantine_table: str | None = None,
) -> tuple[list[RawFailure], int]:
    """Run ``suite`` on the table or view ``source`` of ``con`` in SQL.

    Returns the failures and the number of rows. With ``quarantine_table`` every failing
    row is copied (with ``family`` and ``reason`` columns) into that table of ``con``.
    """
    rel = con.sql(f"SELECT * FROM {source} LIMIT 0")
    columns = list(rel.columns)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    has_row = _ROW in columns
    failures = _missing_columns(suite, columns)
    runnable = _runnable(suite, columns)
    preds = {i: row_predicate(e, types) for i, e in enumerate(runnable)}
    rowwise = {i: p for i, p in preds.items() if p is not None}
    counts: dict[int, int] = {}
    n_rows_expr = "count(*)"
    if rowwise:
        sel = ", ".join(f"count(*) FILTER (WHERE {p})" for p in rowwise.values())
        res = con.execute(f"SELECT {n_rows_expr}, {sel} FROM {source}").fetchall()[0]
        n_rows = int(res[0])
        counts = {i: int(c) for i, c in zip(rowwise, res[1:], strict=True)}
    else:
        n_rows = int(con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
    order = f" ORDER BY {_q(_ROW)}" if has_row else ""
    for i, e in enumerate(runnable):
        if i in rowwise:
            if counts[i] == 0:
                continue
            query = f"SELECT * FROM {source} WHERE {rowwise[i]}"
            n = counts[i]
        else:
            q = _group_query(e, source) or _rows_query(e, source)
            if q is None:
                continue
            query = q
            n = int(con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0])
            if n == 0:
                continue
        sub_cols = con.sql(f"SELECT * FROM ({query}) LIMIT 0").columns
        sort = order if _ROW in sub_cols else ""
        sample = con.sql(f"SELECT * FROM ({query}){sort} LIMIT {MAX_SAMPLES}").df()
        rows = tuple(int(r) for r in sample[_ROW]) if _ROW in sample.columns else ()
        failures.append(
            RawFailure(e, n, rows, _sample_values(sample, e), _records(sample), predicate=query)
        )
    if quarantine_table is not None:
        _quarantine_sql(con, source, columns, failures, quarantine_table)
    return failures, n_rows


def _quarantine_sql(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[str],
    failures: Sequence[RawFailure],
    table: str,
) -> None:
    """Copy every failing row (all columns + family + reason) into ``table``."""
    parts = []
    for f in failures:
        if f.predicate is None:
            continue
        sub = con.sql(f"SELECT * FROM ({f.predicate}) LIMIT 0")
        if list(sub.columns) != list(columns):
            continue  # e.g. per-cohort counts: not rows of the table
        reason = f.expectation.kwargs.get("description") or f.expectation.type
        parts.append(
            f"SELECT *, {_lit(f.expectation.family)} AS family, "
            f"{_lit(str(reason) + ': ' + str(f.expectation.column))} AS reason "
            f"FROM ({f.predicate})"
        )
    cols = ", ".join(f"{_q(c)}" for c in columns)
    if parts:
        con.execute(f"CREATE OR REPLACE TABLE {_q(table)} AS {' UNION ALL '.join(parts)}")
    else:
        con.execute(
            f"CREATE OR REPLACE TABLE {_q(table)} AS SELECT {cols}, "
            f"''::VARCHAR AS family, ''::VARCHAR AS reason FROM {source} LIMIT 0"
        )


# -- pandas through Great Expectations -------------------------------------------------
@cache
def _ge_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


@cache
def _ge_batch_definition() -> Any:
    """One pandas datasource and whole-frame batch definition, reused for every frame."""
    ds = _ge_context().data_sources.add_pandas("pilot_eval_frames")
    asset = ds.add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _ge_batch(frame: pd.DataFrame) -> Any:
    return _ge_batch_definition().get_batch(batch_parameters={"dataframe": frame})


def _for_ge(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy GE's pandas engine handles: nullable extension dtypes become object/float."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            out[c] = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(
            s.dtype
        ):
            out[c] = s.astype("float64")
        else:
            out[c] = s
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def run_pandas(suite: Suite, frame: pd.DataFrame) -> tuple[list[RawFailure], int]:
    """Run ``suite`` on a pandas frame with Great Expectations (+ DuckDB for row queries)."""
    import great_expectations as gx

    data = _for_ge(frame.reset_index(drop=True))
    failures = _missing_columns(suite, list(data.columns))
    runnable = _runnable(suite, list(data.columns))
    ge_exps = [e for e in runnable if e.type != "unexpected_rows_expectation"]
    sql_exps = [e for e in runnable if e.type == "unexpected_rows_expectation"]
    if ge_exps and len(data):
        batch = _ge_batch(data)
        gsuite = gx.ExpectationSuite(
            name=suite.name,
            expectations=[
                {"type": e.type, "kwargs": e.ge_kwargs(), "meta": {"i": i}}
                for i, e in enumerate(ge_exps)
            ],
        )
        result = batch.validate(gsuite, result_format={"result_format": "COMPLETE"})
        for r in result.results:
            e = ge_exps[int(r.expectation_config.meta["i"])]
            if r.success:
                continue
            info = r.exception_info or {}
            if isinstance(info, dict) and info.get("raised_exception"):
                from evaluation.errors import InputDataError

                raise InputDataError(
                    f"expectation {e.type} on column {e.column!r} could not run: "
                    f"{str(info.get('exception_message'))[:200]}",
                    where=f"table {suite.table!r}",
                    fix="check the column's type against the data contract",
                )
            idx = [int(i) for i in r.result.get("unexpected_index_list") or []]
            n = int(r.result.get("unexpected_count") or len(idx))
            if e.type in (
                "expect_column_values_to_be_unique",
                "expect_compound_columns_to_be_unique",
            ):
                n = len(idx) or n
            rows = tuple(sorted(set(idx)))
            sample = frame.reset_index(drop=True).iloc[list(rows[:MAX_SAMPLES])]
            failures.append(
                RawFailure(e, n, rows[:MAX_SAMPLES], _sample_values(sample, e), _records(sample))
            )
    if sql_exps:
        con = duckdb.connect()
        try:
            numbered = frame.reset_index(drop=True).assign(**{_ROW: range(len(frame))})
            con.register("batch_frame", numbered)
            only = Suite(suite.name, suite.kind, suite.table, tuple(sql_exps), suite.columns)
            more, _ = run_duckdb(only, con, "batch_frame")
        finally:
            con.close()
        failures += more
    order = {id(e): i for i, e in enumerate(suite.expectations)}
    failures.sort(key=lambda f: order.get(id(f.expectation), math.inf))
    return failures, len(frame)
