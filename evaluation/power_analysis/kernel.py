"""Placebo rollouts on historic outcomes: the estimator, its standard error and the pre-trend
test of a staggered rollout, for many random rollouts at once.

A rollout draws ``n_treated`` persons from the target group, splits them into ``cohorts``
equal monthly entry cohorts starting at a random month of the history, and compares them with
the other persons (or a random ``n_control`` of them). Nothing happened to the placebo
participants, so the estimates show what the design would report without an effect.

The estimator is the Callaway & Sant'Anna ATT without covariates, aggregated over cohorts
and the ``follow_up`` post-entry months (``simple``, equal cohort sizes), each cohort against
its last pre-entry month; its analytic standard error; and the event-study pre-trend test of
the ``pre_periods`` months before that (Wald with the small-sample F reference, as
:class:`evaluation.estimators.did.EventStudyPretrend`). Without differencing
(``design="difference"``) it is the difference in post-entry means.

The comparison side of every quantity is a sum over persons of a per-person vector that
depends only on the start month; the sums over all persons are computed once per start month,
and a rollout subtracts its participants' part: a rollout costs ``O(n_treated x months)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Estimator = Literal["did", "difference"]


@dataclass(frozen=True)
class Schedule:
    """Columns of the outcome matrix used by a rollout that starts at column ``start``."""

    cohorts: int
    follow_up: int
    pre_periods: int

    @property
    def span(self) -> int:
        """Months a rollout needs: pre-periods, base month, entries, follow-up."""
        return self.pre_periods + 1 + self.cohorts - 1 + self.follow_up

    def starts(self, n_months: int) -> IntArray:
        """Feasible first entry columns in a history of ``n_months``."""
        first = self.pre_periods + 1
        last = n_months - self.follow_up - self.cohorts + 1
        return np.arange(first, last + 1, dtype=np.int64)


@dataclass(frozen=True)
class Placebo:
    """Estimates of the placebo rollouts.

    ``estimate``, ``std_error``: the ATT and its analytic standard error; ``pretrend_p``:
    p-value of the pre-trend test (``nan`` without pre-periods); ``start``: first entry
    column of each rollout.
    """

    estimate: FloatArray
    std_error: FloatArray
    pretrend_p: FloatArray
    start: IntArray


@dataclass(frozen=True)
class _History:
    """Outcomes and their running sums over months (column-major: months are contiguous)."""

    y: FloatArray
    cum: FloatArray

    @staticmethod
    def of(y: FloatArray) -> _History:
        cum = np.zeros((y.shape[0], y.shape[1] + 1), order="F")
        np.cumsum(y, axis=1, out=cum[:, 1:])
        return _History(np.asfortranarray(y), cum)

    def rows(self, idx: IntArray) -> _History:
        return _History(self.y[idx], self.cum[idx])


def _person_parts(
    h: _History, entry: int, sched: Schedule, estimator: Estimator
) -> tuple[FloatArray, FloatArray]:
    """Per-person post contribution ``a`` (n,) and pre-period differences ``d`` (n, P) of a
    cohort entering at column ``entry``."""
    post = (h.cum[:, entry + sched.follow_up] - h.cum[:, entry]) / sched.follow_up
    base = h.y[:, entry - 1]
    a = post - base if estimator == "did" else post
    d = h.y[:, entry - 1 - sched.pre_periods : entry - 1] - base[:, None]
    return a, d


@dataclass(frozen=True)
class _Totals:
    """Sums over all persons of the comparison-side vectors for one start month."""

    sum_b: float
    sum_b2: float
    sum_e: FloatArray
    sum_ee: FloatArray


def _cov(sum_x: FloatArray, sum_xx: FloatArray, n: int) -> FloatArray:
    mean = sum_x / n
    return np.asarray((sum_xx - n * np.outer(mean, mean)) / max(n - 1, 1), dtype=np.float64)


def _pretrend_p(beta: FloatArray, cov: FloatArray, n_treated: int) -> float:
    """Small-sample p-value of the Wald test that ``beta`` is zero (F reference)."""
    q = len(beta)
    if q == 0 or n_treated <= q:
        return float("nan")
    try:
        wald = float(beta @ np.linalg.solve(cov, beta))
    except np.linalg.LinAlgError:
        return float("nan")
    f_stat = wald * (n_treated - q) / (q * (n_treated - 1))
    return float(stats.f.sf(f_stat, q, n_treated - q))


def _comparison(
    hc: _History, start: int, sched: Schedule, estimator: Estimator
) -> tuple[FloatArray, FloatArray]:
    """Comparison-side vectors: each cohort's ``a`` and ``d`` averaged over cohorts (sums of
    ``cohorts`` consecutive months taken from the running sums)."""
    k, f, p = sched.cohorts, sched.follow_up, sched.pre_periods
    cum = hc.cum
    b = np.zeros(hc.y.shape[0])
    for g in range(k):
        b += (cum[:, start + g + f] - cum[:, start + g]) / f
    b /= k
    base = (cum[:, start - 1 + k] - cum[:, start - 1]) / k  # mean over cohorts of y[entry - 1]
    if estimator == "did":
        b -= base
    lo = start - 1 - p
    e = (cum[:, lo + k : lo + k + p] - cum[:, lo : lo + p]) / k - base[:, None]
    return b, e


def _totals(h: _History, start: int, sched: Schedule, estimator: Estimator) -> _Totals:
    b, e = _comparison(h, start, sched, estimator)
    return _Totals(float(b.sum()), float(b @ b), e.sum(axis=0), e.T @ e)


def _treated_side(
    ht: _History, start: int, sched: Schedule, estimator: Estimator
) -> tuple[float, float, FloatArray, FloatArray]:
    """Participants' mean contribution, its variance, and the same for the pre-periods;
    ``ht`` rows in cohort order (``cohorts`` equal consecutive blocks)."""
    k = sched.cohorts
    est, var = 0.0, 0.0
    beta = np.zeros(sched.pre_periods)
    cov = np.zeros((sched.pre_periods, sched.pre_periods))
    for g, rows in enumerate(np.array_split(np.arange(ht.y.shape[0]), k)):
        a, d = _person_parts(ht.rows(rows), start + g, sched, estimator)
        est += a.mean() / k
        var += a.var(ddof=1) / len(a) / k**2
        beta += d.mean(axis=0) / k
        if sched.pre_periods:
            cov += np.atleast_2d(np.cov(d, rowvar=False)) / len(a) / k**2
    return est, var, beta, cov


def _one_rollout(
    h: _History,
    treated: IntArray,
    control: IntArray | None,
    start: int,
    sched: Schedule,
    estimator: Estimator,
    totals: _Totals,
) -> tuple[float, float, float]:
    """Estimate, standard error and pre-trend p-value of one rollout."""
    ht = h.rows(treated)
    est, var, beta, cov = _treated_side(ht, start, sched, estimator)
    if control is None:  # everybody else: all persons' sums minus the participants'
        b_t, e_t = _comparison(ht, start, sched, estimator)
        n_c = h.y.shape[0] - len(treated)
        sum_b, sum_b2 = totals.sum_b - b_t.sum(), totals.sum_b2 - b_t @ b_t
        sum_e, sum_ee = totals.sum_e - e_t.sum(axis=0), totals.sum_ee - e_t.T @ e_t
    else:
        b_c, e_c = _comparison(h.rows(control), start, sched, estimator)
        n_c = len(control)
        sum_b, sum_b2, sum_e, sum_ee = b_c.sum(), b_c @ b_c, e_c.sum(axis=0), e_c.T @ e_c
    mean_b = sum_b / n_c
    est -= mean_b
    var += (sum_b2 - n_c * mean_b**2) / (n_c - 1) / n_c
    beta = beta - sum_e / n_c
    cov = cov + _cov(sum_e, sum_ee, n_c) / n_c
    return est, float(np.sqrt(max(var, 0.0))), _pretrend_p(beta, cov, len(treated))


def placebo_rollouts(
    y: FloatArray,
    *,
    n_treated: int,
    sched: Schedule,
    rollouts: int,
    rng: np.random.Generator,
    n_control: int | None = None,
    estimator: Estimator = "did",
) -> Placebo:
    """Run ``rollouts`` placebo rollouts on the outcome matrix ``y`` (persons x months)."""
    n, t = y.shape
    hist = _History.of(y)
    starts = sched.starts(t)
    chosen = rng.choice(starts, size=rollouts)
    totals: dict[int, _Totals] = {}
    if n_control is None:
        totals = {int(s): _totals(hist, int(s), sched, estimator) for s in np.unique(chosen)}
    out = np.empty((rollouts, 3))
    for r, start in enumerate(chosen):
        # random order: the consecutive blocks of ``treated`` are the entry cohorts
        if n_control is None:
            treated, control = rng.choice(n, size=n_treated, replace=False), None
        else:
            picked = rng.choice(n, size=n_treated + n_control, replace=False)
            treated, control = picked[:n_treated], picked[n_treated:]
        out[r] = _one_rollout(
            hist, treated, control, int(start), sched, estimator, totals.get(int(start), _EMPTY)
        )
    return Placebo(out[:, 0], out[:, 1], out[:, 2], chosen.astype(np.int64))


_EMPTY = _Totals(0.0, 0.0, np.zeros(0), np.zeros((0, 0)))
