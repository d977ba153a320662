"""Sensitivity to parallel trends (Rambachan & Roth; R ``HonestDiD``) against HonestDiD's own
published examples, plus invariance and API checks.

References (``tests/did/reference/honestdid_reference.json``, extracted by
``honestdid_extract.R`` from github.com/asheshrambachan/HonestDiD):

* ``bc``: the vignette's Benzarti & Carloni (2019) event study (``BCdata_EventStudy``, 4 pre
  and 4 post periods) and its stored result ``VignetteResults$BC_DeltaSDRM_RobustResults``
  (``Delta^SDRM``, C-LF, ``Mbar = 0, 0.5, ..., 2``, grid ``[-1, 1]`` with 100 points).
* ``lw``: the vignette's Lovenheim & Willen (2019) event study (9 pre, 23 post periods) and
  ``VignetteResults$LW_DeltaSD_RobustResults`` (``Delta^SD``, FLCI, ``M = 0, 0.005, ..., 0.04``,
  effect at 15 years of exposure).
* ``cs``: the README's Callaway & Sant'Anna example (influence functions of ``aggte``) and its
  ``Delta^RM`` C-LF result (``Mbar = 0.5, ..., 2``, 100 grid points).

HonestDiD simulates two critical values with R's random numbers (the least-favourable one,
1,000 draws, and the folded-normal quantile, 10^6 draws); ``r_normals`` reproduces R's draws,
so the comparisons below are exact up to the solvers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evaluation.errors import OptionError
from evaluation.estimators.did import (
    SensitivityResult,
    att_gt,
    honest,
    honest_sensitivity,
    simulate_staggered,
)
from evaluation.estimators.did.sensitivity import SensitivityMethod
from tests.did.r_normals import r_normal_matrix, r_normals

REF = json.loads((Path(__file__).parent / "reference" / "honestdid_reference.json").read_text())
#: Agreement with HonestDiD, as a fraction of the robust interval's width (the issue's bar).
WIDTH_TOL = 1e-3
#: Numerical agreement of quantities computed in closed form (original intervals).
CLOSED_FORM_TOL = 1e-10
#: Invariance of the FLCI (convex programme solved to ~1e-8 relative accuracy).
FLCI_INVARIANCE_TOL = 1e-5


def _bc_times(n_pre: int, n_post: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Event times of an event study without the reference period -1."""
    return np.concatenate([np.arange(-n_pre - 1, -1), np.arange(0, n_post)])


def test_bc_sdrm_clf_matches_honestdid_vignette() -> None:
    bc = REF["bc"]
    ref = bc["sdrm_clf"]
    res = honest_sensitivity(
        bc["betahat"],
        np.array(bc["sigma"]),
        _bc_times(bc["n_pre"], bc["n_post"]),
        restriction="smoothness_relative_magnitude",
        values=ref["value"],
        method="C-LF",
        grid_points=100,
        grid_bounds=(-1.0, 1.0),
        normals=r_normal_matrix,
    )
    width = np.array(ref["ub"]) - np.array(ref["lb"])
    np.testing.assert_array_less(np.abs(res.conf_low - ref["lb"]) / width, WIDTH_TOL)
    np.testing.assert_array_less(np.abs(res.conf_high - ref["ub"]) / width, WIDTH_TOL)
    lo, hi = bc["original"]
    assert abs(res.original_low - lo) < CLOSED_FORM_TOL
    assert abs(res.original_high - hi) < CLOSED_FORM_TOL


@pytest.mark.slow
def test_lw_smoothness_flci_matches_honestdid_vignette() -> None:
    lw = REF["lw"]
    ref = lw["sd_flci"]
    res = honest_sensitivity(
        lw["betahat"],
        np.array(lw["sigma"]),
        _bc_times(lw["n_pre"], lw["n_post"]),
        restriction="smoothness",
        values=ref["value"],
        e=lw["l_index"] - 1,  # basisVector(17): the 17th post period, event time 16
        method="FLCI",
        normals=lambda rows, cols: r_normals(0, rows * cols).reshape(rows, cols),
    )
    width = np.array(ref["ub"]) - np.array(ref["lb"])
    np.testing.assert_array_less(np.abs(res.conf_low - ref["lb"]) / width, WIDTH_TOL)
    np.testing.assert_array_less(np.abs(res.conf_high - ref["ub"]) / width, WIDTH_TOL)


