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
from evaluation.registers.indicators import register_indicator
from evaluation.reporting.i18n import translator
from evaluation.reporting.ledger import audit_log, build_ledger
from evaluation.reporting.register_results import (
    NEED_POPULATION,
    NEED_POPULATION_TABLE,
    NEED_SHARE,
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


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fokus's pilot results and need rows: Fokus works in Uusimaa (30 persons, none a
    recipient) and Kainuu (3 persons); Satakunta (20 persons) is another pilot's."""
    from evaluation.reporting.pilot_results import write_pilot_results
    from evaluation.synthetic.filled_workbooks import filled_evaluation

    folder = tmp_path_factory.mktemp("pilot_need")
    write_pilot_results(folder, filled_evaluation("Fokus", seed=20, lang="en"))
    parts = [
        _persons("Kainuu", [1, 3, 0]),
        _persons("Satakunta", [1] * 10 + [2] * 5 + [0] * 5),
        _persons("Uusimaa", [0] * 30),
    ]
    result = need_indicators(
        pd.concat([p[0] for p in parts]), pd.concat([p[1] for p in parts], ignore_index=True)
    )
    pilots = {"Fokus": ["Uusimaa", "Kainuu"], "Sataosaa": ["Satakunta"]}
    write_need_indicators(folder, result, pilots=pilots)
    return folder


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_pilot_report_shows_the_need_of_its_own_regions(pilot_folder: Path, lang: str) -> None:
    # issue 20 (002_… l.1023-1024): the pilot report shows its regions' service need, the
    # comparison report's rows through the same ledger
    from evaluation.reporting.pilot_report import build_pilot

    t = translator(lang)
    table = build_pilot(pilot_folder, pilot="Fokus", lang=lang, threshold=THRESHOLD).need_table
    region, pop = t("need.col.region"), register_indicator(NEED_POPULATION).name(lang)
    assert t("col.pilot") not in table.columns
    rows = table.set_index(region)
    assert list(rows.index) == ["Kainuu", "Uusimaa"]  # not Satakunta: another pilot's
    assert rows.loc["Kainuu", pop] == "<5"  # 3 persons
    # the total (53) is shown, so the smallest other region (Satakunta's 20, not in this
    # report) is the secondary cell and Uusimaa's 30 is shown with its share of 0 %
    assert rows.loc["Uusimaa", pop] == "30"
    assert rows.loc["Uusimaa", f"{register_indicator(NEED_SHARE).name(lang)} (%)"] == t.num(0.0, 1)
    compare = need_table(pilot_folder, t, build_ledger(pilot_folder, threshold=THRESHOLD))
    assert compare.set_index(region).loc[["Kainuu", "Uusimaa"], pop].tolist() == ["<5", "30"]


def test_rendered_finnish_pilot_report_has_the_need_section(
    pilot_folder: Path, tmp_path: Path
) -> None:
    from evaluation.reporting import REPORTS_DIR, render_report
    from tests.language import problems, visible_text

    t = translator("fi")
    out = render_report(
        REPORTS_DIR / "pilot.qmd",
        params={"results_dir": str(pilot_folder), "pilot": "Fokus", "threshold": THRESHOLD},
        output=tmp_path / "pilot-fi.html",
        lang="fi",
    )
    text = visible_text(out.read_text(encoding="utf-8"))
    start = text.index(t("pilot.section_need"))
    section = text[start : start + 2000]
    assert t("pilot.need_text", threshold=THRESHOLD)[:60] in section
    assert "Uusimaa" in section and "Satakunta" not in section
    assert problems(section) == set()
