"""Per-pilot process measures for the funders' comparison, and process-outcome links."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from evaluation.errors import EstimationError, OptionError
from evaluation.process import (
    PROCESS_COLUMNS,
    client_process,
    dose_response,
    process_measures,
    process_report,
)
from evaluation.reporting.results import TABLE_COLUMNS, example_results, load_comparison_results
from evaluation.synthetic.filled_workbooks import FLAWED_PILOT, filled_evaluation
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import Submissions

#: Means of a handful of numbers are exact up to rounding.
TOL = 1e-9


def _small() -> SelfEvaluation:
    """A filled evaluation cut down to three clients with hand-set process data."""
    ev = filled_evaluation("Fokus", seed=2, lang="en")
    clients = ev.records["clients"][:3]
    ids = [c["client_id"] for c in clients]
    dose = (
        {
            "client_id": ids[0],
            "meetings": 10,
            "service_hours": 12.0,
            "fidelity": "as_planned",
            "completed": "yes",
        },
        {
            "client_id": ids[1],
            "meetings": 4,
            "service_hours": None,
            "fidelity": "partly",
            "completed": "no",
        },
        {
            "client_id": ids[2],
            "meetings": 20,
            "service_hours": 30.0,
            "fidelity": None,
            "completed": "yes",
        },
    )
    goals = (
        {
            "client_id": ids[0],
            "goal_no": 1,
            "goal": "g",
            "domain": "work",
            "weight": None,
            "set_date": dt.date(2017, 1, 1),
            "follow_up_date": dt.date(2018, 1, 1),
            "attainment": 1,
        },
    )
    impl = (
        {**ev.records["implementation"][0], "fidelity": "as_planned"},
        {**ev.records["implementation"][1], "fidelity": "partly"},
        {**ev.records["implementation"][1], "fidelity": "as_planned", "component": "Third"},
    )
    tg = tuple(
        {
            **r,
            "included": "yes" if r["row"] in ("disabled", "immigrants") else "no",
            "planned_clients": 7
            if r["row"] == "disabled"
            else (5 if r["row"] == "immigrants" else None),
        }
        for r in ev.records["target_groups"]
    )
    records = {
        **ev.records,
        "clients": clients,
        "service_dose": dose,
        "client_goals": goals,
        "implementation": impl,
        "target_groups": tg,
    }
    return dataclasses.replace(ev, records=records)


def test_process_measures_by_hand() -> None:
    ev = _small()
    got = process_measures([ev])
    assert tuple(got.columns) == PROCESS_COLUMNS == TABLE_COLUMNS["process"]
    row = got.iloc[0]
    assert row["pilot"] == "Fokus"
    assert row["target_group"] == 12  # 7 + 5 planned clients of the groups served
    assert row["participants"] == 3
    assert row["completed"] == 2
    assert row["mean_dose_hours"] == pytest.approx((12 + 30) / 2, abs=TOL)
    assert row["fidelity"] == pytest.approx((1 + 0.5 + 1) / 3, abs=TOL)  # partly counts 0.5


def test_client_process_joins_dose_fidelity_gas_and_outcome() -> None:
    ev = _small()
    cp = client_process([ev])
    assert len(cp) == 3
    first = cp.iloc[0]
    c0 = ev.records["clients"][0]
    end = c0["exit_date"] or ev.report_date
    assert first["months_in_service"] == pytest.approx((end - c0["entry_date"]).days / 30.4375)
    assert first["fidelity"] == 1.0 and cp.iloc[1]["fidelity"] == 0.5
    assert pd.isna(cp.iloc[2]["fidelity"])
    assert first["gas_t_score"] == pytest.approx(60.0)
    assert pd.isna(cp.iloc[1]["gas_t_score"])
    out = cp["outcome_3m"]
    expect = [
        None if pd.isna(o) or o == "other" else int(o in ("work_contract", "degree_education"))
        for o in out
    ]
    assert [None if pd.isna(v) else int(v) for v in cp["positive_outcome"]] == expect


def test_dose_response_on_synthetic_pilots(process_read_en: Submissions) -> None:
    cp = client_process(process_read_en.evaluations)
    res = dose_response(cp, dose="meetings", bands=4)
    bands = res.tidy()
    assert list(bands["band"]) == ["Q1", "Q2", "Q3", "Q4"]
    assert bands["n"].sum() == cp["meetings"].notna().sum()
    assert (bands["dose_low"].diff().dropna() >= 0).all()
    assert "Spearman" in res.summary() and res.plot().axes
    with pytest.raises(OptionError):
        dose_response(cp, dose="hours")  # type: ignore[arg-type]
    with pytest.raises(EstimationError):
        dose_response(cp.head(2), bands=4)


def test_process_report_and_comparison_loader(process_read_en: Submissions, tmp_path: Path) -> None:
    rep = process_report(process_read_en)
    pilots = {ev.pilot for ev in process_read_en.evaluations}
    assert FLAWED_PILOT not in pilots and len(pilots) == 5
    assert set(rep.process["pilot"]) == pilots
    assert tuple(rep.process.columns) == TABLE_COLUMNS["process"]
    assert ((rep.process["fidelity"] >= 0) & (rep.process["fidelity"] <= 1)).all()
    assert set(rep.gas["pilot"]) == pilots and not rep.gas["suppressed"].any()
    assert set(rep.readiness_latest["pilot"]) == pilots
    assert set(rep.integration["model_type"]) <= {
        "coordination",
        "multisectoral_team",
        "partnership",
        "one_stop",
    }
    assert rep.code_counts["n"].sum() == sum(
        len(ev.records["excerpts"]) for ev in process_read_en.evaluations
    )
    # quotes never carry client ids or the names planted in the synthetic excerpts
    joined = " ".join(rep.quotes["quote"])
    assert "FOK012" not in joined and "Virtanen" not in joined and len(rep.quotes) > 0
    # the comparison report accepts the process table
    folder = example_results(tmp_path / "results")
    rep.process.to_csv(folder / "process.csv", index=False)
    loaded = load_comparison_results(folder)
    assert len(loaded.process) == 5
    assert "Process measures" in rep.summary() and "gas" in rep.tables()


def test_html_fragment_for_the_demo(process_read_en: Submissions) -> None:
    page = process_report(process_read_en).to_html()
    assert page.count("<table") == 9  # with intended reach and the concept ratings
    assert "Clients' own goals" in page and "Implementation readiness" in page
