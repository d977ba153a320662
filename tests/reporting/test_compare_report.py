"""The funder's comparison report rendered from synthetic tidy results (HTML, PDF, screenshot)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from evaluation.estimators.meta import meta_analysis
from evaluation.reporting import REPORTS_DIR, example_results, render_report
from evaluation.reporting.commands import app
from evaluation.reporting.compare import build_comparison
from evaluation.reporting.i18n import translator
from evaluation.synthetic import PILOT_NAMES

SEED = 7
# Acceptance regex of the shared check (personal identity code) and the pseudonym pattern.
HETU_RE = re.compile(r"[0-9]{6}[-+A][0-9]{3}[0-9A-Y]")
PSEUDONYM_RE = re.compile(r"P\d{7}")
# A blank page has (almost) no pixel variance; a rendered report has text and plots.
MIN_PIXEL_STD = 0.05
MIN_INK_SHARE = 0.02


class _Tables(HTMLParser):
    """Collect the text of every table cell, table by table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> list[list[list[str]]]:
    p = _Tables()
    p.feed(html)
    return p.tables


def _table_with_header(html: str, header: str) -> list[list[str]]:
    for tab in _tables(html):
        if tab and header in tab[0]:
            return tab
    raise AssertionError(f"no table with header {header!r}")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_results(tmp_path_factory.mktemp("results"), seed=SEED)


@pytest.fixture(scope="module")
def rendered(results_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    paths = {}
    for lang in ("fi", "en"):
        paths[lang] = render_report(
            REPORTS_DIR / "compare.qmd",
            params={"results_dir": str(results_dir)},
            output=out / f"compare-{lang}.html",
            lang=lang,
        )
    # Swedish through the command line, as users run it.
    res = CliRunner().invoke(
        app,
        [
            "compare",
            "--results",
            str(results_dir),
            "--out",
            str(out / "compare-sv.html"),
            "--format",
            "html",
            "--lang",
            "sv",
        ],
    )
    assert res.exit_code == 0, res.output
    paths["sv"] = out / "compare-sv.html"
    return paths


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_sections_pilots_and_numbers(
    rendered: dict[str, Path], results_dir: Path, lang: str
) -> None:
    html = rendered[lang].read_text(encoding="utf-8")
    t = translator(lang)
    for key in (
        "compare.title",
        "section.effects",
        "section.meta",
        "section.metareg",
        "section.indicators",
        "section.traffic",
        "section.reach",
        "section.destinations",
        "section.methods",
    ):
        assert t(key).replace("'", "’") in html or t(key) in html, key
    for pilot in PILOT_NAMES:
        assert pilot in html
    # Independent meta-analysis of the effects table equals what the report shows.
    eff = pd.read_csv(results_dir / "effects.csv")
    meta = meta_analysis(eff["estimate"], eff["std_error"], labels=list(eff["pilot"]))
    meta_tab = _table_with_header(html, t("col.statistic"))
    values = {row[0]: row[1] for row in meta_tab[1:]}
    assert values[t("meta.pooled")] == t.num(meta.estimate)
    assert values[t("meta.i2")] == t.num(meta.i2, 1)
    assert values[t("meta.tau2")] == t.num(meta.tau2, 3)
    assert values[t("meta.ci")] == t.ci(meta.conf_low, meta.conf_high)
    assert values[t("meta.pi")] == t.ci(meta.pred_low, meta.pred_high)
    assert values[t("meta.k")] == "6"
    # The same result object feeds the report content.
    report = build_comparison(results_dir, lang=lang)
    assert report.meta.i2 == pytest.approx(meta.i2, abs=1e-12)
    assert f"I² = {t.num(meta.i2, 1)}" in html
    # Four figures, embedded.
    assert len(re.findall(r'<img[^>]+src="data:image/svg\+xml;base64,', html)) == 5


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_small_cells_suppressed_and_no_ids(
    rendered: dict[str, Path], results_dir: Path, lang: str
) -> None:
    html = rendered[lang].read_text(encoding="utf-8")
    t = translator(lang)
    dest = _table_with_header(html, t("destination.employed"))
    header = dest[0]
    rows = {r[0]: r for r in dest[1:]}
    edu = header.index(t("destination.education"))
    assert rows[PILOT_NAMES[1]][edu] == "<5"  # example_results plants 3 persons here
    other = header.index(t("destination.other"))
    assert rows[PILOT_NAMES[4]][other] == "<5"  # and 2 persons here
    # Secondary suppression: no row or column has exactly one hidden cell.
    hidden = [[c in ("<5", "*") for c in r[1:]] for r in dest[1:]]
    assert all(sum(r) != 1 for r in hidden)
    assert all(sum(col) != 1 for col in zip(*hidden, strict=True))
    raw = pd.read_csv(results_dir / "destinations.csv")
    small = raw[(raw["persons"] > 0) & (raw["persons"] < 5)]
    assert len(small) == 2
    # The indicator resting on 3 persons is not shown.
    ind = _table_with_header(html, t("indicator.service_fit"))
    col = ind[0].index(t("indicator.service_fit"))
    assert {r[0]: r[col] for r in ind[1:]}[PILOT_NAMES[2]] == "n <5"  # example_results: 3 persons
    text = re.sub(r'src="data:[^"]+"', "", html)
    assert not HETU_RE.search(text) and not PSEUDONYM_RE.search(text)
    assert not HETU_RE.search(html)  # also the shared acceptance check, images included


def test_pdf_is_valid_and_multipage(results_dir: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = render_report(
        REPORTS_DIR / "compare.qmd",
        params={"results_dir": str(results_dir)},
        output=tmp_path / "compare.pdf",
        format="pdf",
        lang="fi",
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Kokeilujen vertailu" in text
    assert "Savon Ote" in text


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: apt-get install -y --no-install-recommends chromium"
    return exe


def test_screenshot_in_headless_chromium_is_not_blank(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    png = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                "--window-size=1280,2000",
                rendered["fi"].resolve().as_uri(),
            ],
            capture_output=True,
            timeout=90,
            check=False,
        )
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]
    img = np.asarray(mpimg.imread(png), dtype=float)[..., :3]
    assert img.shape[0] == 2000 and img.shape[1] == 1280
    assert float(img.std()) > MIN_PIXEL_STD
    ink = float((img.mean(axis=2) < 0.9).mean())
    assert ink > MIN_INK_SHARE


#: An internal code as a reader would spot it: snake_case words (file names aside).
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def visible_codes(path: Path) -> set[str]:
    """Internal codes in the text a reader sees (not in styles, scripts or attributes)."""
    html_text = path.read_text(encoding="utf-8")
    html_text = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", html_text)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", html_text))
    return set(SNAKE_CODE.findall(text))


