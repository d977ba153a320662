"""Shared fixtures of the register-spine tests."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

Row = tuple[str | None, str | None, str | None, str | None]


def _make_spells(rows: list[Row]) -> pd.DataFrame:
    """Spells frame from (person_id, code, start, end) tuples; None = missing."""
    return pd.DataFrame(
        {
            "person_id": pd.array([r[0] for r in rows], dtype="str"),
            "code": pd.array([r[1] for r in rows], dtype="str"),
            "start": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="object")),
            "end": pd.to_datetime(pd.Series([r[3] for r in rows], dtype="object")),
        }
    )


@pytest.fixture
def make_spells() -> Callable[[list[Row]], pd.DataFrame]:
    """Factory: spells frame from (person_id, code, start, end) tuples."""
    return _make_spells


@pytest.fixture
def basic_spells() -> pd.DataFrame:
    """Hand-made spells with overlaps, gaps, open ends, month crossings and one-day spells.

    Window used in the tests: 2020-01 .. 2020-06.
    """
    return _make_spells(
        [
            # A: labour market subsidy Jan 15 - Apr 10, open-market job Mar 31 - Apr 1
            #    (overlap: employment wins in Mar and Apr), gap in May, social assistance Jun.
            ("A", "labour_market_subsidy", "2020-01-15", "2020-04-10"),
            ("A", "employment_open", "2020-03-31", "2020-04-01"),
            ("A", "social_assistance_basic", "2020-06-30", "2020-06-30"),  # one day
            # B: housing allowance from 2019 to Feb 1 (one day of Feb), sickness open-ended.
            ("B", "housing_allowance", "2019-05-01", "2020-02-01"),
            ("B", "sickness_allowance", "2020-02-01", None),
            # C: spells entirely outside the window (person still in the panel).
            ("C", "study_degree", "2018-01-01", "2019-12-31"),
            ("C", "disability_pension", "2020-07-01", None),
            # D: pay-subsidised job + job coaching + labour market subsidy in the same month.
            ("D", "service_job_coaching", "2020-02-10", "2020-03-20"),
            ("D", "employment_pay_subsidy", "2020-03-01", "2020-05-31"),
            ("D", "labour_market_subsidy", "2020-01-01", "2020-02-29"),
        ]
    )
