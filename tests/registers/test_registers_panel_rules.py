"""The one statement of the panel rules, rendered as DuckDB SQL, against DuckDB's calendar."""

from __future__ import annotations

import duckdb
import pandas as pd

from evaluation.registers import panel_rules as rules


def test_days_in_month_rule_matches_duckdb_calendar() -> None:
    # Reference: DuckDB's own calendar (day(last_day(d))), every month 1896-2104 (the
    # century rules: 1900 and 2100 are not leap years, 2000 is).
    con = duckdb.connect()
    rule = rules.days_in_month(rules.SQL, "d")
    wrong = con.sql(
        f"""SELECT count(*) FROM (
            SELECT unnest(range(DATE '1896-01-15', DATE '2105-01-01', INTERVAL 1 MONTH))::DATE
            AS d) WHERE {rule} <> day(last_day(d))"""
    ).fetchall()
    assert wrong == [(0,)]


def test_month_index_and_month_start_are_inverse() -> None:
    con = duckdb.connect()
    index = rules.month_index(rules.SQL, "d")
    back = rules.month_start(rules.SQL, rules.Sql("i"))
    got = con.sql(
        f"""SELECT i, {back} AS m FROM (SELECT {index} AS i FROM (
            SELECT DATE '2016-02-29' AS d UNION ALL SELECT DATE '1999-12-31'))
            ORDER BY i"""
    ).df()
    assert got["i"].tolist() == [1999 * 12 + 11, 2016 * 12 + 1]
    assert [rules.month_date(i) for i in got["i"]] == [
        pd.Timestamp("1999-12-01"),
        pd.Timestamp("2016-02-01"),
    ]
    assert pd.to_datetime(got["m"]).tolist() == [
        pd.Timestamp("1999-12-01"),
        pd.Timestamp("2016-02-01"),
    ]


def test_sql_operators_keep_operand_order() -> None:
    assert str(3 - rules.Sql("x")) == "(3 - x)"
    assert str(rules.Sql("x") - 3) == "(x - 3)"
    assert str(rules.SQL.text("o'k")) == "'o''k'"