@pytest.mark.parametrize("key", ["fi", "sv"])
def test_finnish_and_swedish_reports_show_no_internal_codes(
    rendered: dict[str, Path], key: str
) -> None:
    assert visible_codes(rendered[key]) == set()


@pytest.mark.parametrize("key", ["fi", "sv"])
def test_finnish_and_swedish_comparison_has_no_english_and_states_findings(
    rendered: dict[str, Path], key: str
) -> None:
    """No English word or catalogue key; every figure's alt text is its finding in words."""
    from tests.language import alt_texts, problems, visible_text

    page = rendered[key].read_text(encoding="utf-8")
    assert problems(visible_text(page)) == set()
    captions = set(re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S))
    alts = alt_texts(page)
    assert len(alts) >= 4
    for alt in alts:
        assert alt and alt not in captions and problems(alt) == set(), alt
        assert re.search(r"\d", alt), alt  # a finding names numbers


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_service_need_section_shows_each_pilots_regions_as_the_ledger_decides(
    rendered: dict[str, Path], lang: str
) -> None:
    """Issue 20, item 2 (THL's need indicators, ``002_…`` l.1034-1053): each pilot's
    regions with the population, the share of benefit recipients and the mean benefits."""
    html = rendered[lang].read_text(encoding="utf-8")
    t = translator(lang)
    assert t("need.heading").replace("'", "’") in html or t("need.heading") in html
    need = _table_with_header(html, t("need.col.region"))
    rows = {(r[0], r[1]): r[2:] for r in need[1:]}
    # example_results: Kymenlaakso (Yhdessä hyvä Ote) has 3 persons, Etelä-Karjala 2
    # recipients in 2018; neither shows a number resting on them.
    assert rows[("Yhdessä hyvä Ote", "Kymenlaakso")] == ["2018", "<5", "<5", "<5"]
    assert rows[("Yhdessä hyvä Ote", "Etelä-Karjala")][2:] == ["<5", "<5"]
    assert {p for p, _ in rows} == set(PILOT_NAMES)
