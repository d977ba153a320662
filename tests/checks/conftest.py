"""Fixtures of the data-check tests: small clean inputs of every kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.model import SelfEvaluation


@pytest.fixture(scope="session")
def clean_evaluation() -> SelfEvaluation:
    """A clean filled self-evaluation of one synthetic pilot."""
    return filled_evaluation("Fokus", seed=7)


@pytest.fixture
def clean_spells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["P0000001", "P0000001", "P0000002", "P0000003"],
            "code": [
                "labour_market_subsidy",
                "employment_open",
                "sickness_allowance",
                "study_degree",
            ],
            "start": pd.to_datetime(["2020-01-15", "2020-03-31", "2020-02-01", "2019-09-01"]),
            "end": pd.to_datetime(["2020-04-10", "2020-06-30", None, "2020-05-31"]),
        }
    )


def make_panel(n_persons: int = 4, n_months: int = 6) -> pd.DataFrame:
    """A clean person-month panel (Jan 2020 onwards)."""
    months = pd.date_range("2020-01-01", periods=n_months, freq="MS")
    rows = []
    for p in range(n_persons):
        for m in months:
            emp = int((p + m.month) % 3 == 0)
            rows.append(
                {
                    "person_id": f"P{p:07d}",
                    "month": m,
                    "month_index": m.year * 12 + m.month - 1,
                    "status": "employment_open" if emp else "labour_market_subsidy",
                    "employed": emp,
                    "employed_open_market": emp,
                    "on_main_benefit": 1 - emp,
                    "on_unemployment_benefit": 1 - emp,
                    "on_health_benefit": 0,
                    "in_education": 0,
                    "in_service": 0,
                }
            )
    frame = pd.DataFrame(rows)
    outcomes = [c for c in frame.columns if c.startswith(("employed", "on_", "in_"))]
    return frame.astype(dict.fromkeys(outcomes, "int8"))


@pytest.fixture
def clean_panel() -> pd.DataFrame:
    return make_panel()


def make_did(n_units: int = 30, n_periods: int = 6) -> pd.DataFrame:
    """A clean staggered-DiD input: cohorts 3 and 4, a third never treated."""
    rng = np.random.default_rng(3)
    rows = []
    for u in range(n_units):
        cohort = (0, 3, 4)[u % 3]
        for t in range(1, n_periods + 1):
            rows.append(
                {
                    "unit": f"U{u:03d}",
                    "time": t,
                    "cohort": cohort,
                    "treated": int(cohort != 0 and t >= cohort),
                    "outcome": float(rng.uniform()),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def clean_did() -> pd.DataFrame:
    return make_did()


@pytest.fixture
def panel_factory():  # type: ignore[no-untyped-def]
    """Factory of clean panels: ``panel_factory(n_persons, n_months)``."""
    return make_panel


@pytest.fixture
def did_factory():  # type: ignore[no-untyped-def]
    """Factory of clean DiD inputs: ``did_factory(n_units, n_periods)``."""
    return make_did
