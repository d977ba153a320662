"""The demo writes a self-contained overview page that shows all six pilots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from evaluation.demo import run_demo
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
