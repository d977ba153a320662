"""The demo writes a self-contained overview page that shows all six pilots."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.demo import run_demo
from evaluation.reporting.i18n import translator
from evaluation.synthetic import PILOT_NAMES

#: Small but realistic: the generator's minimum is 2,000 persons.
DEMO_PERSONS = 4_000


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, persons=DEMO_PERSONS, seed=7, console=Console(quiet=True))
    return out


def test_index_names_all_six_pilots(demo_dir: Path) -> None:
    text = (demo_dir / "index.html").read_text(encoding="utf-8")
    for pilot in PILOT_NAMES:
        assert pilot in text
    assert len(PILOT_NAMES) == 6


def test_index_embeds_its_figures_and_links_existing_files(demo_dir: Path) -> None:
    text = (demo_dir / "index.html").read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") >= 2
    for href in re.findall(r"href='([^']+)'", text):
        assert (demo_dir / href).exists(), href


def test_index_shows_no_person_identifiers(demo_dir: Path) -> None:
    text = (demo_dir / "index.html").read_text(encoding="utf-8")
    without_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert not re.search(r"P\d{7}", without_images)
    assert not re.search(r"\d{6}[-+A]\d{3}[0-9A-Y]", without_images)


def test_panel_and_truth_are_written_beside_the_data(demo_dir: Path) -> None:
    assert (demo_dir / "data" / "person_month_panel.parquet").stat().st_size > 0
    assert any(p.name.startswith("truth") for p in (demo_dir / "data").iterdir())


def test_every_report_links_the_whole_report_set(demo_dir: Path) -> None:
    reports = sorted(demo_dir.glob("reports/*.html")) + sorted(
        demo_dir.glob("plans/*/reports/*.html")
    )
    assert len(reports) >= 4  # comparison (en, fi), impact, pilot and plan reports
    for page in reports:
        text = page.read_text(encoding="utf-8")
        nav = re.search(r'<nav class="pe-nav".*?</nav>', text, re.S)
        assert nav is not None, page
        for href in re.findall(r'href="([^"]+)"', nav.group(0)):
            assert (page.parent / href).resolve().exists(), (page, href)
        for pilot in PILOT_NAMES:  # every pilot is one click away
            assert pilot in nav.group(0), (page, pilot)


def test_every_report_set_logs_its_disclosure_and_holds_under_attack(
    demo_dir: Path, lp_attacker: Callable[[pd.DataFrame], list[str]]
) -> None:
    """The LP attacker recovers nothing beyond the markers on any table of the demo's
    report sets (tables sharing cells attacked together), nothing shown rests on fewer
    than 5 persons, and ``pilot-eval disclosure audit`` passes on each folder."""
    logs = sorted(demo_dir.glob("**/disclosure.csv"))
    assert demo_dir / "reports" / "disclosure.csv" in logs
    for path in logs:
        log = pd.read_csv(path)
        assert lp_attacker(log) == [], path
        small = log[(log["status"] == "shown") & (log["n"] > 0) & (log["n"] < 5)]
        assert small.empty, path
        result = CliRunner().invoke(app, ["disclosure", "audit", str(path.parent)])
        assert result.exit_code == 0, result.output
    main = pd.read_csv(demo_dir / "reports" / "disclosure.csv")
    assert {"cohorts:employed", "destinations"} <= set(main["table"])
    assert main["table"].str.startswith("flow:did:").any()
    # the register results are published for funders with the report set (issue 20)
    published = demo_dir / "reports" / "published"
    for name in ("register_outcomes", "trajectory_groups", "need_indicators"):
        assert (published / f"{name}.csv").is_file(), name


def _section_column(text: str, heading: str, column: int) -> list[str]:
    """The cells of ``column`` of the first table after ``heading`` (markers unescaped)."""
    start = text.index(html.escape(heading))
    body = text[start : text.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)[column].strip() for r in rows]
    return [c.replace("&lt;", "<") for c in cells]


def _published(n: int, status: str, rule: str) -> str:
    """A count as the ledger publishes it."""
    return str(n) if status == "shown" else ("<5" if rule == "primary" else "*")


def test_index_entry_table_is_the_ledgers(demo_dir: Path) -> None:
    """The index's new-participants table prints the cells of the impact report's sample
    flows exactly as the report set's ledger decided (one cell, one treatment)."""
    log = pd.read_csv(demo_dir / "reports" / "disclosure.csv")
    table = log[log["table"] == "cohorts:employed"]
    text = (demo_dir / "index.html").read_text(encoding="utf-8")
    start = text.index("New participants by entry month")
    body = text[start : text.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in rows]
    header, data = cells[0], cells[1:]
    shown = {
        (r[0].strip(), h.strip()): v.strip().replace("&lt;", "<")
        for r in data
        for h, v in zip(header[1:], r[1:], strict=True)
    }
    for row, col, n, status, rule in zip(
        table["row"], table["column"], table["n"], table["status"], table["rule"], strict=True
    ):
        expected = str(n) if status == "shown" else ("<5" if rule == "primary" else "*")
        assert shown[(str(row), str(col))] == expected, (row, col)


