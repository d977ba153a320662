"""Synthetic staggered-rollout panels with known group-time effects (tests, benchmarks, docs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def true_att(cohort: float, time: int, effect: float, slope: float) -> float:
    """The true ATT(g, t) of :func:`simulate_staggered`: ``effect + slope * (t - g)`` after g."""
    return effect + slope * (time - cohort) if time >= cohort else 0.0


def simulate_staggered(
    n_units: int,
    *,
    n_periods: int = 24,
    cohorts: Sequence[int] = (6, 10, 14, 18),
    never_share: float = 0.3,
    effect: float = 1.0,
    slope: float = 0.1,
    noise: float = 1.0,
    covariate_confounding: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """A balanced panel ``unit, time (1..T), cohort (0 = never), y, x`` with known effects.

    ``y = a_i + 0.5 t + tau(g, t) 1{t >= g} + e_it`` with ``tau`` from :func:`true_att`.
    With ``covariate_confounding`` > 0 the time-invariant covariate ``x`` shifts both the
    cohort probabilities and the outcome trend, so unconditional parallel trends fail while
    conditional ones hold.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n_units)
    n_c = len(cohorts)
    # cohort probabilities: never-treated share, rest split evenly; x tilts toward early cohorts
    logits = np.zeros((n_units, n_c + 1))
    logits[:, :n_c] = np.log((1 - never_share) / n_c / never_share)
    logits[:, :n_c] += covariate_confounding * x[:, None] * np.linspace(1, 0.2, n_c)[None, :]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(n_units)
    pick = (p.cumsum(axis=1) < u[:, None]).sum(axis=1)
    g = np.append(np.asarray(cohorts, dtype=np.int64), 0)[np.minimum(pick, n_c)]
    t = np.arange(1, n_periods + 1)
    a = rng.standard_normal(n_units) + 0.5 * (g > 0)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    tau = np.where(post, effect + slope * (t[None, :] - g[:, None]), 0.0)
    trend = covariate_confounding * 0.3 * x[:, None] * t[None, :]
    y = a[:, None] + 0.5 * t[None, :] + trend + tau
    y += noise * rng.standard_normal((n_units, n_periods))
    frame: dict[str, Any] = {
        "unit": np.repeat(np.arange(n_units), n_periods),
        "time": np.tile(t, n_units),
        "cohort": np.repeat(g, n_periods),
        "y": y.ravel(),
        "x": np.repeat(x, n_periods),
    }
    return pd.DataFrame(frame)


def simulate_staggered_sql(
    n_units: int, *, n_periods: int = 24, cohorts: Sequence[int] = (6, 10, 14, 18)
) -> str:
    """SQL that builds the same kind of panel inside DuckDB (for out-of-core benchmarks).

    Uses hash-based pseudo-random numbers, so it is deterministic without any seeding.
    """
    n_c = len(cohorts)
    cases = " ".join(f"WHEN {i} THEN {g}" for i, g in enumerate(cohorts))
    return (
        "SELECT u AS unit, t AS time, g AS cohort, "
        "a + 0.5 * t + CASE WHEN g > 0 AND t >= g THEN 1.0 + 0.1 * (t - g) ELSE 0 END "
        "+ ((hash(u * 131 + t) % 1000000) / 1000000.0 - 0.5) * 3.4 AS y "
        f"FROM (SELECT range AS u, CASE (hash(range) % {n_c + 2}) {cases} ELSE 0 END AS g, "
        f"(hash(range + 7) % 1000) / 500.0 - 1 AS a FROM range({n_units})) "
        f"CROSS JOIN (SELECT range + 1 AS t FROM range({n_periods}))"
    )
