"""Minimum detectable effect and pre-trend test size from placebo rollouts.

The placebo estimates ``b_r`` and standard errors ``s_r`` show how the design behaves without
an effect. A constant effect ``delta`` on the participants' post-entry outcomes shifts every
estimate by exactly ``delta`` and leaves the standard errors unchanged, so the power of the
two-sided ``alpha`` test is ``P(|b_r + delta| > z s_r)``, read off the rollouts. The minimum
detectable effect (MDE) is the smallest ``delta > 0`` with the target power. With normal
estimates and a correct standard error it is the analytic ``(z_{1 - alpha/2} + z_power) se``
(:func:`analytic_mde`); the placebo version also carries the history's serial correlation,
seasonality and a mis-stated standard error (then ``placebo_size`` differs from ``alpha``).

``pretrend_size`` is the share of rollouts whose event-study pre-trend test rejects parallel
trends although none is violated: the design's false-alarm rate (Roth 2022, "Pretest with
Caution": pre-tests have low power and condition the estimate; report it beside the MDE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin
from evaluation.errors import OptionError
from evaluation.power_analysis.kernel import Estimator, Placebo, Schedule, placebo_rollouts

FloatArray = npt.NDArray[np.float64]
_WHERE = "power()"
#: Bootstrap resamples of the rollouts for the Monte Carlo standard error of the MDE.
_MC_BOOT = 200


def analytic_mde(std_error: float, *, alpha: float = 0.05, target_power: float = 0.8) -> float:
    """``(z_{1 - alpha/2} + z_power) * std_error``: the MDE of a two-sided test of a normal
    estimate (e.g. the 2x2 DiD with ``se = sd(change) sqrt(1/n_T + 1/n_C)``)."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target_power)) * std_error)


def _mde(est: FloatArray, se: FloatArray, z: float, target: float) -> float:
    """Smallest ``delta >= 0`` with ``mean(|est + delta| > z se) >= target`` (the infimum)."""
    ok = np.isfinite(est) & np.isfinite(se)
    est, se = est[ok], se[ok]
    if not len(est):
        return float("nan")
    upper = np.sort(z * se - est)  # rejected for delta > upper ...
    lower = np.sort(-z * se - est)  # ... or delta < lower
    cands = np.concatenate([[0.0], upper[upper > 0]])
    rate = (np.searchsorted(upper, cands, side="right") + len(lower)
            - np.searchsorted(lower, cands, side="right")) / len(est)  # fmt: skip
    hit = np.nonzero(rate >= target)[0]
    return float(cands[hit[0]]) if len(hit) else float("inf")


