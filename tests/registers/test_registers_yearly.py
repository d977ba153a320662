"""Person-year aggregation checked against hand-computed values."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.registers import (
    BENEFIT_GROUPS,
    RECEIVED_COLUMNS,
    build_person_month_panel,
    build_person_year_panel,
)


def _row(frame: pd.DataFrame, person: str, year: int) -> pd.Series:
    part = frame[(frame["person_id"] == person) & (frame["year"] == year)]
    assert len(part) == 1
    return part.iloc[0]


def test_hand_computed_half_year(basic_spells: pd.DataFrame) -> None:
    years = build_person_year_panel(basic_spells, start="2020-01", end="2020-06")
    frame = years.to_pandas()
    assert len(frame) == 4 and set(frame["months_observed"]) == {6}
    a = _row(frame, "A", 2020)
    assert a["months_employed"] == 2
    assert a["months_on_unemployment_benefit"] == 4
    assert a["months_benefit_unemployment"] == 4
    assert a["months_benefit_social_assistance"] == 1
    assert (a["received_unemployment"], a["received_social_assistance"]) == (1, 1)
    assert a["received_housing"] == 0
    assert a["n_benefit_groups"] == 2
    b = _row(frame, "B", 2020)
    assert (b["months_benefit_housing"], b["months_benefit_incapacity"]) == (2, 5)
    assert b["months_on_health_benefit"] == 5 and b["months_on_main_benefit"] == 5
    assert b["n_benefit_groups"] == 2
    c = _row(frame, "C", 2020)
    assert c["n_benefit_groups"] == 0 and c["months_employed"] == 0
    d = _row(frame, "D", 2020)
    assert (d["months_employed"], d["months_employed_open_market"]) == (3, 0)
    assert (d["months_in_service"], d["months_benefit_unemployment"]) == (2, 2)
    assert d["n_benefit_groups"] == 1
    # n_benefit_groups is the row sum of the received flags
    assert (frame[list(RECEIVED_COLUMNS)].sum(axis=1) == frame["n_benefit_groups"]).all()


def test_across_years_and_from_panel(basic_spells: pd.DataFrame) -> None:
    participants = pd.DataFrame(
        {"person_id": ["B"], "pilot": ["Pähee Ote"], "entry_date": pd.to_datetime(["2020-02-03"])}
    )
    monthly = build_person_month_panel(
        basic_spells, start="2019-11", end="2020-02", participants=participants
    )
    frame = build_person_year_panel(monthly).to_pandas()
    assert len(frame) == 8  # 4 persons x 2 years
    b19, b20 = _row(frame, "B", 2019), _row(frame, "B", 2020)
    assert (b19["months_observed"], b19["months_benefit_housing"]) == (2, 2)
    assert (b20["months_benefit_housing"], b20["months_benefit_incapacity"]) == (2, 1)
    assert (b19["n_benefit_groups"], b20["n_benefit_groups"]) == (1, 2)
    assert (b19["pilot"], b19["entry_year"], b19["years_since_entry"]) == ("Pähee Ote", 2020, -1)
    assert pd.isna(_row(frame, "A", 2020)["pilot"])
    with pytest.raises(OptionError, match="cannot be used with a person-month panel"):
        build_person_year_panel(monthly, start="2019-01")
    with pytest.raises(OptionError, match="start and end are required"):
        build_person_year_panel(basic_spells)


def test_tidy_summary_plot(basic_spells: pd.DataFrame) -> None:
    years = build_person_year_panel(basic_spells, start="2020-01", end="2020-06")
    tidy = years.tidy()
    assert len(tidy) == len(BENEFIT_GROUPS)
    unemp = tidy[tidy["benefit_group"] == "unemployment"].iloc[0]
    assert (unemp["n_received"], unemp["share"]) == (2, pytest.approx(0.5))
    assert unemp["mean_months"] == pytest.approx((4 + 2) / 4)
    assert "2020" in years.summary()
    assert len(years.plot().axes) == 1
