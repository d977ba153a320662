"""Invariance: row order, unit labels, untouched input, units dropped by design."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.simulate import simulate_staggered

KW: dict[str, Any] = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}
SUM_ORDER_TOL = 1e-12  # only the order of floating-point sums may differ


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = simulate_staggered(300, n_periods=8, cohorts=(3, 5, 7), seed=11)
    d["muni"] = d["unit"] % 9
    d["w"] = 1 + (d["unit"] % 4) / 2
    return d


def _all(res: Any) -> list[pd.DataFrame]:
    return [res.tidy(), *(res.aggregate(k).tidy() for k in ("group", "dynamic", "calendar"))]


@pytest.mark.parametrize(
    "opts", [{}, {"covariates": ("x",), "method": "dr"}, {"weights": "w", "cluster": "muni"}]
)
def test_shuffled_rows_and_relabelled_units(panel: pd.DataFrame, opts: dict[str, Any]) -> None:
    base = att_gt(panel, **KW, **opts)
    shuffled = panel.sample(frac=1.0, random_state=3).reset_index(drop=True)
    relabelled = panel.assign(unit="id-" + (panel["unit"] * 7919 % 100003).astype(str))
    for other in (shuffled, relabelled):
        res = att_gt(other, **KW, **opts)
        for a, b in zip(_all(base), _all(res), strict=True):
            pd.testing.assert_frame_equal(a, b, rtol=SUM_ORDER_TOL, atol=SUM_ORDER_TOL)


def test_bootstrap_is_invariant_to_row_order(panel: pd.DataFrame) -> None:
    base = att_gt(panel, **KW, bootstrap=99, seed=5)
    shuffled = att_gt(panel.sample(frac=1.0, random_state=4), **KW, bootstrap=99, seed=5)
    pd.testing.assert_frame_equal(base.tidy(), shuffled.tidy(), rtol=1e-10)


def test_input_frame_is_untouched(panel: pd.DataFrame) -> None:
    before = panel.copy(deep=True)
    att_gt(panel, **KW, covariates=("x",), weights="w", cluster="muni", bootstrap=49, seed=1)
    pd.testing.assert_frame_equal(panel, before)


def test_units_dropped_by_design_change_nothing(panel: pd.DataFrame) -> None:
    """Units treated before the first period, or after the last, do not change the result."""
    base = att_gt(panel, **KW)
    extra = panel[panel["unit"] < 20].copy()
    extra["unit"] = extra["unit"] + 10_000
    extra["cohort"] = 1  # treated in the first period: no pre-period, left out by design
    with pytest.warns(UserWarning, match="left out"):
        res = att_gt(pd.concat([panel, extra]), **KW)
    for a, b in zip(_all(base), _all(res), strict=True):
        pd.testing.assert_frame_equal(a, b, rtol=SUM_ORDER_TOL, atol=SUM_ORDER_TOL)
    assert any("left out" in n for n in res.notes)
    # cohorts after the last period are never treated: same as coding them 0
    late = panel.copy()
    never = late["cohort"] == 0
    late.loc[never, "cohort"] = 99
    with pytest.warns(UserWarning, match="never treated"):
        res_late = att_gt(late, **KW)
    np.testing.assert_allclose(res_late.estimate, base.estimate, atol=SUM_ORDER_TOL)


def test_missing_cohort_means_never_treated(panel: pd.DataFrame) -> None:
    base = att_gt(panel, **KW)
    d = panel.copy()
    d["cohort"] = d["cohort"].astype("float64").where(d["cohort"] > 0)
    np.testing.assert_allclose(att_gt(d, **KW).estimate, base.estimate, atol=0)
