"""The instrument as the seed report defines it (issue 20, item 1).

Seed ``001_f30848f05d3f04a5.txt`` (VN TEAS 2020:40): the work-ability question (l.4955-4957),
the skills domain with motivation and self-efficacy (l.5219-5222), the adjusted comparison
of Table 12 by age and 3-level education (l.5132-5135), the first and the latest answer
(l.4900-4902), the outcome groups (l.4908-4911, l.4928-4930: "other" left out) and the rule
that a score must never exclude anyone from a service (l.5234-5237).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.schema import load_schema
from evaluation.workbook.instrument import (
    baseline_means,
    ethics_rule,
    paired_change,
    predictive_validity,
    score_frame,
)

#: Exact, noise-free data: the regression recovers its coefficients up to float rounding.
TOL = 1e-9


def test_work_ability_question_is_the_seeds() -> None:
    # seed 001 l.4955-4957: "Oletetaan, että työkykysi on parhaimmillaan saanut 10
    # pistettä. Minkä pistemäärän antaisit nykyiselle työkyvyllesi? 0 = En pysty lainkaan
    # työhön, 10 = Työkykyni on parhaimmillaan"
    item = load_schema().instrument("work_ability_functioning").item("work_ability")
    fi = item.label.fi
    assert fi.startswith(
        "Oletetaan, että työkykysi on parhaimmillaan saanut 10 pistettä. Minkä pistemäärän "
        "antaisit nykyiselle työkyvyllesi?"
    )
    assert "0 = En pysty lainkaan työhön" in fi
    assert "10 = Työkykyni on parhaimmillaan" in fi
    assert (item.min, item.max) == (0, 10)


def test_skills_domain_holds_cognition_motivation_and_self_efficacy() -> None:
    # seed 001 l.5219-5222: the Taidot section holds questions on cognitive functioning,
    # motivation and self-efficacy for work or education.
    inst = load_schema().instrument("work_ability_functioning")
    skills = next(s for s in inst.scores if s.id == "cognitive")
    assert skills.label.fi.startswith("Taidot")
    assert "motivaatio" in skills.label.fi and "pystyvyys" in skills.label.fi
    labels = [inst.item(i).label.fi for i in skills.items]
    assert len(labels) == 5
    assert "Haluan päästä työhön tai koulutukseen." in labels  # motivation
    assert "Uskon pystyväni työhön tai koulutukseen." in labels  # self-efficacy


def test_skills_score_counts_motivation_and_self_efficacy() -> None:
    # seed 001 l.5219-5222: the Taidot score holds cognition, motivation and self-efficacy.
    # Two clients with the same cognition answers (4, 4, 4); a wants work and believes in
    # managing it (5, 5), b does not (1, 1); every other item is 3.
    # by hand: a (4+4+4+5+5)/5 = 4.4 -> (4.4-1)/4*100 = 85; b (4+4+4+1+1)/5 = 2.8 -> 45;
    # the other four domains (all items 3) score (3-1)/4*100 = 50, so the overall score
    # (mean of the five domains) is (4*50 + 85)/5 = 57 for a and (4*50 + 45)/5 = 49 for b.
    inst = load_schema().instrument("work_ability_functioning")
    base = {it.id: 3 for it in inst.items} | {"cognitive_1": 4, "cognitive_2": 4, "cognitive_3": 4}
    answers = pd.DataFrame(
        [base | {"cognitive_4": 5, "cognitive_5": 5}, base | {"cognitive_4": 1, "cognitive_5": 1}]
    )
    got = score_frame(answers)
    assert got["cognitive"].tolist() == pytest.approx([85.0, 45.0], abs=TOL)
    assert got["social"].tolist() == pytest.approx([50.0, 50.0], abs=TOL)
    assert got["overall"].tolist() == pytest.approx([57.0, 49.0], abs=TOL)


def test_client_sheet_has_age_and_three_education_levels() -> None:
    # seed 001 l.5133-5134: "ei ammatillista koulutusta, ammattikoulu, vähintään
    # opisto/ammattikorkeakoulututkinto"
    schema = load_schema()
    clients = schema.section("clients")
    assert clients.field("age").type == "integer"
    edu = schema.codelist(clients.field("education").codelist or "")
    assert [c.label.fi for c in edu.codes] == [
        "Ei ammatillista koulutusta",
        "Ammattikoulu",
        "Vähintään opisto- tai ammattikorkeakoulututkinto",
    ]


def _confounded() -> pd.DataFrame:
    """Eight clients whose score is exactly 20 + 6·group + 0.5·age + education effect.

    Education effects: none 0, vocational 3, college or higher 8. The positive group
    is older, so the raw difference is larger than 6.
    """
    pos = [
        (30, "vocational"),
        (40, "college_or_higher"),
        (50, "no_vocational"),
        (60, "college_or_higher"),
    ]
    neg = [(20, "no_vocational"), (25, "no_vocational"), (30, "vocational"), (35, "vocational")]
    edu = {"no_vocational": 0.0, "vocational": 3.0, "college_or_higher": 8.0}
    rows = []
    for k, (group, people) in enumerate((("work_contract", pos), ("unemployed", neg))):
        for i, (age, e) in enumerate(people):
            score = 20 + 6 * (k == 0) + 0.5 * age + edu[e]
            rows.append(
                {
                    "client_id": f"c{k}{i}",
                    "wave": "baseline",
                    "date": pd.Timestamp("2018-01-01"),
                    "outcome_3m": group,
                    "age": age,
                    "education": e,
                    "overall": score,
                }
            )
    frame = pd.DataFrame(rows)
    frame["age"] = frame["age"].astype("Int64")
    frame["education"] = frame["education"].astype("string")
    return frame


def test_adjusted_difference_recovers_the_group_effect_beside_the_raw_one() -> None:
    # seed 001 l.5132-5135: the Table 12 comparison adjusted for age and 3-level education.
    s = _confounded()
    row = predictive_validity(s, score_ids=("overall",)).tidy().iloc[0]
    # by hand: positive scores 20+6+15+3=44, 20+6+20+8=54, 20+6+25+0=51, 20+6+30+8=64
    # -> mean 53.25; negative 30, 32.5, 38, 40.5 -> mean 35.25; raw difference 18.0
    assert row["mean_positive"] == pytest.approx(53.25, abs=TOL)
    assert row["mean_negative"] == pytest.approx(35.25, abs=TOL)
    assert row["estimate"] == pytest.approx(18.0, abs=TOL)
    assert row["adjusted_estimate"] == pytest.approx(6.0, abs=1e-8)  # the true group effect
    assert row["n_adjusted"] == 8


def test_a_difference_explained_by_age_is_not_significant_after_adjustment() -> None:
    # seed 001 l.5132-5135: the significance of several raw differences vanished once
    # age and education were taken into account. Here the score depends on age only.
    rng = np.random.default_rng(20)
    n = 80
    positive = np.arange(n) < n // 2
    age = np.where(positive, rng.normal(45, 5, n), rng.normal(30, 5, n)).round()
    edu = rng.choice(["no_vocational", "vocational", "college_or_higher"], n)
    score = 10 + 1.0 * age + rng.normal(0, 4, n)
    s = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(n)],
            "wave": "baseline",
            "date": pd.Timestamp("2018-01-01"),
            "outcome_3m": np.where(positive, "degree_education", "other_employment_service"),
            "age": age,
            "education": edu,
            "overall": score,
        }
    )
    row = predictive_validity(s, score_ids=("overall",), test="ttest").tidy().iloc[0]
    assert row["p_value"] < 0.001
    assert row["adjusted_p_value"] > 0.05
    assert abs(row["adjusted_estimate"]) < 3 * row["adjusted_std_error"]


def test_without_covariates_the_adjusted_comparison_is_missing_with_a_note() -> None:
    s = _confounded().drop(columns=["age", "education"])
    res = predictive_validity(s, score_ids=("overall",))
    assert np.isnan(res.tidy()["adjusted_estimate"].iloc[0])
    assert any("age, education not recorded" in n for n in res.notes)
    assert ethics_rule() in res.summary()
    assert "must never be used to exclude anyone from a service" in ethics_rule()


def _follow_ups() -> pd.DataFrame:
    """Client a: baseline 2, follow-ups 4 (March) and 7 (September); client b: baseline
    5, one follow-up 6 (June). Rows are deliberately out of date order."""
    rows = [
        ("a", "follow_up", "2018-09-01", 7.0),
        ("a", "baseline", "2018-01-01", 2.0),
        ("a", "follow_up", "2018-03-01", 4.0),
        ("b", "baseline", "2018-01-01", 5.0),
        ("b", "follow_up", "2018-06-01", 6.0),
    ]
    return pd.DataFrame(
        {
            "client_id": [r[0] for r in rows],
            "wave": [r[1] for r in rows],
            "date": pd.to_datetime([r[2] for r in rows]),
            "service_group": "te",
            "work_ability": [r[3] for r in rows],
        }
    )


def test_first_vs_latest_answer_with_several_follow_ups() -> None:
    # seed 001 l.4900-4902: "Vähintään kaksi kertaa täyttäneiden osalta esitetään myös
    # ensimmäisen ja viimeisimmän kyselykerran vertailu" (first vs latest answer).
    s = _follow_ups()
    latest = paired_change(s, score_ids=("work_ability",), min_n=1).tidy().iloc[0]
    # by hand: a 2 -> 7 (+5), b 5 -> 6 (+1): mean change 3, baseline 3.5, latest 6.5
    assert latest["n"] == 2
    assert latest["estimate"] == pytest.approx(3.0, abs=TOL)
    assert latest["mean_follow_up"] == pytest.approx(6.5, abs=TOL)
    first = paired_change(s, score_ids=("work_ability",), min_n=1, follow_up="first")
    # a 2 -> 4 (+2), b +1: mean 1.5
    assert first.tidy().iloc[0]["estimate"] == pytest.approx(1.5, abs=TOL)
    # mean days: a 2018-01-01 -> 2018-09-01 = 243, b -> 2018-06-01 = 151; mean 197
    assert latest["mean_days"] == pytest.approx(197.0, abs=TOL)
    means = baseline_means(s, wave="follow_up", score_ids=("work_ability",), min_n=1)
    assert means.tidy().set_index("group").loc["all", "mean"] == pytest.approx(6.5, abs=TOL)
    with pytest.raises(OptionError, match="follow_up"):
        paired_change(s, score_ids=("work_ability",), follow_up="middle")  # type: ignore[arg-type]


def test_instrument_analyses_bundle_tables_10_to_12() -> None:
    from evaluation.synthetic.filled_workbooks import filled_evaluation
    from evaluation.workbook.instrument import instrument_analyses

    scores = filled_evaluation("Fokus", seed=20, lang="en").scores()
    res = instrument_analyses(scores)
    tables = res.tables()
    assert set(tables) == {"baseline", "change", "validity"}
    # several follow-ups exist in the synthetic data; the change uses one row per client
    followed = scores[scores["wave"] == "follow_up"]
    assert followed["client_id"].duplicated().any()
    all_change = tables["change"].set_index(["score", "group"]).loc[("overall", "all")]
    assert all_change["n"] == followed.dropna(subset=["overall"])["client_id"].nunique()
    long = res.tidy()
    assert set(long["analysis"]) == {"baseline", "change", "validity_adjusted"}
    assert res.summary().count(ethics_rule()) == 1
    assert res.plot().axes


def test_outcome_groups_are_the_seeds_and_other_is_left_out() -> None:
    # seed 001 l.4908-4911: three months after the service, a work contract of at least 6
    # months, degree studies, another employment service or unemployed jobseeker;
    # l.4928-4930: work and study form one group, other service and unemployment the
    # other; "Muuhun tilanteeseen siirtyneet jätettiin analyysin ulkopuolelle".
    labels = {c.code: c.label.fi for c in load_schema().codelist("outcome_3m").codes}
    assert labels["work_contract"] == "Vähintään 6 kuukauden työsopimus"
    assert labels["unemployed"] == "Työtön työnhakija"
    rows = [
        ("work_contract", 60.0),
        ("degree_education", 70.0),
        ("other_employment_service", 40.0),
        ("unemployed", 50.0),
        ("other", 100.0),  # left out: counted on either side it would move a mean
    ]
    s = pd.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(len(rows))],
            "wave": "baseline",
            "date": pd.Timestamp("2018-01-01"),
            "outcome_3m": [r[0] for r in rows],
            "overall": [r[1] for r in rows],
        }
    )
    row = predictive_validity(s, score_ids=("overall",), adjust_for=()).tidy().iloc[0]
    # by hand: positive (60 + 70) / 2 = 65, negative (40 + 50) / 2 = 45, difference 20;
    # every positive score is above every negative one: AUC = 4/4 pairs = 1.
    assert (row["n_positive"], row["n_negative"]) == (2, 2)
    assert row["mean_positive"] == pytest.approx(65.0, abs=TOL)
    assert row["mean_negative"] == pytest.approx(45.0, abs=TOL)
    assert row["estimate"] == pytest.approx(20.0, abs=TOL)
    assert row["auc"] == pytest.approx(1.0, abs=TOL)


def test_every_score_summary_carries_the_ethics_rule() -> None:
    # seed 001 l.5234-5237: "ei tulos saa olla palvelua poissulkeva, vaan asiakkaalle
    # palvelusta tietoa antava ja hänen omaa päätöksentekoaan tukeva".
    assert "Pisteitä ei saa koskaan käyttää kenenkään rajaamiseen palvelun ulkopuolelle" in (
        ethics_rule("fi")
    )
    assert "aldrig användas för att utestänga någon från en tjänst" in ethics_rule("sv")
    s = _follow_ups()
    ids = ("work_ability",)
    texts = {
        "baseline_means": baseline_means(s, score_ids=ids, min_n=1).summary(),
        "paired_change": paired_change(s, score_ids=ids, min_n=1).summary(),
        "predictive_validity": predictive_validity(_confounded(), score_ids=("overall",)).summary(),
    }
    for name, text in texts.items():
        assert text.count(ethics_rule()) == 1, name
