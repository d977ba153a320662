"""The register results as funders download them (``published/*.csv``; issue 20).

``register_outcomes``, ``trajectory_groups`` and ``need_indicators`` are published beside
the disclosure log: every number the ledger hides is empty and every count of persons is
published as the count tables publish it (a count, ``<5`` or ``*``). The hand-made results
below (3 participants against 6 comparison persons, trajectory groups of 3, 40 and 57
persons, a region of 3 persons and one with 2 recipients of 12) each hold a group under
the project's threshold of 5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.registers import need_indicators, register_outcomes
from evaluation.reporting.ledger import (
    PUBLISHED_COUNTS,
    PUBLISHED_DIR,
    audit_log,
    build_ledger,
)
from evaluation.reporting.register_results import (
    write_need_indicators,
    write_register_outcomes,
)
from evaluation.reporting.tables_io import write_csv
from evaluation.tables import TABLES
from tests.register_fixtures import write_small_trajectory_groups

THRESHOLD = 5
#: The published shares and means are the written ones (hand fractions); float rounding only.
TOL = 1e-9
PILOT = "Sataosaa"
REGISTER_TABLES = ("register_outcomes", "trajectory_groups", "need_indicators")


def _outcomes(folder: Path, participants: int = 3) -> None:
    """``participants`` persons and 6 comparison persons; 700 euros each after entry."""
    ids = [f"p{i}" for i in range(participants)] + [f"c{i}" for i in range(6)]
    groups = ["participants"] * participants + ["comparison"] * 6
    anchors = pd.DataFrame({"person_id": ids, "group": groups, "anchor_month": "2017-04"})
    payments = pd.DataFrame(
        {"person_id": ids, "month": "2017-06", "code": "labour_market_subsidy", "amount_eur": 700.0}
    )
    res = register_outcomes(anchors, payments=payments, reference="comparison")
    write_register_outcomes(folder, res, pilot=PILOT)


def _groups(folder: Path) -> None:
    write_small_trajectory_groups(folder)


def _need(folder: Path) -> None:
    """Satakunta: 20 persons, 15 recipients; Kainuu: 3 persons; Lappi: 2 recipients of
    12; Uusimaa: 30 persons, none a recipient."""
    sizes = {"Satakunta": [1] * 10 + [2] * 5 + [0] * 5, "Kainuu": [1, 3, 0]}
    sizes |= {"Lappi": [1, 1] + [0] * 10, "Uusimaa": [0] * 30}
    years, population = [], []
    for region, benefits in sizes.items():
        ids = [f"{region[:2]}{i}" for i in range(len(benefits))]
        years.append(pd.DataFrame({"person_id": ids, "year": 2017, "n_benefits": benefits}))
        population.append(pd.DataFrame({"person_id": ids, "region": region}))
    result = need_indicators(pd.concat(years), pd.concat(population, ignore_index=True))
    write_need_indicators(folder, result, pilots={PILOT: ["Satakunta", "Lappi"]})


def _published(folder: Path, out: Path) -> dict[str, pd.DataFrame]:
    build_ledger(folder, threshold=THRESHOLD).write(out)
    counts = {c: str for cols in PUBLISHED_COUNTS.values() for c in cols}
    return {
        name: pd.read_csv(out / PUBLISHED_DIR / f"{name}.csv", dtype=counts | {"pilots": str})
        for name in REGISTER_TABLES
    }


@pytest.fixture()
def published(tmp_path: Path) -> dict[str, pd.DataFrame]:
    folder = tmp_path / "results"
    folder.mkdir()
    _outcomes(folder)
    _groups(folder)
    _need(folder)
    return _published(folder, tmp_path / "set")


def test_register_outcomes_of_three_participants_are_hidden(
    published: dict[str, pd.DataFrame],
) -> None:
    table = published["register_outcomes"]
    assert list(table.columns) == list(TABLES["published/register_outcomes"].names)
    numbers = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    part = table[table["group"] == "participants"]
    # every participant mean and the difference in change rest on the 3 participants
    assert set(part["term"]) == {"before", "after", "change", "difference_in_change"}
    assert part[numbers].isna().all().all()
    assert set(part["n_persons"]) == {f"<{THRESHOLD}"}
    comp = table[table["group"] == "comparison"].set_index(["measure", "term"])
    euros = comp.xs("benefit_eur", level="measure")
    # six comparison persons, 0 euros before and 700 each after the anchor month
    assert euros.loc["after", "estimate"] == pytest.approx(700.0, abs=TOL)
    assert euros.loc["change", "estimate"] == pytest.approx(700.0, abs=TOL)
    assert set(comp["n_persons"]) == {"6"}


def test_hidden_trajectory_group_has_no_share(published: dict[str, pd.DataFrame]) -> None:
    groups = published["trajectory_groups"].set_index("group")
    # group 1 (3 persons) is hidden; the total of 100 is published, so one of groups 2
    # and 3 is hidden too (the count table's secondary suppression)
    assert groups.loc[1, "persons"] == f"<{THRESHOLD}"
    assert sorted(groups.loc[[2, 3], "persons"]) in (["*", "57"], ["40", "*"])
    hidden = groups["persons"].isin([f"<{THRESHOLD}", "*"])
    adequacy = ["share", "share_se", "assigned_share", "avepp", "occ"]
    assert groups.loc[hidden, adequacy].isna().all().all()
    assert groups.loc[~hidden, adequacy].notna().all().all()


def test_need_indicators_publish_what_the_report_table_shows(
    published: dict[str, pd.DataFrame],
) -> None:
    need = published["need_indicators"].set_index("region")
    small = f"<{THRESHOLD}"
    # Kainuu (3 persons): population, recipients, share and mean hidden
    assert need.loc["Kainuu", "population"] == small
    assert need.loc["Kainuu", "recipients"] == small
    assert np.isnan(need.loc["Kainuu", "recipients_share"])
    # Lappi: 2 recipients of 12 -> the share, mean and recipients hidden (the population is
    # the secondary cell protecting Kainuu, the smallest other region)
    assert need.loc["Lappi", "recipients"] == small
    assert np.isnan(need.loc["Lappi", ["recipients_share", "mean_benefits"]]).all()
    # Satakunta: 15 of 20, (10 + 2 * 5) / 20 = 1 benefit on average
    assert (need.loc["Satakunta", "population"], need.loc["Satakunta", "recipients"]) == (
        "20",
        "15",
    )
    assert need.loc["Satakunta", "recipients_share"] == pytest.approx(75.0, abs=TOL)
    assert need.loc["Satakunta", "mean_benefits"] == pytest.approx(1.0, abs=TOL)
    assert need.loc["Uusimaa", "recipients"] == "0"
    assert need.loc["Satakunta", "pilots"] == PILOT


def test_no_published_count_is_small_and_the_set_audits_clean(
    published: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    for name, frame in published.items():
        for column in PUBLISHED_COUNTS[name]:
            values = pd.to_numeric(frame[column], errors="coerce").dropna()
            assert not values.between(1, THRESHOLD - 1).any(), (name, column)
    out = tmp_path / "set"
    assert audit_log(out) == []
    result = CliRunner().invoke(app, ["disclosure", "audit", str(out)])
    assert result.exit_code == 0, result.output


def test_participant_counts_are_starred_where_a_count_table_hides_the_pilot(
    tmp_path: Path,
) -> None:
    # The process table's participants per pilot (3, 40, 57) hide the 3 and, with the
    # total of 100 shown, the smallest other pilot (40) as the secondary cell. Its register
    # outcomes rest on the same 40 participants, so their counts must not give the hidden
    # total away: every count of that pilot is starred (the comparison's 6 too: a
    # difference in change rests on the smaller of the two groups).
    folder = tmp_path / "results"
    folder.mkdir()
    process = pd.DataFrame(
        {
            "pilot": ["Kainuun", PILOT, "Fokus"],
            "target_group": [10, 60, 80],
            "participants": [3, 40, 57],
            "completed": [0, 20, 30],
            "mean_dose_hours": 10.0,
            "fidelity": 0.8,
        }
    )
    write_csv(TABLES["process"].frame(process), folder / "process.csv")
    _outcomes(folder, participants=40)
    ledger = build_ledger(folder, threshold=THRESHOLD)
    table = ledger.published()["register_outcomes"]
    assert list(ledger.display("process:participants").iloc[:, 0]) == ["<5", "*", "57", "100"]
    assert ledger.participants_hidden(PILOT) and ledger.participants_hidden("Kainuun")
    assert not ledger.participants_hidden("Fokus")
    assert set(table["n_persons"]) == {"*"}
    assert table["estimate"].notna().all()  # the means themselves rest on 40 and 6
