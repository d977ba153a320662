"""MatchIt 4.5.1 on its lalonde data: balance, designs and effects against stored R outputs.

References: ``tests/matching/reference/make_reference_lalonde.R`` (Debian r-cran-matchit
4.5.1, r-cran-sandwich 3.0-2) wrote lalonde.csv, lalonde_units.csv (distance, weights and
subclass of every unit per design), lalonde_summary.csv (``summary(m, pair.dist = FALSE)``)
and lalonde_effects.csv (``lm`` + ``sandwich::vcovCL``). CI has no R; the tests read them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.matching import balance_table, match

#: Balance agrees with MatchIt's summary() given the same weights to this tolerance (the
#: issue's 1e-6; measured agreement is ~1e-13).
TOL = 1e-6
REF = Path(__file__).parent / "reference"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
#: Design name in the R script -> (estimand, covariates given to matchit()).
DESIGNS = {
    "nearest": ("ATT", COVS),
    "atc": ("ATC", COVS),
    "discard": ("ATT", COVS),
    "caliper_cov": ("ATT", COVS),
    "exact": ("ATT", ["race", "married", "nodegree"]),
    "exact_ate": ("ATE", ["race", "married", "nodegree"]),
    "cem": ("ATT", COVS),
    "cem_cuts": ("ATT", ["age", "educ", "race", "married"]),
    "subclass": ("ATT", COVS),
    "subclass_ate": ("ATE", COVS),
}
STATS = [
    ("mean_treated", "mean_treated"),
    ("mean_control", "mean_control"),
    ("smd", "std_mean_diff"),
    ("var_ratio", "var_ratio"),
    ("ecdf_mean", "ecdf_mean"),
    ("ecdf_max", "ecdf_max"),
]

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde.csv").set_index("id")


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return pd.read_csv(REF / "lalonde_units.csv").set_index("id")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    s = pd.read_csv(REF / "lalonde_summary.csv", na_values=["NA"])
    s["covariate"] = s["covariate"].str.replace(r"^race", "race=", regex=True)
    return s


def _r_table(summary: pd.DataFrame, design: str, when: str) -> pd.DataFrame:
    return summary[(summary["design"] == design) & (summary["when"] == when)].set_index("covariate")


@pytest.mark.parametrize("design", list(DESIGNS))
def test_balance_equals_matchit_summary_given_its_weights(
    lalonde: pd.DataFrame, units: pd.DataFrame, summary: pd.DataFrame, design: str
) -> None:
    estimand, covs = DESIGNS[design]
    dist = units.get(f"distance_{design}")
    ours = balance_table(
        lalonde,
        treatment="treat",
        covariates=covs,
        weights=units[f"weights_{design}"],
        distance=dist,
        estimand=estimand,
    ).set_index("covariate")
    for when in ("before", "after"):
        r = _r_table(summary, design, when)
        # Same rows: the distance and every factor level (race=black included).
        assert list(ours.index) == list(r.index)
        for stem, col in STATS:
            got = ours[f"{stem}_{when}"].to_numpy(dtype=float)
            want = r[col].to_numpy(dtype=float)
            np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL, err_msg=f"{when} {stem}")


def test_every_level_and_the_distance_row_after_our_matching(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS)
    bal = res.balance().set_index("covariate")
    assert bal.index[0] == "distance"
    assert {"race=black", "race=hispan", "race=white"} <= set(bal.index)
    # race=black is the worst-balanced term after 1:1 matching (MatchIt 4.5.1: 1.026).
    assert bal["smd_after"].abs().drop("distance").idxmax() == "race=black"
    assert not bool(bal.loc["race=black", "balanced"])
    # Sorted love plot data: largest |SMD| before matching first.
    love = res.love_data()
    assert np.all(np.diff(love["smd_before"].abs().to_numpy()) <= 0)


def test_distance_equals_matchit(lalonde: pd.DataFrame, units: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS)
    np.testing.assert_allclose(res.distance, units["distance_nearest"], atol=1e-8)


def test_effective_sample_sizes_equal_matchit(
    lalonde: pd.DataFrame, units: pd.DataFrame, summary: pd.DataFrame
) -> None:
    for design in ("subclass", "cem", "exact"):
        sizes = _r_table(summary, design, "sizes")
        w = units[f"weights_{design}"].to_numpy()
        d = lalonde["treat"].to_numpy() == 1
        ess_c = w[~d].sum() ** 2 / np.sum(w[~d] ** 2)
        assert ess_c == pytest.approx(sizes.loc["nn:Matched (ESS)", "mean_control"], rel=TOL)


def test_love_plot_sorted_with_thresholds_and_panels(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS)
    fig = res.plot("love", stats=("smd", "var_ratio", "ks"))
    axes = fig.get_axes()
    assert len(axes) == 3
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    # Bottom to top: increasing |SMD| before matching, so the worst term is on top.
    expected = res.love_data()["covariate"].tolist()[::-1]
    assert labels == expected
    assert "race=black" in labels and "distance" in labels
    smd_lines = [ln.get_xdata()[0] for ln in axes[0].get_lines()]
    assert 0.1 in smd_lines  # the SMD threshold
    vr_lines = {ln.get_xdata()[0] for ln in axes[1].get_lines()}
    assert {0.5, 2.0} <= vr_lines


def test_overlap_plot_has_data_driven_bins_and_group_sizes(lalonde: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS)
    fig = res.plot("overlap")
    ax_all, ax_matched = fig.get_axes()
    texts = [t.get_text() for t in ax_all.get_legend().get_texts()]
    assert texts == ["treated (n=185)", "control (n=429)"]
    assert [t.get_text() for t in ax_matched.get_legend().get_texts()] == [
        "treated (n=185)",
        "control (n=185)",
    ]
    lefts = [p.get_x() for p in ax_all.patches]
    widths = {round(p.get_width(), 12) for p in ax_all.patches}
    ps = res.distance
    assert min(lefts) == pytest.approx(ps.min())  # bins span the observed scores only
    assert len(widths) == 1 and widths.pop() < (ps.max() - ps.min()) / 5
    logit_fig = res.plot("overlap", scale="logit")
    assert "logit" in logit_fig.get_axes()[0].get_xlabel()


def test_weighted_table_one(lalonde: pd.DataFrame, summary: pd.DataFrame) -> None:
    res = match(lalonde, treatment="treat", covariates=COVS, method="subclass")
    t1 = res.table1().set_index("term")
    r = _r_table(summary, "subclass", "after")
    # Weighted means equal MatchIt's summary() (same subclass weights, see above).
    np.testing.assert_allclose(
        t1.loc["age", "mean_control_after"], r.loc["age", "mean_control"], rtol=TOL
    )
    assert t1.loc["n", "mean_treated_before"] == 185
    assert t1.loc["n", "mean_control_after"] == pytest.approx(
        res.sample_sizes().set_index("group").loc["control", "ess_matched"], rel=1e-12
    )
    p = t1.loc["race=black", "mean_treated_before"]
    assert t1.loc["race=black", "sd_treated_before"] == pytest.approx(np.sqrt(p * (1 - p)))
    assert t1.loc["age", "sd_treated_before"] == pytest.approx(
        lalonde.loc[lalonde["treat"] == 1, "age"].std(ddof=1)
    )
