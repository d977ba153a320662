"""Register measures as the national report defines them (issue 20, item 3).

Expected values are written by hand from the definitions in the seed report
``../shared/seeds/001_…`` (line numbers cited at each test): the benefit list (l.5323-5345)
and Liite 4 (l.9956-10021).
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.registers import (
    CODE_TABLE,
    CODES,
    build_person_month_panel,
    build_person_year_panel,
)
from evaluation.registers.codes import BENEFIT_UNITS

#: Benefit rows of Liite 4 (heading l.9956-9957, rows l.9961-10021), as the seed writes them,
#: by group. The row
#: "Toimeentulotuki" above "Varsinainen" is the total of the four parts, not a benefit.
LIITE_4 = {
    "education": ["Aikuiskoulutustuki", "Ammatillinen tutkinto", "Korkeakoulututkinto"],
    "unemployment": [
        "Työttömyysturvan peruspäiväraha",
        "Työmarkkinatuki",
        "Julkisen työvoimapalvelun koulutustuki",
        "Julkisen työvoimapalvelun koulutustuki palkansaajille",
        "Kelan työttömyysturvan koulutuspäiväraha",
        "Ansioon suhteutettu työttömyyspäiväraha",
        "Ansioon suhteutettu koulutuspäiväraha",
        "Ansioon suhteutettu päiväraha YEL-/MYEL-vakuutetuille",
        "Koulutuspäiväraha YEL-/MYEL-vakuutetuille",
        "Julkisten työvoimapalvelun koulutustuki YEL-/MYEL-vakuutetuille",
    ],
    "rehabilitation": [
        "Työeläkelakien mukainen kuntoutusraha",
        "Työeläkelakien mukainen osakuntoutusraha",
        "Kuntoutusavustus TEL",
        "Osakuntoutusavustus TEL",
    ],
    "family": ["Perhe- ja vanhempainetuudet"],
    "incapacity": ["Sairauspäiväraha", "Osasairauspäiväraha", "Työkyvyttömyyseläke"],
    "social_assistance": [
        "Toimeentulotuki, varsinainen",
        "Toimeentulotuki, täydentävä",
        "Toimeentulotuki, ehkäisevä",
        "Toimeentulotuki, kuntouttava",
    ],
}
#: Benefits the text lists beside Liite 4: Kela's rehabilitation allowance (l.5331),
#: the accident compensations (l.5339) and the general housing allowance (l.5344-5345).
TEXT_BENEFITS = {
    "rehabilitation": ["Kelan kuntoutusraha"],
    "accident": ["Tapaturmavakuutuskorvaukset"],
    "housing": ["Yleinen asumistuki"],
}


def test_every_liite_4_benefit_has_a_code_in_its_group() -> None:
    by_seed_name: dict[str, set[str]] = {}
    for c in CODE_TABLE:
        if c.benefit_group is not None:
            by_seed_name.setdefault(c.seed_name_fi, set()).add(c.benefit_group)
    for source in (LIITE_4, TEXT_BENEFITS):
        for group, names in source.items():
            for name in names:
                assert by_seed_name.get(name) == {group}, name


def test_family_and_accident_components_count_as_one_benefit_each() -> None:
    # l.5326-5329: äitiysraha, erityisäitiysraha, isyysraha, vanhempainraha, osittainen
    # vanhempainraha, sairauspäivärahan aikainen vanhempainraha, kotihoidon tuki,
    # erityishoitoraha = one benefit "Perhe- ja vanhempainetuudet".
    family = [
        "maternity_allowance",
        "special_maternity_allowance",
        "paternity_allowance",
        "parental_allowance",
        "partial_parental_allowance",
        "parental_allowance_during_sickness_allowance",
        "child_home_care_allowance",
        "special_care_allowance",
    ]
    # l.5339-5343: tapaturmavakuutuksen päiväraha, liikennevakuutuksen ansionmenetyskorvaus,
    # sotilastapaturmavakuutuksen päiväraha, tapaturmavakuutuksen kuntoutuksen päiväraha ja
    # eläke, liikennevakuutuksen kuntoutuksen ansionmenetyskorvaus, sotilastapaturma-
    # vakuutuksen kuntoutuksen päiväraha ja eläke = one benefit "Tapaturmavakuutuskorvaukset".
    accident = [
        "accident_allowance",
        "traffic_accident_earnings_loss",
        "military_accident_allowance",
        "accident_rehabilitation_allowance",
        "accident_pension",
        "traffic_accident_rehabilitation_earnings_loss",
        "military_accident_rehabilitation_allowance",
        "military_accident_pension",
    ]
    assert {CODES[c].counting_unit for c in family} == {"family"}
    assert {CODES[c].counting_unit for c in accident} == {"accident"}
    assert CODES["labour_market_subsidy"].counting_unit == "labour_market_subsidy"
    assert CODES["employment_open"].counting_unit is None
    # 25 Liite 4 benefits (the social-assistance total excluded) + Kela rehabilitation
    # allowance + accident + housing = 28, plus the study grant of unknown level = 29.
    assert len(BENEFIT_UNITS) == 29


def _spells(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["person_id", "code", "start", "end"]).assign(
        start=lambda f: pd.to_datetime(f["start"]), end=lambda f: pd.to_datetime(f["end"])
    )


def _year(frame: pd.DataFrame, person: str) -> pd.Series:
    return frame[frame["person_id"] == person].iloc[0]


def test_distinct_benefit_count_merges_family_and_accident() -> None:
    # l.5633-5634: recipients got "noin kolmea eri etuutta tai etuuksien kokonaisuutta"
    # (about three distinct benefits or benefit aggregates) a year; l.5345-5348: family and
    # accident benefits are each one aggregate. Hand count for 2016:
    # A: labour market subsidy, basic allowance, maternity + parental allowance (family = 1),
    #    basic + supplementary social assistance -> 5 benefits in 3 groups.
    # B: accident allowance + accident pension + motor insurance compensation (accident = 1),
    #    housing allowance -> 2 benefits in 2 groups.
    # C: employment only -> 0 and 0.
    spells = _spells(
        [
            ("A", "labour_market_subsidy", "2016-01-01", "2016-03-31"),
            ("A", "unemployment_allowance_basic", "2016-04-01", "2016-05-31"),
            ("A", "maternity_allowance", "2016-06-01", "2016-08-31"),
            ("A", "parental_allowance", "2016-09-01", "2016-10-31"),
            ("A", "social_assistance_basic", "2016-01-01", "2016-01-31"),
            ("A", "social_assistance_supplementary", "2016-02-01", "2016-02-29"),
            ("B", "accident_allowance", "2016-01-01", "2016-01-31"),
            ("B", "accident_pension", "2016-02-01", "2016-12-31"),
            ("B", "traffic_accident_earnings_loss", "2016-03-01", "2016-03-31"),
            ("B", "housing_allowance", "2016-01-01", "2016-12-31"),
            ("C", "employment_open", "2016-01-01", None),
        ]
    )
    frame = build_person_year_panel(spells, start="2016-01", end="2016-12").to_pandas()
    counts = {
        p: (_year(frame, p)["n_benefits"], _year(frame, p)["n_benefit_groups"]) for p in "ABC"
    }
    assert counts == {"A": (5, 3), "B": (2, 2), "C": (0, 0)}
    # The monthly mask: March for B holds the accident unit and housing only.
    monthly = build_person_month_panel(spells, start="2016-01", end="2016-12").to_pandas()
    march = monthly[(monthly.person_id == "B") & (monthly.month.astype(str) == "2016-03-01")]
    expected = (1 << BENEFIT_UNITS.index("accident")) | (
        1 << BENEFIT_UNITS.index("housing_allowance")
    )
    assert int(march["benefit_units"].iloc[0]) == expected


MONTH_RULE_SPELLS = [
    ("A", "labour_market_subsidy", "2016-01-10", "2016-02-20"),  # 22 days Jan, 20 days Feb
    ("B", "housing_allowance", "2016-02-01", "2016-02-29"),  # all of February (leap year)
    ("C", "social_assistance_basic", "2016-03-31", "2016-03-31"),  # one day
]


@pytest.mark.parametrize(
    ("month_rule", "expected"),
    [
        # (A months, B months, C months), counted by hand from the day counts above
        ("any_day", (2, 1, 1)),
        ("full_month", (0, 1, 0)),
        ("min_days=15", (2, 1, 0)),
        ("min_days=21", (1, 1, 0)),
        ("min_days=30", (0, 1, 0)),  # February has 29 days: the whole month is enough
    ],
)
def test_month_rule_counts_months_by_days_covered(
    month_rule: str, expected: tuple[int, int, int]
) -> None:
    # l.5359-5360 and the Liite 4 heading (l.9956): a benefit is counted for a person and
    # year when it was received "vähintään kuukauden ajan", for at least a month.
    spells = _spells([(*r[:3], r[3]) for r in MONTH_RULE_SPELLS])
    frame = build_person_year_panel(
        spells, start="2016-01", end="2016-12", month_rule=month_rule
    ).to_pandas()
    got = (
        _year(frame, "A")["months_benefit_unemployment"],
        _year(frame, "B")["months_benefit_housing"],
        _year(frame, "C")["months_benefit_social_assistance"],
    )
    assert got == expected
    # "received >= 1 month" and the benefit count follow the same months
    assert _year(frame, "A")["received_unemployment"] == int(expected[0] > 0)
    assert _year(frame, "A")["n_benefits"] == int(expected[0] > 0)


def test_default_month_rule_is_any_day_and_bad_rules_are_refused() -> None:
    spells = _spells([(*r[:3], r[3]) for r in MONTH_RULE_SPELLS])
    default = build_person_month_panel(spells, start="2016-01", end="2016-06").to_pandas()
    explicit = build_person_month_panel(
        spells, start="2016-01", end="2016-06", month_rule="min_days=1"
    ).to_pandas()
    pd.testing.assert_frame_equal(default, explicit)
    for bad in ("weekly", "min_days=0", "min_days=32", "min_days=x"):
        with pytest.raises(OptionError, match="month rule"):
            build_person_month_panel(spells, start="2016-01", end="2016-06", month_rule=bad)


def test_open_spell_under_full_month_runs_to_the_extract_date() -> None:
    # An ongoing spell counts a month fully up to the extract date: with the extract on
    # 2016-05-15 under full_month, May is not a full month of benefit; without an extract
    # date the spell runs over the whole window.
    spells = _spells([("A", "sickness_allowance", "2016-03-01", None)])
    kw = {"start": "2016-01", "end": "2016-06", "month_rule": "full_month"}
    cut = build_person_month_panel(spells, extract_date="2016-05-15", **kw).to_pandas()
    assert cut["on_health_benefit"].tolist() == [0, 0, 1, 1, 0, 0]
    whole = build_person_month_panel(spells, **kw).to_pandas()
    assert whole["on_health_benefit"].tolist() == [0, 0, 1, 1, 1, 1]


def test_the_reports_month_rule_is_documented_with_its_seed_lines() -> None:
    # Issue 20 item 3: the month_rule options "with the report's rule documented": the
    # panel's rules name l.5359-5360 ("vähintään kuukauden ajan") and the granted months of
    # l.5318-5320, and say which option reproduces the report (the default any_day).
    from evaluation.registers import panel

    doc = " ".join((panel.__doc__ or "").split())
    assert "l.5359-5360" in doc and "vähintään kuukauden ajan" in doc
    assert "l.5318-5320" in doc
    assert '"any_day"`` is the rule that reproduces the report\'s month' in doc
