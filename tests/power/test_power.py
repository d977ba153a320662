"""Power before the pilot: placebo rollouts against the analytic 2x2 MDE, the size of the
placebo and pre-trend tests under parallel trends, invariances, and the plan command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from evaluation import power
from evaluation.errors import OptionError, PlanError
from evaluation.plans.commands import power_command
from evaluation.plans.load import parse_plan
from evaluation.power_analysis import analytic_mde

#: Monte Carlo agreement in units of the simulation's standard error (two-sided ~0.3% miss).
MC_SES = 3.0
#: Exactness of invariances that only add and remove the same numbers.
EXACT_TOL = 1e-9


def _iid_history(n: int, t: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    """Person effects plus independent monthly noise: parallel trends hold exactly."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, t)) + 2.0 * rng.standard_normal((n, 1))


def test_placebo_mde_matches_analytic_2x2() -> None:
    """One cohort, one pre and one post month: the 2x2 DiD, whose MDE is
    ``(z_0.975 + z_0.8) sd(y_post - y_pre) sqrt(1/n_T + 1/n_C)``."""
    y = _iid_history(20_000, 3, seed=1)
    n_t = 400
    res = power(y, n_treated=n_t, cohorts=1, follow_up=1, pre_periods=0, rollouts=2000, seed=2)
    sd = float(np.std(np.diff(y, axis=1), ddof=1))
    expected = analytic_mde(sd * np.sqrt(1 / n_t + 1 / (20_000 - n_t)))
    assert abs(res.mde - expected) < MC_SES * res.mde_std_error
    assert abs(res.placebo_size - 0.05) < MC_SES * np.sqrt(0.05 * 0.95 / 2000)
    assert np.isnan(res.pretrend_size)  # no pre-trend months


def test_pretrend_test_keeps_its_size_under_parallel_trends() -> None:
    y = _iid_history(5_000, 30, seed=3)
    res = power(y, n_treated=300, cohorts=3, follow_up=6, pre_periods=6, rollouts=600, seed=4)
    assert abs(res.pretrend_size - 0.05) < MC_SES * np.sqrt(0.05 * 0.95 / 600)
    assert abs(res.mde - res.mde_analytic) < MC_SES * res.mde_std_error


def test_did_estimates_invariant_to_person_and_month_effects() -> None:
    y = _iid_history(3_000, 20, seed=5)
    shifted = y + np.arange(3_000)[:, None] * 0.1 + np.sin(np.arange(20))[None, :]
    kw = {"n_treated": 200, "cohorts": 2, "follow_up": 4, "pre_periods": 3, "rollouts": 40}
    a, b = power(y, seed=6, **kw), power(shifted, seed=6, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(a.placebo.estimate, b.placebo.estimate, atol=EXACT_TOL)
    scaled = power(10 * y, seed=6, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(scaled.placebo.std_error, 10 * a.placebo.std_error, rtol=1e-9)
    assert scaled.mde == pytest.approx(10 * a.mde, rel=1e-9)


def test_power_curve_reaches_target_at_mde() -> None:
    y = _iid_history(4_000, 12, seed=7)
    res = power(y, n_treated=200, follow_up=3, pre_periods=2, rollouts=300, seed=8)
    # the MDE is the infimum of the effects with the target power
    assert res.power_at(res.mde * (1 + 1e-9))[0] >= 0.8 > res.power_at(0.95 * res.mde)[0]
    assert list(res.tidy()["term"]) == ["mde", "mde_analytic", "placebo_size", "pretrend_size"]
    assert "could only have detected effects" in res.statement()
    assert res.plot().axes


def test_power_refuses_impossible_rollouts() -> None:
    y = _iid_history(100, 10, seed=9)
    with pytest.raises(OptionError, match="months"):
        power(y, n_treated=20, follow_up=6, pre_periods=6)
    with pytest.raises(OptionError, match="participants"):
        power(y, n_treated=99, follow_up=2, pre_periods=1)
    with pytest.raises(OptionError, match="missing"):
        power(np.where(y > 3, np.nan, y), n_treated=10, follow_up=2, pre_periods=1)


PLAN = """\
version: 1
study: {id: power-test, title: Power test}
data:
  synthetic: {persons: 3000, seed: 11}
pilots: [Sataosaa]
outcomes: [employed]
follow_up: {months: 6, event_window: [-4, 6]}
design: {kind: staggered_did}
power: {n_treated: 120, cohorts: 3, rollouts: 40}
seed: 5
"""


def test_plan_power_section_is_validated() -> None:
    plan = parse_plan(PLAN, source="plan.yaml")
    assert plan.power is not None and plan.power.n_treated == 120
    with pytest.raises(PlanError, match="employd"):
        parse_plan(PLAN.replace("rollouts: 40", "rollouts: 40, outcome: employd"), source="p")


def test_power_command_on_a_synthetic_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    app = typer.Typer()
    app.command()(power_command)
    result = CliRunner().invoke(app, [str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "pp" in result.output and "120 participants" in result.output
    assert (tmp_path / "out" / "power.csv").is_file()
