"""Registered unemployment, care use, benefit euros and service need (issue 20, items 2-3).

Expected values are written by hand from the seed definitions (``../shared/seeds/``; line
numbers cited at each test): unemployment months (``001_…`` l.5725, l.5747, Table 16
l.5824), the care
register's day surgery, inpatient stays and outpatient visits (l.5310-5311), health-service
use, benefits and cost effects to follow (recommendation 7, l.9193-9199), "received for at
least a month" (l.5359-5360) and distinct benefits (l.5633-5634).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.registers import jobseeker_months, need_indicators, register_outcomes

#: Hand-computed means are exact sums of a few numbers.
TOL = 1e-9

JOBSEEKER = pd.DataFrame(
    {
        "person_id": ["A", "A", "A", "A"],
        "status": ["unemployed", "laid_off", "employed_jobseeker", "unemployed"],
        "start": ["2017-01-15", "2017-03-01", "2017-05-01", "2018-01-10"],
        "end": ["2017-03-10", "2017-03-31", "2017-06-30", None],
    }
)


@pytest.mark.parametrize(
    ("rule", "months"),
    [
        # Jan (17 days), Feb (all), Mar (twice: once); Jan 2018 open -> to the data's end.
        ("any_day", [2017 * 12 + 0, 2017 * 12 + 1, 2017 * 12 + 2, 2018 * 12 + 0]),
        # Only Feb and Mar 2017 are covered fully; Jan 2018 runs 10-31 (22 days).
        ("full_month", [2017 * 12 + 1, 2017 * 12 + 2]),
        ("min_days=15", [2017 * 12 + 0, 2017 * 12 + 1, 2017 * 12 + 2, 2018 * 12 + 0]),
    ],
)
def test_registered_unemployment_months_come_from_jobseeker_status(
    rule: str, months: list[int]
) -> None:
    # 001_… l.5725, l.5747 and Table 16 (l.5824) follow unemployment months
    # (työttömyyskuukaudet) per person; the seed does not say how a month is counted, so
    # (issue 20) they come from the jobseeker status: unemployed or laid off count, an
    # employed jobseeker does not, and a month is counted by the month rule.
    got = jobseeker_months(JOBSEEKER, month_rule=rule)
    assert got["person_id"].tolist() == ["A"] * len(months)
    assert got["month_index"].tolist() == months


def _outcomes() -> pd.DataFrame:
    anchors = pd.DataFrame(
        {
            "person_id": ["A", "B", "C", "D"],
            "group": ["pilot", "comparison", "pilot", "comparison"],
            "anchor_month": ["2017-04-20", "2017-04-01", "2017-04-01", "2017-04-30"],
        }
    )
    care = pd.DataFrame(
        {
            "person_id": ["A", "A", "A", "B"],
            "date": ["2016-12-05", "2017-04-20", "2017-06-01", "2018-04-30"],
            "kind": ["outpatient_visit", "inpatient_stay", "day_surgery", "outpatient_visit"],
        }
    )
    payments = pd.DataFrame(
        {
            "person_id": ["A", "A", "A", "B", "B", "B", "D"],
            "month": ["2017-02", "2017-03", "2017-08", "2017-01", "2017-06", "2017-07", "2017-03"],
            "code": [
                "labour_market_subsidy",
                "labour_market_subsidy",
                "housing_allowance",
                "social_assistance_basic",
                "social_assistance_basic",
                "social_assistance_basic",
                "sickness_allowance",
            ],
            "amount_eur": [700.0, 700.0, 300.0, 500.0, 500.0, 500.0, 100.0],
        }
    )
    result = register_outcomes(
        anchors, jobseeker=JOBSEEKER, care=care, payments=payments, reference="comparison"
    )
    return result.tidy()


def _value(tidy: pd.DataFrame, group: str, measure: str, term: str, col: str = "estimate") -> float:
    row = tidy[(tidy["group"] == group) & (tidy["measure"] == measure) & (tidy["term"] == term)]
    assert len(row) == 1
    return float(row[col].iloc[0])


def test_windows_sum_each_measure_before_and_after_the_anchor_month() -> None:
    # Windows -12..-1 and 1..12 months around the anchor month (the anchor month itself is
    # in neither, as in months_in_window). Person A (anchor April 2017):
    #   unemployment months before: Jan, Feb, Mar 2017 = 3; after: Jan 2018 = 1;
    #   care (001_… l.5310-5311): Dec 2016 visit before; the April stay is the anchor
    #   month; the June day surgery after -> 1 and 1;
    #   euros: 700 + 700 before, 300 after.
    # Person C has no rows: zeros. So the pilot group's means are halves of A's values.
    tidy = _outcomes()
    assert _value(tidy, "pilot", "unemployment_months", "before") == pytest.approx(1.5, abs=TOL)
    assert _value(tidy, "pilot", "unemployment_months", "after") == pytest.approx(0.5, abs=TOL)
    assert _value(tidy, "pilot", "care_contacts", "before") == pytest.approx(0.5, abs=TOL)
    assert _value(tidy, "pilot", "care_contacts", "after") == pytest.approx(0.5, abs=TOL)
    # Cost per participant after entry and change in benefit spending (l.9193-9199:
    # "terveyspalveluiden käyttö, etuudet", "kustannusvaikutuksiin").
    assert _value(tidy, "pilot", "benefit_eur", "after") == pytest.approx(150.0, abs=TOL)
    assert _value(tidy, "pilot", "benefit_eur", "change") == pytest.approx(-550.0, abs=TOL)
    # B (anchor April 2017): 500 before (Jan), 1000 after (Jun, Jul); the April 2018 visit
    # is month +12, inside the window. D: 100 before (Mar), nothing after.
    assert _value(tidy, "comparison", "benefit_eur", "change") == pytest.approx(200.0, abs=TOL)
    assert _value(tidy, "comparison", "care_contacts", "after") == pytest.approx(0.5, abs=TOL)


def test_difference_in_change_is_welch_against_the_reference_group() -> None:
    tidy = _outcomes()
    # Changes: pilot A -1100, C 0 (mean -550); comparison B +500, D -100 (mean 200).
    est = _value(tidy, "pilot", "benefit_eur", "difference_in_change")
    assert est == pytest.approx(-750.0, abs=TOL)
    var_pilot = ((-1100 + 550) ** 2 + (0 + 550) ** 2) / 1 / 2
    var_comp = ((500 - 200) ** 2 + (-100 - 200) ** 2) / 1 / 2
    se = _value(tidy, "pilot", "benefit_eur", "difference_in_change", "std_error")
    assert se == pytest.approx(math.sqrt(var_pilot + var_comp), rel=1e-12)
    assert _value(tidy, "pilot", "benefit_eur", "difference_in_change", "n_persons") == 2
    assert not (tidy["group"].eq("comparison") & tidy["term"].eq("difference_in_change")).any()


def test_care_counts_and_bad_inputs_are_located() -> None:
    anchors = pd.DataFrame({"person_id": ["A"], "group": ["pilot"], "anchor_month": ["2017-04"]})
    counts = pd.DataFrame(
        {
            "person_id": ["A", "A"],
            "date": ["2017-05-01", "2017-06-01"],
            "kind": ["outpatient_visit", "outpatient_visit"],
            "visits": [3, 2],
        }
    )
    res = register_outcomes(anchors, care=counts)
    assert res.measures == ("care_contacts",)
    assert res.persons["care_contacts_after"].tolist() == [5.0]
    with pytest.raises(InputDataError, match="care row 2, column 'kind'"):
        register_outcomes(anchors, care=counts.assign(kind=["outpatient_visit", "dentist"]))
    with pytest.raises(InputDataError, match="payments row 1, column 'code'"):
        register_outcomes(
            anchors,
            payments=pd.DataFrame(
                {"person_id": ["A"], "month": ["2017-05"], "code": ["x"], "amount_eur": [1]}
            ),
        )
    with pytest.raises(MissingColumnError):
        register_outcomes(anchors, jobseeker=JOBSEEKER.drop(columns="status"))
    with pytest.raises(OptionError, match="no register extract"):
        register_outcomes(anchors)
    with pytest.raises(OptionError, match="reference group"):
        register_outcomes(anchors, care=counts, reference="comparison")


def test_need_indicators_count_the_target_population_and_its_benefit_use() -> None:
    # 002_… l.1036-1037 (need), 001_… l.5359-5360 (at least a month: n_benefits >= 1) and
    # l.5633-5634 (distinct benefits). Persons of the population without a panel row in the
    # year received nothing.
    years = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "q1", "q2", "p1"],
            "year": [2017, 2017, 2017, 2017, 2016],
            "n_benefits": [2, 0, 1, 3, 5],
        }
    )
    population = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3", "q1", "q2"],
            "region": ["Satakunta"] * 3 + ["Kainuu"] * 2,
        }
    )
    got = need_indicators(years, population, year_list=[2017]).table.set_index("region")
    assert got.loc["Satakunta", "population"] == 3
    assert got.loc["Satakunta", "recipients"] == 1
    assert got.loc["Satakunta", "recipients_share"] == pytest.approx(100 / 3, abs=TOL)
    assert got.loc["Satakunta", "mean_benefits"] == pytest.approx(2 / 3, abs=TOL)
    assert got.loc["Kainuu", "recipients_share"] == pytest.approx(100.0, abs=TOL)
    assert got.loc["Kainuu", "mean_benefits"] == pytest.approx(2.0, abs=TOL)
    tidy = need_indicators(years, population, year_list=[2017]).tidy()
    kainuu = tidy[tidy["region"] == "Kainuu"].set_index("indicator")
    assert kainuu.loc["register_population", "value"] == 2.0
    assert kainuu.loc["register_benefit_recipients", "n"] == 2
    with pytest.raises(OptionError, match="not in the panel"):
        need_indicators(years, population, year_list=[2030])


def test_outcomes_do_not_depend_on_row_order() -> None:
    anchors = pd.DataFrame(
        {"person_id": ["A", "B"], "group": ["g", "g"], "anchor_month": ["2017-04", "2017-04"]}
    )
    jobs = pd.concat([JOBSEEKER, JOBSEEKER.assign(person_id="B")], ignore_index=True)
    a = register_outcomes(anchors, jobseeker=jobs).persons
    shuffled = jobs.sample(frac=1.0, random_state=np.random.default_rng(3).integers(1 << 30))
    b = register_outcomes(anchors.iloc[::-1], jobseeker=shuffled).persons
    pd.testing.assert_frame_equal(
        a.sort_values("person_id", ignore_index=True), b.sort_values("person_id", ignore_index=True)
    )
