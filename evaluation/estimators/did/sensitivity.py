"""Sensitivity of an event-study effect to violations of parallel trends (Rambachan & Roth
2023; R ``HonestDiD``).

:func:`honest_sensitivity` takes event-study estimates with their covariance (from any
estimator) and returns robust confidence intervals for an effect when the post-period
difference in trends may be as large as allowed by a restriction with parameter ``value``:

* ``"relative_magnitude"`` (``Delta^RM(Mbar)``): a post-period change in the trend difference
  is at most ``Mbar`` times the largest pre-period change;
* ``"smoothness"`` (``Delta^SD(M)``): the slope of the trend difference changes by at most
  ``M`` per period (``M = 0``: a linear trend continues);
* ``"smoothness_relative_magnitude"`` (``Delta^SDRM(Mbar)``): post-period changes in the
  slope are at most ``Mbar`` times the largest pre-period change in the slope.

:meth:`AggregateResult.sensitivity` calls it on a dynamic aggregation. The numerical kernels
live in :mod:`evaluation.estimators.did.honest`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin
from evaluation.errors import OptionError
from evaluation.estimators.did import honest
from evaluation.estimators.did.honest import EventStudy, Interval, NormalSource

FloatArray = npt.NDArray[np.float64]
Restriction = Literal["relative_magnitude", "smoothness", "smoothness_relative_magnitude"]
SensitivityMethod = Literal["C-LF", "FLCI", "conditional"]

#: HonestDiD's default ``Mbar`` values for relative magnitudes.
_DEFAULT_MBAR = np.linspace(0.0, 2.0, 10)
#: Draws for the simulated folded-normal quantile when HonestDiD-compatible draws are given.
_FLCI_SIMS = 1_000_000
_WHERE = "sensitivity()"


@dataclass(frozen=True, repr=False)
class SensitivityResult(ResultMixin):
    """Robust confidence intervals for one effect over values of a restriction.

    Attributes
    ----------
    restriction, method, alpha:
        The restriction on the post-period difference in trends, the inference method
        (``FLCI``, ``conditional`` or ``C-LF``) and the level (intervals cover ``1 - alpha``).
    values:
        ``M`` (smoothness) or ``Mbar`` (relative magnitudes) of each interval.
    conf_low, conf_high:
        Robust interval for each value (``nan`` where the test accepts no grid point).
    estimate, original_low, original_high:
        The effect and its usual interval (valid under exact parallel trends).
    target:
        Which effect: ``"event time e"`` or the weights over post-period event times.
    n_pre, n_post:
        Pre-period (reference period excluded) and post-period event times used.
    notes:
        Caveats, e.g. an interval that reaches the end of the test grid.
    """

    restriction: Restriction
    method: SensitivityMethod
    alpha: float
    values: FloatArray
    conf_low: FloatArray
    conf_high: FloatArray
    estimate: float
    original_low: float
    original_high: float
    target: str
    n_pre: int
    n_post: int
    notes: tuple[str, ...] = field(default=())

    @property
    def value_name(self) -> str:
        """``"M"`` for smoothness, ``"Mbar"`` for the relative-magnitude restrictions."""
        return "M" if self.restriction == "smoothness" else "Mbar"

    def tidy(self) -> pd.DataFrame:
        """One row per value: ``restriction``, ``value``, ``conf_low``, ``conf_high``,
        ``method``."""
        return pd.DataFrame(
            {
                "restriction": self.restriction,
                "value": self.values,
                "conf_low": self.conf_low,
                "conf_high": self.conf_high,
                "method": self.method,
            }
        )

    def breakdown(self) -> float:
        """Breakdown value: the largest value up to which every robust interval excludes zero.

        ``nan`` when the interval at the smallest value already includes zero (or none was
        found); equal to the largest value tried when all intervals exclude zero (then the
        true breakdown value is at least that: try larger values).
        """
        excludes = (self.conf_low > 0) | (self.conf_high < 0)
        if not excludes.size or not excludes[0]:
            return float("nan")
        first_fail = int(np.argmin(excludes)) if not excludes.all() else len(excludes)
        return float(self.values[first_fail - 1])

    def summary(self) -> str:
        """Text summary: the original interval, the robust intervals and the breakdown."""
        pct = round(100 * (1 - self.alpha))
        lines = [
            f"Sensitivity to parallel trends (Rambachan & Roth): {self.restriction}, "
            f"method {self.method}, {self.target}",
            f"  estimate {self.estimate:.4f}, original {pct}% CI "
            f"[{self.original_low:.4f}, {self.original_high:.4f}]",
            self.tidy().to_string(index=False, float_format="%.4f"),
        ]
        bd, name = self.breakdown(), self.value_name
        if np.isnan(bd):
            lines.append("  breakdown: the robust interval includes zero at the smallest value")
        elif bd == self.values[-1]:
            lines.append(f"  breakdown: {name} >= {bd:g} (all values tried exclude zero)")
        else:
            lines.append(f"  breakdown: significant for {name} up to {bd:g}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Robust intervals against the restriction value, with the original interval."""
        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot()
        vals = self.values
        gap = float(np.min(np.diff(vals))) if len(vals) > 1 else 1.0
        x0 = float(vals[0]) - gap
        mid = (self.conf_low + self.conf_high) / 2
        ax.errorbar(
            vals,
            mid,
            yerr=[mid - self.conf_low, self.conf_high - mid],
            fmt="none",
            capsize=4,
            color="C0",
            label=f"robust ({self.method})",
        )
        half = (self.original_high - self.original_low) / 2
        ax.errorbar(
            [x0],
            [self.original_low + half],
            yerr=[[half], [half]],
            fmt="none",
            capsize=4,
            color="C3",
            label="original",
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(self.value_name)
        ax.set_ylabel(f"{round(100 * (1 - self.alpha))}% confidence interval")
        ax.set_title(f"Sensitivity ({self.restriction}), {self.target}")
        ax.legend(loc="best", fontsize="small")
        return fig


def _split(
    beta: FloatArray, sigma: FloatArray, event_times: Sequence[int] | FloatArray, reference: int
) -> tuple[FloatArray, FloatArray, int, int]:
    """Drop the reference period and check that event times are consecutive."""
    times = np.asarray(event_times, dtype=np.float64)
    if len(times) != len(beta) or sigma.shape != (len(beta), len(beta)):
        raise OptionError(
            f"{len(beta)} estimates, {len(times)} event times and a {sigma.shape} covariance",
            where=_WHERE,
            fix="pass one event time per estimate and a square covariance of the same size",
        )
    ref = times == reference
    if ref.any():
        k = int(np.argmax(ref))
        scale = max(float(np.max(np.abs(beta))), 1e-300)
        big_var = sigma[k, k] > 1e-12 * max(float(np.max(np.diag(sigma))), 1e-300)
        if abs(beta[k]) > 1e-12 * scale or big_var:
            raise OptionError(
                f"the reference event time {reference} has a nonzero estimate or variance: the "
                "pre-period effects are not normalised to one reference period",
                where=_WHERE,
                fix="estimate att_gt with base_period='universal'",
            )
    keep = ~ref
    times, beta, sigma = times[keep], beta[keep], sigma[np.ix_(keep, keep)]
    pre = times[times < reference]
    post = times[times > reference]
    ok_pre = np.array_equal(pre, np.arange(reference - len(pre), reference))
    ok_post = np.array_equal(post, np.arange(reference + 1, reference + 1 + len(post)))
    if not (ok_pre and ok_post) or len(pre) == 0 or len(post) == 0:
        raise OptionError(
            f"event times {[int(t) for t in times]} are not consecutive around reference "
            f"{reference}, or lack pre- or post-period times",
            where=_WHERE,
            fix="aggregate('dynamic') without gaps (min_e/max_e) and with pre-period event times",
        )
    return beta, sigma, len(pre), len(post)


def _target(
    n_post: int, first_post: int, e: int, weights: Mapping[int, float] | Sequence[float] | None
) -> tuple[FloatArray, str]:
    """The weights ``l`` over post-period event times and a label."""
    if weights is None:
        if not first_post <= e < first_post + n_post:
            raise OptionError(
                f"event time e={e} is not a post-period event time "
                f"({first_post}..{first_post + n_post - 1})",
                where=_WHERE,
                fix="choose e among the post-period event times",
            )
        lv = np.zeros(n_post)
        lv[e - first_post] = 1.0
        return lv, f"event time {e}"
    if isinstance(weights, Mapping):
        lv = np.zeros(n_post)
        for t, w in weights.items():
            if not first_post <= int(t) < first_post + n_post:
                raise OptionError(
                    f"weight given for event time {t}, which is not a post-period event time",
                    where=_WHERE,
                    fix=f"use event times {first_post}..{first_post + n_post - 1}",
                )
            lv[int(t) - first_post] = float(w)
    else:
        lv = np.asarray(weights, dtype=np.float64)
        if lv.shape != (n_post,):
            raise OptionError(
                f"{lv.size} weights for {n_post} post-period event times",
                where=_WHERE,
                fix="give one weight per post-period event time, or a {event_time: weight} dict",
            )
    if not np.isfinite(lv).all() or not np.any(lv):
        raise OptionError(
            "the weights are all zero or not finite", where=_WHERE, fix="give finite weights"
        )
    return lv, "weights " + ", ".join(f"e={first_post + i}: {w:g}" for i, w in enumerate(lv) if w)


def _default_values(restriction: Restriction, es: EventStudy, alpha: float) -> FloatArray:
    """HonestDiD's ``Mbar`` grid; for ``M``, 10 values up to the largest upper ``1 - alpha``
    bound of a pre-period second difference (the first pre-period sd with one pre-period)."""
    if restriction != "smoothness":
        return _DEFAULT_MBAR
    a = honest.smoothness_matrix(es.n_pre, es.n_post)
    pre = ~honest.post_rows(a, es.n_pre)
    if not pre.any():
        return np.linspace(0.0, float(np.sqrt(es.sigma[0, 0])), 10)
    z = float(stats.norm.ppf(1 - alpha))
    ap = a[pre][:, : es.n_pre]
    sd = np.sqrt(np.einsum("ij,jk,ik->i", ap, es.sigma[: es.n_pre, : es.n_pre], ap))
    return np.linspace(0.0, float(np.max(ap @ es.beta[: es.n_pre] + z * sd)), 10)


def _check_method(restriction: Restriction, method: SensitivityMethod | None) -> SensitivityMethod:
    if method is None:
        return "FLCI" if restriction == "smoothness" else "C-LF"
    if method not in ("C-LF", "FLCI", "conditional"):
        raise OptionError(
            f"unknown method {method!r}", where=_WHERE, fix="use 'C-LF', 'FLCI' or 'conditional'"
        )
    if method == "FLCI" and restriction != "smoothness":
        raise OptionError(
            f"method 'FLCI' is not available for restriction {restriction!r}",
            where=_WHERE,
            fix="use method='C-LF' or 'conditional', or restriction='smoothness'",
        )
    return method


#: Times the default test grid is doubled around the estimate while an interval reaches its end.
_GRID_WIDENINGS = 3


def _grid_for(
    es: EventStudy,
    restriction: Restriction,
    value: float,
    points: int,
    bounds: tuple[float, float] | None,
    widen: int,
) -> FloatArray:
    """The test grid: ``bounds`` (HonestDiD's ``grid.lb, grid.ub``) if given, else HonestDiD's
    default range moved to the estimate and doubled ``widen`` times."""
    if bounds is not None:
        return honest.test_grid(bounds[0], bounds[1], points)
    if restriction == "smoothness":
        base = honest.smoothness_grid(es, value, points)
    else:
        base = honest.relative_magnitude_grid(es, points)
    half = float(base[-1] - base[0]) / 2 * 2**widen
    return honest.test_grid(es.theta_hat - half, es.theta_hat + half, points)


def _conditional(
    es: EventStudy,
    restriction: Restriction,
    value: float,
    settings: tuple[float, honest.Hybrid, int, tuple[float, float] | None, bool],
    normals: NormalSource,
) -> Interval:
    """One conditional / C-LF interval; the default grid widens while the interval is open."""
    alpha, hybrid, points, bounds, truncated = settings
    order = 1 if restriction == "relative_magnitude" else 2
    for widen in range(_GRID_WIDENINGS + 1):
        grid = _grid_for(es, restriction, value, points, bounds, widen)
        if restriction == "smoothness":
            iv = honest.conditional_smoothness(
                es, value, alpha, hybrid, grid, normals, post_moments_only=truncated
            )
        else:
            iv = honest.conditional_relative_magnitude(
                es, value, alpha, hybrid, grid, normals, order
            )
        if bounds is not None or not iv.open_end:
            break
    return iv


def _bases(es: EventStudy, restriction: Restriction) -> int:
    """Candidate bases the conditional test enumerates (one piece of the restriction)."""
    if restriction == "smoothness":
        a = honest.smoothness_matrix(es.n_pre, es.n_post)
    else:
        order = 1 if restriction == "relative_magnitude" else 2
        a = honest.relative_magnitude_matrix(es.n_pre, es.n_post, 1.0, 0, True, order)
    return math.comb(int(honest.post_rows(a, es.n_pre).sum()), es.n_post)


def _truncate_post(es: EventStudy) -> EventStudy:
    """Leave out post-period event times after the last one with a weight. Their trend
    differences are free (each has its own effect), so they restrict nothing about the
    target; they only add nuisance parameters to the conditional test."""
    last = int(np.nonzero(es.l_vec)[0].max()) + 1
    keep = es.n_pre + last
    return EventStudy(es.beta[:keep], es.sigma[:keep, :keep], es.n_pre, last, es.l_vec[:last])


def _intervals(
    es: EventStudy,
    restriction: Restriction,
    method: SensitivityMethod,
    values: FloatArray,
    settings: tuple[float, int, tuple[float, float] | None, int, bool],
    normals: NormalSource | None,
) -> list[Interval]:
    alpha, points, bounds, seed, truncated = settings
    if method == "FLCI":
        draws = None if normals is None else normals(_FLCI_SIMS, 1).ravel()
        return honest.flci(es, values, alpha, draws)

    def default_normals(rows: int, cols: int) -> FloatArray:
        return np.random.default_rng(seed).standard_normal((rows, cols))

    source = default_normals if normals is None else normals
    hybrid: honest.Hybrid = "LF" if method == "C-LF" else "ARP"
    return [
        _conditional(es, restriction, float(m), (alpha, hybrid, points, bounds, truncated), source)
        for m in values
    ]


def honest_sensitivity(
    estimate: Sequence[float] | FloatArray,
    vcov: FloatArray,
    event_times: Sequence[int] | FloatArray,
    *,
    restriction: Restriction = "relative_magnitude",
    values: Sequence[float] | FloatArray | None = None,
    e: int = 0,
    weights: Mapping[int, float] | Sequence[float] | None = None,
    method: SensitivityMethod | None = None,
    alpha: float = 0.05,
    reference: int = -1,
    grid_points: int = 1000,
    grid_bounds: tuple[float, float] | None = None,
    seed: int = 0,
    normals: NormalSource | None = None,
) -> SensitivityResult:
    """Robust confidence intervals for an event-study effect under a parallel-trends
    restriction (Rambachan & Roth 2023, as R ``HonestDiD``).

    Parameters
    ----------
    estimate, vcov, event_times:
        Event-study estimates, their covariance and event times. The ``reference`` event time
        may be included (with estimate and variance zero) or left out; the others must be
        consecutive.
    restriction:
        ``"relative_magnitude"`` (default), ``"smoothness"`` or
        ``"smoothness_relative_magnitude"`` (see the module docstring).
    values:
        ``Mbar`` or ``M`` values, increasing (default: ``Mbar`` in 0..2; ``M`` up to the
        largest pre-period second difference's upper bound).
    e, weights:
        The effect: the one at post-period event time ``e`` (default 0), or a weighted sum of
        post-period effects (``{event_time: weight}`` or one weight per post event time).
    method:
        ``"FLCI"`` (smoothness only; its default), ``"conditional"`` or ``"C-LF"`` (the
        default for the relative-magnitude restrictions).
    alpha:
        Intervals cover ``1 - alpha``.
    reference:
        The reference event time (``-1``: universal base period).
    grid_points, grid_bounds:
        Grid of the test inversion (conditional, C-LF), and its ends. HonestDiD's default
        range (``0 +- 20 sd(theta)`` for the relative-magnitude restrictions, the identified
        set at zero ``+- 20 sd`` for smoothness) cuts off intervals of effects far from zero,
        so by default the range is centred at the estimate instead and doubled (up to three
        times) while an interval reaches its end; ``grid_bounds=(lb, ub)`` fixes the range as
        HonestDiD's ``grid.lb``, ``grid.ub`` do.
    seed:
        Seed of the least-favourable critical value simulation (C-LF).
    normals:
        Source of standard normal draws ``(rows, cols) -> array`` replacing ``seed``, and then
        also used for a simulated folded-normal quantile in the FLCI (HonestDiD simulates it;
        by default it is computed exactly). Tests pass R-compatible draws to reproduce
        HonestDiD to the last digit.
    """
    beta_all = np.asarray(estimate, dtype=np.float64)
    sig_all = np.asarray(vcov, dtype=np.float64)
    if restriction not in ("relative_magnitude", "smoothness", "smoothness_relative_magnitude"):
        raise OptionError(
            f"unknown restriction {restriction!r}",
            where=_WHERE,
            fix="use 'relative_magnitude', 'smoothness' or 'smoothness_relative_magnitude'",
        )
    meth = _check_method(restriction, method)
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha} is not in (0, 1)", where=_WHERE, fix="use e.g. 0.05")
    if grid_points < 2:
        raise OptionError(f"grid_points={grid_points}", where=_WHERE, fix="use at least 2 (1000)")
    if not (np.isfinite(beta_all).all() and np.isfinite(sig_all).all()):
        raise OptionError(
            "the event-study estimates or covariance contain missing values",
            where=_WHERE,
            fix="restrict the event window (min_e/max_e) to event times with estimates",
        )
    beta, sig, n_pre, n_post = _split(beta_all, sig_all, event_times, reference)
    if restriction == "smoothness_relative_magnitude" and n_pre < 2:
        raise OptionError(
            "Delta^SDRM needs at least two pre-period event times besides the reference",
            where=_WHERE,
            fix="widen the event window (min_e) or use restriction='relative_magnitude'",
        )
    lv, target = _target(n_post, reference + 1, e, weights)
    es = EventStudy(beta, sig, n_pre, n_post, lv)
    vals = _default_values(restriction, es, alpha) if values is None else np.asarray(values, float)
    if vals.ndim != 1 or not len(vals) or (vals < 0).any() or (np.diff(vals) <= 0).any():
        raise OptionError(
            f"values {vals.tolist()} are not increasing non-negative numbers",
            where=_WHERE,
            fix="pass e.g. values=[0, 0.5, 1, 1.5, 2]",
        )
    if grid_bounds is not None and not grid_bounds[0] < grid_bounds[1]:
        raise OptionError(
            f"grid_bounds={grid_bounds} is not an increasing pair",
            where=_WHERE,
            fix="pass (lower, upper) with lower < upper, or None",
        )
    notes = []
    full = es
    truncated = meth != "FLCI" and _bases(es, restriction) > honest.MAX_BASES
    if truncated:
        es = _truncate_post(es)
        notes.append(
            f"post-period event times after the target's last one left out of the "
            f"conditional test ({full.n_post - es.n_post} of {full.n_post}; they do not "
            "restrict the target)"
        )
    settings = (alpha, grid_points, grid_bounds, seed, truncated)
    ivs = _intervals(es, restriction, meth, vals, settings, normals)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if any(iv.open_end for iv in ivs):
        notes.append(
            "an interval reaches the end of the test grid, so it may be longer than shown "
            "(widen grid_bounds)"
        )
    return SensitivityResult(
        restriction=restriction,
        method=meth,
        alpha=alpha,
        values=vals,
        conf_low=np.array([iv.low for iv in ivs]),
        conf_high=np.array([iv.high for iv in ivs]),
        estimate=full.theta_hat,
        original_low=full.theta_hat - z * full.sd_theta,
        original_high=full.theta_hat + z * full.sd_theta,
        target=target,
        n_pre=n_pre,
        n_post=n_post,
        notes=tuple(notes),
    )
