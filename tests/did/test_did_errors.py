"""Bad input raises named errors that say what to fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import (
    EstimatorNote,
    MissingColumnError,
    NoComparisonUnitsError,
    OptionError,
)
from evaluation.estimators.did import (
    DuplicateObservationError,
    MissingValueError,
    NonIntegerTimeError,
    NoValidCellsError,
    TimeVaryingCohortError,
    TimeVaryingUnitAttributeError,
    TreatmentSwitchesOffError,
    UnbalancedPanelError,
    att_gt,
    cohort_from_treatment,
)
from evaluation.estimators.did.simulate import simulate_staggered

KW: dict[str, Any] = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}


@pytest.fixture
def panel() -> pd.DataFrame:
    return simulate_staggered(60, n_periods=6, cohorts=(3, 5), seed=1)


def test_time_varying_cohort(panel: pd.DataFrame) -> None:
    d = panel.copy()
    d.loc[(d["unit"] == 4) & (d["time"] == 6), "cohort"] = 5 if d.loc[0, "cohort"] != 5 else 3
    d.loc[d["unit"] == 4, "cohort"] = np.where(d.loc[d["unit"] == 4, "time"] < 4, 0, 5)
    with pytest.raises(TimeVaryingCohortError, match=r"unit.*Fix: give each unit one"):
        att_gt(d, **KW)


def test_treatment_that_switches_off(panel: pd.DataFrame) -> None:
    d = panel.copy()
    d["treated"] = ((d["cohort"] > 0) & (d["time"] >= d["cohort"])).astype(int)
    treated_unit = int(d.loc[d["cohort"] == 3, "unit"].iloc[0])
    d.loc[(d["unit"] == treated_unit) & (d["time"] == 6), "treated"] = 0
    with pytest.raises(TreatmentSwitchesOffError, match="absorbing"):
        att_gt(d, **KW, treatment="treated")
    with pytest.raises(TreatmentSwitchesOffError, match=str(treated_unit)):
        cohort_from_treatment(d, unit="unit", time="time", treatment="treated")


def test_cohort_from_treatment_round_trip(panel: pd.DataFrame) -> None:
    d = panel.copy()
    d["treated"] = ((d["cohort"] > 0) & (d["time"] >= d["cohort"])).astype(int)
    out = cohort_from_treatment(
        d.drop(columns="cohort"), unit="unit", time="time", treatment="treated"
    )
    np.testing.assert_array_equal(out["cohort"], d["cohort"])
    att_gt(d, **KW, treatment="treated")  # consistent: no error


def test_no_valid_comparison_units(panel: pd.DataFrame) -> None:
    d = panel[panel["cohort"] > 0]
    with pytest.raises(NoComparisonUnitsError, match="never-treated"):
        att_gt(d, **KW)
    only_one = d[d["cohort"] == 3]
    with pytest.raises(NoComparisonUnitsError, match="nothing to compare"):
        att_gt(only_one, **KW, control_group="notyettreated")


def test_missing_outcome(panel: pd.DataFrame) -> None:
    """Refused on request (missing_outcome='error'); dropped by default (issue 16)."""
    d = panel.copy()
    d.loc[7, "y"] = np.nan
    with pytest.raises(MissingValueError, match=r"outcome is missing.*Fix: impute"):
        att_gt(d, **KW, missing_outcome="error")


@pytest.mark.parametrize("bad", ["fraction", "dates", "strings"])
def test_non_integer_time(panel: pd.DataFrame, bad: str) -> None:
    d = panel.copy()
    if bad == "fraction":
        d["time"] = d["time"] + 0.5
    elif bad == "dates":
        d["time"] = pd.to_datetime("2024-01-01") + pd.to_timedelta(d["time"] * 31, unit="D")
    else:
        d["time"] = d["time"].astype(str)
    with pytest.raises(NonIntegerTimeError, match="whole-number periods"):
        att_gt(d, **KW)


def test_unbalanced_duplicated_and_missing_columns(panel: pd.DataFrame) -> None:
    with pytest.raises(UnbalancedPanelError, match="allow_unbalanced_panel=True"):
        att_gt(panel.drop(index=[3]), **KW)
    with pytest.raises(DuplicateObservationError, match="one row per unit and period"):
        att_gt(pd.concat([panel, panel.iloc[[5]]]), **KW)
    with pytest.raises(MissingColumnError, match="outcome_x"):
        att_gt(panel, **{**KW, "outcome": "outcome_x"})


def test_unit_attributes_must_be_constant(panel: pd.DataFrame) -> None:
    d = panel.copy()
    d["w"] = 1.0
    d.loc[0, "w"] = 2.0
    with pytest.raises(TimeVaryingUnitAttributeError, match="sampling weight"):
        att_gt(d, **KW, weights="w")
    d["muni"] = d["unit"] % 3
    d.loc[0, "muni"] = 99
    with pytest.raises(TimeVaryingUnitAttributeError, match="cluster"):
        att_gt(d, **KW, cluster="muni")


@pytest.mark.parametrize(
    "opts",
    [
        {"control_group": "never"},
        {"method": "ols"},
        {"base_period": "fixed"},
        {"anticipation": -1},
        {"bootstrap": 1},
        {"alpha": 1.5},
        {"multiplier": "webb"},
    ],
)
def test_bad_options(panel: pd.DataFrame, opts: dict[str, Any]) -> None:
    with pytest.raises(OptionError, match="Fix:"):
        att_gt(panel, **KW, **opts)


def test_unknown_aggregation(panel: pd.DataFrame) -> None:
    res = att_gt(panel, **KW)
    with pytest.raises(OptionError, match="simple"):
        res.aggregate("eventstudy")  # type: ignore[arg-type]


def test_perfect_separation_leaves_cells_na_or_raises(panel: pd.DataFrame) -> None:
    """Issue 16: a separated cohort's cells are NA with a reason, the rest goes on; when
    every cell is separated the call raises OverlapError."""
    from evaluation.errors import EstimatorNote, OverlapError

    d = panel.copy()
    d["sep"] = (d["cohort"] == 3).astype(float)  # predicts cohort 3 vs never perfectly
    with pytest.warns(EstimatorNote, match="cohort 3, period 2: separation"):
        res = att_gt(d, **KW, covariates=("sep",), method="dr")
    tab = res.tidy()
    three = tab["cohort"] == 3
    assert tab.loc[three, "estimate"].isna().all()
    assert (tab.loc[three, "na_reason"] == "separation").all()
    assert tab.loc[~three, "estimate"].notna().all()
    assert (tab.loc[~three, "na_reason"] == "").all()
    simple = res.aggregate("simple")
    assert np.isfinite(simple.estimate)
    assert any("cohort 3, period 3 (separation)" in c for c in simple.left_out)
    assert "left out" in simple.summary()
    d["sep_all"] = (d["cohort"] > 0).astype(float)
    with pytest.raises(OverlapError, match="separate"):
        att_gt(d, **KW, covariates=("sep_all",), method="dr")
    with pytest.raises(OptionError, match="pandas"):
        import duckdb

        con = duckdb.connect()
        con.register("p", d)
        att_gt(con.table("p"), **KW, covariates=("sep",))


def test_column_errors_suggest_close_names_and_ids_read_plainly(panel: pd.DataFrame) -> None:
    """Issue 16: 'did you mean' for a mistyped column; ids without numpy reprs."""
    wide = panel.assign(**{f"extra_{i}": 0.0 for i in range(150)})
    with pytest.raises(MissingColumnError, match="did you mean 'cohort' for 'Cohort'") as info:
        att_gt(wide, **{**KW, "cohort": "Cohort"})
    assert f"(and {len(wide.columns) - 20} more)" in info.value.fix  # 20 listed
    with pytest.raises(UnbalancedPanelError) as unbalanced:
        att_gt(panel.drop(index=[3]), **KW)
    assert "np." not in str(unbalanced.value)
    assert f"units {panel.loc[3, 'unit']}." in str(unbalanced.value)


def test_anticipation_errors_mention_anticipation(panel: pd.DataFrame) -> None:
    with pytest.raises(NoValidCellsError, match=r"anticipation=5.*at most 3"):
        att_gt(panel, **KW, anticipation=5)  # cohorts 3 and 5 of periods 1..6
    with pytest.warns(EstimatorNote, match="plus anticipation=2"):
        att_gt(panel, **KW, anticipation=2)
