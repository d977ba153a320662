"""The pre-trend Wald test with singular covariances (tiny cohorts, duplicated cells)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.results import wald_test
from evaluation.estimators.did.simulate import simulate_staggered

KW: dict[str, Any] = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}
STAT_RTOL = 1e-9  # the same quadratic form computed by different factorisations


def _regular(k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((4 * k, k))
    v = a.T @ a / (4 * k) ** 2
    est = rng.standard_normal(k) * np.sqrt(np.diag(v))
    return est, v


def _se(v: np.ndarray) -> np.ndarray:
    return np.asarray(np.sqrt(np.diag(v)), dtype=np.float64)


def test_regular_covariance_is_the_classical_wald_statistic() -> None:
    est, v = _regular(5, seed=1)
    test = wald_test(est, v, _se(v))
    assert test.statistic == pytest.approx(float(est @ np.linalg.solve(v, est)), rel=STAT_RTOL)
    assert (test.df, test.rank, test.n_cells, test.n_excluded) == (5, 5, 5, 0)
    assert test.reason == "" and test.available


def test_duplicated_cells_do_not_inflate_statistic_or_df() -> None:
    est, v = _regular(4, seed=2)
    full = wald_test(est, v, _se(v))
    # Cells 0 and 2 repeated: the covariance of the 6 cells has rank 4.
    sel = np.array([0, 1, 2, 3, 0, 2])
    dup = wald_test(est[sel], v[np.ix_(sel, sel)], _se(v)[sel])
    assert dup.df == dup.rank == 4
    assert dup.n_cells == 6 and dup.n_excluded == 0
    assert dup.statistic == pytest.approx(full.statistic, rel=STAT_RTOL)
    assert dup.p_value == pytest.approx(full.p_value, rel=1e-6)
    assert "rank 4 of 6" in dup.reason
    # The old inverse of the singular matrix gave a huge statistic; this one is sane.
    assert dup.statistic < 100


def test_zero_variance_cells_are_excluded_and_reported() -> None:
    est, v = _regular(3, seed=3)
    big = np.zeros((4, 4))
    big[:3, :3] = v
    se = np.append(_se(v), np.nan)  # the fourth cell has no variance
    test = wald_test(np.append(est, 0.7), big, se)
    assert (test.n_cells, test.n_excluded, test.df) == (4, 1, 3)
    assert test.statistic == pytest.approx(wald_test(est, v, _se(v)).statistic, rel=STAT_RTOL)
    assert "zero variance" in test.reason


def test_no_positive_variance_gives_not_available() -> None:
    test = wald_test(np.array([0.1, 0.2]), np.zeros((2, 2)), np.array([np.nan, np.nan]))
    assert np.isnan(test.statistic) and np.isnan(test.p_value)
    assert test.df == 0 and test.rank == 0 and test.n_excluded == 2
    assert not test.available
    assert "not available" in test.summary()


def test_statistic_invariant_to_cell_order_and_scale() -> None:
    est, v = _regular(4, seed=4)
    sel = np.array([0, 1, 2, 3, 1])  # singular
    base = wald_test(est[sel], v[np.ix_(sel, sel)], _se(v)[sel])
    perm = np.array([4, 2, 0, 3, 1])
    e2, v2 = est[sel][perm], v[np.ix_(sel, sel)][np.ix_(perm, perm)]
    assert wald_test(e2, v2, _se(v2)).statistic == pytest.approx(base.statistic, rel=STAT_RTOL)
    s = np.array([1.0, 1e3, 1e-3, 1.0, 5.0])  # rescaling cells (outcome units) changes nothing
    e3, v3 = e2 * s, v2 * np.outer(s, s)
    scaled = wald_test(e3, v3, _se(v3))
    assert scaled.statistic == pytest.approx(base.statistic, rel=STAT_RTOL)
    assert scaled.df == base.df == 4


def _with_single_unit_cohort(d: pd.DataFrame) -> pd.DataFrame:
    """Add one unit treated from period 4 whose outcome jumps before treatment."""
    t = np.arange(1, int(d["time"].max()) + 1)
    one = pd.DataFrame(
        {
            "unit": int(d["unit"].max()) + 1,
            "time": t,
            "cohort": 4,
            "y": np.where(t >= 3, 5.0, 0.0),
            "x": 0.0,
        }
    )
    return pd.concat([d, one[d.columns]], ignore_index=True)


def test_single_unit_cohort_is_left_out_of_the_pretest() -> None:
    d = simulate_staggered(2000, n_periods=8, cohorts=(5, 7), seed=8)
    clean = att_gt(d, **KW).pretrend_test()
    test = att_gt(_with_single_unit_cohort(d), **KW).pretrend_test()
    assert clean is not None and test is not None
    # pre cells of cohort 4 (t = 2, 3) have one treated unit: excluded, not infinitely large
    assert test.n_excluded == 2
    assert test.df == clean.df == 3 + 5
    assert np.isfinite(test.statistic) and test.p_value > 0.01
    assert "fewer than 2 treated units" in test.reason


def test_pretest_does_not_mutate_result() -> None:
    d = simulate_staggered(800, n_periods=6, cohorts=(4,), seed=2)
    res = att_gt(d, **KW)
    before = res.vcov.copy(), res.estimate.copy()
    first = res.pretrend_test()
    assert first == res.pretrend_test()
    np.testing.assert_array_equal(res.vcov, before[0])
    np.testing.assert_array_equal(res.estimate, before[1])


# ----------------------------------------------------------------------- event-study test
#: Seeded Monte Carlo of the event-study pre-trend test under true parallel trends, in the
#: pilots' setting: 8 monthly cohorts of about 12 treated units each, 12 pre-entry months.
#: With 1,000 replications the F reference rejected 4.9% and the chi-squared one 11.7%.
MC_REPS = 200
MC_UNITS = 5000  # 2% treated: about 100 treated units
#: 200 replications give a binomial SD of 1.5 points around the nominal 5%.
SIZE_BAND = (0.02, 0.09)


def test_event_study_pretrend_uses_hotelling_scaling() -> None:
    d = simulate_staggered(600, n_periods=12, cohorts=(6, 8, 10), seed=4)
    res = att_gt(d, **KW)
    test = res.event_study_pretrend(min_e=-4, max_e=2)
    assert test is not None and test.available
    assert test.event_times == (-4, -3, -2, -1)
    n_treated = int(d.loc[d["cohort"] > 0, "unit"].nunique())
    assert test.n_treated == n_treated  # every cohort has cells at e = -4 .. -1
    q, n = test.df, test.n_treated
    f = test.statistic * (n - q) / (q * (n - 1))
    from scipy import stats

    assert test.p_value == pytest.approx(float(stats.f.sf(f, q, n - q)), rel=1e-12)
    assert test.p_value_asymptotic == pytest.approx(float(stats.chi2.sf(test.statistic, q)))
    assert test.p_value > test.p_value_asymptotic  # the F reference is more conservative
    assert "small-sample p" in test.summary()


def test_event_study_pretrend_needs_more_units_than_effects() -> None:
    d = simulate_staggered(60, n_periods=16, cohorts=(13,), never_share=0.9, seed=1)
    test = att_gt(d, **KW).event_study_pretrend(min_e=-12, max_e=0)
    assert test is not None and not test.available
    assert "too few for the test" in test.reason and np.isnan(test.p_value)
    assert np.isfinite(test.p_value_asymptotic)


def test_event_study_pretrend_keeps_its_size_with_few_treated_units() -> None:
    small_sample, asymptotic = [], []
    for seed in range(MC_REPS):
        d = simulate_staggered(
            MC_UNITS, n_periods=24, cohorts=tuple(range(13, 21)), never_share=0.98, seed=seed
        )
        test = att_gt(d, **KW).event_study_pretrend(min_e=-12, max_e=0)
        assert test is not None and test.df == 12
        small_sample.append(test.p_value < 0.05)
        asymptotic.append(test.p_value_asymptotic < 0.05)
    size = float(np.mean(small_sample))
    assert SIZE_BAND[0] <= size <= SIZE_BAND[1], size
    assert np.mean(asymptotic) > size  # the chi-squared reference over-rejects here