@dataclass(frozen=True, repr=False)
class PowerResult(ResultMixin):
    """Power of a planned rollout, from placebo rollouts on historic data.

    Attributes
    ----------
    mde, mde_std_error:
        Minimum detectable effect at ``target_power`` (outcome units; x100 for percentage
        points of a 0/1 outcome) and its Monte Carlo standard error (bootstrap of rollouts).
    mde_analytic:
        ``(z_{1-alpha/2} + z_power)`` times the median placebo standard error.
    placebo_size:
        Share of placebo rollouts with a "significant" effect at ``alpha`` (should be
        ``alpha``; more means the standard error is too small for this history).
    pretrend_size:
        Share of rollouts whose pre-trend test rejects at ``pretrend_alpha``.
    placebo:
        The rollouts' estimates, standard errors, pre-trend p-values and start months.
    """

    mde: float
    mde_std_error: float
    mde_analytic: float
    placebo_size: float
    pretrend_size: float
    n_treated: int
    n_control: int
    cohorts: int
    follow_up: int
    pre_periods: int
    rollouts: int
    alpha: float
    target_power: float
    pretrend_alpha: float
    binary: bool
    placebo: Placebo

    @property
    def _z(self) -> float:
        return float(stats.norm.ppf(1 - self.alpha / 2))

    def power_at(self, delta: float | FloatArray) -> FloatArray:
        """Power of the design against a constant effect ``delta`` (one or many)."""
        d = np.atleast_1d(np.asarray(delta, dtype=np.float64))
        est, se = self.placebo.estimate, self.placebo.std_error
        hits = np.abs(est[None, :] + d[:, None]) > self._z * se[None, :]
        return np.asarray(hits.mean(axis=1), dtype=np.float64)

    def tidy(self) -> pd.DataFrame:
        """Rows ``mde``, ``mde_analytic``, ``placebo_size``, ``pretrend_size``; columns
        ``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` (Monte Carlo
        uncertainty; no hypothesis is tested, so ``statistic`` and ``p_value`` are NaN)."""
        r = self.rollouts
        rows: list[tuple[str, float, float]] = [
            ("mde", self.mde, self.mde_std_error),
            ("mde_analytic", self.mde_analytic, float("nan")),
            ("placebo_size", self.placebo_size, _binom_se(self.placebo_size, r)),
            ("pretrend_size", self.pretrend_size, _binom_se(self.pretrend_size, r)),
        ]
        tab = pd.DataFrame(rows, columns=["term", "estimate", "std_error"])
        tab["statistic"] = tab["p_value"] = float("nan")
        tab["conf_low"] = tab["estimate"] - 1.96 * tab["std_error"]
        tab["conf_high"] = tab["estimate"] + 1.96 * tab["std_error"]
        return tab

    def statement(self) -> str:
        """One sentence for reports: the smallest effect the pilot could detect."""
        value = f"{100 * self.mde:.1f} pp" if self.binary else f"{self.mde:.3g}"
        return (
            f"With {self.n_treated} participants the pilot could only have detected effects "
            f">= {value} (power {self.target_power:.0%}, two-sided alpha {self.alpha:g})."
        )

    def summary(self) -> str:
        """Text summary."""
        scale = 100.0 if self.binary else 1.0
        unit = " pp" if self.binary else ""
        return "\n".join(
            [
                f"Power from {self.rollouts} placebo rollouts: {self.n_treated} participants in "
                f"{self.cohorts} monthly cohort(s), {self.n_control} comparison persons, "
                f"{self.follow_up} follow-up months, {self.pre_periods} pre-trend months",
                f"  MDE ({self.target_power:.0%} power, alpha {self.alpha:g}): "
                f"{scale * self.mde:.3g}{unit} (Monte Carlo SE {scale * self.mde_std_error:.2g}"
                f"); analytic {scale * self.mde_analytic:.3g}{unit}",
                f"  placebo rejection rate: {self.placebo_size:.3f} (nominal {self.alpha:g})",
                f"  pre-trend test rejects in {self.pretrend_size:.3f} of rollouts "
                f"(nominal {self.pretrend_alpha:g}; Roth 2022)",
                f"  {self.statement()}",
            ]
        )

    def plot(self) -> Figure:
        """Power curve: placebo-based and analytic, with the MDE marked."""
        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot()
        top = 1.6 * self.mde if np.isfinite(self.mde) and self.mde > 0 else 1.0
        delta = np.linspace(0.0, top, 81)
        scale = 100.0 if self.binary else 1.0
        ax.plot(scale * delta, self.power_at(delta), label="placebo rollouts")
        sd = self.mde_analytic / (self._z + stats.norm.ppf(self.target_power))
        analytic = stats.norm.sf(self._z - delta / sd) + stats.norm.cdf(-self._z - delta / sd)
        ax.plot(scale * delta, analytic, linestyle="--", label="analytic (normal)")
        ax.axhline(self.target_power, color="grey", linewidth=0.8)
        ax.axvline(scale * self.mde, color="C3", linestyle=":", label="MDE")
        ax.set_xlabel("effect" + (" (pp)" if self.binary else ""))
        ax.set_ylabel("power")
        ax.set_title("Power before the pilot")
        ax.legend(loc="lower right", fontsize="small")
        return fig


def _binom_se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n)) if n else float("nan")


