"""Readiness theme scores against hand-computed values, with small-group suppression."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evaluation.errors import MissingColumnError, OptionError
from evaluation.process import readiness_scores
from evaluation.process.readiness import theme_ids

#: Scores are exact arithmetic means.
TOL = 1e-9
STEMS = ("leadership", "culture", "competence", "technology", "economics")


def _answers(pilot: str, rnd: int, rid: str, per_theme: tuple[tuple[int, int, int], ...]) -> dict:
    rec: dict = {"pilot": pilot, "respondent_id": rid, "survey_round": rnd, "role": "professional"}
    for stem, items in zip(STEMS, per_theme, strict=True):
        for k, v in enumerate(items, start=1):
            rec[f"{stem}_{k}"] = v
    return rec


def _frame() -> pd.DataFrame:
    same = ((1, 3, 5), (5, 5, 5), (1, 1, 1), (2, 3, 4), (4, 4, 5))
    rows = [_answers("A", 1, f"r{i}", same) for i in range(4)]
    rows.append(_answers("A", 1, "r9", ((5, 5, 5),) * 5))
    rows += [_answers("A", 2, f"r{i}", same) for i in range(3)]  # too few in round 2
    return pd.DataFrame(rows)


def test_theme_scores_by_hand() -> None:
    assert theme_ids() == (
        *("leadership_legal", "culture_practices", "competence", "technology", "economics"),
        "overall",
    )
    frame = _frame()
    before = frame.copy()
    res = readiness_scores(frame)
    pd.testing.assert_frame_equal(frame, before)
    # one respondent: (1,3,5) -> mean 3 -> (3-1)/4*100 = 50; (5,5,5) -> 100; (1,1,1) -> 0;
    # (2,3,4) -> 50; (4,4,5) -> (13/3-1)/4*100 = 83.33; overall = mean of the five
    r0 = res.respondents.iloc[0]
    assert r0["leadership_legal"] == pytest.approx(50.0, abs=TOL)
    assert r0["culture_practices"] == pytest.approx(100.0, abs=TOL)
    assert r0["competence"] == pytest.approx(0.0, abs=TOL)
    assert r0["economics"] == pytest.approx(250 / 3, abs=TOL)
    overall0 = (50 + 100 + 0 + 50 + 250 / 3) / 5
    assert r0["overall"] == pytest.approx(overall0, abs=TOL)
    t = res.tidy().set_index(["pilot", "survey_round", "theme"])
    # round 1: four respondents as r0 and one with 100 everywhere
    assert t.loc[("A", 1, "leadership_legal"), "mean"] == pytest.approx((4 * 50 + 100) / 5)
    assert t.loc[("A", 1, "competence"), "mean"] == pytest.approx(100 / 5)
    assert t.loc[("A", 1, "overall"), "mean"] == pytest.approx((4 * overall0 + 100) / 5)
    assert t.loc[("A", 1, "overall"), "n"] == 5
    # round 2 has three respondents: suppressed
    assert bool(t.loc[("A", 2, "overall"), "suppressed"])
    assert math.isnan(t.loc[("A", 2, "overall"), "mean"])
    wide = res.wide()
    assert list(wide.columns) == ["pilot", "survey_round", "n", *theme_ids()]
    ch = res.change().set_index(["pilot", "theme"])
    assert ch.loc[("A", "overall"), "first_round"] == 1
    assert ch.loc[("A", "overall"), "last_round"] == 2
    assert math.isnan(ch.loc[("A", "overall"), "change"])  # round 2 is suppressed
    small = readiness_scores(frame, min_n=3).change().set_index(["pilot", "theme"])
    # round 2: three respondents as r0 -> 50; round 1 mean (4 * 50 + 100) / 5 = 60
    assert small.loc[("A", "leadership_legal"), "change"] == pytest.approx(-10.0, abs=TOL)
    assert "suppressed" in res.summary()
    assert res.plot().axes


def test_row_order_invariance_and_options() -> None:
    frame = _frame()
    a = readiness_scores(frame).tidy()
    b = readiness_scores(frame.sample(frac=1, random_state=1)).tidy()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(OptionError):
        readiness_scores(frame, min_n=0)
    with pytest.raises(MissingColumnError, match="survey_round"):
        readiness_scores(frame.drop(columns="survey_round"))
    with pytest.raises(MissingColumnError, match="economics_3"):
        readiness_scores(frame.drop(columns="economics_3"))
    # a smaller threshold reports round 2
    assert not readiness_scores(frame, min_n=3).tidy()["suppressed"].any()
