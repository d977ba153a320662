"""Bad input raises a named error (or a MatchWarning with a count), never a silent drop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from evaluation.errors import (
    InputDataError,
    MissingColumnError,
    NoComparisonUnitsError,
    OptionError,
    OverlapError,
)
from evaluation.estimators.matching import MatchWarning, MissingValueError, match

COVS = ["x1", "x2", "x3"]

# Off-support warnings of the small synthetic data are expected; pytest.warns still sees them.
pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture
def data(make_synthetic) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame: pd.DataFrame = make_synthetic(300, seed=1)
    return frame


def test_all_treated(data: pd.DataFrame) -> None:
    with pytest.raises(NoComparisonUnitsError, match="all 300 units are treated"):
        match(data.assign(treat=1), treatment="treat", covariates=COVS)


def test_no_treated(data: pd.DataFrame) -> None:
    with pytest.raises(NoComparisonUnitsError, match="no treated units"):
        match(data.assign(treat=0), treatment="treat", covariates=COVS)


def test_missing_covariate_values_are_counted(data: pd.DataFrame) -> None:
    bad = data.copy()
    bad.loc[bad.index[[3, 7, 9]], "x2"] = np.nan
    with pytest.raises(MissingValueError, match=r"'x2' \(3 rows\)") as info:
        match(bad, treatment="treat", covariates=COVS)
    assert "1003" in str(info.value)  # the first bad row label is shown


def test_missing_column(data: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match="'age'"):
        match(data, treatment="treat", covariates=["x1", "age"])


def test_treatment_must_be_binary(data: pd.DataFrame) -> None:
    with pytest.raises(InputDataError, match="must be 0/1"):
        match(data.assign(treat=data["treat"] * 2), treatment="treat", covariates=COVS)


def test_perfect_separation(data: pd.DataFrame) -> None:
    sep = data.assign(treat=(data["x1"] > 0.3).astype(int))
    with pytest.raises(OverlapError, match="perfect separation"):
        match(sep, treatment="treat", covariates=COVS)


def test_no_overlap_with_a_classifier(data: pd.DataFrame) -> None:
    # A wide gap in x1: even the cross-fitted (out-of-fold) scores do not overlap.
    sep = data.assign(treat=(data["x1"] > 0).astype(int))[data["x1"].abs() > 0.8]
    with pytest.raises(OverlapError, match="no overlap: all"):
        match(sep, treatment="treat", covariates=["x1"], distance=LogisticRegression())


def test_partial_overlap_warns_with_count(data: pd.DataFrame) -> None:
    with pytest.warns(MatchWarning, match=r"\d+ of \d+ treated units have propensity scores"):
        match(
            data.assign(treat=(data["x1"] > 1.2).astype(int) | (data["x2"] > 1.5)),
            treatment="treat",
            covariates=["x1", "x2"],
            distance=LogisticRegression(),
        )


def test_caliper_leaving_no_matches(data: pd.DataFrame) -> None:
    with pytest.raises(NoComparisonUnitsError, match="caliper"):
        match(data, treatment="treat", covariates=COVS, caliper=1e-12)


def test_caliper_leaving_some_unmatched_warns_with_count(data: pd.DataFrame) -> None:
    with pytest.warns(MatchWarning, match=r"(\d+) of (\d+) treated units found no eligible"):
        res = match(data, treatment="treat", covariates=COVS, caliper=0.01)
    n_treated = int(data["treat"].sum())
    assert 0 < len(res.unmatched) < n_treated
    assert str(len(res.unmatched)) in res.diagnostics[-1]
    # The unmatched treated units are reported by label, not dropped silently.
    assert set(res.unmatched).isdisjoint(res.matched.index)
    assert len(res.unmatched) + int(res.matched["treat"].sum()) == n_treated


def test_exact_group_without_controls_warns(data: pd.DataFrame) -> None:
    d = data.copy()
    d.loc[(d["region"] == "east") & (d["treat"] == 0), "region"] = "west"
    n_east = int(((d["region"] == "east") & (d["treat"] == 1)).sum())
    with pytest.warns(MatchWarning, match=f"{n_east} of"):
        match(d, treatment="treat", covariates=COVS, exact=["region"])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("ratio", 0),
        ("ratio", 1.5),
        ("caliper", -0.2),
        ("order", "biggest"),
        ("distance", "gams"),
        ("method", "genetic"),
        ("distance", object()),
    ],
)
def test_bad_options(data: pd.DataFrame, option: str, value: object) -> None:
    with pytest.raises(OptionError):
        match(data, treatment="treat", covariates=COVS, **{option: value})  # type: ignore[arg-type]


def test_duplicate_index_warns_and_matches_by_position(data: pd.DataFrame) -> None:
    dup = data.set_axis([0] * len(data))
    with pytest.warns(MatchWarning, match=f"{len(data)} rows with repeated labels"):
        res = match(dup, treatment="treat", covariates=COVS)
    ref = match(data, treatment="treat", covariates=COVS)
    assert res.pairs["control_row"].tolist() == ref.pairs["control_row"].tolist()
    assert res.att("y").estimate == ref.att("y").estimate


def test_missing_outcome_of_matched_units(data: pd.DataFrame) -> None:
    res = match(data, treatment="treat", covariates=COVS)
    d = data.copy()
    first = res.matched.index[0]
    d.loc[first, "y"] = np.nan
    res2 = match(d, treatment="treat", covariates=COVS)
    with pytest.raises(MissingValueError, match="missing for 1 units"):
        res2.att("y")


def test_constant_covariate(data: pd.DataFrame) -> None:
    from evaluation.errors import EstimationError

    with pytest.raises(EstimationError, match="single value"):
        match(data.assign(c=1.0), treatment="treat", covariates=["x1", "c"])


def test_formula_errors_are_named(data: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match="'x9'"):
        match(data, treatment="treat", covariates="x1 + I(x9**2)")
    with pytest.raises(OptionError, match="cannot parse the covariate formula") as info:
        match(data, treatment="treat", covariates="x1 + + (")
    assert "\x1b" not in str(info.value)
    with pytest.raises(OptionError, match="left-hand side 'y' is not the treatment"):
        match(data, treatment="treat", covariates="y ~ x1 + x2")
