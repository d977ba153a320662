"""Unbalanced panels (allow_unbalanced_panel=True, no covariates)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import EstimatorNote, OptionError
from evaluation.estimators.did import MissingValueError, UnbalancedPanelError, att_gt
from evaluation.estimators.did.api import map_cohorts
from evaluation.estimators.did.cells import plan_cells
from evaluation.estimators.did.kernels import dense_influence, unbalanced_influence
from evaluation.estimators.did.simulate import simulate_staggered, true_att

KW: dict[str, Any] = {
    "outcome": "lemp",
    "time": "year",
    "unit": "countyreal",
    "cohort": "first.treat",
}
PEER_TOL = 1e-8  # same estimator as csdid (a port of R did): equal up to rounding
Z_MAX = 4.0  # 4-sigma sampling bound against the simulator's known truth


def _unbalanced(mpdta: pd.DataFrame) -> pd.DataFrame:
    """Same draw as reference/make_mpdta_reference.py: ~10% of county-years removed."""
    keep = np.random.default_rng(0).random(len(mpdta)) > 0.1
    return mpdta[keep].reset_index(drop=True)


def test_unbalanced_mpdta_matches_csdid(mpdta: pd.DataFrame, reference: dict[str, Any]) -> None:
    ref = reference["unbalanced_csdid"]
    res = att_gt(_unbalanced(mpdta), **KW, allow_unbalanced_panel=True)
    np.testing.assert_allclose(res.estimate, ref["att_gt"]["estimate"], atol=PEER_TOL)
    np.testing.assert_allclose(res.std_error, ref["att_gt"]["std_error"], atol=PEER_TOL)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = res.aggregate(kind)  # type: ignore[arg-type]
        assert agg.estimate == pytest.approx(ref[kind]["estimate"], abs=PEER_TOL)
        assert agg.std_error == pytest.approx(ref[kind]["std_error"], abs=PEER_TOL)


def test_unbalanced_kernel_equals_panel_kernel_on_balanced_data(mpdta: pd.DataFrame) -> None:
    codes, _ = pd.factorize(mpdta["countyreal"], sort=True)
    periods = np.sort(mpdta["year"].unique())
    y = np.empty((codes.max() + 1, len(periods)))
    y[codes, np.searchsorted(periods, mpdta["year"])] = mpdta["lemp"]
    g = np.empty(codes.max() + 1)
    g[codes] = mpdta["first.treat"].replace(0, np.inf)
    cmap = map_cohorts(g, periods, control_group="notyettreated", anticipation=0)
    code = cmap.codes(g)
    counts = np.bincount(code, minlength=len(cmap.cohorts) + 1).astype(float)
    plan = plan_cells(
        periods,
        cmap.cohorts,
        counts,
        control_group="notyettreated",
        base_period="varying",
        anticipation=0,
    )
    w = np.ones(len(code))
    att_u, a_u, _ = unbalanced_influence(y, code, w, plan)
    att_p, a_p, _ = dense_influence(y, np.zeros((len(code), len(periods), 0)), code, w, plan, "reg")
    np.testing.assert_allclose(att_u, att_p, atol=1e-12)
    np.testing.assert_allclose(a_u, a_p, atol=1e-9)


def test_unbalanced_synthetic_within_sampling_error() -> None:
    d = simulate_staggered(3000, n_periods=8, cohorts=(4, 6), seed=9)
    d = d[np.random.default_rng(1).random(len(d)) > 0.25]  # 25% of person-periods missing
    res = att_gt(
        d,
        outcome="y",
        time="time",
        unit="unit",
        cohort="cohort",
        allow_unbalanced_panel=True,
        control_group="notyettreated",
    )
    truth = np.array(
        [
            true_att(g, int(t), 1.0, 0.1) if g <= t else 0.0
            for g, t in zip(res.cohort, res.time, strict=True)
        ]
    )
    assert np.all(np.abs(res.estimate - truth) < Z_MAX * res.std_error)


def test_unbalanced_needs_the_flag_and_no_covariates(mpdta: pd.DataFrame) -> None:
    d = _unbalanced(mpdta)
    with pytest.raises(UnbalancedPanelError, match="allow_unbalanced_panel=True"):
        att_gt(d, **KW)
    with pytest.raises(OptionError, match="without covariates"):
        att_gt(d, **KW, covariates=("lpop",), allow_unbalanced_panel=True)
    # a balanced panel with the flag gives the panel result
    a = att_gt(mpdta, **KW, allow_unbalanced_panel=True)
    b = att_gt(mpdta, **KW)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def _missing_outcomes(mpdta: pd.DataFrame) -> pd.DataFrame:
    """The rows _unbalanced() removes keep their place but lose their outcome."""
    miss = np.random.default_rng(0).random(len(mpdta)) <= 0.1
    return mpdta.assign(lemp=mpdta["lemp"].mask(miss))


def test_missing_outcomes_are_dropped_with_the_unbalanced_estimator(
    mpdta: pd.DataFrame, reference: dict[str, Any]
) -> None:
    """Default missing_outcome='drop' equals R did with allow_unbalanced_panel=TRUE on the
    rows that have an outcome (csdid 0.4.3 drops the 271 rows and gives these values)."""
    ref = reference["unbalanced_csdid"]
    with pytest.warns(EstimatorNote, match="271 row.*missing outcome 'lemp' are dropped"):
        res = att_gt(_missing_outcomes(mpdta), **KW)
    np.testing.assert_allclose(res.estimate, ref["att_gt"]["estimate"], atol=PEER_TOL)
    np.testing.assert_allclose(res.std_error, ref["att_gt"]["std_error"], atol=PEER_TOL)
    agg = res.aggregate("dynamic")
    assert agg.estimate == pytest.approx(ref["dynamic"]["estimate"], abs=PEER_TOL)
    with pytest.raises(MissingValueError, match="missing_outcome='drop'"):
        att_gt(_missing_outcomes(mpdta), **KW, missing_outcome="error")


@pytest.mark.parametrize("covariates", [(), ("lpop",)])
def test_missing_outcomes_balanced_match_moderndid(
    mpdta: pd.DataFrame, covariates: tuple[str, ...]
) -> None:
    """missing_outcome='balance' (and 'drop' with covariates) is R did's default: rows with a
    missing outcome dropped, then the panel balanced; moderndid 0.2.0 run live agrees."""
    import moderndid
    import polars as pl

    d = _missing_outcomes(mpdta)
    opts: dict[str, Any] = {"covariates": covariates, "method": "dr"}
    mode = "drop" if covariates else "balance"
    with pytest.warns(EstimatorNote, match="216 unit.*balanced panel"):
        res = att_gt(d, **KW, **opts, missing_outcome=mode)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = moderndid.att_gt(
            pl.from_pandas(d),
            yname="lemp",
            tname="year",
            idname="countyreal",
            gname="first.treat",
            xformla=f"~{'+'.join(covariates) or '1'}",
            est_method="dr",
            boot=False,
            cband=False,
        )
    np.testing.assert_allclose(res.estimate, ref.att_gt, atol=PEER_TOL)
    np.testing.assert_allclose(res.std_error, ref.se_gt, atol=1e-6)