def _matrix(outcomes: Any) -> FloatArray:
    if isinstance(outcomes, pd.DataFrame):
        outcomes = outcomes.to_numpy(dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if y.ndim != 2:
        raise OptionError(
            f"outcomes has {y.ndim} dimension(s)",
            where=_WHERE,
            fix="pass a persons x months matrix (one row per person, months in order)",
        )
    if not np.isfinite(y).all():
        raise OptionError(
            "outcomes has missing values",
            where=_WHERE,
            fix="use a balanced history (every person observed every month)",
        )
    return y


def _check(y: FloatArray, n_treated: int, n_control: int | None, sched: Schedule) -> None:
    n, t = y.shape
    if sched.cohorts < 1 or sched.follow_up < 1 or sched.pre_periods < 0:
        raise OptionError(
            f"cohorts={sched.cohorts}, follow_up={sched.follow_up}, "
            f"pre_periods={sched.pre_periods}",
            where=_WHERE,
            fix="use cohorts >= 1, follow_up >= 1 and pre_periods >= 0",
        )
    if t < sched.span:
        raise OptionError(
            f"the history has {t} months; a rollout needs {sched.span} ({sched.pre_periods} "
            f"pre-trend + 1 base + {sched.cohorts - 1} later entries + {sched.follow_up} "
            "follow-up)",
            where=_WHERE,
            fix="use a longer history, or fewer pre-trend months, cohorts or follow-up months",
        )
    need = n_treated + (n_control if n_control is not None else 2)
    if n_treated < 2 * sched.cohorts or need > n:
        raise OptionError(
            f"{n_treated} participants in {sched.cohorts} cohorts from {n} persons "
            f"(and {n_control} comparison persons)",
            where=_WHERE,
            fix="give at least 2 participants per cohort and fewer persons than the history has",
        )


def _check_levels(levels: dict[str, float], estimator: str, rollouts: int) -> None:
    for name, val in levels.items():
        if not 0 < val < 1:
            raise OptionError(f"{name}={val} is not in (0, 1)", where=_WHERE, fix="use e.g. 0.05")
    if estimator not in ("did", "difference"):
        raise OptionError(
            f"unknown estimator {estimator!r}", where=_WHERE, fix="use 'did' or 'difference'"
        )
    if rollouts < 20:
        raise OptionError(f"rollouts={rollouts}", where=_WHERE, fix="use at least 20 (200)")


def power(
    outcomes: FloatArray | pd.DataFrame,
    *,
    n_treated: int,
    cohorts: int = 1,
    follow_up: int = 12,
    pre_periods: int = 11,
    n_control: int | None = None,
    estimator: Estimator = "did",
    alpha: float = 0.05,
    target_power: float = 0.8,
    pretrend_alpha: float = 0.05,
    rollouts: int = 200,
    seed: int | np.random.Generator = 0,
) -> PowerResult:
    """Minimum detectable effect and pre-trend test size of a planned staggered rollout.

    Parameters
    ----------
    outcomes:
        Historic outcomes of the target group before the pilot: persons x months (a 2-D
        array, or a wide DataFrame with months as columns in order), balanced.
    n_treated:
        Planned participants.
    cohorts:
        Monthly entry cohorts (equal sizes, consecutive months).
    follow_up:
        Post-entry months the effect is averaged over (event times ``0..follow_up - 1``).
    pre_periods:
        Pre-entry months of the pre-trend test (event times ``-1 - pre_periods..-2``; the
        month before entry is the base). 0: no pre-trend test.
    n_control:
        Comparison persons per rollout (default: every other person of the target group).
    estimator:
        ``"did"`` (difference-in-differences, as the staggered DiD) or ``"difference"``
        (difference in post-entry means).
    alpha, target_power, pretrend_alpha:
        Test level, power of the MDE, level of the pre-trend test.
    rollouts, seed:
        Placebo rollouts and their seed (or a ``numpy.random.Generator``).
    """
    y = _matrix(outcomes)
    sched = Schedule(int(cohorts), int(follow_up), int(pre_periods))
    _check(y, n_treated, n_control, sched)
    _check_levels(
        {"alpha": alpha, "target_power": target_power, "pretrend_alpha": pretrend_alpha},
        estimator,
        rollouts,
    )
    rng = np.random.default_rng(seed)
    pl = placebo_rollouts(
        y, n_treated=n_treated, sched=sched, rollouts=rollouts, rng=rng,
        n_control=n_control, estimator=estimator,
    )  # fmt: skip
    z = float(stats.norm.ppf(1 - alpha / 2))
    mde = _mde(pl.estimate, pl.std_error, z, target_power)
    boot = [
        _mde(pl.estimate[i], pl.std_error[i], z, target_power)
        for i in rng.integers(0, rollouts, size=(_MC_BOOT, rollouts))
    ]
    p_ok = pl.pretrend_p[np.isfinite(pl.pretrend_p)]
    se_mid = float(np.median(pl.std_error))
    return PowerResult(
        mde=mde,
        mde_std_error=float(np.std(boot, ddof=1)),
        mde_analytic=analytic_mde(se_mid, alpha=alpha, target_power=target_power),
        placebo_size=float(np.mean(np.abs(pl.estimate) > z * pl.std_error)),
        pretrend_size=float(np.mean(p_ok < pretrend_alpha)) if len(p_ok) else float("nan"),
        n_treated=int(n_treated),
        n_control=int(n_control if n_control is not None else y.shape[0] - n_treated),
        cohorts=sched.cohorts,
        follow_up=sched.follow_up,
        pre_periods=sched.pre_periods,
        rollouts=int(rollouts),
        alpha=alpha,
        target_power=target_power,
        pretrend_alpha=pretrend_alpha,
        binary=bool(np.isin(y, (0.0, 1.0)).all()),
        placebo=pl,
    )
