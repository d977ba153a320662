"""Balance statistics against hand-computed values (cobalt's / MatchIt's definitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.matching import match
from evaluation.estimators.matching._balance import (
    covariate_balance,
    ecdf_stats,
    effective_sample_size,
    sd_denominator,
    weighted_var,
)

#: Hand-computed fractions are exact up to double rounding.
EXACT = 1e-12

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


def test_hand_computed_weighted_statistics() -> None:
    # Treated x = 1, 2, 3 (weights 1); controls x = 0, 2, 4, 6 with weights 1, 2, 1, 0.
    x = np.array([1.0, 2.0, 3.0, 0.0, 2.0, 4.0, 6.0])
    treat = np.array([True, True, True, False, False, False, False])
    w = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.0])
    b = covariate_balance(x, treat, w, sd_denominator(x[:3], binary=False), binary=False)
    assert b.mean_treated == pytest.approx(2.0, abs=EXACT)
    assert b.mean_control == pytest.approx(2.0, abs=EXACT)  # (0 + 4 + 4) / 4
    assert b.smd == pytest.approx(0.0, abs=EXACT)
    # v_C = sw / (sw^2 - sw2) * sum w (x - m)^2 = 4 / (16 - 6) * 8 = 3.2; v_T = 1.
    assert weighted_var(x[3:6], w[3:6]) == pytest.approx(3.2, abs=EXACT)
    assert b.var_ratio == pytest.approx(1 / 3.2, abs=EXACT)
    # eCDFs at 0..4 and 6 (MatchIt's grid keeps the zero-weight control at 6):
    # F_T = 0, 1/3, 2/3, 1, 1, 1; F_C = 1/4, 1/4, 3/4, 3/4, 1, 1.
    assert b.ecdf_max == pytest.approx(0.25, abs=EXACT)
    assert b.ecdf_mean == pytest.approx((3 + 1 + 1 + 3 + 0 + 0) / 12 / 6, abs=EXACT)
    assert effective_sample_size(w[3:]) == pytest.approx(16 / 6, abs=EXACT)


def test_binary_covariate_uses_p_times_one_minus_p() -> None:
    x = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    treat = np.array([True] * 4 + [False] * 4)
    sd = sd_denominator(x[:4], binary=True)
    assert sd == pytest.approx(np.sqrt(0.75 * 0.25), abs=EXACT)
    b = covariate_balance(x, treat, np.ones(8), sd, binary=True)
    assert b.smd == pytest.approx((0.75 - 0.25) / sd, abs=EXACT)
    assert np.isnan(b.var_ratio)
    assert b.ecdf_max == b.ecdf_mean == pytest.approx(0.5, abs=EXACT)


def test_ecdf_of_identical_samples_is_zero() -> None:
    x = np.array([3.0, 1.0, 2.0])
    assert ecdf_stats(x, np.ones(3), x[::-1].copy(), np.ones(3)) == (0.0, 0.0)


def test_balance_table_after_matching_by_hand(make_synthetic) -> None:  # type: ignore[no-untyped-def]
    data = make_synthetic(500, seed=4)
    res = match(data, treatment="treat", covariates=["x1", "x2", "x3"], ratio=2, replace=True)
    bal = res.balance().set_index("covariate")
    m = res.matched
    t, c = m[m["treat"] == 1], m[m["treat"] == 0]
    sd_t = data.loc[data["treat"] == 1, "x1"].std(ddof=1)
    mc = np.average(c["x1"], weights=c["weight"])
    assert bal.loc["x1", "smd_after"] == pytest.approx((t["x1"].mean() - mc) / sd_t, rel=1e-10)
    sw, sw2 = c["weight"].sum(), (c["weight"] ** 2).sum()
    vc = sw / (sw**2 - sw2) * np.sum(c["weight"] * (c["x1"] - mc) ** 2)
    assert bal.loc["x1", "var_ratio_after"] == pytest.approx(t["x1"].var(ddof=1) / vc, rel=1e-10)
    expected_cols = {
        "covariate",
        "smd_before",
        "smd_after",
        "var_ratio_before",
        "var_ratio_after",
        "ecdf_mean_before",
        "ecdf_mean_after",
        "ecdf_max_before",
        "ecdf_max_after",
        "balanced",
    }
    assert expected_cols <= set(res.balance().columns)
    # MatchIt's control weights sum to the number of distinct matched controls.
    assert c["weight"].sum() == pytest.approx(len(c), rel=1e-12)
    sizes = res.sample_sizes().set_index("group")
    ess = c["weight"].sum() ** 2 / (c["weight"] ** 2).sum()
    assert sizes.loc["control", "ess_matched"] == pytest.approx(ess, rel=1e-12)


def test_flag_when_thresholds_fail(nsw_cps: pd.DataFrame, covariates: list[str]) -> None:
    res = match(nsw_cps, treatment="treat", covariates=covariates)
    bal = res.balance()
    assert not res.balance_ok()
    failing = bal.loc[~bal["balanced"], "covariate"].tolist()
    assert "age" in failing  # |SMD| 0.28 after matching
    assert "BALANCE NOT MET" in res.summary()
    assert res.balance_ok(threshold_smd=0.5, threshold_var_ratio=3.0)


def test_categorical_covariate_becomes_dummies(make_synthetic) -> None:  # type: ignore[no-untyped-def]
    data = make_synthetic(400, seed=2)
    res = match(data, treatment="treat", covariates=["x1", "region"])
    names = res.balance()["covariate"].tolist()
    # Every level, the first one included (it used to be hidden as the reference).
    assert names == ["distance", "x1", "region=east", "region=north", "region=south"]


def test_balance_over_time_equals_balance_table_per_month(make_synthetic) -> None:  # type: ignore[no-untyped-def]
    from evaluation.estimators.matching import balance_table

    data = make_synthetic(300, seed=6)
    res = match(data, treatment="treat", covariates=["x1", "x2"])
    rng = np.random.default_rng(0)
    months = np.arange(-3, 0)
    panel = pd.DataFrame(
        {
            "person": np.repeat(data.index.to_numpy(), months.size),
            "month": np.tile(months, len(data)),
        }
    )
    panel["employed"] = rng.binomial(1, 0.4, size=len(panel))
    panel["earnings"] = rng.gamma(2.0, 500.0, size=len(panel))
    over = res.balance_over_time(
        panel, unit="person", time="month", variables=["employed", "earnings"]
    )
    assert sorted(over["time"].unique()) == list(months)
    for m in months:
        rows = panel[panel["month"] == m].set_index("person").loc[data.index]
        ref = balance_table(
            rows.assign(treat=data["treat"]),
            treatment="treat",
            covariates=["employed", "earnings"],
            weights=res.weights,
        )
        got = over[over["time"] == m].drop(columns="time").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=EXACT)