def test_cs_readme_relative_magnitudes_within_one_grid_step() -> None:
    """The README's cached C-LF bounds do not lie on the grid HonestDiD's code uses
    (``0 +- 20 sd``, 100 points), so they come from another version: only agreement within
    one grid step can be checked. The original interval is exact."""
    cs = REF["cs"]
    times = np.array(cs["event_time"], dtype=np.int64)
    sigma = np.array(cs["sigma"])
    sd = float(np.sqrt(sigma[list(times).index(0)][list(times).index(0)]))
    ref = cs["rm_clf"]
    res = honest_sensitivity(
        cs["betahat"],
        sigma,
        times,
        values=ref["value"],
        grid_points=100,
        grid_bounds=(-20 * sd, 20 * sd),
        normals=r_normal_matrix,
    )
    step = 40 * sd / 99
    assert np.max(np.abs(res.conf_low - ref["lb"])) < step
    assert np.max(np.abs(res.conf_high - ref["ub"])) < step
    assert abs(res.original_low - cs["original"][0]) < CLOSED_FORM_TOL
    assert abs(res.original_high - cs["original"][1]) < CLOSED_FORM_TOL


def _bc_inputs() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    bc = REF["bc"]
    return np.array(bc["betahat"]), np.array(bc["sigma"]), _bc_times(4, 4)


def test_flci_invariant_to_a_linear_trend_and_scale() -> None:
    """Delta^SD contains every linear trend, so the FLCI's estimator ignores one; scaling the
    outcome scales the interval (values scaled too)."""
    beta, sigma, times = _bc_inputs()
    base = honest_sensitivity(beta, sigma, times, restriction="smoothness", values=[0, 0.05, 0.1])
    tau = np.where(times < -1, times + 1, times + 1).astype(float)  # periods from the reference
    trended = honest_sensitivity(
        beta + 0.3 * tau, sigma, times, restriction="smoothness", values=[0, 0.05, 0.1]
    )
    np.testing.assert_allclose(trended.conf_low, base.conf_low, atol=FLCI_INVARIANCE_TOL)
    np.testing.assert_allclose(trended.conf_high, base.conf_high, atol=FLCI_INVARIANCE_TOL)
    scaled = honest_sensitivity(
        10 * beta, 100 * sigma, times, restriction="smoothness", values=[0, 0.5, 1.0]
    )
    np.testing.assert_allclose(scaled.conf_low, 10 * base.conf_low, rtol=FLCI_INVARIANCE_TOL)
    np.testing.assert_allclose(scaled.conf_high, 10 * base.conf_high, rtol=FLCI_INVARIANCE_TOL)


@pytest.mark.parametrize("method", ["C-LF", "conditional"])
def test_relative_magnitude_intervals_are_nested_and_cover_original(
    method: SensitivityMethod,
) -> None:
    beta, sigma, times = _bc_inputs()
    res = honest_sensitivity(beta, sigma, times, values=[0, 0.5, 1, 2], method=method)
    assert (np.diff(res.conf_low) <= 1e-12).all() and (np.diff(res.conf_high) >= -1e-12).all()
    assert res.conf_low[-1] < res.original_low and res.conf_high[-1] > res.original_high


def test_weights_dict_equals_basis_vector() -> None:
    beta, sigma, times = _bc_inputs()
    by_e = honest_sensitivity(beta, sigma, times, e=1, values=[0.5], grid_points=200)
    by_w = honest_sensitivity(beta, sigma, times, weights={1: 1.0}, values=[0.5], grid_points=200)
    np.testing.assert_array_equal(by_e.conf_low, by_w.conf_low)
    assert by_w.target == "weights e=1: 1"


def test_breakdown_value() -> None:
    def result(low: list[float], high: list[float]) -> SensitivityResult:
        return SensitivityResult(
            "relative_magnitude", "C-LF", 0.05, np.array([0.0, 0.5, 1.0]), np.array(low),
            np.array(high), 1.0, 0.5, 1.5, "event time 0", 4, 4,
        )  # fmt: skip

    assert result([0.2, 0.1, -0.1], [1, 1, 1]).breakdown() == 0.5
    assert result([0.2, 0.1, 0.05], [1, 1, 1]).breakdown() == 1.0
    assert np.isnan(result([-0.2, -0.3, -0.4], [1, 1, 1]).breakdown())


