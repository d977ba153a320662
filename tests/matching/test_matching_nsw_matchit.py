"""NSW experimental benchmark and the R MatchIt 4.5.1 reference (tests/matching/reference).

MatchIt 4.5.1 (Debian) has known defects in its nearest-neighbour matcher (MatchIt issue
#159 with ``replace = TRUE``; without replacement it sometimes picks strictly farther
controls, e.g. for treated row 52 it takes a control 0.00094 away although control row 2781
has the identical score). We therefore do not require pair-for-pair identity, only the same
propensity scores and matches at least as close.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.estimators.matching import MatchWarning, match

#: Experimental NSW benchmark (Dehejia-Wahba sample): difference in means and its OLS SE.
EXPERIMENTAL_ATT = 1794.34
EXPERIMENTAL_SE = 632.9
#: Both are quoted to 2 and 1 decimals.
QUOTE_TOL = 0.05
#: Propensity scores must agree with R's glm to 1e-6 (both converge far tighter).
PS_TOL = 1e-6
#: Balance statistics before matching must equal MatchIt's summary; covariate rows agree to
#: ~1e-15, the propensity score row inherits the ~1e-9 difference between the two fits.
SUMMARY_TOL = 1e-7
#: Quality ties with MatchIt are allowed up to float noise.
QUALITY_TOL = 1e-12


def test_experimental_benchmark(nsw: pd.DataFrame) -> None:
    fit = sm.OLS(nsw["re78"].astype(float), sm.add_constant(nsw["treat"].astype(float))).fit()
    assert abs(fit.params["treat"] - EXPERIMENTAL_ATT) < QUOTE_TOL
    assert abs(fit.bse["treat"] - EXPERIMENTAL_SE) < QUOTE_TOL


def test_nsw_cps_default_matching_recovers_benchmark(
    nsw_cps: pd.DataFrame, covariates: list[str]
) -> None:
    res = match(nsw_cps, treatment="treat", covariates=covariates)
    att = res.att("re78")
    assert abs(att.estimate - EXPERIMENTAL_ATT) < EXPERIMENTAL_SE
    assert att.naive == pytest.approx(-8497.5, abs=1.0)
    assert att.n_treated == 185 and att.n_control == 185
    assert np.isfinite(att.std_error) and att.std_error > 0
    adjusted = res.att("re78", adjust=True)
    assert abs(adjusted.estimate - EXPERIMENTAL_ATT) < EXPERIMENTAL_SE
    # 1:1 without replacement: the matched sample is 185 pairs with unit weights.
    m = res.matched
    assert len(m) == 370 and set(m["weight"]) == {1.0}
    assert m["subclass"].nunique() == 185
    assert m.index.isin(nsw_cps.index).all()


def test_nsw_cps_concatenated_without_new_index(
    nsw: pd.DataFrame, nsw_cps: pd.DataFrame, covariates: list[str]
) -> None:
    # pd.concat without ignore_index repeats labels 0..184: same design, a warning.
    import causaldata

    cps = causaldata.cps_mixtape.load_pandas().data
    d = pd.concat([nsw[nsw["treat"] == 1], cps])
    with pytest.warns(MatchWarning, match="repeated labels"):
        est = match(d, treatment="treat", covariates=covariates).att("re78").estimate
    ref = match(nsw_cps, treatment="treat", covariates=covariates).att("re78").estimate
    assert est == ref


def _pairs(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def test_propensity_scores_equal_matchit(
    nsw_cps: pd.DataFrame, covariates: list[str], reference_dir: Path
) -> None:
    ref = pd.read_csv(reference_dir / "nsw_cps_distance.csv")
    res = match(nsw_cps, treatment="treat", covariates=covariates)
    np.testing.assert_allclose(res.propensity.to_numpy(), ref["distance"], rtol=0, atol=PS_TOL)


@pytest.mark.parametrize(
    ("file", "options"),
    [
        ("nsw_cps_pairs_nearest.csv", {}),
        ("nsw_cps_pairs_linear.csv", {"distance": "linear.logit"}),
        ("nsw_cps_pairs_smallest.csv", {"order": "smallest"}),
        ("nsw_cps_pairs_replace2.csv", {"replace": True, "ratio": 2}),
        ("nsw_cps_pairs_ratio2.csv", {"ratio": 2}),
    ],
)
def test_matches_at_least_as_close_as_matchit(
    nsw_cps: pd.DataFrame,
    covariates: list[str],
    reference_dir: Path,
    file: str,
    options: dict[str, object],
) -> None:
    ref = _pairs(reference_dir / file)
    res = match(nsw_cps, treatment="treat", covariates=covariates, **options)  # type: ignore[arg-type]
    score = (
        np.log(res.propensity / (1 - res.propensity)).to_numpy()
        if options.get("distance") == "linear.logit"
        else res.propensity.to_numpy()
    )
    theirs = np.mean(np.abs(score[ref["treated_id"]] - score[ref["control_id"]]))
    mine = np.mean(np.abs(score[res.pairs["treated"]] - score[res.pairs["control"]]))
    assert len(res.pairs) == len(ref)
    assert mine <= theirs + QUALITY_TOL


def test_balance_before_equals_matchit_summary(
    nsw_cps: pd.DataFrame, covariates: list[str], reference_dir: Path
) -> None:
    summ = pd.read_csv(reference_dir / "nsw_cps_summary_nearest.csv")
    before = summ[summ["when"] == "before"].set_index("covariate")
    res = match(nsw_cps, treatment="treat", covariates=covariates)
    bal = res.balance(include_distance=True).set_index("covariate")
    for ours, theirs in [
        ("mean_treated_before", "mean_treated"),
        ("mean_control_before", "mean_control"),
        ("smd_before", "std_mean_diff"),
        ("var_ratio_before", "var_ratio"),
        ("ecdf_mean_before", "ecdf_mean"),
        ("ecdf_max_before", "ecdf_max"),
    ]:
        np.testing.assert_allclose(
            bal[ours].to_numpy(dtype=float),
            before.loc[bal.index, theirs].to_numpy(dtype=float),
            rtol=SUMMARY_TOL,
            err_msg=ours,
        )


def test_balance_after_equals_matchit_summary_given_its_pairs(
    nsw_cps: pd.DataFrame, covariates: list[str], reference_dir: Path
) -> None:
    # MatchIt's own 1:1 pairs as weights and its distance: every statistic after matching
    # (eCDF on MatchIt's grid of all units included) equals its summary().
    from evaluation.estimators.matching import balance_table

    summ = pd.read_csv(reference_dir / "nsw_cps_summary_nearest.csv")
    after = summ[summ["when"] == "after"].set_index("covariate")
    pairs = pd.read_csv(reference_dir / "nsw_cps_pairs_nearest.csv")
    dist = pd.read_csv(reference_dir / "nsw_cps_distance.csv")["distance"].to_numpy()
    w = np.zeros(len(nsw_cps))
    w[pairs["treated_id"]] = 1.0
    w[pairs["control_id"]] = 1.0
    bal = balance_table(
        nsw_cps, treatment="treat", covariates=covariates, weights=w, distance=dist
    ).set_index("covariate")
    for ours, theirs in [
        ("mean_control_after", "mean_control"),
        ("smd_after", "std_mean_diff"),
        ("var_ratio_after", "var_ratio"),
        ("ecdf_mean_after", "ecdf_mean"),
        ("ecdf_max_after", "ecdf_max"),
    ]:
        np.testing.assert_allclose(
            bal[ours].to_numpy(dtype=float),
            after.loc[bal.index, theirs].to_numpy(dtype=float),
            rtol=SUMMARY_TOL,
            err_msg=ours,
        )
