"""mpdta: ATT(g,t) and all aggregations against R did (published) and peer ports."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt

DP4 = 5e-5  # "match to 4 decimals": |ours - R| < 0.5e-4
SE_TOL = 1e-6  # analytic SEs are the same closed form as moderndid/csdid: agree to rounding
KW: dict[str, Any] = {
    "outcome": "lemp",
    "time": "year",
    "unit": "countyreal",
    "cohort": "first.treat",
}

# Published R did values (did vignette; Callaway & Sant'Anna 2021), no covariates.
R_ATT = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2004): 0.0065,
    (2006, 2005): -0.0028,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2004): 0.0305,
    (2007, 2005): -0.0027,
    (2007, 2006): -0.0311,
    (2007, 2007): -0.0261,
}
R_SIMPLE = -0.0400
R_DYNAMIC = -0.0772
R_DYNAMIC_E = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
R_GROUP = -0.0310
R_GROUP_G = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
R_CALENDAR = -0.0417
R_ROUND = 5.01e-5  # published values are rounded to 4 dp


def test_att_gt_matches_published_r_values(mpdta: pd.DataFrame) -> None:
    tab = att_gt(mpdta, **KW, method="reg", control_group="nevertreated").tidy()
    assert list(tab.columns[:6]) == [
        "cohort",
        "time",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    assert len(tab) == 12
    for row in tab.itertuples():
        assert abs(row.estimate - R_ATT[(row.cohort, row.time)]) < R_ROUND


def test_aggregations_match_published_r_values(mpdta: pd.DataFrame) -> None:
    res = att_gt(mpdta, **KW, method="reg")
    simple = res.aggregate("simple")
    assert abs(simple.estimate - R_SIMPLE) < R_ROUND
    assert simple.std_error == pytest.approx(0.012, abs=5e-4)
    dyn = res.aggregate("dynamic")
    assert abs(dyn.estimate - R_DYNAMIC) < R_ROUND
    assert dyn.std_error == pytest.approx(0.021, abs=1.5e-3)  # R's value is bootstrapped
    for row in dyn.tidy().itertuples():
        assert abs(row.estimate - R_DYNAMIC_E[row.event_time]) < R_ROUND
    grp = res.aggregate("group")
    assert abs(grp.estimate - R_GROUP) < R_ROUND
    for row in grp.tidy().itertuples():
        assert abs(row.estimate - R_GROUP_G[row.cohort]) < R_ROUND
    assert abs(res.aggregate("calendar").estimate - R_CALENDAR) < R_ROUND
    assert set(res.aggregate("calendar").tidy()["time"]) == {2004, 2005, 2006, 2007}


@pytest.mark.parametrize(
    ("case", "covariates", "method"),
    [
        ("no_covariates_moderndid", (), "reg"),
        ("no_covariates_moderndid", (), "dr"),
        ("lpop_dr_moderndid", ("lpop",), "dr"),
    ],
)
def test_estimates_and_standard_errors_match_reference(
    mpdta: pd.DataFrame,
    reference: dict[str, Any],
    case: str,
    covariates: tuple[str, ...],
    method: str,
) -> None:
    ref = reference[case]
    res = att_gt(mpdta, **KW, covariates=covariates, method=method)  # type: ignore[arg-type]
    tab = res.tidy()
    np.testing.assert_array_equal(tab["cohort"], ref["att_gt"]["cohort"])
    np.testing.assert_array_equal(tab["time"], ref["att_gt"]["time"])
    np.testing.assert_allclose(tab["estimate"], ref["att_gt"]["estimate"], atol=1e-8)
    np.testing.assert_allclose(tab["std_error"], ref["att_gt"]["std_error"], atol=SE_TOL)
    wald = res.pretrend_test()
    assert wald is not None
    assert wald.statistic == pytest.approx(ref["wald"], abs=1e-6)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = res.aggregate(kind)  # type: ignore[arg-type]
        assert abs(agg.estimate - ref[kind]["estimate"]) < DP4 / 100
        assert agg.std_error == pytest.approx(ref[kind]["std_error"], abs=SE_TOL)
        if kind != "simple":
            t = agg.tidy()
            np.testing.assert_allclose(t["estimate"], ref[kind]["element_estimate"], atol=1e-8)
            np.testing.assert_allclose(t["std_error"], ref[kind]["element_std_error"], atol=SE_TOL)


def test_peer_references_agree_with_each_other(reference: dict[str, Any]) -> None:
    """csdid and differences (stored) agree with moderndid on the covariate case."""
    base = reference["lpop_dr_moderndid"]
    for peer in ("lpop_dr_csdid", "lpop_dr_differences"):
        np.testing.assert_allclose(
            reference[peer]["att_gt"]["estimate"], base["att_gt"]["estimate"], atol=1e-6
        )
        for kind in ("simple", "group", "dynamic", "calendar"):
            assert abs(reference[peer][kind]["estimate"] - base[kind]["estimate"]) < DP4


@pytest.mark.slow
def test_live_cross_check_with_csdid_and_differences(mpdta: pd.DataFrame) -> None:
    """Run the peers now (not from the stored file) on the covariate case."""
    csdid_att = pytest.importorskip("csdid.att_gt")
    differences = pytest.importorskip("differences")
    res = att_gt(mpdta, **KW, covariates=("lpop",), method="dr")
    fit = csdid_att.ATTgt(
        yname="lemp",
        gname="first.treat",
        idname="countyreal",
        tname="year",
        xformla="lemp~lpop",
        data=mpdta.copy(),
    ).fit(est_method="dr", bstrap=False)
    np.testing.assert_allclose(res.estimate, fit.results["att"], atol=1e-6)
    np.testing.assert_allclose(res.std_error, fit.results["se"], atol=1e-5)
    d = mpdta.copy()
    d["cohort"] = d["first.treat"].where(d["first.treat"] > 0)
    att = differences.ATTgt(data=d.set_index(["countyreal", "year"]), cohort_column="cohort")
    out = att.fit(formula="lemp ~ lpop", est_method="dr", progress_bar=False).to_pandas()
    np.testing.assert_allclose(res.estimate, out.iloc[:, 0].to_numpy(float), atol=1e-6)
    simple = att.aggregate("simple")
    assert abs(res.aggregate("simple").estimate - float(simple.iloc[0, 0])) < 1e-6


def test_polars_input_and_single_covariate_string(mpdta: pd.DataFrame) -> None:
    import moderndid

    via_polars = att_gt(moderndid.load_mpdta(), **KW, covariates="lpop")  # type: ignore[arg-type]
    via_pandas = att_gt(mpdta, **KW, covariates=("lpop",))
    pd.testing.assert_frame_equal(via_polars.tidy(), via_pandas.tidy())
