"""The demo plans give the same results on every backend: local, Ibis on DuckDB, Spark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.errors import OptionError
from evaluation.plans import BACKENDS, DESIGNS_DIR, run_designs, run_plan

#: Same estimators and kernel; only summation orders differ between engines (observed
#: ~1e-14 absolute; pre-trend Wald statistics in the tens of thousands differ ~1e-15
#: relative), so values agree within 1e-9 absolute or 1e-9 relative, whichever is larger.
AGREE = 1e-9
#: Smallest synthetic extract (2,000 persons) keeps three runs of the six plans short.
PERSONS = 2000


def _results(out: Path) -> dict[str, pd.DataFrame]:
    return {p.relative_to(out).as_posix(): pd.read_csv(p) for p in sorted(out.rglob("*.csv"))}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    run_designs(DESIGNS_DIR, out, persons=PERSONS)
    return out


@pytest.mark.parametrize("backend", ["ibis", pytest.param("spark", marks=pytest.mark.slow)])
def test_demo_plans_agree_across_backends(local: Path, backend: str, tmp_path: Path) -> None:
    results = run_designs(DESIGNS_DIR, tmp_path, persons=PERSONS, backend=backend)
    assert set(results) == {p.stem for p in DESIGNS_DIR.glob("*.yaml")} and len(results) == 6
    ours, ref = _results(tmp_path), _results(local)
    assert set(ours) == set(ref) and len(ref) > 60
    for name, a in ref.items():
        b = ours[name]
        assert list(a.columns) == list(b.columns) and a.shape == b.shape, name
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(
            b[num].to_numpy(float), a[num].to_numpy(float), rtol=AGREE, atol=AGREE, err_msg=name
        )
        text = a.columns.difference(num)
        pd.testing.assert_frame_equal(b[text].astype(str), a[text].astype(str), obj=name)
    effects = ref["summary.csv"]
    assert len(effects) == 6 and np.isfinite(effects["estimate"]).all()
    for result in results.values():
        assert result.manifest["backend"] == backend


def test_run_command_takes_the_backend(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        (DESIGNS_DIR / "fokus.yaml")
        .read_text(encoding="utf-8")
        .replace("persons: 20000", f"persons: {PERSONS}"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["run", str(plan), "--out", str(tmp_path / "o"), "--backend", "ibis"]
    )
    assert result.exit_code == 0, result.output
    manifest = (tmp_path / "o" / "manifest.json").read_text(encoding="utf-8")
    assert '"backend": "ibis"' in manifest
    bad = CliRunner().invoke(
        app, ["run", str(plan), "--out", str(tmp_path / "p"), "--backend", "oracle"]
    )
    assert bad.exit_code != 0 and "oracle" in bad.output


def test_unknown_backend_is_an_option_error(tmp_path: Path) -> None:
    assert {"local", "ibis", "spark"} <= set(BACKENDS)
    with pytest.raises(OptionError, match="unknown backend 'oracle'"):
        run_plan(DESIGNS_DIR / "fokus.yaml", tmp_path, backend="oracle")
