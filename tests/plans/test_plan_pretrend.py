"""The event-study pre-trend test that feeds the evidence rating."""

from __future__ import annotations

import numpy as np

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.simulate import simulate_staggered

#: p-value below which the test must reject a strong, real violation of parallel trends.
REJECT_P = 1e-6
#: p-value above which a design with parallel trends passes (seeded, so this is exact).
PASS_P = 0.05


def _pretrend_p(confounding: float) -> float:
    data = simulate_staggered(3000, covariate_confounding=confounding, seed=11)
    res = att_gt(data, outcome="y", time="time", unit="unit", cohort="cohort")
    test = res.event_study_pretrend(min_e=-5, max_e=5)
    assert test is not None and test.available
    assert test.df == 5 and test.statistic >= 0 and test.event_times == (-5, -4, -3, -2, -1)
    return test.p_value


def test_parallel_trends_pass() -> None:
    assert _pretrend_p(0.0) > PASS_P


def test_violated_parallel_trends_fail() -> None:
    assert _pretrend_p(2.0) < REJECT_P


def test_standard_errors_match_the_aggregation() -> None:
    data = simulate_staggered(500, seed=3)
    dyn = att_gt(data, outcome="y", time="time", unit="unit", cohort="cohort").aggregate("dynamic")
    w = np.where(np.isfinite(dyn.coefs), dyn.coefs, 0.0)
    se = np.sqrt(np.diag(w @ dyn.cell_vcov @ w.T))
    np.testing.assert_allclose(se, dyn.element_std_error, rtol=1e-10, atol=1e-12)
