"""Instrument scoring and the analyses of Tables 10-12 against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import EstimationError, MissingColumnError, OptionError
from evaluation.schema import load_schema
from evaluation.workbook.instrument import (
    baseline_means,
    paired_change,
    predictive_validity,
    score_frame,
)

#: Results are compared with scipy formulas on the same numbers: float rounding only.
TOL = 1e-10


def _answers(n: int, value: int = 3) -> pd.DataFrame:
    inst = load_schema().instrument("work_ability_functioning")
    return pd.DataFrame({it.id: [value] * n for it in inst.items})


def test_scores_rescale_domains_and_average_them() -> None:
    a = _answers(3)
    a.loc[0, ["social_1", "social_2", "social_3"]] = [1, 3, 5]
    a.loc[1, ["social_1", "social_2", "social_3"]] = [5, 5, 5]
    a["social_3"] = a["social_3"].astype("Float64")
    a.loc[2, "social_3"] = pd.NA
    s = score_frame(a)
    assert s.loc[0, "social"] == pytest.approx(50.0)
    assert s.loc[1, "social"] == pytest.approx(100.0)
    assert np.isnan(s.loc[2, "social"])  # a scale needs all its items
    assert s.loc[0, "psychological"] == pytest.approx(50.0)
    assert s.loc[1, "overall"] == pytest.approx((100 + 4 * 50) / 5)
    assert np.isnan(s.loc[2, "overall"])
    assert s.loc[0, "work_ability"] == 3.0
    assert "social" not in a.columns  # input not modified


def test_score_frame_needs_every_item() -> None:
    with pytest.raises(MissingColumnError, match="life_satisfaction"):
        score_frame(_answers(2).drop(columns="life_satisfaction"))


def _scores() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(12):
        group = "te" if i < 8 else "ngo"  # ngo has 4 < 5 clients
        w0 = float(rng.integers(0, 11))
        rows.append(
            {
                "client_id": f"c{i}",
                "wave": "baseline",
                "date": pd.Timestamp("2018-01-01"),
                "service_group": group,
                "work_ability": w0,
                "outcome_3m": ["work_contract", "unemployed", "other"][i % 3],
            }
        )
        rows.append(
            {
                "client_id": f"c{i}",
                "wave": "follow_up",
                "date": pd.Timestamp("2018-07-20"),
                "service_group": group,
                "work_ability": w0 + float(rng.integers(-1, 3)),
                "outcome_3m": None,
            }
        )
    return pd.DataFrame(rows)


def test_baseline_means_with_ci_and_suppression() -> None:
    s = _scores()
    res = baseline_means(s, score_ids=("work_ability",))
    t = res.tidy().set_index("group")
    x = s[(s["wave"] == "baseline") & (s["service_group"] == "te")]["work_ability"].to_numpy()
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert t.loc["te", "n"] == 8
    assert t.loc["te", "mean"] == pytest.approx(x.mean(), abs=TOL)
    assert t.loc["te", "conf_low"] == pytest.approx(lo, abs=TOL)
    assert t.loc["te", "conf_high"] == pytest.approx(hi, abs=TOL)
    assert t.loc["ngo", "suppressed"] and np.isnan(t.loc["ngo", "mean"])
    assert t.loc["ngo", "n"] == 4
    assert t.loc["all", "n"] == 12
    assert (
        not baseline_means(s, score_ids=("work_ability",), min_n=3)
        .tidy()
        .set_index("group")
        .loc["ngo", "suppressed"]
    )
    text = res.summary()
    assert text.startswith("Baseline means by service_group (95% CI; * = n < 5)")
    assert f"n=8     {x.mean():7.2f} ({lo:.2f}–{hi:.2f})" in text  # the 'te' row
    assert any(line.endswith("n=4     *") for line in text.splitlines())  # 'ngo' suppressed
    assert res.plot(score="work_ability").axes


def test_paired_change_matches_paired_t() -> None:
    s = _scores()
    res = paired_change(s, score_ids=("work_ability",))
    row = res.tidy().set_index("group").loc["all"]
    b = s[s["wave"] == "baseline"].sort_values("client_id")["work_ability"].to_numpy()
    f = s[s["wave"] == "follow_up"].sort_values("client_id")["work_ability"].to_numpy()
    d = f - b
    lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert row["estimate"] == pytest.approx(d.mean(), abs=TOL)
    assert row["conf_low"] == pytest.approx(lo, abs=TOL)
    assert row["conf_high"] == pytest.approx(hi, abs=TOL)
    assert row["p_value"] == pytest.approx(stats.ttest_rel(f, b).pvalue, abs=TOL)
    assert row["mean_days"] == 200
    text = res.summary()
    assert text.startswith("Paired change by service_group")
    assert f"change {d.mean():+.2f} ({lo:+.2f} to {hi:+.2f})" in text
    assert res.plot().axes


def test_predictive_validity_auc_equals_scaled_u() -> None:
    s = _scores()
    res = predictive_validity(s, score_ids=("work_ability",), test="mannwhitney")
    row = res.tidy().iloc[0]
    base = s[s["wave"] == "baseline"]
    pos = base[base["outcome_3m"] == "work_contract"]["work_ability"].to_numpy()
    neg = base[base["outcome_3m"] == "unemployed"]["work_ability"].to_numpy()
    u = stats.mannwhitneyu(pos, neg, alternative="two-sided")
    assert (row["n_positive"], row["n_negative"]) == (4, 4)  # "other" is excluded
    assert row["auc"] == pytest.approx(u.statistic / (len(pos) * len(neg)), abs=TOL)
    assert row["p_value"] == pytest.approx(u.pvalue, abs=TOL)
    assert res.plot().axes


def test_predictive_validity_perfect_separation_and_too_few() -> None:
    s = _scores()
    base = s["wave"] == "baseline"
    s.loc[base & (s["outcome_3m"] == "work_contract"), "work_ability"] = [9.0, 8.0, 10.0, 9.0]
    s.loc[base & (s["outcome_3m"] == "unemployed"), "work_ability"] = [2.0, 3.0, 1.0, 2.0]
    res = predictive_validity(s, score_ids=("work_ability",))
    assert res.tidy()["auc"].iloc[0] == 1.0
    assert res.tidy()["test"].iloc[0] == "ttest"  # the instrument's choice for work ability
    s2 = s[~(base & (s["outcome_3m"] == "unemployed"))]
    with pytest.raises(EstimationError, match="at least 2"):
        predictive_validity(s2, score_ids=("work_ability",))


def test_options_are_checked() -> None:
    with pytest.raises(OptionError):
        baseline_means(_scores(), score_ids=("work_ability",), conf_level=1.5)
    with pytest.raises(MissingColumnError):
        baseline_means(_scores(), by="region", score_ids=("work_ability",))
