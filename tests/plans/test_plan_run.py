"""Running plans: outputs, deviations, manifest and byte-identical reruns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.errors import OptionError
from evaluation.plans.commands import run_command
from evaluation.plans.runner import OUTPUT_FILES, run_plan
from evaluation.synthetic import generate_registers

#: Small extract: enough participants for both designs, fast enough for CI.
PERSONS = 6000
SEED = 7

DID_PLAN = f"""\
version: 1
study: {{id: did-test, title: DiD test}}
data:
  synthetic: {{persons: {PERSONS}, seed: {SEED}}}
pilots: ["Yhdessä hyvä Ote"]
outcomes: [employed]
follow_up: {{event_window: [-6, 6]}}
design: {{kind: staggered_did}}
covariates: [age]
sensitivity: [notyettreated_comparison, honest_did]
subgroups: [{{name: women, covariate: female}}]
reports: [{{kind: impact, language: fi}}, {{kind: compare, language: en}}]
power: {{rollouts: 40}}
seed: 3
"""

MATCH_PLAN = """\
version: 1
study: {id: match-test, title: Matched DiD test}
data:
  files: {spells: spells.parquet, participants: participants.parquet, persons: persons.parquet}
  window: {start: 2014-01, end: 2018-12}
pilots: [Sataosaa]
outcomes: [employed]
design: {kind: matched_did}
covariates: [age, female, swedish_speaking, pre_employed]
subgroups: [{name: women, covariate: female}]
sensitivity: [history_covariates, rosenbaum_bounds]
seed: 3
"""


def _tidy_files(out: Path) -> dict[str, bytes]:
    """Every CSV and JSON result (also the report tables), manifests excluded."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.suffix in (".csv", ".json") and "manifest" not in p.name
    }


@pytest.fixture(scope="module")
def did_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("did")
    plan = root / "plan.yaml"
    plan.write_text(DID_PLAN, encoding="utf-8")
    run_plan(plan, root / "a")
    run_plan(plan, root / "b")
    return plan, root / "a", root / "b"


