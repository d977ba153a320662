"""Spell and person-month panel suites: clean data passes, each defect family is caught with
its message and location, on both engines (GE on pandas, SQL in DuckDB)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from evaluation.checks import ValidationReport, validate
from evaluation.registers import build_person_month_panel

ENGINES = ["pandas", "duckdb"]


def only(report: ValidationReport, family: str):  # type: ignore[no-untyped-def]
    """The single failure of ``family`` (and no other family failed)."""
    assert report.families() == (family,), report.summary()
    (failure,) = [f for f in report.failures if f.family == family]
    return failure


# -- spells ----------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_clean_spells_pass(clean_spells: pd.DataFrame, engine: str) -> None:
    before = clean_spells.copy()
    report = validate("spells", clean_spells, engine=engine)  # type: ignore[arg-type]
    assert report.ok, report.summary()
    assert report.n_rows == {"spells": 4}
    pd.testing.assert_frame_equal(clean_spells, before)  # input not mutated


@pytest.mark.parametrize("engine", ENGINES)
def test_spells_required(clean_spells: pd.DataFrame, engine: str) -> None:
    clean_spells.loc[2, "person_id"] = None
    f = only(validate("spells", clean_spells, engine=engine), "required")  # type: ignore[arg-type]
    assert f.column == "person_id" and f.rows == (2,) and f.n_failed == 1
    assert "empty value(s) in required column 'person_id'" in f.what
    assert "column 'person_id', rows 3" in f.where


@pytest.mark.parametrize("engine", ENGINES)
def test_spells_unknown_code(clean_spells: pd.DataFrame, engine: str) -> None:
    clean_spells.loc[1, "code"] = "employed"
    f = only(validate("spells", clean_spells, engine=engine), "code")  # type: ignore[arg-type]
    assert f.rows == (1,) and "'employed'" in f.what and "not allowed codes" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_spells_end_before_start(clean_spells: pd.DataFrame, engine: str) -> None:
    clean_spells.loc[0, "end"] = pd.Timestamp("2019-12-31")
    f = only(validate("spells", clean_spells, engine=engine), "date_order")  # type: ignore[arg-type]
    assert f.rows == (0,) and "'end' is before 'start'" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_spells_duplicates(clean_spells: pd.DataFrame, engine: str) -> None:
    spells = pd.concat([clean_spells, clean_spells.iloc[[3]]], ignore_index=True)
    f = only(validate("spells", spells, engine=engine), "unique")  # type: ignore[arg-type]
    assert f.rows == (3, 4) and f.n_failed == 2 and "repeat a value" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_spells_personal_identity_code(clean_spells: pd.DataFrame, engine: str) -> None:
    clean_spells.loc[3, "person_id"] = "131052-308T"
    f = only(validate("spells", clean_spells, engine=engine), "personal_id")  # type: ignore[arg-type]
    assert f.rows == (3,) and "personal identity code" in f.what
    assert "131052-308T" not in f.what + f.where  # never echoed


def test_spells_missing_column(clean_spells: pd.DataFrame) -> None:
    report = validate("spells", clean_spells.drop(columns=["end"]))
    f = only(report, "columns")
    assert f.what == "column 'end' is missing"


def test_spells_messages_in_finnish(clean_spells: pd.DataFrame) -> None:
    clean_spells.loc[1, "code"] = "employed"
    f = only(validate("spells", clean_spells, lang="fi"), "code")
    assert "ei ole sallittuja koodeja" in f.what and "rivit 2" in f.where


def test_spells_quarantine_keeps_failing_rows(clean_spells: pd.DataFrame) -> None:
    clean_spells.loc[1, "code"] = "employed"
    report = validate("spells", clean_spells)
    q = report.quarantine
    assert list(q["row"]) == [2] and list(q["family"]) == ["code"]
    assert '"employed"' in q["record"].iloc[0]
    assert len(clean_spells) == 4  # nothing dropped from the input


# -- panel -----------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_clean_panel_passes(clean_panel: pd.DataFrame, engine: str) -> None:
    assert validate("panel", clean_panel, engine=engine).ok  # type: ignore[arg-type]


def test_real_panel_passes_in_duckdb(clean_spells: pd.DataFrame) -> None:
    panel = build_person_month_panel(clean_spells, start="2020-01-01", end="2020-06-30")
    report = validate("panel", panel)
    assert report.ok, report.summary()
    assert report.engine == "duckdb" and report.n_rows["panel"] == 3 * 6


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_status_code(clean_panel: pd.DataFrame, engine: str) -> None:
    clean_panel.loc[5, "status"] = "retired"
    f = only(validate("panel", clean_panel, engine=engine), "code")  # type: ignore[arg-type]
    assert f.column == "status" and f.rows == (5,)


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_outcome_domain(clean_panel: pd.DataFrame, engine: str) -> None:
    clean_panel.loc[7, "employed"] = 2
    f = only(validate("panel", clean_panel, engine=engine), "domain")  # type: ignore[arg-type]
    assert f.column == "employed" and f.rows == (7,) and "outside its domain" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_duplicate_person_month(clean_panel: pd.DataFrame, engine: str) -> None:
    panel = pd.concat([clean_panel, clean_panel.iloc[[0]]], ignore_index=True)
    f = only(validate("panel", panel, engine=engine), "unique")  # type: ignore[arg-type]
    assert f.rows == (0, len(panel) - 1) and f.column == "person_id, month"


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_month_index(clean_panel: pd.DataFrame, engine: str) -> None:
    clean_panel.loc[3, "month_index"] += 1
    report = validate("panel", clean_panel, engine=engine)  # type: ignore[arg-type]
    f = next(f for f in report.failures if f.family == "month_index")
    assert f.rows == (3,) and "month_index does not match" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_gaps(clean_panel: pd.DataFrame, engine: str) -> None:
    panel = clean_panel.drop(index=[8]).reset_index(drop=True)  # person 1 misses a month
    f = only(validate("panel", panel, engine=engine), "gaps")  # type: ignore[arg-type]
    assert f.n_failed == 5 and f.rows == (6, 7, 8, 9, 10)
    assert "gaps in the panel" in f.what


def test_panel_quarantine_table_in_duckdb(clean_panel: pd.DataFrame) -> None:
    clean_panel.loc[[2, 9], "status"] = "retired"
    con = duckdb.connect()
    con.register("src", clean_panel)
    con.execute("CREATE TABLE panel AS SELECT * FROM src")

    class Held:
        def __init__(self) -> None:
            self.con, self.table = con, "panel"

    report = validate("panel", Held(), quarantine_table="panel_quarantine")
    assert report.families() == ("code",)
    q = con.sql("SELECT person_id, status, family FROM panel_quarantine ORDER BY 1").fetchall()
    assert [r[1] for r in q] == ["retired", "retired"] and {r[2] for r in q} == {"code"}
    assert con.sql("SELECT count(*) FROM panel").fetchall()[0][0] == len(clean_panel)


def test_engines_agree_on_many_defects(panel_factory) -> None:  # type: ignore[no-untyped-def]
    panel = panel_factory(n_persons=20, n_months=12)
    panel.loc[[4, 50, 51], "status"] = "x"
    panel.loc[[10, 200], "in_service"] = 3
    panel.loc[100, "person_id"] = None
    a = validate("panel", panel, engine="pandas")
    b = validate("panel", panel, engine="duckdb")
    key = [(f.family, f.column, f.n_failed, f.rows) for f in a.failures]
    assert key == [(f.family, f.column, f.n_failed, f.rows) for f in b.failures]
    assert {k[0] for k in key} >= {"code", "domain", "required"}


@pytest.fixture
def participant_panel(clean_spells: pd.DataFrame):  # type: ignore[no-untyped-def]
    participants = pd.DataFrame(
        {
            "person_id": ["P0000001"],
            "pilot": ["Fokus"],
            "entry_date": pd.to_datetime(["2020-03-10"]),
            "exit_date": pd.to_datetime([None]),
        }
    )
    panel = build_person_month_panel(
        clean_spells, start="2020-01-01", end="2020-06-30", participants=participants
    )
    return panel


def test_real_panel_with_participants_passes(participant_panel) -> None:  # type: ignore[no-untyped-def]
    report = validate("panel", participant_panel)
    assert report.ok, report.summary()
    frame = participant_panel.to_pandas()
    assert validate("panel", frame).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_participant_two_entry_months(participant_panel, engine: str) -> None:  # type: ignore[no-untyped-def]
    frame = participant_panel.to_pandas()
    rows = frame.index[frame["first_pilot_month"].notna()]
    frame.loc[rows[-1], "first_pilot_month"] = pd.Timestamp("2020-04-01")
    report = validate("panel", frame, engine=engine)  # type: ignore[arg-type]
    f = next(f for f in report.failures if f.family == "cohort")
    assert f.n_failed == len(rows) and f.rows == tuple(int(r) for r in rows)
    assert f.column == "first_pilot_month" and "more than one cohort" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_panel_months_since_entry(participant_panel, engine: str) -> None:  # type: ignore[no-untyped-def]
    frame = participant_panel.to_pandas()
    row = int(frame.index[frame["first_pilot_month"].notna()][0])
    frame.loc[row, "months_since_entry"] = 99
    f = only(validate("panel", frame, engine=engine), "months_since_entry")  # type: ignore[arg-type]
    assert f.rows == (row,) and "does not match the entry month" in f.what
