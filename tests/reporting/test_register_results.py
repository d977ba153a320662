"""Register outcomes and trajectory groups go through the disclosure ledger (issue 20).

Nothing resting on fewer than 5 persons is published (the project's threshold; recommendation
7, ``001_…`` l.9193-9199, asks for health-service use, benefits and costs to be followed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaluation.registers import register_outcomes
from evaluation.reporting.i18n import translator
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.register_results import (
    TRAJECTORY_CURVES_TABLE,
    register_outcome_table,
    trajectory_group_figure,
    trajectory_group_table,
    write_register_outcomes,
)
from evaluation.reporting.tables_io import write_csv
from tests.register_fixtures import write_small_trajectory_groups

THRESHOLD = 5


def _outcomes(folder: Path) -> None:
    ids = [f"p{i}" for i in range(3)] + [f"c{i}" for i in range(6)]
    anchors = pd.DataFrame(
        {
            "person_id": ids,
            "group": ["participants"] * 3 + ["comparison"] * 6,
            "anchor_month": "2017-04",
        }
    )
    payments = pd.DataFrame(
        {
            "person_id": ids,
            "month": "2017-06",
            "code": "labour_market_subsidy",
            "amount_eur": [700.0] * 9,
        }
    )
    res = register_outcomes(anchors, payments=payments, reference="comparison")
    write_register_outcomes(folder, res, pilot="Sataosaa")


def test_register_means_on_fewer_than_five_persons_are_hidden(tmp_path: Path) -> None:
    _outcomes(tmp_path)
    ledger = build_ledger(tmp_path, threshold=THRESHOLD)
    table = register_outcome_table(tmp_path, translator("en"), ledger).set_index("Group")
    # 3 participants: every participant mean and the difference in change are hidden.
    for col in ("12 months before", "12 months after", "Change", "Difference in change"):
        assert table.loc["Participants", col] == "<5"
    # 6 comparison persons each got 700 euros after the anchor month, none before.
    assert table.loc["Comparison group", "12 months after"] == "700"
    assert table.loc["Comparison group", "Change"] == "700"
    log = ledger.to_frame()
    rows = log[log["table"] == "register_outcomes:Sataosaa"]
    assert set(rows.loc[rows["n"] == 3, "status"]) != {""}


def test_trajectory_group_sizes_are_a_protected_count_table(tmp_path: Path) -> None:
    write_small_trajectory_groups(tmp_path)
    curves = pd.DataFrame(
        {
            "population": "participants",
            "group": [1, 1, 2, 2, 3, 3],
            "time": [2016, 2017] * 3,
            "estimate": [1.0, 2.0, 5.0, 6.0, 11.0, 10.0],
            "conf_low": [0.5, 1.5, 4.5, 5.5, 10.5, 9.5],
            "conf_high": [1.5, 2.5, 5.5, 6.5, 11.5, 10.5],
        }
    )
    write_csv(curves, tmp_path / f"{TRAJECTORY_CURVES_TABLE}.csv")
    ledger = build_ledger(tmp_path, threshold=THRESHOLD)
    shown = trajectory_group_table(tmp_path, translator("en"), ledger)
    persons = shown["Persons"].tolist()
    # Group 1 (3 persons) is hidden; with the total of 100 shown, a second group must be
    # hidden too or 100 - 40 - 57 would give it away.
    assert persons[0] == "<5"
    assert persons[-1] == "100"
    assert sum(p == "*" for p in persons[1:3]) == 1
    assert shown["Share (%)"].iloc[0] == ""
    fig = trajectory_group_figure(tmp_path, translator("en"), ledger)
    assert fig is not None
    assert len(fig.axes[0].lines) == 1  # only the group shown as a number is drawn


def test_impact_report_carries_the_register_sections(tmp_path: Path) -> None:
    from evaluation.reporting.examples import example_impact_results
    from evaluation.reporting.impact_report import build_impact

    example_impact_results(tmp_path, matching=False)
    _outcomes(tmp_path)
    report = build_impact(tmp_path, lang="fi", threshold=THRESHOLD)
    assert "Vertailuryhmä" in set(report.register_table["Ryhmä"])
    # by hand (see _outcomes): six comparison persons, 0 euros before and 700 after each;
    # the three participants' means are hidden.
    t = translator("fi")
    rows = report.register_table.set_index("Ryhmä")
    assert rows.loc["Vertailuryhmä", t("register.term.after")] == t.num(700.0, 0)
    assert rows.loc["Vertailuryhmä", t("register.term.change")] == t.num(700.0, 0)
    assert rows.loc[t("register.group.participants"), t("register.term.after")] == "<5"
    assert report.trajectory_figure is None  # no trajectory results written


def test_comparison_report_shows_cost_per_participant_and_change(tmp_path: Path) -> None:
    # 001_… l.9193-9199 (recommendation 7): benefits and cost effects are followed; the
    # comparison report shows benefit euros per person after entry (cost per participant)
    # and the change in benefit spending beside the comparison group's.
    from evaluation.reporting.compare import build_comparison
    from evaluation.reporting.results import example_results

    example_results(tmp_path, pilots=("Fokus", "Sataosaa"))
    parts, comps = [f"p{i}" for i in range(5)], [f"c{i}" for i in range(5)]
    anchors = pd.DataFrame(
        {
            "person_id": parts + comps,
            "group": ["participants"] * 5 + ["comparison"] * 5,
            "anchor_month": "2017-04",
        }
    )
    before = [1000.0] * 5 + [500.0] * 5  # February 2017, month -2
    after = [200.0, 300.0, 400.0, 500.0, 600.0, 400.0, 450.0, 500.0, 550.0, 600.0]  # June
    payments = pd.DataFrame(
        {
            "person_id": (parts + comps) * 2,
            "month": ["2017-02"] * 10 + ["2017-06"] * 10,
            "code": "labour_market_subsidy",
            "amount_eur": before + after,
        }
    )
    res = register_outcomes(anchors, payments=payments, reference="comparison")
    write_register_outcomes(tmp_path, res, pilot="Sataosaa")
    t = translator("en")
    table = build_comparison(tmp_path, lang="en", threshold=THRESHOLD).register_table
    rows = table[table[t("col.pilot")] == "Sataosaa"].set_index("Group")
    # by hand: participants 1000 before, (200+300+400+500+600)/5 = 400 after, change -600;
    # comparison 500 before, (400+450+500+550+600)/5 = 500 after, change 0; difference in
    # change -600 - 0 = -600. Five persons per group: shown at the threshold of 5.
    assert rows.loc["Participants", "12 months before"] == t.num(1000.0, 0)
    assert rows.loc["Participants", "12 months after"] == t.num(400.0, 0)
    assert rows.loc["Participants", "Change"] == t.num(-600.0, 0)
    assert rows.loc["Participants", "Difference in change"] == t.num(-600.0, 0)
    assert rows.loc["Comparison group", "12 months after"] == t.num(500.0, 0)
    assert rows.loc["Comparison group", "Change"] == t.num(0.0, 0)
