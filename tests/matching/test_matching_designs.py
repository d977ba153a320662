"""Designs with MatchIt's meanings: stratified methods, calipers, discard, estimands, optimal
and full matching, m_order="closest", formulas and g-computation.

References: MatchIt 4.5.1 outputs stored by ``reference/make_reference_lalonde.R`` (see
``test_matching_lalonde_matchit.py``) and independent solvers (scipy's
``linear_sum_assignment``, a HiGHS linear programme, hand coarsening, brute force).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_matrix

from evaluation.errors import NoComparisonUnitsError, OptionError
from evaluation.estimators.matching import match
from evaluation.estimators.matching._effects import wls_att
from evaluation.estimators.matching._optimal import _sparse_pairs, pair_cost

REF = Path(__file__).parent / "reference"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
#: Weights, totals and effects computed by the same formulas in double precision.
EXACT = 1e-9
#: Agreement with R's lm + sandwich::vcovCL (the issue's 1e-6, relative).
R_TOL = 1e-6

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde.csv").set_index("id")


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde_units.csv").set_index("id")


@pytest.fixture(scope="module")
def effects() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde_effects.csv")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde_summary.csv", na_values=["NA"])


def same_partition(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Same matched units and the same grouping, whatever the subclass numbers."""
    a, b = ours > 0, ~np.isnan(theirs)
    if not np.array_equal(a, b):
        return False
    tab = pd.crosstab(ours[a], theirs[b]) > 0
    return bool((tab.sum(axis=1) == 1).all() and (tab.sum(axis=0) == 1).all())


EXACT_COVS = ["race", "married", "nodegree"]
STRATIFIED = {
    "exact": {"method": "exact", "covariates": EXACT_COVS},
    "exact_ate": {"method": "exact", "covariates": EXACT_COVS, "estimand": "ATE"},
    "cem": {"method": "cem", "covariates": COVS},
    "cem_cuts": {
        "method": "cem",
        "covariates": ["age", "educ", "race", "married"],
        "cutpoints": {"age": [20, 25, 30, 40], "educ": 4},
    },
    "subclass": {"method": "subclass", "covariates": COVS},
    "subclass_ate": {"method": "subclass", "covariates": COVS, "estimand": "ATE", "subclass": 5},
}  # fmt: skip


@pytest.mark.parametrize("design", list(STRATIFIED))
def test_stratified_designs_equal_matchit(
    lalonde: pd.DataFrame, units: pd.DataFrame, summary: pd.DataFrame, design: str
) -> None:
    res = match(lalonde, treatment="treat", **STRATIFIED[design])  # type: ignore[arg-type]
    np.testing.assert_allclose(res.weights, units[f"weights_{design}"], atol=EXACT)
    sub = res.matched["subclass"].reindex(lalonde.index).fillna(0).to_numpy(dtype=float)
    assert same_partition(sub, units[f"subclass_{design}"].to_numpy(dtype=float))
    sizes = res.sample_sizes().set_index("group")
    r = summary[(summary["design"] == design) & (summary["covariate"] == "nn:Matched (ESS)")]
    assert sizes.loc["control", "ess_matched"] == pytest.approx(
        float(r["mean_control"].iloc[0]), rel=R_TOL
    )


def test_cem_strata_equal_hand_coarsening(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, method="cem")
    n = len(lalonde)
    k = int(np.ceil(np.log2(n) + 1))  # Sturges
    keys = []
    for c in COVS:
        x = lalonde[c]
        if not pd.api.types.is_numeric_dtype(x):
            keys.append(x.to_numpy())
            continue
        inner = np.linspace(x.min(), x.max(), k + 1)[1:-1]
        keys.append(np.digitize(x.to_numpy(dtype=float), inner))  # left-closed bins
    stratum = pd.Series(list(zip(*keys, strict=True)), index=lalonde.index)
    both = stratum.groupby(lalonde["treat"]).unique()
    common = set(both[0]) & set(both[1])
    hand = stratum.map(lambda s: hash(s) if s in common else 0).to_numpy(dtype=float)
    hand[hand == 0] = np.nan
    ours = res.matched["subclass"].reindex(lalonde.index).fillna(0).to_numpy(dtype=float)
    assert same_partition(ours, hand)


