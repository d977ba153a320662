"""Staggered-DiD input suite: one test per defect family, message and location asserted."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.checks import ValidationReport, validate
from evaluation.errors import OptionError

ENGINES = ["pandas", "duckdb"]


def only(report: ValidationReport, family: str):  # type: ignore[no-untyped-def]
    assert report.families() == (family,), report.summary()
    return next(f for f in report.failures if f.family == family)


@pytest.mark.parametrize("engine", ENGINES)
def test_clean_did_input_passes(clean_did: pd.DataFrame, engine: str) -> None:
    shuffled = clean_did.sample(frac=1.0, random_state=1)  # row order does not matter
    assert validate("did_input", shuffled, engine=engine).ok  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_cohorts_in_one_unit(clean_did: pd.DataFrame, engine: str) -> None:
    clean_did.loc[clean_did["unit"].eq("U001") & clean_did["time"].ge(5), "cohort"] = 5
    clean_did["treated"] = (
        (clean_did["cohort"] > 0) & (clean_did["time"] >= clean_did["cohort"])
    ).astype(int)
    f = only(validate("did_input", clean_did, engine=engine), "cohort")  # type: ignore[arg-type]
    assert f.n_failed == 6 and f.rows == tuple(range(6, 12))  # every row of unit U001
    assert "more than one cohort" in f.what and "column 'cohort'" in f.where


@pytest.mark.parametrize("engine", ENGINES)
def test_gaps(clean_did: pd.DataFrame, engine: str) -> None:
    did = clean_did.drop(index=[14]).reset_index(drop=True)  # U002 misses period 3
    f = only(validate("did_input", did, engine=engine), "gaps")  # type: ignore[arg-type]
    assert f.n_failed == 5 and f.rows == (12, 13, 14, 15, 16)


@pytest.mark.parametrize("engine", ENGINES)
def test_treatment_not_absorbing(clean_did: pd.DataFrame, engine: str) -> None:
    clean_did.loc[17, "treated"] = 0  # U002 (cohort 4) switches off in period 6
    f = only(validate("did_input", clean_did, engine=engine), "absorbing")  # type: ignore[arg-type]
    assert f.rows == (17,) and "not absorbing" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_too_few_comparison_units(did_factory, engine: str) -> None:  # type: ignore[no-untyped-def]
    did = did_factory(n_units=9)  # 3 never-treated units, cohort 4 has only those
    report = validate("did_input", did, engine=engine)  # type: ignore[arg-type]
    f = only(report, "comparison")
    assert f.n_failed == 1 and f.values == (4,)
    assert "too few comparison units: '4'" in f.what
    assert validate("did_input", did, min_comparison_units=3).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_always_treated(clean_did: pd.DataFrame, engine: str) -> None:
    unit = clean_did["unit"].eq("U001")
    clean_did.loc[unit, "cohort"] = 1
    clean_did.loc[unit, "treated"] = 1
    f = only(validate("did_input", clean_did, engine=engine), "cohort_window")  # type: ignore[arg-type]
    assert f.rows == tuple(range(6, 12))


@pytest.mark.parametrize("engine", ENGINES)
def test_outcome_outside_domain(clean_did: pd.DataFrame, engine: str) -> None:
    clean_did.loc[40, "outcome"] = 1.5
    f = only(validate("did_input", clean_did, engine=engine), "domain")  # type: ignore[arg-type]
    assert f.column == "outcome" and f.rows == (40,) and "1.5" in f.what


@pytest.mark.parametrize("engine", ENGINES)
def test_duplicate_unit_period(clean_did: pd.DataFrame, engine: str) -> None:
    did = pd.concat([clean_did, clean_did.iloc[[0]]], ignore_index=True)
    f = only(validate("did_input", did, engine=engine), "unique")  # type: ignore[arg-type]
    assert f.rows == (0, len(did) - 1)


def test_missing_outcome(clean_did: pd.DataFrame) -> None:
    clean_did.loc[2, "outcome"] = None
    f = only(validate("did_input", clean_did), "required")
    assert f.column == "outcome" and f.rows == (2,)


def test_column_roles_and_options(clean_did: pd.DataFrame) -> None:
    renamed = clean_did.rename(
        columns={"unit": "person_id", "time": "month_index", "cohort": "g", "outcome": "y"}
    ).drop(columns="treated")
    report = validate(
        "did_input",
        renamed,
        treated=False,
        columns={"unit": "person_id", "time": "month_index", "cohort": "g", "outcome": "y"},
    )
    assert report.ok, report.summary()
    with pytest.raises(OptionError, match="unknown role"):
        validate("did_input", renamed, columns={"id": "person_id"})
    with pytest.raises(OptionError, match="apply to kind 'did_input' only"):
        validate("panel", renamed, min_comparison_units=3)
