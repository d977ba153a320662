"""Options (comparison group, base period, anticipation, weights, clusters, bootstrap)."""

from __future__ import annotations

from typing import Any

import duckdb
import moderndid
import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.api import slow_path

KW: dict[str, Any] = {
    "outcome": "lemp",
    "time": "year",
    "unit": "countyreal",
    "cohort": "first.treat",
}
EST_TOL = 1e-8  # same estimator as moderndid: equal up to floating-point rounding
SE_TOL = 1e-6  # analytic SEs: same closed form
FAST_SLOW_TOL = 1e-10  # moment path vs per-cell regressions: same numbers, other arithmetic
BOOT_SE_REL = 0.15  # 999 multiplier draws: bootstrap SE within ~15% of the analytic SE


def _weighted(mpdta: pd.DataFrame) -> pd.DataFrame:
    d = mpdta.copy()
    d["w"] = 1.0 + (d["countyreal"] % 7) / 3.0  # constant within county
    d["muni"] = d["countyreal"] // 1000
    return d


@pytest.mark.parametrize(
    "opts",
    [
        {"control_group": "notyettreated"},
        {"base_period": "universal"},
        {"anticipation": 1},
        {"control_group": "notyettreated", "base_period": "universal", "anticipation": 1},
        {"weights": "w"},
        {"weights": "w", "covariates": ("lpop",), "method": "dr"},
        {"covariates": ("lpop",), "method": "ipw"},
        {"covariates": ("lpop",), "method": "reg", "control_group": "notyettreated"},
    ],
)
def test_options_match_moderndid(mpdta: pd.DataFrame, opts: dict[str, Any]) -> None:
    d = _weighted(mpdta)
    ours = att_gt(d, **KW, **opts)
    md = moderndid.att_gt(
        moderndid.load_mpdta().with_columns(
            w=1.0 + (moderndid.load_mpdta()["countyreal"] % 7) / 3.0
        ),
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        xformla="~" + "+".join(opts["covariates"]) if "covariates" in opts else None,
        est_method=opts.get("method", "reg"),
        control_group=opts.get("control_group", "nevertreated"),
        base_period=opts.get("base_period", "varying"),
        anticipation=opts.get("anticipation", 0),
        weightsname=opts.get("weights"),
        boot=False,
        cband=False,
    )
    tab = ours.tidy()
    np.testing.assert_array_equal(tab["cohort"], np.asarray(md.groups, dtype=np.int64))
    np.testing.assert_array_equal(tab["time"], np.asarray(md.times, dtype=np.int64))
    np.testing.assert_allclose(tab["estimate"], md.att_gt, atol=EST_TOL)
    ok = np.isfinite(tab["std_error"].to_numpy())
    np.testing.assert_allclose(tab["std_error"][ok], np.asarray(md.se_gt)[ok], atol=SE_TOL)
    if "weights" in opts:
        return  # moderndid 0.2.0 ignores sampling weights in aggte; see the csdid test below
    for kind in ("simple", "group", "dynamic", "calendar"):
        a = moderndid.aggte(md, type=kind, boot=False, cband=False)
        agg = ours.aggregate(kind)  # type: ignore[arg-type]
        assert agg.estimate == pytest.approx(a.overall_att, abs=EST_TOL)
        assert agg.std_error == pytest.approx(a.overall_se, abs=SE_TOL)


# csdid 0.4.3 (like R did) weights the cohort shares of aggte by the sampling weights:
# ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year",
#       weights_name="w", data=...).fit(est_method="reg"); aggte(typec="simple")
CSDID_WEIGHTED_SIMPLE = (-0.040213596097836146, 0.012376135484301776)


def test_weighted_simple_aggregation_matches_csdid(mpdta: pd.DataFrame) -> None:
    agg = att_gt(_weighted(mpdta), **KW, weights="w").aggregate("simple")
    assert agg.estimate == pytest.approx(CSDID_WEIGHTED_SIMPLE[0], abs=EST_TOL)
    assert agg.std_error == pytest.approx(CSDID_WEIGHTED_SIMPLE[1], abs=SE_TOL)


def test_dynamic_window_options_match_moderndid(mpdta: pd.DataFrame) -> None:
    ours = att_gt(mpdta, **KW)
    md = moderndid.att_gt(
        moderndid.load_mpdta(),
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        est_method="reg",
        boot=False,
        cband=False,
    )
    for opts in ({"min_e": -2, "max_e": 2}, {"balance_e": 1}, {"balance_e": 0, "max_e": 2}):
        a = moderndid.aggte(md, type="dynamic", boot=False, cband=False, **opts)
        agg = ours.aggregate("dynamic", **opts)  # type: ignore[arg-type]
        assert agg.estimate == pytest.approx(a.overall_att, abs=EST_TOL)
        assert agg.std_error == pytest.approx(a.overall_se, abs=SE_TOL)
        np.testing.assert_array_equal(agg.tidy()["event_time"], a.event_times)
        np.testing.assert_allclose(agg.tidy()["estimate"], a.att_by_event, atol=EST_TOL)


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"control_group": "notyettreated"},
        {"base_period": "universal"},
        {"anticipation": 1},
        {"weights": "w"},
        {"cluster": "muni"},
        {"weights": "w", "cluster": "muni"},
    ],
)
def test_fast_moment_path_equals_slow_regression_path(
    mpdta: pd.DataFrame, opts: dict[str, Any]
) -> None:
    d = _weighted(mpdta)
    fast = att_gt(d, **KW, **opts)
    slow = slow_path(d, **KW, **opts)
    np.testing.assert_allclose(fast.estimate, slow.estimate, atol=FAST_SLOW_TOL)
    np.testing.assert_allclose(fast.vcov, slow.vcov, atol=FAST_SLOW_TOL)