def test_did_run_writes_every_output(did_runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = did_runs
    assert {p.name for p in a.iterdir() if p.is_file()} == {*OUTPUT_FILES, "manifest.json"}
    effects = pd.read_csv(a / "effects.csv")
    assert effects[["pilot", "design", "analysis"]].values.tolist() == [
        ["Yhdessä hyvä Ote", "staggered_did", "main"]
    ]
    assert np.isfinite(effects["estimate"]).all() and (effects["std_error"] > 0).all()
    study = pd.read_csv(a / "event_study.csv")
    assert study["event_time"].tolist() == list(range(-6, 7))
    evidence = pd.read_csv(a / "evidence.csv")
    assert evidence["level"].between(1, 4).all()
    assert evidence["reasons"].iloc[0].startswith("design staggered_did: start at level 4")
    checks = pd.read_csv(a / "checks.csv")
    assert checks["kind"].tolist() == ["spells", "panel", "did_input"]
    assert checks["ok"].all()


def test_did_run_reports_mde_and_honest_did(did_runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = did_runs
    diag = pd.read_csv(a / "diagnostics.csv")
    assert np.isfinite(diag["mde"]).all() and (diag["mde"] > 0).all()
    sens = pd.read_csv(a / "sensitivity.csv")
    assert "honest_did" in sens["analysis"].tolist()
    power = pd.read_csv(a / "reports" / "results" / "did_power.csv")
    assert power["rollouts"].tolist() == [40]
    honest = pd.read_csv(a / "reports" / "results" / "did_honest.csv")
    assert honest["value"].is_monotonic_increasing and len(honest) == 9
    html = (a / "reports" / "impact-fi.html").read_text(encoding="utf-8")
    assert "olisi voinut havaita vain" in html


def test_did_run_reports_the_few_cluster_p_value(did_runs: tuple[Path, Path, Path]) -> None:
    # restricted wild cluster bootstrap-t over the regions (evaluation.plans.did.WILD)
    _, a, _ = did_runs
    diag = pd.read_csv(a / "diagnostics.csv")
    assert list(diag.columns[-2:]) == ["wild_p_value", "wild_clusters"]
    assert diag["wild_p_value"].between(0, 1).all()
    assert (diag["wild_clusters"] >= 2).all()


def test_did_deviations_recorded(did_runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = did_runs
    dev = pd.read_csv(a / "deviations.csv", keep_default_na=False)
    items = set(dev["plan_item"])
    assert {"covariates", "subgroups", "reports[1]"} <= items
    assert "reports[0]" not in items  # the impact report was rendered
    compare = dev[dev["plan_item"] == "reports[1]"]
    assert compare["kind"].tolist() == ["not_run"]
    assert "self-evaluation tables" in compare["detail"].iloc[0]
    assert "sensitivity" in items  # the not-yet-treated rerun has no never-treated units


def test_did_rerun_is_byte_identical(did_runs: tuple[Path, Path, Path]) -> None:
    _, a, b = did_runs
    files_a, files_b = _tidy_files(a), _tidy_files(b)
    assert files_a.keys() == files_b.keys()
    assert files_a == files_b


def test_manifest_records_hashes_versions_and_seeds(did_runs: tuple[Path, Path, Path]) -> None:
    plan, a, b = did_runs
    ma = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    mb = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    assert len(ma["plan"]["sha256"]) == 64 and ma["plan"]["file"] == str(plan.resolve())
    assert ma["inputs"] == mb["inputs"] and set(ma["inputs"]) == {
        "spells_content_sha256",
        "participants_content_sha256",
        "persons_content_sha256",
    }
    assert ma["seeds"] == {"plan": 3, "synthetic": SEED}
    assert {"numpy", "pandas", "duckdb", "pilot-evaluation", "python"} <= set(ma["packages"])
    assert ma["outputs"] == mb["outputs"]
    assert ma["backend"] == "local"


@pytest.fixture(scope="module")
def match_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data = generate_registers(persons=PERSONS, seed=SEED)
    rng = np.random.default_rng(0)
    outs = []
    for label, shuffle in (("sorted", False), ("shuffled", True)):
        root = tmp_path_factory.mktemp(label)
        for name in ("spells", "participants", "persons"):
            frame: pd.DataFrame = getattr(data, name)
            if shuffle:
                frame = frame.iloc[rng.permutation(len(frame))]
            frame.to_parquet(root / f"{name}.parquet")
        (root / "plan.yaml").write_text(MATCH_PLAN, encoding="utf-8")
        run_plan(root / "plan.yaml", root / "out")
        outs.append(root / "out")
    return outs[0], outs[1]


def test_matching_identical_across_row_orders(match_runs: tuple[Path, Path]) -> None:
    a, b = match_runs
    assert _tidy_files(a) == _tidy_files(b)
    ma = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    mb = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    # the files differ (row order), their canonical content does not
    assert ma["inputs"]["spells_file_sha256"] != mb["inputs"]["spells_file_sha256"]
    assert ma["inputs"]["spells_content_sha256"] == mb["inputs"]["spells_content_sha256"]


def test_matching_outputs_and_dropped_covariate(match_runs: tuple[Path, Path]) -> None:
    a, _ = match_runs
    effects = pd.read_csv(a / "effects.csv")
    assert effects["design"].tolist() == ["matched_did"]
    assert (effects["n_treated"] > 0).all()
    balance = pd.read_csv(a / "balance.csv")
    assert set(balance["covariate"]) <= {"age", "female", "swedish_speaking", "pre_employed"}
    dev = pd.read_csv(a / "deviations.csv", keep_default_na=False)
    dropped = dev[dev["kind"] == "dropped_covariate"]
    assert dropped["detail"].str.startswith("swedish_speaking dropped").all()
    assert len(dropped) == 1  # recorded once, although the sensitivity refit drops it too
    diag = pd.read_csv(a / "diagnostics.csv")
    assert diag["wild_p_value"].isna().all() and (diag["wild_clusters"] == 0).all()
    subgroups = pd.read_csv(a / "subgroups.csv")
    assert subgroups["name"].unique().tolist() == ["women"]
    assert subgroups["level"].tolist() == [0, 1]
    assert subgroups["n_treated"].sum() == effects["n_treated"].iloc[0]
    sens = pd.read_csv(a / "sensitivity.csv")
    assert sens["analysis"].tolist() == ["history_covariates", "rosenbaum_bounds"]
    reasons = pd.read_csv(a / "evidence_reasons.csv")
    assert {"design", "balance", "overlap", "sample_size", "attrition"} <= set(reasons["criterion"])


def test_run_command_via_typer(tmp_path: Path) -> None:
    import typer

    app = typer.Typer()
    app.command("run")(run_command)
    app.command("noop")(lambda: None)
    bad = tmp_path / "bad.yaml"
    bad.write_text(DID_PLAN + "treatment: {entry: service_spells}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert isinstance(result.exception, OptionError)
    assert "treatment.entry" in result.exception.message


def test_run_designs_shares_data_and_records_override(
    did_runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from evaluation.plans.runner import run_designs

    _, single, _ = did_runs
    designs = tmp_path / "designs"
    designs.mkdir()
    declared = DID_PLAN.replace(f"persons: {PERSONS}", "persons: 5000")
    (designs / "a_yho.yaml").write_text(declared, encoding="utf-8")
    (designs / "b_kp.yaml").write_text(
        declared.replace("Yhdessä hyvä Ote", "KP Ote").replace("did-test", "kp"),
        encoding="utf-8",
    )
    results = run_designs(designs, tmp_path / "out", persons=PERSONS)
    assert list(results) == ["a_yho", "b_kp"]
    out = tmp_path / "out"
    # same data as the single run (the override restores PERSONS): same estimates
    for name in ("effects.csv", "att_gt.csv", "event_study.csv", "evidence.csv"):
        assert (out / "a_yho" / name).read_bytes() == (single / name).read_bytes()
    dev = pd.read_csv(out / "a_yho" / "deviations.csv", keep_default_na=False)
    assert "persons=6000, seed=7 instead of persons=5000" in " ".join(dev["detail"])
    manifest = json.loads((out / "b_kp" / "manifest.json").read_text(encoding="utf-8"))
    assert "data.synthetic" in manifest["overrides"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary["pilot"].tolist() == ["Yhdessä hyvä Ote", "KP Ote"]
    assert summary["sms_level"].between(1, 4).all()


def test_did_run_renders_the_impact_report_with_rating_and_deviations(
    did_runs: tuple[Path, Path, Path],
) -> None:
    _, a, _ = did_runs
    report = a / "reports" / "impact-fi.html"
    text = report.read_text(encoding="utf-8")
    assert "Näytön vahvuus (Maryland SMS)" in text
    assert "Poikkeamat arviointisuunnitelmasta" in text
    evidence = pd.read_csv(a / "evidence.csv")
    assert evidence["reasons"].iloc[0].split(";")[0] in text  # the rating's reasons
    assert "self-evaluation tables" in text  # the compare report's deviation
    results = json.loads((a / "results.json").read_text(encoding="utf-8"))
    assert results["reports"] == ["reports/impact-fi.html"]
    manifest = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["reports"]) == {"reports/impact-fi.html"}
    # the report's own tidy tables: the same estimate as the plan's effects
    effects = pd.read_csv(a / "effects.csv")
    shown = pd.read_csv(a / "reports" / "results" / "effects.csv")
    assert shown["estimate"].iloc[0] == pytest.approx(100 * effects["estimate"].iloc[0], rel=1e-12)


def test_prebuilt_data_give_the_same_results_and_stay_open(
    did_runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from evaluation.demo.page import Page
    from evaluation.demo.plans import add_plans_section, plans_table
    from evaluation.plans import Prebuilt, run_designs
    from evaluation.plans.model import SyntheticData
    from evaluation.registers import build_person_month_panel
    from evaluation.reporting.ledger import Ledger

    plan, single, _ = did_runs
    data = generate_registers(persons=PERSONS, seed=SEED)
    panel = build_person_month_panel(  # as the demo builds it (input row order as generated)
        data.spells,
        start=data.months[0],
        end=data.months[-1],
        participants=data.participants,
        persons=data.persons["person_id"],
    )
    pre = Prebuilt(SyntheticData(persons=PERSONS, seed=SEED), data, panel)
    results = run_designs(plan, tmp_path / "out", prebuilt=pre)
    assert panel.con.sql("SELECT count(*) FROM " + panel.table).fetchall()[0][0] > 0
    got = _tidy_files(tmp_path / "out" / plan.stem)
    assert got == _tidy_files(single)
    table = plans_table(results, out=tmp_path)
    assert table["report"].tolist() == [f"out/{plan.stem}/reports/impact-fi.html"]
    page = Page(title="t")
    add_plans_section(page, table, Ledger(5, (), (), {}, tmp_path))  # an empty ledger
    assert f"href='out/{plan.stem}/reports/impact-fi.html'" in page.sections[0]
    panel.con.close()
