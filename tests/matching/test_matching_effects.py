"""ATT estimators, standard errors, matched DiD, sensitivity and reporting objects."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats
from sklearn.ensemble import GradientBoostingClassifier

from evaluation.estimators.matching import match
from evaluation.estimators.matching._effects import abadie_imbens_att

#: Same linear algebra on both sides; differences are float rounding only.
NUMERIC = 1e-9
COVS = ["x1", "x2", "x3"]

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture(scope="module")
def data(make_synthetic) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame: pd.DataFrame = make_synthetic(800, seed=7)
    return frame


def test_cluster_robust_se_equals_statsmodels(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS, ratio=2)
    m = res.matched
    ols = sm.WLS(m["y"], sm.add_constant(m["treat"].astype(float)), weights=m["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": m["subclass"].to_numpy(dtype=int)}
    )
    att = res.att("y")
    assert att.estimate == pytest.approx(ols.params["treat"], rel=NUMERIC)
    assert att.std_error == pytest.approx(ols.bse["treat"], rel=NUMERIC)
    assert "cluster" in att.se_type
    x = sm.add_constant(m[["treat", *COVS]].astype(float))
    adj = sm.WLS(m["y"], x, weights=m["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": m["subclass"].to_numpy(dtype=int)}
    )
    att_adj = res.att("y", adjust=True)
    assert att_adj.estimate == pytest.approx(adj.params["treat"], rel=NUMERIC)
    assert att_adj.std_error == pytest.approx(adj.bse["treat"], rel=NUMERIC)


def test_abadie_imbens_variance_by_hand() -> None:
    # Treated 0, 1; controls 2..5 on a score line; 1:2 with replacement.
    y = np.array([5.0, 7.0, 1.0, 2.0, 4.0, 3.0])
    score = np.array([0.30, 0.50, 0.28, 0.33, 0.52, 0.70])
    treated = np.array([0, 0, 1, 1])
    control = np.array([2, 3, 4, 3])
    ctl = np.array([2, 3, 4, 5])
    fit = abadie_imbens_att(y, treated, control, score[ctl], y[ctl], ctl)
    # Imputed Y(0): unit 0 -> (1 + 2) / 2 = 1.5, unit 1 -> (4 + 2) / 2 = 3.
    tau = ((5 - 1.5) + (7 - 3)) / 2
    assert fit.estimate == pytest.approx(tau, abs=NUMERIC)
    # K_M: control 3 used twice (K = 2), controls 2 and 4 once, M = 2: weight K(K-1)/M^2.
    # sigma2 by the nearest other control on the score: 2<->3 (0.05), 3<->2, 4<->5 (0.18).
    sigma2 = {2: 0.5 * (1 - 2) ** 2, 3: 0.5 * (2 - 1) ** 2, 4: 0.5 * (4 - 3) ** 2}
    k = {2: 1, 3: 2, 4: 1}
    v = ((3.5 - tau) ** 2 + (4.0 - tau) ** 2) + sum(k[j] * (k[j] - 1) / 4 * sigma2[j] for j in k)
    assert fit.std_error == pytest.approx(np.sqrt(v / 4), abs=NUMERIC)


def test_with_replacement_uses_abadie_imbens(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS, replace=True)
    att = res.att("y")
    assert "Abadie-Imbens" in att.se_type
    # The matching estimator equals the weighted difference in means of the matched sample.
    m = res.matched
    t, c = m[m["treat"] == 1], m[m["treat"] == 0]
    assert att.estimate == pytest.approx(
        t["y"].mean() - np.average(c["y"], weights=c["weight"]), rel=NUMERIC
    )
    assert np.isfinite(res.att("y", adjust=True).std_error)


def test_effects_recover_truth(data: pd.DataFrame) -> None:
    # The synthetic ATT is 2; every design must cover it within 4 standard errors.
    for kw in (
        {},
        {"replace": True, "ratio": 3},
        {"method": "ipw"},
        {"distance": "mahalanobis"},
        {"distance": "linear.logit", "caliper": 0.2},
        {"exact": ["x3"]},
        {"distance": GradientBoostingClassifier(random_state=0, n_estimators=50)},
    ):
        res = match(data, treatment="treat", covariates=COVS, **kw)  # type: ignore[arg-type]
        for adjust in (False, True):
            att = res.att("y", adjust=adjust)
            assert abs(att.estimate - 2.0) < 4 * att.std_error, (kw, adjust, att.estimate)


def test_exact_and_caliper_constraints_hold(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS, exact=["region", "x3"], caliper=0.1)
    p = res.pairs
    for col in ("region", "x3"):
        assert (
            data.loc[p["treated"], col].to_numpy() == data.loc[p["control"], col].to_numpy()
        ).all()
    ps = res.propensity  # MatchIt's meaning: SDs (n - 1, all units) of the distance
    width = 0.1 * ps.std(ddof=1)
    gap = np.abs(ps[p["treated"]].to_numpy() - ps[p["control"]].to_numpy())
    assert (gap <= width).all()


def test_matched_did_equals_att_of_change(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    did = res.did("y_post", "y_pre")
    change = data.assign(dy=data["y_post"] - data["y_pre"])
    res2 = match(change, treatment="treat", covariates=COVS)
    assert did.estimate == pytest.approx(res2.att("dy").estimate, rel=NUMERIC)
    assert did.std_error == pytest.approx(res2.att("dy").std_error, rel=NUMERIC)
    assert abs(did.estimate - 2.0) < 4 * did.std_error


def test_rosenbaum_gamma_one_is_wilcoxon(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    rb = res.rosenbaum("y", gammas=[1.0, 1.5, 2.0, 4.0])
    tab = rb.tidy()
    m = res.matched
    pairs = m.pivot_table(index="subclass", columns="treat", values="y")
    diff = (pairs[1] - pairs[0]).to_numpy()
    ref = stats.wilcoxon(diff, alternative="greater", method="approx", correction=False)
    assert tab.loc[0, "p_upper"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert tab.loc[0, "p_lower"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert tab["p_upper"].is_monotonic_increasing
    assert tab["p_lower"].is_monotonic_decreasing
    assert rb.critical_gamma in (1.5, 2.0, 4.0) or np.isnan(rb.critical_gamma)
    assert isinstance(rb.plot(), Figure)


def test_refuters(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    est = res.att("y").estimate
    placebo = res.refute(
        "y", refuter="placebo_treatment", engine="native", n_simulations=20, seed=2
    )
    assert abs(placebo.new_effect) < abs(est) / 3
    assert placebo.passed
    rcc = res.refute("y", refuter="random_common_cause", engine="native", n_simulations=4, seed=1)
    assert rcc.passed and abs(rcc.new_effect - est) < 0.5
    sub = res.refute("y", refuter="data_subset", engine="native", n_simulations=4, seed=1)
    assert sub.passed
    assert list(sub.tidy()["refuter"]) == ["data_subset"]
    assert sub.engine == "native" and sub.note == ""


def test_subgroup_effects(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    by = res.by_subgroup("y", "region")
    tab = by.tidy()
    assert sorted(tab["level"]) == ["east", "north", "south"]
    assert tab["n_treated"].sum() == int(data["treat"].sum())
    assert (tab["conf_low"] < tab["estimate"]).all() and (tab["estimate"] < tab["conf_high"]).all()
    one = res.by_subgroup("y", "treat").tidy()  # a single level: the overall ATT
    assert one.loc[0, "estimate"] == pytest.approx(res.att("y").estimate, rel=NUMERIC)
    assert 0 <= by.heterogeneity_p_value <= 1


def test_row_order_invariance_and_no_mutation(data: pd.DataFrame) -> None:
    before = data.copy()
    res = match(data, treatment="treat", covariates=COVS)
    pd.testing.assert_frame_equal(data, before)
    shuffled = data.sample(frac=1.0, random_state=3)
    res2 = match(shuffled, treatment="treat", covariates=COVS)
    a = res.pairs.set_index("treated")["control"].sort_index()
    b = res2.pairs.set_index("treated")["control"].sort_index()
    pd.testing.assert_series_equal(a, b)
    assert res2.att("y").estimate == pytest.approx(res.att("y").estimate, rel=NUMERIC)


def test_reporting_objects(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    att = res.att("y")
    tidy = att.tidy()
    assert list(tidy.columns[:8]) == [
        "term",
        "outcome",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert tidy.loc[0, "conf_low"] < att.estimate < tidy.loc[0, "conf_high"]
    assert "ATT on 'y'" in att.summary()
    for fig in (res.plot("love"), res.plot("overlap"), att.plot()):
        assert isinstance(fig, Figure)
    assert "Matching: method=nearest" in res.summary()
    assert list(res.tidy()["term"]) == ["(Intercept)", *COVS]  # the score model (issue 18)
    m = res.matched
    assert {"subclass", "weight"} <= set(m.columns)
    assert m.index.isin(data.index).all() and m.index.is_monotonic_increasing


@pytest.mark.parametrize("model", ["linear_dml", "causal_forest"])
def test_cate_with_econml(data: pd.DataFrame, model: str) -> None:
    # Effect 4 in the north, 1 elsewhere; EconML on the matched sample must find it.
    d = data.assign(
        yh=data["y"] - 2 * data["treat"] + data["treat"] * np.where(data["region"] == "north", 4, 1)
    )
    res = match(d, treatment="treat", covariates=COVS, ratio=2)
    tab = res.cate("yh", "region", model=model).tidy().set_index("level")  # type: ignore[arg-type]
    truth = {"north": 4.0, "south": 1.0, "east": 1.0}
    for level, row in tab.iterrows():
        # 4 standard errors: intervals are approximate (forest) and the sample is small.
        assert abs(row["estimate"] - truth[str(level)]) < 4 * row["std_error"], level
        assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert tab["method"].str.startswith("econml").all()


def test_cate_without_econml_names_the_fix(
    data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaluation.errors import EstimationError

    monkeypatch.setitem(sys.modules, "econml.dml", None)  # import fails as if not installed
    res = match(data, treatment="treat", covariates=COVS)
    with pytest.raises(EstimationError, match="pip install econml"):
        res.cate("y", "region")


def test_cate_errors(data: pd.DataFrame) -> None:
    from evaluation.errors import EstimationError, OptionError

    res = match(data, treatment="treat", covariates=COVS)
    with pytest.raises(OptionError, match="unknown model"):
        res.cate("y", "region", model="xlearner")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="fewer than two levels"):
        res.cate("y", "treat")
