"""``MatchResult`` is the design; effects are functions that take it (issue 18, item 4)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.estimators.matching import (
    by_subgroup,
    effect,
    match,
    matched_did,
    refute,
    rosenbaum,
)

#: Same estimator reached two ways (function and delegate): identical to the last bit.
SAME = 0.0
#: Our Newton fit and statsmodels' IRLS converge to the same MLE (tolerances 1e-12 / 1e-8).
MLE_TOL = 1e-6
COVS = ["x1", "x2", "x3"]

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture(scope="module")
def data(make_synthetic) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame: pd.DataFrame = make_synthetic(600, seed=11)
    return frame


@pytest.fixture(scope="module")
def matched(data: pd.DataFrame):  # type: ignore[no-untyped-def]
    return match(data, treatment="treat", covariates=COVS)


def test_methods_delegate_to_the_functions(matched, data: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(matched.att("y").tidy(), effect(matched, "y").tidy())
    pd.testing.assert_frame_equal(
        matched.did("y_post", "y_pre").tidy(), matched_did(matched, "y_post", "y_pre").tidy()
    )
    pd.testing.assert_frame_equal(matched.rosenbaum("y").tidy(), rosenbaum(matched, "y").tidy())
    pd.testing.assert_frame_equal(
        matched.by_subgroup("y", "region").tidy(), by_subgroup(matched, "y", "region").tidy()
    )
    a = matched.refute("y", engine="native", refuter="data_subset", n_simulations=3, seed=1)
    b = refute(matched, "y", engine="native", refuter="data_subset", n_simulations=3, seed=1)
    np.testing.assert_allclose(a.new_effects, b.new_effects, rtol=SAME, atol=SAME)


def test_level_is_deprecated_for_alpha(matched) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(DeprecationWarning, match="alpha=0.1"):
        old = matched.att("y", level=0.9)
    new = effect(matched, "y", alpha=0.1)
    assert old.conf_low == pytest.approx(new.conf_low, rel=1e-12)
    assert new.alpha == pytest.approx(0.1)


def test_tidy_is_the_score_model_and_balance_is_balance(matched, data: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    """Reference: statsmodels' Logit on the same covariates (R glm gives the same MLE)."""
    ref = sm.Logit(data["treat"].astype(float), sm.add_constant(data[COVS])).fit(disp=0)
    tab = matched.tidy()
    assert list(tab.columns[:7]) == [
        "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
    ]  # fmt: skip
    np.testing.assert_allclose(tab["estimate"], ref.params.to_numpy(), rtol=MLE_TOL)
    np.testing.assert_allclose(tab["std_error"], ref.bse.to_numpy(), rtol=MLE_TOL)
    np.testing.assert_allclose(tab["p_value"], ref.pvalues.to_numpy(), rtol=1e-4, atol=1e-12)
    assert "smd_after" in matched.balance().columns
    glance = matched.glance()
    assert len(glance) == 1 and glance.loc[0, "n_treated"] == int(data["treat"].sum())


def test_design_keeps_no_copy_of_the_matched_rows(matched, data: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    assert "matched" not in {f.name for f in dataclasses.fields(matched)}
    rows = matched.matched
    assert rows is matched.matched  # built once, on first use
    assert set(rows.index) == set(data.index[matched.unit_weights > 0])
    assert len(repr(matched)) < 160 and "\n" not in repr(matched)
