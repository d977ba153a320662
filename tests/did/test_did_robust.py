"""Robust fits for small pilots (issue 16, item 1): scale-free covariates, NA cells with a
reason instead of a failed call, small cohorts flagged, cohort sizes shown."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import EstimatorNote
from evaluation.estimators.did import NoValidCellsError, att_gt

KW: dict[str, Any] = {
    "outcome": "lemp",
    "time": "year",
    "unit": "countyreal",
    "cohort": "first.treat",
}
AFFINE_TOL = 1e-8  # issue 16: results unchanged up to 1e-8 by an affine change of a covariate


def _quiet(data: pd.DataFrame, **opts: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimatorNote)
        return att_gt(data, **KW, **opts)


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_results_are_invariant_to_affine_changes_of_a_covariate(
    mpdta: pd.DataFrame, method: str
) -> None:
    """lpop + 1000 made every ipw/dr fit fail with a false 'separates perfectly' before."""
    base = att_gt(mpdta, **KW, covariates=("lpop",), method=method)  # type: ignore[arg-type]
    for changed in (mpdta["lpop"] + 1000, mpdta["lpop"] * 10):
        res = att_gt(mpdta.assign(lpop=changed), **KW, covariates=("lpop",), method=method)  # type: ignore[arg-type]
        np.testing.assert_allclose(res.estimate, base.estimate, rtol=0, atol=AFFINE_TOL)
        np.testing.assert_allclose(res.std_error, base.std_error, rtol=0, atol=AFFINE_TOL)
        for kind in ("simple", "group", "dynamic", "calendar"):
            a, b = res.aggregate(kind), base.aggregate(kind)  # type: ignore[arg-type]
            assert a.estimate == pytest.approx(b.estimate, abs=AFFINE_TOL)
            assert a.std_error == pytest.approx(b.std_error, abs=AFFINE_TOL)


def test_a_constant_or_duplicated_covariate_is_absorbed(mpdta: pd.DataFrame) -> None:
    """A covariate collinear with the intercept or another covariate changes nothing."""
    base = att_gt(mpdta, **KW, covariates=("lpop",), method="dr")
    extra = mpdta.assign(one=3.0, lpop2=2 * mpdta["lpop"] - 1)
    res = att_gt(extra, **KW, covariates=("lpop", "one", "lpop2"), method="dr")
    np.testing.assert_allclose(res.estimate, base.estimate, rtol=0, atol=AFFINE_TOL)
    np.testing.assert_allclose(res.std_error, base.std_error, rtol=0, atol=AFFINE_TOL)


def test_cells_without_enough_controls_are_na_with_a_reason(mpdta: pd.DataFrame) -> None:
    never = mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique()
    d = mpdta[~mpdta["countyreal"].isin(never[1:])]  # one never-treated county left
    with pytest.warns(EstimatorNote, match="could not be estimated"):
        res = att_gt(d, **KW, covariates=("lpop",), method="dr", control_group="notyettreated")
    tab = res.tidy()
    na = tab["estimate"].isna()
    assert na.any()
    assert (~na).any()
    assert set(tab.loc[na, "na_reason"]) == {"too few controls"}
    # exactly the cells whose only comparison units are the never-treated county
    cells = set(zip(tab.loc[na, "cohort"], tab.loc[na, "time"], strict=True))
    assert cells == {(2004, 2007), (2006, 2007), (2007, 2006), (2007, 2007)}
    assert tab.loc[~na, "std_error"].notna().all()
    dyn = res.aggregate("dynamic")
    assert np.isfinite(dyn.estimate)
    assert {c.split(" (")[1] for c in dyn.left_out} == {"too few controls)"}
    assert len(dyn.left_out) == int(na.sum())
    with pytest.raises(NoValidCellsError, match="too few controls"):
        _quiet(d, covariates=("lpop",), method="dr", control_group="nevertreated")


def test_small_cohorts_raise_one_note_naming_them(mpdta: pd.DataFrame) -> None:
    keep = mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()[:3]
    d = mpdta[(mpdta["first.treat"] != 2004) | mpdta["countyreal"].isin(keep)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = att_gt(d, **KW)
    notes = [str(w.message) for w in caught if issubclass(w.category, EstimatorNote)]
    small = [n for n in notes if "small cohorts" in n]
    assert len(small) == 1
    assert "2004 (3 units)" in small[0]
    assert "2006" not in small[0]
    assert res.cohort_sizes[0] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorNote)
        att_gt(d, **KW, min_cohort_size=3)  # no cohort below 3: no note


def test_summary_and_plots_show_cohort_sizes_and_marks(mpdta: pd.DataFrame) -> None:
    res = att_gt(mpdta, **KW)
    sizes = dict(zip(res.cohorts, res.cohort_sizes, strict=True))
    assert sizes == {2004.0: 20, 2006.0: 40, 2007.0: 131}  # mpdta's treated counties
    text = res.summary()
    assert "cohort sizes: 2004 (20 units), 2006 (40 units), 2007 (131 units)" in text
    assert "n_treated" in text
    assert "***" in text  # cohort 2004's 2006 effect has p < 0.001
    assert "Signif." in text
    titles = [ax.get_title() for ax in res.plot().axes]
    assert titles == ["cohort 2004 (20 units)", "cohort 2006 (40 units)", "cohort 2007 (131 units)"]
    dyn = res.aggregate("dynamic")
    assert dyn.tidy()["n_treated"].tolist() == [131, 171, 171, 191, 60, 20, 20]
    assert dyn.n_treated == 191
    labels = [t.get_text() for t in dyn.plot().axes[0].get_xticklabels()]
    assert labels[0] == "-3\n(n=131)"
    assert "n_treated" in dyn.summary()


def test_uniform_band_is_drawn_only_with_a_bootstrap(mpdta: pd.DataFrame) -> None:
    def shaded(fig: Any) -> int:
        return sum(
            len(ax.collections) and int(any(c.get_alpha() == 0.2 for c in ax.collections))
            for ax in fig.axes
        )

    analytic = att_gt(mpdta, **KW)
    boot = att_gt(mpdta, **KW, bootstrap=99, seed=1)
    assert shaded(analytic.plot()) == 0
    assert shaded(analytic.aggregate("dynamic").plot()) == 0
    assert shaded(boot.plot()) == 3
    assert shaded(boot.aggregate("dynamic").plot()) == 1
