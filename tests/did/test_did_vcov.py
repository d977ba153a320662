"""``AggregateResult.vcov()``: the covariance of the aggregated effects (issue 16, item 5).

The analytic standard errors of an aggregation are ``sqrt(diag(c V c'))`` for its
coefficient rows ``c`` and the cells' influence-function covariance ``V``, so without a
bootstrap the diagonal of ``vcov()`` must be the squared standard errors up to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt

#: vcov() and the reported SEs are the same quadratic form computed two ways (einsum vs matmul).
SAME_FORM_RTOL = 1e-10


@pytest.fixture(scope="module")
def fitted(mpdta: pd.DataFrame) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return att_gt(
            mpdta, outcome="lemp", time="year", unit="countyreal", cohort="first.treat",
            method="reg",
        )  # fmt: skip


@pytest.mark.parametrize("kind", ["dynamic", "group", "calendar", "simple"])
def test_vcov_diagonal_is_the_squared_standard_errors(fitted: object, kind: str) -> None:
    agg = fitted.aggregate(kind)  # type: ignore[attr-defined]
    cov = agg.vcov()
    tab = agg.tidy()
    assert cov.shape == (len(tab), len(tab))
    np.testing.assert_allclose(
        np.diag(cov.to_numpy()), tab["std_error"].to_numpy() ** 2, rtol=SAME_FORM_RTOL
    )
    np.testing.assert_allclose(cov.to_numpy(), cov.to_numpy().T, rtol=SAME_FORM_RTOL)


def test_dynamic_vcov_is_indexed_by_event_time(fitted: object) -> None:
    dyn = fitted.aggregate("dynamic")  # type: ignore[attr-defined]
    cov = dyn.vcov()
    assert cov.index.name == "event_time" and list(cov.columns) == list(cov.index)
    assert list(cov.index) == list(dyn.tidy()["event_time"])
    pd.testing.assert_frame_equal(dyn.element_vcov(), cov)  # the old name is an alias
    assert dyn.cell_vcov.shape[0] > len(cov)  # the cell-level covariance stays available


def test_estimate_tables_carry_statistic_and_p_value(fitted: object) -> None:
    for tab in (fitted.tidy(), fitted.aggregate("dynamic").tidy()):  # type: ignore[attr-defined]
        ok = tab["std_error"] > 0
        np.testing.assert_allclose(
            tab.loc[ok, "statistic"], tab.loc[ok, "estimate"] / tab.loc[ok, "std_error"]
        )
        assert tab.loc[ok, "p_value"].between(0, 1).all()
