"""Service-need indicators in a results folder, through the disclosure ledger (issue 20,
item 2).

THL asked for indicators of service need from regional and national registers (``002_…``
l.1023-1024, l.1036-1037). The register population of the target group per region, the
share of it who received a benefit for at least a month in the year (``001_…``
l.5359-5360) and the mean number of distinct benefits (l.5633-5634) are written to
``need_indicators.csv``; every number the reports show goes through the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from evaluation.registers import need_indicators
from evaluation.reporting.i18n import translator
from evaluation.reporting.ledger import audit_log, build_ledger
from evaluation.reporting.register_results import (
    NEED_POPULATION_TABLE,
    NEED_TABLE,
    need_figure,
    need_table,
    read_need_indicators,
    write_need_indicators,
)

THRESHOLD = 5
#: Shares and means below are exact fractions written by hand; float rounding only.
TOL = 1e-9
POP = "Target group's population in the region"
SHARE = "Benefit recipients (%)"
MEAN = "Distinct benefits on average"


def _persons(region: str, benefits: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"{region[:2]}{i}" for i in range(len(benefits))]
    years = pd.DataFrame({"person_id": ids, "year": 2017, "n_benefits": benefits})
    return years, pd.DataFrame({"person_id": ids, "region": region})


def _write(folder: Path) -> Path:
    """Four regions, 2017:

    * Satakunta: 20 persons, 10 with one benefit, 5 with two, 5 with none;
    * Kainuu: 3 persons, 2 with a benefit (population below the threshold);
    * Lappi: 12 persons, 2 with a benefit (2 recipients);
    * Uusimaa: 30 persons, none with a benefit (a zero share is shown).
    """
    parts = [
        _persons("Satakunta", [1] * 10 + [2] * 5 + [0] * 5),
        _persons("Kainuu", [1, 3, 0]),
        _persons("Lappi", [1, 1] + [0] * 10),
        _persons("Uusimaa", [0] * 30),
    ]
    years = pd.concat([p[0] for p in parts], ignore_index=True)
    population = pd.concat([p[1] for p in parts], ignore_index=True)
    result = need_indicators(years, population)
    pilots = {"Sataosaa": ["Satakunta", "Lappi"], "Fokus": ["Uusimaa"], "Kainuun": ["Kainuu"]}
    return write_need_indicators(folder, result, pilots=pilots)


def test_written_table_holds_the_hand_computed_values(tmp_path: Path) -> None:
    # 002_… l.1036-1037: population; 001_… l.5359-5360: recipients = persons with at least
    # one benefit month (n_benefits >= 1); l.5633-5634: mean distinct benefits.
    path = _write(tmp_path)
    assert path.name == "need_indicators.csv"
    got = read_need_indicators(tmp_path).set_index("region")
    assert list(got.columns) == [
        "year", "population", "recipients", "recipients_share", "mean_benefits", "pilots",
    ]  # fmt: skip
    sata = got.loc["Satakunta"]
    assert (sata["population"], sata["recipients"]) == (20, 15)
    assert sata["recipients_share"] == pytest.approx(75.0, abs=TOL)  # 15 / 20
    assert sata["mean_benefits"] == pytest.approx(1.0, abs=TOL)  # (10 + 2 * 5) / 20
    assert got.loc["Kainuu", "mean_benefits"] == pytest.approx(4 / 3, abs=TOL)
    assert got.loc["Uusimaa", "recipients_share"] == 0.0
    assert got.loc["Satakunta", "pilots"] == "Sataosaa"
    assert got.loc["Lappi", "pilots"] == "Sataosaa"


def test_small_regions_and_few_recipients_show_nothing_recoverable(
    tmp_path: Path, lp_attacker: Callable[[pd.DataFrame], list[str]]
) -> None:
    _write(tmp_path)
    ledger = build_ledger(tmp_path, threshold=THRESHOLD)
    shown = need_table(tmp_path, translator("en"), ledger).set_index("Region")
    # Kainuu (3 persons): its population, share and mean are hidden, and a second region
    # is hidden too, or the total of 65 would give the 3 away.
    assert shown.loc["Kainuu", POP] == "<5"
    assert shown.loc["Kainuu", SHARE] == "<5" and shown.loc["Kainuu", MEAN] == "<5"
    population = ledger.display(NEED_POPULATION_TABLE).iloc[:, 0]
    assert population["Total"] == "65"
    assert list(population.drop(["Kainuu", "Total"])) == ["*", "20", "30"]  # the smallest
    # Lappi: 2 recipients of 12. The share times the population would give the 2, and the
    # mean times the population the 2 benefits: both hidden.
    assert shown.loc["Lappi", SHARE] == "<5" and shown.loc["Lappi", MEAN] == "<5"
    assert (shown.loc["Satakunta", SHARE], shown.loc["Satakunta", MEAN]) == ("75.0", "1.00")
    # A region of 30 with no recipient: 0 is not a small group.
    assert (shown.loc["Uusimaa", SHARE], shown.loc["Uusimaa", MEAN]) == ("0.0", "0.00")
    text = shown.to_string()
    for small in (" 3 ", " 2 ", "66.7", "16.7", "1.33", "0.17"):
        assert small not in f" {text} ", small
    log = ledger.to_frame()
    need = log[log["table"].isin([NEED_TABLE, NEED_POPULATION_TABLE])]
    assert not ((need["status"] == "shown") & need["n"].between(1, THRESHOLD - 1)).any()
    assert lp_attacker(log) == []
    ledger.write(tmp_path / "out")
    assert audit_log(tmp_path / "out") == []


def test_report_table_by_pilot_and_figure(tmp_path: Path) -> None:
    _write(tmp_path)
    ledger = build_ledger(tmp_path, threshold=THRESHOLD)
    t = translator("fi")
    by_pilot = need_table(tmp_path, t, ledger, by_pilot=True)
    assert list(zip(by_pilot["Kokeilu"], by_pilot["Alue"], strict=True)) == [
        ("Fokus", "Uusimaa"), ("Kainuun", "Kainuu"), ("Sataosaa", "Lappi"),
        ("Sataosaa", "Satakunta"),
    ]  # fmt: skip
    one = need_table(tmp_path, t, ledger, pilot="Fokus")
    assert list(one["Alue"]) == ["Uusimaa"]
    fig = need_figure(tmp_path, translator("en"), ledger)
    assert fig is not None
    drawn = {p.get_width() for p in fig.axes[0].patches}
    assert 75.0 in drawn and not drawn & {100 * 2 / 3, 100 * 2 / 12}  # hidden shares left out


def test_share_needs_the_population_shown_the_mean_does_not(tmp_path: Path) -> None:
    # Satakunta's 20 persons are hidden only to protect Kainuu's 3 (secondary): its share
    # times a published population would be a count, so it carries the '*' too; its mean
    # (10 recipients, 10 others, 1 benefit each: 0.5) rests on groups of 10 and is shown.
    parts = [
        _persons("Kainuu", [1, 0, 0]),
        _persons("Satakunta", [1] * 10 + [0] * 10),
        _persons("Uusimaa", [1] * 15 + [0] * 15),
    ]
    result = need_indicators(
        pd.concat([p[0] for p in parts]), pd.concat([p[1] for p in parts], ignore_index=True)
    )
    write_need_indicators(tmp_path, result)
    ledger = build_ledger(tmp_path, threshold=THRESHOLD)
    shown = need_table(tmp_path, translator("en"), ledger).set_index("Region")
    assert list(shown[POP]) == ["<5", "*", "30"]
    assert (shown.loc["Satakunta", SHARE], shown.loc["Satakunta", MEAN]) == ("*", "0.50")
    assert (shown.loc["Uusimaa", SHARE], shown.loc["Uusimaa", MEAN]) == ("50.0", "0.50")
