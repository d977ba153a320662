"""Pilot and impact reports rendered from synthetic results (HTML in fi/sv/en, PDF, screenshot).

The estimators run once per module on small synthetic registers; the tests check that the
numbers in the reports equal those of the result objects, that small cells are suppressed
and that no person id reaches a report.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from evaluation.estimators.did import att_gt, twfe_comparison
from evaluation.estimators.matching import match
from evaluation.impact import MATCHING_COVARIATES, did_input, matching_input
from evaluation.impact.inputs import covariates_with_variation
from evaluation.registers import build_person_month_panel
from evaluation.reporting import REPORTS_DIR, render_report
from evaluation.reporting.commands import app
from evaluation.reporting.examples import example_pilot_results
from evaluation.reporting.i18n import translator
from evaluation.reporting.impact_results import (
    read_table,
    write_did_results,
    write_matching_results,
)
from evaluation.synthetic import generate_registers, get_pilot

PILOT = "Sataosaa"
PERSONS = 4000  # small registers: Sataosaa then has ~30 participants, many entry months < 5
SEED = 2024
PSEUDONYM_RE = re.compile(r"P\d{7}")
HETU_RE = re.compile(r"[0-9]{6}[-+A][0-9]{3}[0-9A-Y]")
CLIENT_ID_RE = re.compile(r"\b[A-Z]{3}\d{3}\b")  # workbook client ids such as SAT001
# A blank page has (almost) no pixel variance; a rendered report has text and plots.
MIN_PIXEL_STD = 0.05
MIN_INK_SHARE = 0.02


def _text(html: str) -> str:
    """Visible text of an HTML report (images and styles removed, entities decoded)."""
    import html as h

    s = re.sub(r'src="data:[^"]+"', "", html)
    s = re.sub(r"<style.*?</style>", " ", s, flags=re.S)
    s = re.sub(r"<[^>]+>", " ", s)
    return re.sub(r"\s+", " ", h.unescape(s))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("results")
    d = generate_registers(persons=PERSONS, seed=SEED)
    panel = build_person_month_panel(
        d.spells,
        start=d.months[0],
        end=d.months[-1],
        participants=d.participants,
        persons=d.persons["person_id"],
    )
    ids = d.persons.loc[d.persons["region"].isin(get_pilot(PILOT).regions), "person_id"]
    data = did_input(panel, pilot=PILOT, comparison_ids=ids).df()
    spec = {"outcome": "y", "time": "month_index", "unit": "person_id", "cohort": "cohort"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did = att_gt(data, **spec, control_group="nevertreated")
        alt = att_gt(data, **spec, control_group="notyettreated")
        tw = twfe_comparison(data, **spec, cs_result=did)
    write_did_results(
        folder,
        did,
        pilot=PILOT,
        outcome="employed",
        truth=0.05,
        twfe=tw,
        sensitivity={"notyettreated": alt},
        inputs={"did_input": data},
    )
    m = matching_input(panel, d.persons, pilot=PILOT, comparison_ids=ids)
    cov, _ = covariates_with_variation(m, treatment="treated", covariates=MATCHING_COVARIATES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mr = match(m, treatment="treated", covariates=cov)
    write_matching_results(folder, mr, pilot=PILOT, outcome="employed")
    written = example_pilot_results(folder, seed=7, lang="en", pilots=[PILOT])
    assert written == [PILOT]
    ids_all = set(d.persons["person_id"].astype(str))
    return {"folder": folder, "did": did, "twfe": tw, "match": mr, "ids": ids_all}


@pytest.fixture(scope="module")
def rendered(results: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    folder = results["folder"]
    paths: dict[str, Path] = {}
    for lang in ("fi", "en"):
        paths[f"impact-{lang}"] = render_report(
            REPORTS_DIR / "impact.qmd",
            params={"results_dir": str(folder)},
            output=out / f"impact-{lang}.html",
            lang=lang,
        )
        paths[f"pilot-{lang}"] = render_report(
            REPORTS_DIR / "pilot.qmd",
            params={"results_dir": str(folder), "pilot": PILOT},
            output=out / f"pilot-{lang}.html",
            lang=lang,
        )
    runner = CliRunner()
    for kind in ("impact", "pilot"):
        args = [kind, "--results", str(folder), "--out", str(out / f"{kind}-sv.html")]
        args += ["--format", "html", "--lang", "sv"]
        if kind == "pilot":
            args += ["--pilot", PILOT]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        paths[f"{kind}-sv"] = out / f"{kind}-sv.html"
    return paths


def test_tables_equal_result_objects(results: dict[str, Any]) -> None:
    folder = results["folder"]
    did = results["did"]
    cells = read_table(folder, "did_att_gt")
    np.testing.assert_allclose(cells["estimate"], did.tidy()["estimate"], equal_nan=True)
    aggs = read_table(folder, "did_aggregations")
    simple = aggs[aggs["kind"] == "simple"].iloc[0]
    s = did.aggregate("simple")
    assert simple["estimate"] == pytest.approx(s.estimate, abs=1e-12)
    assert simple["std_error"] == pytest.approx(s.std_error, abs=1e-12)
    dyn = did.aggregate("dynamic", min_e=-12, max_e=18).tidy()
    got = aggs[(aggs["kind"] == "dynamic") & ~aggs["overall"].astype(bool)]
    np.testing.assert_allclose(got["estimate"], dyn["estimate"], rtol=1e-12)
    eff = read_table(folder, "effects").set_index("design")
    assert eff.loc["staggered_did", "estimate"] == pytest.approx(100 * s.estimate)
    att = results["match"].att("post_outcome")
    assert eff.loc["matching", "estimate"] == pytest.approx(100 * att.estimate)
    assert eff.loc["matching", "n_treated"] == att.n_treated
    bal = read_table(folder, "matching_balance")
    np.testing.assert_allclose(bal["smd_after"], results["match"].balance()["smd_after"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"python", "numpy", "pandas", "duckdb", "pilot-evaluation"} <= set(manifest["software"])
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs"]["did_input"])


def test_writing_again_replaces_rows(results: dict[str, Any], tmp_path: Path) -> None:
    copy = Path(shutil.copytree(results["folder"], tmp_path / "copy"))
    did = results["did"]
    before = read_table(copy, "sample_flow")
    write_did_results(copy, did, pilot=PILOT, outcome="employed", truth=0.05)
    assert len(read_table(copy, "did_att_gt")) == did.n_cells
    assert (read_table(copy, "effects")["design"] == "staggered_did").sum() == 1
    pd.testing.assert_frame_equal(read_table(copy, "sample_flow"), before, check_like=True)
    write_did_results(copy, did, pilot="Fokus", outcome="employed")
    assert len(read_table(copy, "did_att_gt")) == 2 * did.n_cells


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_impact_report_content(
    rendered: dict[str, Path], results: dict[str, Any], lang: str
) -> None:
    text = _text(rendered[f"impact-{lang}"].read_text(encoding="utf-8"))
    t = translator(lang)
    for key in (
        "impact.title",
        "impact.section_design",
        "impact.section_flow",
        "impact.section_estimates",
        "impact.section_diagnostics",
        "impact.tab_aggregations",
        "impact.tab_sensitivity",
        "impact.tab_bacon",
        "impact.tab_balance",
        "impact.tab_rosenbaum",
        "impact.references",
        "methods.software",
        "methods.inputs",
    ):
        assert t(key).replace("'", "’") in text or t(key) in text, key
    s = results["did"].aggregate("simple")
    assert t.ci(100 * s.conf_low, 100 * s.conf_high, 2) in text
    assert t.num(100 * s.estimate, 2) in text
    test = results["did"].event_study_pretrend(min_e=-12, max_e=18)
    assert f"χ² = {t.num(test.statistic, 1)}" in text
    att = results["match"].att("post_outcome")
    assert t.ci(100 * att.conf_low, 100 * att.conf_high, 2) in text
    tw = results["twfe"]
    assert t.num(100 * tw.twfe_estimate, 2) in text
    assert "Callaway" in text and "Rosenbaum" in text
    assert (
        len(
            re.findall(
                r"<img[^>]+src=\"data:image/svg\+xml;base64,",
                rendered[f"impact-{lang}"].read_text(),
            )
        )
        == 3
    )


@pytest.mark.parametrize("kind", ["impact", "pilot"])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_ids_and_small_cells_suppressed(
    rendered: dict[str, Path], results: dict[str, Any], kind: str, lang: str
) -> None:
    html = rendered[f"{kind}-{lang}"].read_text(encoding="utf-8")
    text = _text(html)
    assert not PSEUDONYM_RE.search(text) and not HETU_RE.search(html)
    assert not CLIENT_ID_RE.search(text)
    assert not any(i in text for i in list(results["ids"])[:2000])
    if kind == "impact":
        flow = read_table(results["folder"], "sample_flow")
        cohorts = flow[(flow["design"] == "did") & (flow["step"] == "cohort")]
        small = cohorts[(cohorts["persons"] > 0) & (cohorts["persons"] < 5)]
        assert len(small) >= 1  # the fixture's small registers have small entry cohorts
        assert "<5" in text
        for n in small["persons"]:
            # No table row shows a small entry-month count.
            assert not re.search(rf"\d{{4}}-\d\d {int(n)} ", text)
    else:
        tl = read_table(results["folder"], "pilot_timeline")
        vals = tl[["entered", "exited", "employed"]].to_numpy()
        assert ((vals > 0) & (vals < 5)).any()  # the synthetic workbook has small cells
        assert "<5" in text


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_pilot_report_content(
    rendered: dict[str, Path], results: dict[str, Any], lang: str
) -> None:
    text = _text(rendered[f"pilot-{lang}"].read_text(encoding="utf-8"))
    t = translator(lang)
    assert t("pilot.title", pilot=PILOT) in text
    for key in (
        "pilot.section_intervention",
        "pilot.section_logic",
        "pilot.section_process",
        "pilot.section_criteria",
        "pilot.section_indicators",
        "pilot.section_timeline",
        "pilot.section_effect",
    ):
        assert t(key) in text, key
    att = results["match"].att("post_outcome")
    s = results["did"].aggregate("simple")
    # The plain-language sentences carry the intervals of the result objects.
    for lo, hi in ((s.conf_low, s.conf_high), (att.conf_low, att.conf_high)):
        assert t.ci(100 * lo, 100 * hi, 1) in text
    pre = results["did"].event_study_pretrend(min_e=-12, max_e=18)
    key = "plain.pretrend_ok" if pre.p_value >= 0.05 else "plain.pretrend_bad"
    assert t(key) in text


def test_pdf_is_valid_and_multipage(results: dict[str, Any], tmp_path: Path) -> None:
    from pypdf import PdfReader

    for qmd, params in (
        ("impact.qmd", {"results_dir": str(results["folder"])}),
        ("pilot.qmd", {"results_dir": str(results["folder"]), "pilot": PILOT}),
    ):
        pdf = render_report(
            REPORTS_DIR / qmd,
            params=params,
            output=tmp_path / f"{qmd}.pdf",
            format="pdf",
            lang="fi",
        )
        assert pdf.read_bytes().startswith(b"%PDF-")
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 2
        assert PILOT in "".join(p.extract_text() for p in reader.pages)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: apt-get install -y --no-install-recommends chromium"
    return exe


@pytest.mark.parametrize("kind", ["impact", "pilot"])
def test_screenshot_in_headless_chromium_is_not_blank(
    rendered: dict[str, Path], tmp_path: Path, kind: str
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
                rendered[f"{kind}-en"].resolve().as_uri(),
            ],
            capture_output=True,
            timeout=90,
            check=False,
        )
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]
    img = np.asarray(mpimg.imread(png), dtype=float)[..., :3]
    assert img.shape[0] == 2000 and img.shape[1] == 1280
    assert float(img.std()) > MIN_PIXEL_STD
    assert float((img.mean(axis=2) < 0.9).mean()) > MIN_INK_SHARE


def test_unknown_pilot_is_a_clear_error(results: dict[str, Any], tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "pilot",
            "--results",
            str(results["folder"]),
            "--pilot",
            "Nope",
            "--out",
            str(tmp_path / "x.html"),
        ],
    )
    assert res.exit_code != 0
    assert "Nope" in str(res.exception)


def test_compare_pools_one_estimate_per_pilot(results: dict[str, Any], tmp_path: Path) -> None:
    from evaluation.reporting.compare import build_comparison
    from evaluation.reporting.results import example_results

    # The comparison tables of the six pilots, then DiD and matching estimates of two.
    example_results(tmp_path, seed=7)
    for pilot in ("Sataosaa", "Fokus"):
        write_did_results(tmp_path, results["did"], pilot=pilot, outcome="employed")
        write_matching_results(tmp_path, results["match"], pilot=pilot, outcome="employed")
    assert len(read_table(tmp_path, "effects")) == 6 + 4
    report = build_comparison(tmp_path, lang="en")
    assert report.outcome == "employed_12m"  # estimated for six pilots
    report = build_comparison(tmp_path, lang="en", outcome="employed")
    assert report.meta.k == 2  # one estimate per pilot: the DiD, not also the matching
    s = results["did"].aggregate("simple")
    np.testing.assert_allclose(report.meta.effects, [100 * s.estimate] * 2)


def test_att_gt_figure_says_so_when_every_cohort_is_hidden() -> None:
    from evaluation.reporting.i18n import translator
    from evaluation.reporting.impact_report import att_gt_figure

    cells = pd.DataFrame({"cohort": [24200, 24201], "event_time": [0, 1], "estimate": [0.1, 0.2]})
    t = translator("fi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no singular-axis warning from an empty heat map
        fig = att_gt_figure(cells, {24200, 24201}, t, 100.0)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert texts == [t("impact.attgt_all_hidden")]
    shown = att_gt_figure(cells, set(), t, 100.0)
    assert shown.axes[0].images and not shown.axes[0].texts


#: An internal code as a reader would spot it: snake_case words (file names aside).
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def visible_codes(path: Path) -> set[str]:
    """Internal codes in the text a reader sees (not in styles, scripts or attributes)."""
    html_text = path.read_text(encoding="utf-8")
    html_text = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", html_text)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", html_text))
    return set(SNAKE_CODE.findall(text))


@pytest.mark.parametrize("key", ["impact-fi", "pilot-fi", "impact-sv", "pilot-sv"])
def test_finnish_and_swedish_reports_show_no_internal_codes(
    rendered: dict[str, Path], key: str
) -> None:
    assert visible_codes(rendered[key]) == set()


@pytest.mark.parametrize("key", ["impact-fi", "pilot-fi", "impact-sv", "pilot-sv"])
def test_finnish_and_swedish_reports_have_no_english_or_untranslated_keys(
    rendered: dict[str, Path], key: str
) -> None:
    """Nor an English word or a catalogue key (aside: the impact report's list of
    references, English titles of English papers, and in the pilot report what the pilot
    itself wrote, here in English); every figure's alt text is its finding."""
    from evaluation.reporting.i18n import translator
    from tests.language import alt_texts, problems, visible_text

    page = rendered[key].read_text(encoding="utf-8")
    text = visible_text(page)
    references = translator(key.split("-")[1])("impact.references")
    text = text.split(references)[0]
    assert problems(text, english=key.startswith("impact")) == set()
    captions = set(re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S))
    for alt in alt_texts(page):
        assert alt and alt not in captions and problems(alt) == set(), alt
