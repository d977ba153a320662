"""The Ibis person-month panel equals the in-process DuckDB panel, cell for cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evaluation.errors import OptionError, SpellError
from evaluation.registers import (
    PANEL_COLUMNS,
    build_person_month_panel,
    months_in_window,
    store_person_month_panel,
    validated_panel_inputs,
)
from evaluation.scale import connect, person_month_panel, upload
from evaluation.synthetic import generate_registers

#: Spells that test the rules at the window's edges (window 2016-01 .. 2016-12).
EDGE_SPELLS = pd.DataFrame(
    {
        "person_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "code": [
            "employment_open",
            "unemployment_allowance_basic",
            "social_assistance_basic",
            "study_degree",
            "employment_open",
            "unemployment_allowance_basic",
            "housing_allowance",
            "sickness_allowance",
        ],
        "start": pd.to_datetime(
            [
                "2015-06-01",  # starts before the window
                "2016-03-31",  # one-day overlap with March and April
                "2016-01-15",
                "2016-11-20",  # open: runs to the end of the window (or the extract date)
                "2016-12-31",
                "2014-01-01",  # ends before the window: no month
                "2016-05-01",
                "2016-05-10",
            ]
        ),
        "end": pd.to_datetime(
            [
                "2016-02-01",
                "2016-04-01",
                "2016-06-30",
                None,
                "2017-03-01",  # runs past the window
                "2015-01-01",
                "2016-05-31",
                "2016-05-11",
            ]
        ),
    }
)
PARTICIPANTS = pd.DataFrame(
    {
        "person_id": ["a", "e"],  # e: a participant without spells
        "pilot": ["Fokus", "Sataosaa"],
        "entry_date": pd.to_datetime(["2016-03-15", "2016-07-01"]),
        "exit_date": pd.to_datetime(["2016-08-31", None]),
    }
)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes on both sides (engines differ in date units and nullable ints)."""
    out = frame.loc[:, list(PANEL_COLUMNS)].reset_index(drop=True).copy()
    for col in ("month", "first_pilot_month"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    out["benefit_units"] = out["benefit_units"].astype("int64")
    for col in ("months_since_entry", "in_pilot"):
        out[col] = out[col].astype("Float64")
    for col in ("person_id", "status", "pilot"):
        out[col] = out[col].astype("string")
    return out


def _both(con: Any, spells: pd.DataFrame, **kw: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    participants, persons = kw.pop("participants", None), kw.pop("persons", None)
    fast = build_person_month_panel(spells, participants=participants, persons=persons, **kw)
    cleaned, people = validated_panel_inputs(spells, participants=participants, persons=persons)
    ibis_panel = person_month_panel(
        upload(con, cleaned, kind="spells"), upload(con, people, kind="people"), **kw
    )
    return _comparable(fast.to_pandas()), _comparable(ibis_panel.to_pandas())


def test_edge_cases_give_the_same_panel(con: Any) -> None:
    fast, other = _both(
        con,
        EDGE_SPELLS,
        start="2016-01",
        end="2016-12",
        participants=PARTICIPANTS,
        persons=["f"],  # a person with no spell and no pilot
    )
    pd.testing.assert_frame_equal(other, fast)
    # Person ids are normalised (upper case) on both paths.
    assert set(fast["person_id"]) == {"A", "B", "C", "D", "E", "F"}
    march = fast[(fast.person_id == "A") & (fast.month_index == 2016 * 12 + 2)].iloc[0]
    assert march["on_unemployment_benefit"] == 1 and march["in_pilot"] == 1


def test_extract_date_gives_the_same_panel(con: Any) -> None:
    fast, other = _both(con, EDGE_SPELLS, start="2016-01", end="2016-12", extract_date="2016-11-30")
    pd.testing.assert_frame_equal(other, fast)
    b_december = fast[(fast.person_id == "B") & (fast.month_index == 2016 * 12 + 11)]
    assert b_december["in_education"].iloc[0] == 0  # the open study spell ended at extract


def test_synthetic_registers_give_the_same_panel(con: Any) -> None:
    data = generate_registers(persons=2000, seed=11)
    fast, other = _both(
        con,
        data.spells,
        start=f"{data.months[0]:%Y-%m}",
        end=f"{data.months[-1]:%Y-%m}",
        participants=data.participants,
        persons=data.persons["person_id"],
    )
    pd.testing.assert_frame_equal(other, fast)
    assert fast["employed"].sum() > 0 and fast["pilot"].notna().sum() > 0


def test_stored_copy_works_with_the_in_process_functions() -> None:
    con = connect("duckdb")
    cleaned, people = validated_panel_inputs(EDGE_SPELLS, participants=PARTICIPANTS)
    table = person_month_panel(
        upload(con, cleaned, kind="spells"),
        upload(con, people, kind="people"),
        start="2016-01",
        end="2016-12",
    )
    stored = store_person_month_panel(table.to_pyarrow(), start="2016-01", end="2016-12")
    fast = build_person_month_panel(
        EDGE_SPELLS, start="2016-01", end="2016-12", participants=PARTICIPANTS
    )
    pd.testing.assert_frame_equal(_comparable(stored.to_pandas()), _comparable(fast.to_pandas()))
    assert stored.n_persons == fast.n_persons == 5
    pd.testing.assert_frame_equal(
        months_in_window(stored, window=(0, 3)), months_in_window(fast, window=(0, 3))
    )


def test_bad_spells_are_listed_before_any_engine_work() -> None:
    bad = EDGE_SPELLS.assign(code=EDGE_SPELLS["code"].where(EDGE_SPELLS.index != 2, "nonsense"))
    with pytest.raises(SpellError) as info:
        validated_panel_inputs(bad)
    assert "row 3" in str(info.value) and "code" in str(info.value)


def test_unknown_engine_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="unknown engine 'oracle'"):
        connect("oracle")  # type: ignore[arg-type]


def test_spark_without_java_is_a_clear_error(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    code = (
        "from evaluation.cli import main\n"
        "import sys\n"
        "sys.argv = ['pilot-eval', 'run', 'designs/fokus.yaml', '--out', sys.argv[1], "
        "'--backend', 'spark']\n"
        "main()\n"
    )
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(Path(__file__).resolve().parents[2]),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Spark could not start" in done.stderr + done.stdout
    assert "Java 17" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # failed before any data were loaded


@pytest.mark.parametrize("month_rule", ["full_month", "min_days=15", "min_days=30"])
def test_month_rules_give_the_same_panel(con: Any, month_rule: str) -> None:
    for extract in (None, "2016-11-30"):
        fast, other = _both(
            con,
            EDGE_SPELLS,
            start="2016-01",
            end="2016-12",
            participants=PARTICIPANTS,
            extract_date=extract,
            month_rule=month_rule,
        )
        pd.testing.assert_frame_equal(other, fast)
    data = generate_registers(persons=2000, seed=3)
    fast, other = _both(
        con,
        data.spells,
        start=f"{data.months[0]:%Y-%m}",
        end=f"{data.months[-1]:%Y-%m}",
        participants=data.participants,
        month_rule=month_rule,
    )
    pd.testing.assert_frame_equal(other, fast)
