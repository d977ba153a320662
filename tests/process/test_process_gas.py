"""GAS T-scores against hand-computed values (Kiresuk-Sherman formula)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.process import DEFAULT_RHO, gas_t_score, goal_attainment

#: Hand computations are exact up to floating-point rounding.
TOL = 1e-9


def test_t_score_hand_values() -> None:
    assert DEFAULT_RHO == 0.3
    # one goal at +1: denominator sqrt(0.7 * 1 + 0.3 * 1) = 1
    assert gas_t_score([1]) == pytest.approx(60.0, abs=TOL)
    # all goals as expected
    assert gas_t_score([0, 0, 0]) == pytest.approx(50.0, abs=TOL)
    assert gas_t_score([1, 0, -1]) == pytest.approx(50.0, abs=TOL)
    # x = (2, 1), w = (1, 2): sum wx = 4, sum w^2 = 5, (sum w)^2 = 9
    assert gas_t_score([2, 1], [1, 2]) == pytest.approx(50 + 40 / math.sqrt(6.2), abs=TOL)
    # three goals at -1, rho 0.3: 50 - 30 / sqrt(0.7 * 3 + 0.3 * 9)
    assert gas_t_score([-1, -1, -1]) == pytest.approx(50 - 30 / math.sqrt(4.8), abs=TOL)
    # rho = 0: independent goals
    assert gas_t_score([1, 1], rho=0.0) == pytest.approx(50 + 20 / math.sqrt(2), abs=TOL)
    assert math.isnan(gas_t_score([]))


def _goals() -> pd.DataFrame:
    rows = [
        # pilot A: five clients scored, one goal not yet rated
        ("A", "a1", 1, None),
        ("A", "a1", 0, None),
        ("A", "a2", 2, 2),
        ("A", "a2", 1, None),
        ("A", "a3", 0, None),
        ("A", "a4", -1, None),
        ("A", "a5", -2, 3),
        ("A", "a5", None, 1),
        # pilot B: two clients only -> suppressed
        ("B", "b1", 1, None),
        ("B", "b2", 0, None),
    ]
    return pd.DataFrame(rows, columns=["pilot", "client_id", "attainment", "weight"])


def test_per_client_and_per_pilot() -> None:
    goals = _goals()
    before = goals.copy()
    res = goal_attainment(goals)
    pd.testing.assert_frame_equal(goals, before)  # input not mutated
    t = res.clients.set_index("client_id")["t_score"]
    expect = {
        "a1": 50 + 10 / math.sqrt(0.7 * 2 + 0.3 * 4),
        "a2": 50 + 10 * 5 / math.sqrt(0.7 * 5 + 0.3 * 9),
        "a3": 50.0,
        "a4": 40.0,
        "a5": 30.0,  # the unrated goal does not count; one goal at -2 with weight 3 -> -2 SD
        "b1": 60.0,
        "b2": 50.0,
    }
    for cid, val in expect.items():
        assert t[cid] == pytest.approx(val, abs=TOL)
    p = res.tidy().set_index("pilot")
    a_mean = sum(expect[c] for c in ("a1", "a2", "a3", "a4", "a5")) / 5
    assert p.loc["A", "mean_t_score"] == pytest.approx(a_mean, abs=TOL)
    assert p.loc["A", "clients_scored"] == 5 and p.loc["A", "goals_set"] == 8
    assert p.loc["A", "goals_rated"] == 7
    assert p.loc["A", "share_at_or_above_expected"] == pytest.approx(3 / 5)
    assert p.loc["A", "conf_low"] < a_mean < p.loc["A", "conf_high"]
    assert bool(p.loc["B", "suppressed"]) and math.isnan(p.loc["B", "mean_t_score"])
    assert "suppressed" in res.summary()
    assert res.plot().axes


def test_row_order_invariance() -> None:
    goals = _goals()
    a = goal_attainment(goals).tidy()
    b = goal_attainment(goals.sample(frac=1, random_state=3)).tidy()
    pd.testing.assert_frame_equal(a, b)


def test_bad_input_is_refused() -> None:
    goals = _goals()
    with pytest.raises(OptionError, match="rho"):
        goal_attainment(goals, rho=1.0)
    with pytest.raises(MissingColumnError, match="attainment"):
        goal_attainment(goals.drop(columns="attainment"))
    bad = goals.copy()
    bad.loc[2, "attainment"] = 3
    with pytest.raises(InputDataError, match="row 2"):
        goal_attainment(bad)
