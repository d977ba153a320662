"""One disclosure ledger per report set: the same decision in every output, linked tables
audited together, nothing shown that rests on fewer than ``threshold`` persons, and the
output-checking log (``disclosure.csv``) re-audited by ``pilot-eval disclosure audit``."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.reporting.compare import build_comparison
from evaluation.reporting.examples import example_impact_results, example_pilot_results
from evaluation.reporting.i18n import LANGUAGES, translator
from evaluation.reporting.impact_report import build_impact
from evaluation.reporting.ledger import LEDGER_FILE, audit_log, build_ledger
from evaluation.reporting.pilot_report import build_pilot
from evaluation.reporting.results import example_results

THRESHOLD = 5
PILOT = "Sataosaa"  # the example results' pilot with impact results
OUTCOME = "employed"
#: Treated persons of the edited pilot: fewer than THRESHOLD.
TINY = 2


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = example_results(tmp_path_factory.mktemp("ledger") / "results")
    example_pilot_results(folder)
    example_impact_results(folder, persons=4000)
    return folder


def _tiny(results: Path, out: Path) -> Path:
    """A copy of ``results`` in which PILOT's impact estimates rest on TINY treated."""
    folder = Path(shutil.copytree(results, out))

    def edit(name: str, change: Callable[[pd.DataFrame], None]) -> None:
        frame = pd.read_csv(folder / f"{name}.csv")
        change(frame)
        frame.to_csv(folder / f"{name}.csv", index=False)

    def flow(f: pd.DataFrame) -> None:
        mine = f["pilot"] == PILOT
        coh = mine & (f["design"] == "did") & (f["step"] == "cohort")
        f.loc[coh, "persons"] = 0
        f.loc[coh[coh].index[0], "persons"] = TINY
        treated = mine & (f["design"] == "matching") & (f["group"] == "treated")
        f.loc[treated & f["step"].isin(["all", "matched"]), "persons"] = TINY

    def cells(f: pd.DataFrame) -> None:
        first = f.loc[f["pilot"] == PILOT, "cohort"].min()
        f.loc[f["pilot"] == PILOT, "n_treated"] = np.where(f["cohort"] == first, TINY, 0)[
            (f["pilot"] == PILOT).to_numpy()
        ]

    def treated(f: pd.DataFrame) -> None:
        f.loc[f["pilot"] == PILOT, "n_treated"] = TINY

    edit("sample_flow", flow)
    edit("did_att_gt", cells)
    edit("matching_estimates", treated)
    edit("effects", treated)
    return folder


def _figure_values(fig: Figure) -> np.ndarray:
    """Every data value a figure draws (line and marker points, bars, error bars)."""
    vals: list[float] = []
    for ax in fig.axes:
        for line in ax.get_lines():
            vals += list(np.ravel(line.get_xydata()))
        for patch in ax.patches:
            if isinstance(patch, Rectangle):
                x, y = patch.get_xy()
                vals += [x, y, patch.get_width(), patch.get_height()]
            elif isinstance(patch, Polygon):
                vals += list(np.ravel(patch.get_xy()))
        for coll in ax.collections:
            for path in coll.get_paths():
                vals += list(np.ravel(path.vertices))
    return np.asarray(vals, dtype=float)


def _hidden_numbers(folder: Path) -> dict[str, list[float]]:
    """PILOT's estimates and interval bounds (as printed: points x100 for shares)."""
    eff = pd.read_csv(folder / "effects.csv")
    eff = eff[eff["pilot"] == PILOT]
    out = {
        "estimate": eff["estimate"].tolist(),
        "bounds": eff["conf_low"].tolist() + eff["conf_high"].tolist(),
    }
    return out


def test_two_treated_persons_show_nothing(results: Path, tmp_path: Path) -> None:
    """A pilot with 2 treated persons: no report shows a number, an interval or a plotted
    point resting on them (comparison, impact and pilot reports, every language)."""
    folder = _tiny(results, tmp_path / "tiny")
    hidden = _hidden_numbers(folder)
    for lang in LANGUAGES:
        t = translator(lang)
        cmp = build_comparison(folder, lang=lang)
        row = cmp.effects_table[cmp.effects_table.iloc[:, 0] == PILOT].iloc[0]
        assert row.iloc[2] == "–" and row.iloc[3] == "–" and row.iloc[5] == "–"
        assert row.iloc[4] == f"<{THRESHOLD}"
        assert PILOT not in cmp.meta.labels  # neither pooled nor in the forest plot
        texts = [*cmp.findings, cmp.effects_table.to_string(), cmp.meta_table.to_string()]
        imp = build_impact(folder, lang=lang, pilot=PILOT)
        for sec in imp.sections:
            assert sec.tables == () and sec.figures == ()
            assert np.isnan(sec.estimate) and sec.truth is None
            assert sec.estimate_text == t("impact.estimate_hidden", threshold=THRESHOLD)
            texts += [sec.estimate_text, *sec.diagnostics, sec.flow_table.to_string()]
            assert f"<{THRESHOLD}" in sec.flow_table.to_string()
        pil = build_pilot(folder, pilot=PILOT, lang=lang)
        assert pil.effect_figure is None
        mine = pil.effect_table[pil.effect_table.iloc[:, 3] == f"<{THRESHOLD}"]
        assert len(mine) == len(pil.effect_table)
        assert set(mine.iloc[:, 1]) == {"–"} and set(mine.iloc[:, 2]) == {"–"}
        texts += [*pil.effect_texts, pil.effect_table.to_string()]
        numbers = set(re.findall(r"[-\u2212]?\d+(?:[.,]\d+)?", "\n".join(texts)))
        for value in hidden["estimate"] + hidden["bounds"]:
            for d in (1, 2):
                assert t.num(value, d) not in numbers, (lang, value)
        for fig in (cmp.forest, cmp.indicator_figure, cmp.reach_figure):
            drawn = _figure_values(fig)
            for value in hidden["estimate"]:
                assert not np.isclose(drawn, value, atol=1e-6).any(), value