def test_caliper_has_matchits_meaning(lalonde: pd.DataFrame, units: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, caliper=0.1)
    width = 0.1 * units["distance_nearest"].std(ddof=1)  # SDs of the distance (all units)
    assert res.pairs["distance"].max() <= width
    # The numbers for MatchIt's meaning: 111 treated matched, ATT 1835.4.
    assert int((res.weights[lalonde["treat"] == 1] > 0).sum()) == 111
    assert res.att("re78").estimate == pytest.approx(1835.4077, abs=1e-3)
    # MatchIt 4.5.1 (Debian) does not enforce this caliper: it keeps all 185 (documented).
    r_matched = (units["weights_caliper"][lalonde["treat"] == 1] > 0).sum()
    assert r_matched == 185


def test_raw_and_covariate_calipers(lalonde: pd.DataFrame) -> None:
    raw = match(lalonde, treatment="treat", covariates=COVS, caliper=0.02, std_caliper=False)
    assert raw.pairs["distance"].max() <= 0.02
    cov = match(lalonde, treatment="treat", covariates=COVS, caliper={"distance": 0.25, "age": 0.5})
    p = cov.pairs
    gap = np.abs(
        lalonde["age"].to_numpy()[p["treated_row"]] - lalonde["age"].to_numpy()[p["control_row"]]
    )
    assert gap.max() <= 0.5 * lalonde["age"].std(ddof=1)
    assert p["distance"].max() <= 0.25 * cov.distance.std(ddof=1)
    assert len(p) < len(raw.pairs) + 185  # some treated lose their match


def test_discard_counts_equal_matchit(lalonde: pd.DataFrame, summary: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, discard="both")
    sizes = res.sample_sizes().set_index("group")
    r = summary[(summary["design"] == "discard") & (summary["covariate"] == "nn:Discarded")]
    assert sizes.loc["treated", "discarded"] == int(r["mean_treated"].iloc[0])  # 8
    assert sizes.loc["control", "discarded"] == int(r["mean_control"].iloc[0])  # 57
    assert sizes.loc["treated", "matched"] == 177


def test_atc_matches_every_control_role(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, estimand="ATC")
    w = res.weights.to_numpy()
    d = lalonde["treat"].to_numpy() == 1
    assert np.all(w[~d & (w > 0)] == 1.0)  # controls are the focal group
    assert res.att("re78").term == "ATC"
    with pytest.raises(OptionError, match="supports estimand"):
        match(lalonde, treatment="treat", covariates=COVS, estimand="ATE")