@pytest.mark.parametrize(
    "opts", [{}, {"cluster": "muni", "weights": "w"}, {"control_group": "notyettreated"}]
)
def test_duckdb_path_equals_pandas_path(mpdta: pd.DataFrame, opts: dict[str, Any]) -> None:
    d = _weighted(mpdta)
    con = duckdb.connect()
    con.register("panel", d)
    via_sql = att_gt(con.table("panel"), **KW, **opts, chunk_size=123)
    via_pd = att_gt(d, **KW, **opts)
    pd.testing.assert_frame_equal(via_sql.tidy(), via_pd.tidy(), rtol=1e-10, atol=1e-12)
    for kind in ("simple", "dynamic"):
        assert via_sql.aggregate(kind).std_error == pytest.approx(  # type: ignore[arg-type]
            via_pd.aggregate(kind).std_error, rel=1e-10
        )  # type: ignore[arg-type]


def test_clustered_se_is_cluster_sum_of_influence(mpdta: pd.DataFrame) -> None:
    """With one cluster per unit, clustering changes nothing; coarse clusters change SEs."""
    d = _weighted(mpdta)
    d["self"] = d["countyreal"]
    base = att_gt(d, **KW)
    same = att_gt(d, **KW, cluster="self")
    np.testing.assert_allclose(same.std_error, base.std_error, rtol=1e-10)
    coarse = att_gt(d, **KW, cluster="muni")
    assert coarse.n_clusters == d["muni"].nunique()
    assert not np.allclose(coarse.std_error, base.std_error)


@pytest.mark.parametrize("multiplier", ["rademacher", "mammen", "gaussian"])
def test_bootstrap_is_seeded_and_close_to_analytic(mpdta: pd.DataFrame, multiplier: str) -> None:
    a = att_gt(mpdta, **KW, bootstrap=999, seed=7, multiplier=multiplier)  # type: ignore[arg-type]
    b = att_gt(mpdta, **KW, bootstrap=999, seed=7, multiplier=multiplier)  # type: ignore[arg-type]
    c = att_gt(mpdta, **KW, bootstrap=999, seed=8, multiplier=multiplier)  # type: ignore[arg-type]
    analytic = att_gt(mpdta, **KW)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert not np.allclose(a.std_error, c.std_error)
    np.testing.assert_allclose(a.std_error, analytic.std_error, rtol=BOOT_SE_REL)
    # uniform band is wider than pointwise, and tidy() reports the uniform one
    assert a.crit_uniform > a.crit_pointwise
    t = a.tidy()
    np.testing.assert_allclose(t["conf_high"] - t["estimate"], a.crit_uniform * t["std_error"])
    dyn = a.aggregate("dynamic")
    assert dyn.crit_uniform > dyn.crit_pointwise
    assert dyn.std_error == pytest.approx(analytic.aggregate("dynamic").std_error, rel=BOOT_SE_REL)
    gen = att_gt(mpdta, **KW, bootstrap=199, seed=np.random.default_rng(3))
    assert gen.draws is not None and gen.draws.shape == (199, 12 + 3)


def test_clustered_bootstrap_draws_at_cluster_level(mpdta: pd.DataFrame) -> None:
    d = _weighted(mpdta)
    boot = att_gt(d, **KW, cluster="muni", bootstrap=999, seed=2)
    analytic = att_gt(d, **KW, cluster="muni")
    assert boot.n_clusters == analytic.n_clusters == d["muni"].nunique()
    # 29 clusters: the IQR-based bootstrap SE is noisy, so only a loose agreement
    np.testing.assert_allclose(boot.std_error, analytic.std_error, rtol=0.35)
    assert "clustered by 'muni'" in boot.summary()


def test_not_yet_treated_without_never_treated_units(mpdta: pd.DataFrame) -> None:
    """As R did: the last cohort becomes the comparison group, its periods are not used."""
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(UserWarning, match="cohort 2007 serves as the comparison group"):
        ours = att_gt(d, **KW, control_group="notyettreated")
    assert set(ours.tidy()["cohort"]) == {2004, 2006}
    assert ours.tidy()["time"].max() == 2006
    md = moderndid.att_gt(
        moderndid.load_mpdta().filter(moderndid.load_mpdta()["first.treat"] > 0),
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        est_method="reg",
        control_group="notyettreated",
        boot=False,
        cband=False,
    )
    keep = np.asarray(md.groups) < 2007  # moderndid also lists the comparison cohort
    np.testing.assert_allclose(ours.estimate, np.asarray(md.att_gt)[keep], atol=EST_TOL)
    np.testing.assert_allclose(ours.std_error, np.asarray(md.se_gt)[keep], atol=SE_TOL)
    for kind in ("simple", "group", "dynamic", "calendar"):
        a = moderndid.aggte(md, type=kind, boot=False, cband=False)
        agg = ours.aggregate(kind)  # type: ignore[arg-type]
        assert agg.estimate == pytest.approx(a.overall_att, abs=EST_TOL)
        assert agg.std_error == pytest.approx(a.overall_se, abs=SE_TOL)


def test_duckdb_bootstrap_equals_pandas_bootstrap(mpdta: pd.DataFrame) -> None:
    """Both paths order units by id, so the same seed gives the same multiplier draws."""
    con = duckdb.connect()
    con.register("panel", mpdta)
    via_sql = att_gt(con.table("panel"), **KW, bootstrap=199, seed=4, multiplier="mammen")
    via_pd = att_gt(mpdta, **KW, bootstrap=199, seed=4, multiplier="mammen")
    pd.testing.assert_frame_equal(via_sql.tidy(), via_pd.tidy(), rtol=1e-9)