def test_same_cell_same_treatment_across_reports(results: Path) -> None:
    """The impact report's sample flow prints the cells of the entry-month table (which
    the demo index shows) exactly as that table does."""
    ledger = build_ledger(results, threshold=THRESHOLD)
    table = ledger.display(f"cohorts:{OUTCOME}")
    imp = build_impact(results, lang="en", pilot=PILOT)
    did = next(s for s in imp.sections if s.design == "did")
    flow = did.flow_table
    for label, shown in zip(flow.iloc[:, 0], flow.iloc[:, 1], strict=True):
        month = re.search(r"\d{4}-\d{2}", str(label))
        if month:
            assert shown == table.loc[month.group(0), PILOT], label
    assert "<5" in set(flow.iloc[:, 1])


def test_share_hidden_in_every_report_when_its_numerator_is_small(
    results: Path, tmp_path: Path
) -> None:
    """A share of 3 persons out of 34 is hidden in the comparison report as in the pilot
    report (it was shown as "8.82 [3.05; 22.96] (34)")."""
    folder = Path(shutil.copytree(results, tmp_path / "share"))
    ind = pd.read_csv(folder / "indicators.csv")
    code = str(ind["indicator"].iloc[0])
    pilot = str(ind["pilot"].iloc[0])
    ind.loc[0, ["estimate", "conf_low", "conf_high", "n"]] = [8.82, 3.05, 22.96, 34]
    ind.to_csv(folder / "indicators.csv", index=False)
    pind = pd.read_csv(folder / "pilot_indicators.csv")
    extra = pind.iloc[:1].copy()
    extra[["pilot", "indicator", "unit", "group_var", "group"]] = [
        pilot, code, "percent", "all", "all"
    ]  # fmt: skip
    extra[["numerator", "denominator", "value"]] = [3, 34, 8.82]
    pd.concat([pind, extra]).to_csv(folder / "pilot_indicators.csv", index=False)
    cmp = build_comparison(folder, lang="en")
    cell = cmp.indicator_table.loc[cmp.indicator_table.iloc[:, 0] == pilot].iloc[0, 1]
    assert cell == f"n <{THRESHOLD}"
    assert "8.82" not in cmp.indicator_table.to_string()


def test_every_table_holds_under_the_lp_attacker(results: Path, lp_attacker: Callable) -> None:
    log = build_ledger(results, threshold=THRESHOLD).to_frame()
    assert set(log["table"]) >= {f"cohorts:{OUTCOME}", "destinations", "process:participants"}
    assert lp_attacker(log) == []
    shown_small = log[(log["status"] == "shown") & (log["n"] > 0) & (log["n"] < THRESHOLD)]
    assert shown_small.empty


def test_audit_command_passes_and_fails_located(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "set"
    out.mkdir()
    build_ledger(results, threshold=THRESHOLD).write(out)
    runner = CliRunner()
    ok = runner.invoke(app, ["disclosure", "audit", str(out)])
    assert ok.exit_code == 0, ok.output
    assert audit_log(out) == []
    log = pd.read_csv(out / LEDGER_FILE)
    small_row = int(np.flatnonzero((log["rule"] == "primary").to_numpy())[0])
    log.loc[small_row, "status"] = "shown"
    log.to_csv(out / LEDGER_FILE, index=False)
    from evaluation.cli import main

    bad = runner.invoke(app, ["disclosure", "audit", str(out)])
    assert bad.exit_code != 0
    problems = audit_log(out)
    assert any(f"line {small_row + 2}" in p.where for p in problems)
    assert any("shown but rests on" in p.what for p in problems)
    with pytest.raises(SystemExit) as exc:
        import sys

        argv, sys.argv = sys.argv, ["pilot-eval", "disclosure", "audit", str(out)]
        try:
            main()
        finally:
            sys.argv = argv
    assert exc.value.code == 2


def test_missing_log_is_a_located_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["disclosure", "audit", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert str(tmp_path) in str(result.exception)


def test_published_tables_hide_what_the_reports_hide(results: Path, tmp_path: Path) -> None:
    """The tidy tables for funders (``published/`` beside the log) carry no estimate of
    the 2-treated pilot and no count under the threshold."""
    folder = _tiny(results, tmp_path / "tiny")
    out = tmp_path / "set"
    build_ledger(folder, threshold=THRESHOLD).write(out)
    eff = pd.read_csv(out / "published" / "effects.csv", dtype={"n_treated": str})
    mine = eff[eff["pilot"] == PILOT]
    assert mine[["estimate", "std_error", "conf_low", "conf_high"]].isna().all().all()
    assert set(mine["n_treated"]) == {f"<{THRESHOLD}"}
    counts = pd.read_csv(out / "published" / "counts.csv", dtype={"value": str})
    numbers = pd.to_numeric(counts["value"], errors="coerce")
    assert not ((numbers > 0) & (numbers < THRESHOLD)).any()
    assert audit_log(out) == []
