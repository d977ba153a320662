"""Risk-set matching on a staggered person-month panel: definitions, invariance, effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import TreatmentDefinitionError
from evaluation.estimators.matching import risk_set_match

#: Matched DiD within this many standard errors of the true effect (seeded Monte Carlo).
Z_TOL = 4.0


def staggered(
    n: int = 200, periods: int = 16, *, seed: int = 0, effect: float = 2.0
) -> pd.DataFrame:
    """Person-month panel; half the persons enter in months 4..12, earlier entry for higher
    ability (confounding through the outcome history); constant effect after entry."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    p_enter = 1 / (1 + np.exp(-ability))
    entry = np.where(rng.random(n) < p_enter, rng.integers(4, 13, size=n), -1)
    person = np.repeat(np.arange(5000, 5000 + n), periods)
    month = np.tile(np.arange(periods), n)
    e = np.repeat(entry, periods)
    treated = (e >= 0) & (month >= e)
    y = np.repeat(ability, periods) + 0.1 * month + rng.normal(scale=0.5, size=n * periods)
    return pd.DataFrame(
        {
            "person": person,
            "month": month,
            "treated": treated.astype(int),
            "y": y + effect * treated,
            "x": np.repeat(ability, periods) + rng.normal(scale=0.3, size=n * periods),
        }
    )


def run(panel: pd.DataFrame, **kw: object) -> object:
    options = {"unit": "person", "time": "month", "treatment": "treated", "covariates": ["y", "x"]}
    return risk_set_match(panel, **{**options, **kw})  # type: ignore[arg-type]


def test_row_order_never_changes_a_match() -> None:
    panel = staggered(seed=1)
    base = run(panel).pairs  # type: ignore[attr-defined]
    for seed in (1, 2):
        shuffled = panel.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        assert run(shuffled).pairs.equals(base)  # type: ignore[attr-defined]


def test_controls_are_not_yet_treated_at_entry() -> None:
    panel = staggered(seed=2)
    res = run(panel, ratio=2)
    entry = panel[panel["treated"] == 1].groupby("person")["month"].min()
    for row in res.pairs.itertuples():  # type: ignore[attr-defined]
        assert entry.get(row.treated) == row.entry_period
        c_entry = entry.get(row.control, np.inf)
        assert c_entry > row.entry_period  # never treated or entering later
    assert res.pairs.groupby(["entry_period", "control"]).size().max() == 1  # type: ignore[attr-defined]


def test_one_entry_period_equals_brute_force_mahalanobis() -> None:
    panel = staggered(seed=3)
    res = run(panel, lags=2)
    t = int(res.pairs["entry_period"].iloc[0])  # type: ignore[attr-defined]
    wide = panel.pivot(index="person", columns="month", values=["y", "x"])
    entry = panel[panel["treated"] == 1].groupby("person")["month"].min()
    ids = np.sort(panel["person"].unique())
    e = entry.reindex(ids).fillna(np.inf).to_numpy()
    in_set = (e == t) | (e > t)
    feats = np.column_stack([wide[(c, t - lag)].reindex(ids) for lag in (1, 2) for c in ("y", "x")])
    feats, set_ids, is_t = feats[in_set], ids[in_set], (e == t)[in_set]
    n1, n0 = is_t.sum(), (~is_t).sum()
    cov = (
        (n1 - 1) * np.cov(feats[is_t], rowvar=False) + (n0 - 1) * np.cov(feats[~is_t], rowvar=False)
    ) / (n1 + n0 - 2)
    inv = np.linalg.inv(cov)
    free = list(set_ids[~is_t])
    want = []
    for tid in set_ids[is_t]:  # entrants in id order
        xt = feats[set_ids == tid][0]
        dist = [
            float(np.sqrt((feats[set_ids == c][0] - xt) @ inv @ (feats[set_ids == c][0] - xt)))
            for c in free
        ]
        best = free[int(np.argmin(dist))]  # ties: smallest id (free is in id order)
        want.append((tid, best))
        free.remove(best)
    got = res.pairs[res.pairs["entry_period"] == t]  # type: ignore[attr-defined]
    assert list(zip(got["treated"], got["control"], strict=True)) == want


def test_treatment_reversal_is_an_error() -> None:
    panel = staggered(seed=4)
    first = panel.loc[panel["treated"] == 1, "person"].iloc[0]
    bad = panel.copy()
    bad.loc[(bad["person"] == first) & (bad["month"] == 15), "treated"] = 0
    with pytest.raises(TreatmentDefinitionError, match="switches off"):
        run(bad)


def test_matched_panel_carries_pair_ids_and_did_recovers_the_effect() -> None:
    panel = staggered(n=300, seed=5, effect=2.0)
    res = run(panel, lags=3)
    mp = res.matched_panel((-3, 2))  # type: ignore[attr-defined]
    assert set(mp["role"]) == {"treated", "control"}
    assert mp["event_time"].between(-3, 2).all()
    assert mp.groupby("pair_id")["role"].nunique().eq(2).all()
    att = res.did("y", pre=(-3, -1), post=(0, 2))  # type: ignore[attr-defined]
    assert abs(att.estimate - 2.0) < Z_TOL * att.std_error
    assert att.se_type.startswith("cluster-robust (CR1) by pair")
    bal = res.balance()  # type: ignore[attr-defined]
    assert bal["smd_after"].abs().max() < bal["smd_before"].abs().max()
    assert "y@lag1" in set(bal["covariate"])