def test_index_shows_trajectory_groups_and_register_outcomes_as_the_ledger_decides(
    demo_dir: Path,
) -> None:
    """Issue 20: the demo shows trajectory groups of benefit months (``001_…`` l.5697-5706)
    with sizes below 5 hidden, and the register outcomes of recommendation 7 (l.9193-9199)."""
    log = pd.read_csv(demo_dir / "reports" / "disclosure.csv")
    groups = log[log["table"] == "trajectory_groups"]
    assert len(groups) >= 2  # at least one group and the total
    small = groups[(groups["n"] > 0) & (groups["n"] < 5)]
    assert (small["status"] != "shown").all()
    expected = [
        _published(n, status, rule)
        for n, status, rule in zip(groups["n"], groups["status"], groups["rule"], strict=True)
    ]
    # one builder, three languages: the English, Finnish and Swedish index pages print the
    # same ledger's sizes under their own headings
    for lang, page in (("en", "index.html"), ("fi", "index-fi.html"), ("sv", "index-sv.html")):
        t = translator(lang)
        text = (demo_dir / page).read_text(encoding="utf-8")
        assert _section_column(text, t("register.trajectories_heading"), 1) == expected, lang
        assert html.escape(t("register.heading")) in text, lang
    text = (demo_dir / "index.html").read_text(encoding="utf-8")
    assert "Unemployment, care use and benefit spending from registers" in text
    outcomes = log[log["table"].str.startswith("register_outcomes:")]
    assert (outcomes.loc[outcomes["n"].between(1, 4), "status"] != "shown").all()
    assert "Työttömyys, hoitokäynnit ja etuusmenot rekistereistä" in (
        demo_dir / "reports" / "vertailu.html"
    ).read_text(encoding="utf-8")


def test_cumulative_entry_chart_sums_shown_cells_only() -> None:
    """The chart is drawn from the published table: a step never includes a hidden cell,
    so no difference of two steps reveals one."""
    from evaluation.demo.figures import entrants_figure

    shown = pd.DataFrame(
        {"A": ["12", "<5", "*", "7"], "B": ["0", "6", "<5", "9"]},
        index=["2017-01", "2017-02", "2017-03", "2017-04"],
    )
    fig = entrants_figure(shown, pilot_order=["A", "B"])
    steps = [line.get_ydata() for line in fig.axes[0].get_lines() if line.get_linestyle() != "None"]
    assert [list(map(float, s)) for s in steps] == [[12, 12, 12, 19], [0, 6, 6, 15]]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_index_and_navigation_speak_finnish_and_swedish(demo_dir: Path, lang: str) -> None:
    """The Finnish and Swedish index pages and the navigation bar of the Finnish reports
    show no internal code, English word or catalogue key; every link works."""
    from tests.language import problems, visible_text

    page = demo_dir / f"index-{lang}.html"
    text = page.read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in text
    assert problems(visible_text(text)) == set()
    for pilot in PILOT_NAMES:
        assert pilot in text
    for href in re.findall(r"href='([^']+)'", text):
        assert (demo_dir / href).exists(), href
    for report in [demo_dir / "reports" / "vertailu.html", *demo_dir.glob("reports/pilot-*.html")]:
        nav = re.search(r'<nav class="pe-nav".*?</nav>', report.read_text(encoding="utf-8"), re.S)
        assert nav is not None and 'href="../index-fi.html"' in nav.group(0), report
        assert problems(visible_text(nav.group(0))) == set(), report
    english = (demo_dir / "index.html").read_text(encoding="utf-8")
    assert f"href='index-{lang}.html'" in english  # reachable from the English page


def test_figures_of_the_finnish_reports_state_their_finding(demo_dir: Path) -> None:
    """Every figure's alt text says what it shows in words, not its caption."""
    from tests.language import alt_texts, problems

    for report in [demo_dir / "reports" / "vertailu.html", *demo_dir.glob("reports/pilot-*.html")]:
        page = report.read_text(encoding="utf-8")
        captions = set(re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S))
        alts = alt_texts(page)
        assert alts, report
        for alt in alts:
            assert alt and alt not in captions, (report, alt)
            assert problems(alt) == set(), (report, alt)


def test_demo_writes_and_shows_the_service_need_indicators(demo_dir: Path) -> None:
    """Issue 20, item 2: the demo computes THL's need indicators (``002_…`` l.1034-1053)
    from the synthetic extract, writes ``need_indicators.csv`` to its results and shows the
    latest year on the index and in the comparison reports, as the ledger decides."""
    need = pd.read_csv(demo_dir / "results" / "need_indicators.csv")
    assert set(need["pilots"].dropna().str.split("; ").explode()) == set(PILOT_NAMES)
    assert (need["recipients"] <= need["population"]).all()
    log = pd.read_csv(demo_dir / "reports" / "disclosure.csv")
    population = log[log["table"] == "need_population"]
    assert set(population["row"]) - {"Total"} == set(need["region"])
    shares = log[(log["table"] == "need_indicators") & (log["status"] == "shown")]
    assert not shares["n"].between(1, 4).any()
    expected = {
        str(r): _published(n, status, rule)
        for r, n, status, rule in zip(
            population["row"],
            population["n"],
            population["status"],
            population["rule"],
            strict=True,
        )
        if r != "Total"
    }
    for lang, page in (("en", "index.html"), ("fi", "index-fi.html"), ("sv", "index-sv.html")):
        heading = translator(lang)("need.heading")
        text = (demo_dir / page).read_text(encoding="utf-8")
        start = text.index(html.escape(heading))
        assert "data:image/png;base64," in text[start : text.index("</table>", start)], lang
        regions = _section_column(text, heading, 0)
        assert dict(zip(regions, _section_column(text, heading, 2), strict=True)) == expected
    assert "Palvelutarve kokeilujen alueilla" in (demo_dir / "reports" / "vertailu.html").read_text(
        encoding="utf-8"
    )
    # every pilot has regions in the table, so every (Finnish) pilot report has its section
    section = html.escape(translator("fi")("pilot.section_need"))
    pilot_reports = sorted(demo_dir.glob("reports/pilot-*.html"))
    assert pilot_reports
    for report in pilot_reports:
        assert section in report.read_text(encoding="utf-8"), report
