"""The code table: contract codes, groups, flags, precedence, labels."""

from __future__ import annotations

import pytest

from evaluation.errors import OptionError
from evaluation.registers import (
    BENEFIT_GROUPS,
    CODE_TABLE,
    CODES,
    NO_STATUS,
    closest_code,
    code_table,
    get_code,
)

CONTRACT_GROUPS = {
    "unemployment_allowance_earnings_related": "unemployment",
    "unemployment_allowance_basic": "unemployment",
    "labour_market_subsidy": "unemployment",
    "sickness_allowance": "incapacity",
    "partial_sickness_allowance": "incapacity",
    "disability_pension": "incapacity",
    "rehabilitation_allowance": "rehabilitation",
    "vocational_rehabilitation": "rehabilitation",
    "social_assistance_basic": "social_assistance",
    "housing_allowance": "housing",
    "study_grant": "education",
    "parental_allowance": "family",
    "accident_allowance": "accident",
}
CONTRACT_KINDS = {
    "employment_open": "employment",
    "employment_pay_subsidy": "employment",
    "study_degree": "study",
    "service_job_coaching": "service",
    "service_work_trial": "service",
    "service_rehabilitative_work_activity": "service",
    "service_labour_market_training": "service",
    "service_social_rehabilitation": "service",
}


def test_contract_codes_present_with_groups_and_kinds() -> None:
    for code, group in CONTRACT_GROUPS.items():
        assert CODES[code].kind == "benefit"
        assert CODES[code].benefit_group == group
    for code, kind in CONTRACT_KINDS.items():
        assert CODES[code].kind == kind
        assert CODES[code].benefit_group is None
    assert set(BENEFIT_GROUPS) == set(CONTRACT_GROUPS.values())


def test_flags() -> None:
    unemployment = {c.code for c in CODE_TABLE if c.is_unemployment_benefit}
    # every code of the unemployment group (Liite 4: allowances and training supports)
    assert unemployment == {c.code for c in CODE_TABLE if c.benefit_group == "unemployment"}
    assert {k for k, g in CONTRACT_GROUPS.items() if g == "unemployment"} <= unemployment
    health = {c.code for c in CODE_TABLE if c.is_health_benefit}
    assert {"sickness_allowance", "disability_pension", "rehabilitation_allowance"} <= health
    assert "labour_market_subsidy" not in health
    # last-resort and supplementary benefits are not main benefits
    for code in ("social_assistance_basic", "housing_allowance", "study_grant"):
        assert not CODES[code].is_main_benefit
    assert CODES["employment_open"].is_open_market_employment
    assert not CODES["employment_pay_subsidy"].is_open_market_employment
    assert CODES["employment_pay_subsidy"].is_employment


def test_precedence_unique_and_employment_first() -> None:
    ranks = sorted(c.precedence for c in CODE_TABLE)
    assert ranks == list(range(1, len(CODE_TABLE) + 1))
    rank = {c.code: c.precedence for c in CODE_TABLE}
    benefits = [c.precedence for c in CODE_TABLE if c.kind == "benefit"]
    assert rank["employment_open"] < rank["employment_pay_subsidy"] < min(benefits)
    assert rank["sickness_allowance"] < rank["labour_market_subsidy"]
    assert rank["labour_market_subsidy"] < rank["social_assistance_basic"]
    assert NO_STATUS not in CODES


def test_code_table_frame() -> None:
    frame = code_table()
    assert list(frame["code"]) == [c.code for c in CODE_TABLE]
    assert frame["precedence"].is_monotonic_increasing
    for col in ("label_fi", "label_sv", "label_en"):
        assert (frame[col].str.len() > 0).all()
    assert frame.loc[frame["code"] == "housing_allowance", "benefit_group"].item() == "housing"


def test_closest_code_and_get_code() -> None:
    assert closest_code("sickness") == "sickness_allowance"
    assert closest_code("Labour market subsidy") == "labour_market_subsidy"
    assert closest_code("zzzzzz") is None
    assert get_code("study_grant").label_en == "Study grant"
    with pytest.raises(OptionError, match="did you mean 'labour_market_subsidy'"):
        get_code("labor_market_subsidy")