@pytest.mark.parametrize("ratio", [1, 2])
def test_optimal_total_distance_equals_linear_sum_assignment(
    lalonde: pd.DataFrame, ratio: int
) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, method="optimal", ratio=ratio)
    ps = res.distance.to_numpy()
    d = lalonde["treat"].to_numpy() == 1
    cost = np.abs(ps[d][:, None] - ps[~d][None, :])
    rows, cols = linear_sum_assignment(np.repeat(cost, ratio, axis=0))
    assert res.pairs["distance"].sum() == pytest.approx(cost[rows // ratio, cols].sum(), abs=EXACT)
    assert res.pairs.groupby("treated").size().eq(ratio).all()
    assert res.pairs["control"].is_unique
    # Never worse than greedy nearest neighbour.
    greedy = match(lalonde, treatment="treat", covariates=COVS, ratio=ratio)
    assert res.pairs["distance"].sum() <= greedy.pairs["distance"].sum() + EXACT


def test_sparse_candidate_edges_lose_nothing() -> None:
    rng = np.random.default_rng(3)
    pts = rng.beta(2, 5, size=1500)
    treat = rng.random(1500) < 0.1
    f, p = np.flatnonzero(treat), np.flatnonzero(~treat)
    for ratio in (1, 3):
        got = _sparse_pairs(pts, f, p, ratio).distance.sum()
        cost = np.repeat(pair_cost(pts, f, p), ratio, axis=0)
        rows, cols = linear_sum_assignment(cost)
        assert got == pytest.approx(cost[rows, cols].sum(), abs=EXACT)


def _edge_cover_lp(cost: np.ndarray) -> float:
    """Minimum edge cover of the complete bipartite graph as an LP (HiGHS); the bipartite
    edge-cover polytope is integral, so the LP optimum is the full-matching optimum."""
    n_t, n_c = cost.shape
    e = np.arange(n_t * n_c)
    rows = np.concatenate([e // n_c, n_t + e % n_c])
    a = coo_matrix(
        (-np.ones(2 * e.size), (rows, np.concatenate([e, e]))), shape=(n_t + n_c, e.size)
    )
    lp = linprog(
        cost.ravel(), A_ub=a.tocsr(), b_ub=-np.ones(n_t + n_c), bounds=(0, 1), method="highs"
    )
    return float(lp.fun)


def test_full_matching_total_distance_equals_an_lp(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, method="full")
    ps = res.distance.to_numpy()
    d = lalonde["treat"].to_numpy() == 1
    cost = np.abs(ps[d][:, None] - ps[~d][None, :])
    m = res.matched
    total = 0.0
    for _, g in m.groupby("subclass"):
        t, c = g[g["treat"] == 1], g[g["treat"] == 0]
        assert len(t) == 1 or len(c) == 1  # every matched set is a star
        total += float(
            np.abs(
                res.distance[t.index].to_numpy()[:, None]
                - res.distance[c.index].to_numpy()[None, :]
            ).sum()
        )
    assert len(m) == len(lalonde)  # full matching keeps every unit
    assert total == pytest.approx(_edge_cover_lp(cost), abs=1e-7)


def _closest_brute(score: np.ndarray, treat: np.ndarray, ratio: int) -> list[tuple[int, int]]:
    t, c = np.flatnonzero(treat), np.flatnonzero(~treat)
    cand = sorted((abs(score[i] - score[j]), j, i) for i in t for j in c)
    used: set[int] = set()
    taken: dict[int, int] = {}
    out = []
    for _, j, i in cand:
        if j in used or taken.get(i, 0) >= ratio:
            continue
        used.add(j)
        taken[i] = taken.get(i, 0) + 1
        out.append((i, j))
    return sorted(out)


@pytest.mark.parametrize("ratio", [1, 2])
def test_closest_order_equals_brute_force(make_synthetic, ratio: int) -> None:  # type: ignore[no-untyped-def]
    data = make_synthetic(200, seed=5)
    res = match(data, treatment="treat", covariates=["x1", "x2"], m_order="closest", ratio=ratio)
    got = sorted(zip(res.pairs["treated_row"], res.pairs["control_row"], strict=True))
    assert got == _closest_brute(res.distance.to_numpy(), data["treat"].to_numpy() == 1, ratio)


def test_formula_terms_in_balance_and_same_score_as_hand_columns(lalonde: pd.DataFrame) -> None:
    f = "age + I(age**2) + educ * re74 + C(race)"
    res = match(lalonde, treatment="treat", covariates=f)
    names = res.balance()["covariate"].tolist()
    assert {"I(age ** 2)", "educ:re74", "C(race)[black]", "C(race)[white]"} <= set(names)
    hand = lalonde.assign(age2=lalonde["age"] ** 2, educ_re74=lalonde["educ"] * lalonde["re74"])
    ref = match(
        hand, treatment="treat", covariates=["age", "age2", "educ", "re74", "educ_re74", "race"]
    )
    np.testing.assert_allclose(res.propensity, ref.propensity, atol=1e-9)
    lhs = match(lalonde, treatment="treat", covariates=f"treat ~ {f}")
    np.testing.assert_allclose(lhs.propensity, res.propensity, atol=0)


@pytest.mark.parametrize("design", ["subclass", "cem"])
def test_gcomp_equals_r_lm_vcovcl(
    lalonde: pd.DataFrame, effects: pd.DataFrame, design: str
) -> None:
    res = match(lalonde, treatment="treat", **STRATIFIED[design])  # type: ignore[arg-type]
    att = res.att("re78", adjust="gcomp")
    r = effects[(effects["design"] == design) & effects["adjust"]]
    assert att.estimate == pytest.approx(float(r["estimate"].iloc[0]), rel=R_TOL)
    assert att.std_error == pytest.approx(float(r["std_error"].iloc[0]), rel=R_TOL)


@pytest.mark.parametrize("adjust", [True, False])
def test_gcomp_kernel_on_matchits_matched_data(
    lalonde: pd.DataFrame, units: pd.DataFrame, effects: pd.DataFrame, adjust: bool
) -> None:
    w = units["weights_nearest"].to_numpy()
    k = w > 0
    d = lalonde["treat"].to_numpy()[k].astype(float)
    x = pd.get_dummies(lalonde[COVS], columns=["race"], drop_first=True, dtype=float).to_numpy()[k]
    fit = wls_att(
        lalonde["re78"].to_numpy()[k], d, w[k], x if adjust else None,
        units["subclass_nearest"].to_numpy()[k].astype(np.int64), centre=d == 1, interact=True,
    )  # fmt: skip
    r = effects[(effects["design"] == "nearest") & (effects["adjust"] == adjust)]
    assert fit.estimate == pytest.approx(float(r["estimate"].iloc[0]), rel=R_TOL)
    assert fit.std_error == pytest.approx(float(r["std_error"].iloc[0]), rel=R_TOL)


def test_matchit_vignette_gcomp_number(lalonde: pd.DataFrame) -> None:
    # MatchIt's vignette (1:1 nearest on the glm score, treat * X g-computation, vcovCL by
    # subclass): 1121.18 (776.55). MatchIt 4.5.1's own pairs give 1161.48 (754.76).
    att = match(lalonde, treatment="treat", covariates=COVS).att("re78", adjust="gcomp")
    assert att.estimate == pytest.approx(1121.18, abs=0.01)
    assert att.std_error == pytest.approx(776.55, abs=0.01)


def test_unsupported_matchit_keywords_name_the_option(lalonde: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match=r"'s_weights'.*sampling weights"):
        match(lalonde, treatment="treat", covariates=COVS, s_weights="w")
    with pytest.raises(OptionError, match="use m_order"):
        match(lalonde, treatment="treat", covariates=COVS, m_ordr="largest")
    with pytest.raises(OptionError, match="method='full'"):
        match(lalonde, treatment="treat", covariates=COVS, min_controls=1)
    with pytest.raises(OptionError, match="did you mean 'largest'"):
        match(lalonde, treatment="treat", covariates=COVS, m_order="largst")  # type: ignore[arg-type]


def test_exact_on_a_continuous_column_is_refused(lalonde: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="continuous column 're74'"):
        match(lalonde, treatment="treat", covariates=COVS, exact="re74")


def test_random_forest_scores_are_out_of_bag(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, distance="randomforest", seed=1)
    ps = res.propensity.to_numpy()
    d = lalonde["treat"].to_numpy() == 1
    # Out-of-bag scores overlap; in-sample forest scores would nearly separate the groups.
    assert ps[~d].max() > ps[d].min()
    assert 0.0 < ps[d].mean() < 0.95


def test_cardinality_is_the_largest_balanced_control_set() -> None:
    # Brute force over all 2^14 control subsets of a small confounded sample.
    from itertools import combinations

    rng = np.random.default_rng(11)
    n_t, n_c = 8, 14
    x = np.vstack([rng.normal(0.3, 1, size=(n_t, 2)), rng.normal(0.0, 1, size=(n_c, 2))])
    data = pd.DataFrame({"treat": [1] * n_t + [0] * n_c, "a": x[:, 0], "b": x[:, 1]})
    tol = 0.2
    res = match(data, treatment="treat", covariates=["a", "b"], method="cardinality", tols=tol)
    bal = res.balance()
    assert (bal["smd_after"].abs() <= tol + 1e-9).all()
    assert (res.weights[data["treat"] == 1] == 1).all()  # every treated unit is kept
    sd = x[:n_t].std(axis=0, ddof=1)
    mean_t = x[:n_t].mean(axis=0)
    best = 0
    for size in range(n_c, 0, -1):
        for subset in combinations(range(n_t, n_t + n_c), size):
            if np.all(np.abs(mean_t - x[list(subset)].mean(axis=0)) <= tol * sd):
                best = size
                break
        if best:
            break
    assert int((res.weights[data["treat"] == 0] > 0).sum()) == best == 4
    with pytest.raises(NoComparisonUnitsError, match="no control"):
        match(data, treatment="treat", covariates=["a", "b"], method="cardinality", tols=0.01)


@pytest.mark.parametrize(
    "distance", ["probit", "lasso", "gbm", "robust_mahalanobis", "euclidean", "scaled_euclidean"]
)
def test_named_distances_run_and_match_every_treated(lalonde: pd.DataFrame, distance: str) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, distance=distance, seed=2)  # type: ignore[arg-type]
    assert int((res.weights[lalonde["treat"] == 1] > 0).sum()) == 185
    assert res.pairs["control"].is_unique


def test_scaled_euclidean_equals_brute_force_on_scaled_covariates(make_synthetic) -> None:  # type: ignore[no-untyped-def]
    data = make_synthetic(150, seed=8)
    res = match(
        data,
        treatment="treat",
        covariates=["x1", "x2"],
        distance="scaled_euclidean",
        m_order="data",
    )
    x = data[["x1", "x2"]].to_numpy()
    d = data["treat"].to_numpy() == 1
    pooled = (
        (d.sum() - 1) * x[d].var(axis=0, ddof=1) + ((~d).sum() - 1) * x[~d].var(axis=0, ddof=1)
    ) / (len(d) - 2)
    z = x / np.sqrt(pooled)
    free = set(np.flatnonzero(~d).tolist())
    for t, c in zip(res.pairs["treated_row"], res.pairs["control_row"], strict=True):
        cands = sorted(free)
        dist = np.sqrt(((z[cands] - z[t]) ** 2).sum(axis=1))
        assert c == cands[int(np.argmin(dist))]
        free.remove(c)


def test_antiexact_mahvars_and_reestimate(lalonde: pd.DataFrame) -> None:
    anti = match(lalonde, treatment="treat", covariates=COVS, antiexact="married")
    p = anti.pairs
    married = lalonde["married"].to_numpy()
    assert (married[p["treated_row"]] != married[p["control_row"]]).all()
    # mahvars: Mahalanobis on (re74, re75), order by the score (largest first): brute force
    # (continuous columns: no distance ties that rounding could order differently).
    res = match(lalonde, treatment="treat", covariates=COVS, mahvars=["re74", "re75"])
    x = lalonde[["re74", "re75"]].to_numpy(dtype=float)
    d = lalonde["treat"].to_numpy() == 1
    n1, n0 = d.sum(), (~d).sum()
    cov = ((n1 - 1) * np.cov(x[d], rowvar=False) + (n0 - 1) * np.cov(x[~d], rowvar=False)) / (
        n1 + n0 - 2
    )
    inv = np.linalg.inv(cov)
    ps = res.propensity.to_numpy()
    free = list(np.flatnonzero(~d))
    for t in np.flatnonzero(d)[np.argsort(-ps[d], kind="stable")]:
        diff = x[free] - x[t]
        dist = np.sqrt(np.einsum("ij,jk,ik->i", diff, inv, diff))
        best = free[int(np.argmin(dist))]
        got = res.pairs.loc[res.pairs["treated_row"] == t, "control_row"].iloc[0]
        assert got == best
        free.remove(best)
    # reestimate: the kept units' scores are a refit on the kept units alone.
    re = match(lalonde, treatment="treat", covariates=COVS, discard="both", reestimate=True)
    assert len(re.discarded) == 65  # 8 treated and 57 controls, as MatchIt
    kept = lalonde.drop(index=re.discarded)
    refit = match(kept, treatment="treat", covariates=COVS).propensity
    np.testing.assert_allclose(re.propensity[kept.index], refit, atol=1e-9)


@pytest.mark.parametrize(
    "options",
    [
        {"estimand": "ATC", "replace": True},
        {"estimand": "ATC"},
        {"method": "full", "estimand": "ATE"},
        {"method": "ipw", "estimand": "ATE"},
        {"method": "subclass", "estimand": "ATC"},
        {"method": "optimal"},
    ],
)
def test_estimands_recover_a_constant_effect(make_synthetic, options: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    # Constant effect 2: ATT = ATC = ATE = 2; the seeded estimate lies within 4 SEs.
    data = make_synthetic(1200, seed=3, effect=2.0)
    res = match(data, treatment="treat", covariates=["x1", "x2", "x3"], **options)  # type: ignore[arg-type]
    for adjust in (False, "gcomp"):
        eff = res.att("y", adjust=adjust)  # type: ignore[arg-type]
        assert eff.term == options.get("estimand", "ATT")
        assert abs(eff.estimate - 2.0) < 4 * eff.std_error