@pytest.fixture(scope="module")
def universal() -> Any:
    df = simulate_staggered(600, n_periods=10, cohorts=(5, 7), seed=3)
    return att_gt(
        df, outcome="y", time="time", unit="unit", cohort="cohort",
        base_period="universal", method="reg",
    )  # fmt: skip


def test_event_study_sensitivity_and_vcov(universal: Any) -> None:
    dyn = universal.aggregate("dynamic", min_e=-3, max_e=2)
    cov = dyn.element_vcov()
    assert list(cov.index) == [-3, -2, -1, 0, 1, 2]
    se = np.sqrt(np.diag(cov.to_numpy()))
    np.testing.assert_allclose(se[[0, 1, 3, 4, 5]], dyn.element_std_error[[0, 1, 3, 4, 5]])
    assert cov.loc[-1, -1] == 0.0  # the universal reference period
    res = dyn.sensitivity("relative_magnitude", [0, 1], grid_points=200)
    tab = res.tidy()
    assert list(tab.columns) == ["restriction", "value", "conf_low", "conf_high", "method"]
    assert (tab["conf_low"] < res.estimate).all() and (tab["conf_high"] > res.estimate).all()
    assert not res.notes  # the default grid is centred at the estimate and widened if needed
    assert "breakdown" in res.summary()
    assert res.plot().axes


def test_sensitivity_refuses_wrong_inputs(universal: Any) -> None:
    with pytest.raises(OptionError, match="event study"):
        universal.aggregate("group").sensitivity()
    dyn = universal.aggregate("dynamic", min_e=-3, max_e=2)
    with pytest.raises(OptionError, match="FLCI"):
        dyn.sensitivity("relative_magnitude", [1.0], method="FLCI")
    with pytest.raises(OptionError, match="post-period"):
        dyn.sensitivity("smoothness", [0.1], e=5)
    with pytest.raises(OptionError, match="increasing"):
        dyn.sensitivity("smoothness", [0.2, 0.1])


def test_sensitivity_needs_a_universal_base_period() -> None:
    df = simulate_staggered(600, n_periods=10, cohorts=(5, 7), seed=3)
    varying = att_gt(df, outcome="y", time="time", unit="unit", cohort="cohort", method="reg")
    with pytest.raises(OptionError, match="universal"):
        varying.aggregate("dynamic", min_e=-3, max_e=2).sensitivity()


def test_later_post_periods_do_not_change_the_target_interval() -> None:
    """Trend differences after the target period are free (each has its own effect), so
    leaving them out (as the toolkit does when the conditional test would be too large)
    moves the interval by at most a grid step."""
    beta, sigma, _ = _bc_inputs()
    full = honest.EventStudy(beta, sigma, 4, 4, np.eye(4)[0])
    short = honest.EventStudy(beta[:5], sigma[:5, :5], 4, 1, np.ones(1))
    grid = honest.relative_magnitude_grid(full, 1000)
    step = float(grid[1] - grid[0]) * (1 + 1e-9)  # one grid step (rounding allowed)

    def normals(rows: int, cols: int) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.random.default_rng(0).standard_normal((rows, cols))

    for mbar in (0.5, 2.0):
        a = honest.conditional_relative_magnitude(full, mbar, 0.05, "LF", grid, normals)
        b = honest.conditional_relative_magnitude(short, mbar, 0.05, "LF", grid, normals)
        assert abs(a.low - b.low) <= step and abs(a.high - b.high) <= step
    sd_grid = honest.smoothness_grid(full, 0.05, 1000)
    a = honest.conditional_smoothness(full, 0.05, 0.05, "LF", sd_grid, normals)
    b = honest.conditional_smoothness(short, 0.05, 0.05, "LF", sd_grid, normals, True)
    sd_step = float(sd_grid[1] - sd_grid[0]) * (1 + 1e-9)
    assert abs(a.low - b.low) <= sd_step and abs(a.high - b.high) <= sd_step


def test_long_event_windows_use_the_conditional_test_on_the_target(universal: Any) -> None:
    dyn = universal.aggregate("dynamic")  # every post-period event time
    res = dyn.sensitivity("relative_magnitude", [0.0, 1.0], grid_points=200)
    assert np.isfinite(res.conf_low).all()
