"""Refutation tests of a matched design: DoWhy's refuters, run by DoWhy or natively."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin
from evaluation.errors import EstimationError, OptionError
from evaluation.estimators.matching._validate import MatchWarning
from evaluation.estimators.matching.effects import effect

if TYPE_CHECKING:
    from evaluation.estimators.matching._results import MatchResult

__all__ = ["NO_DOWHY_NOTE", "RefutationResult", "RefuteEngine", "Refuter", "refute"]

FloatArray = npt.NDArray[np.float64]
Refuter = Literal["placebo_treatment", "random_common_cause", "data_subset"]
RefuteEngine = Literal["dowhy", "native"]

#: Shown (``RefutationResult.note``) when the default engine falls back to the native one.
NO_DOWHY_NOTE = (
    "DoWhy is not installed: the refuter was run natively (rerunning the whole design); "
    "pip install dowhy to run DoWhy's refuter on the matched sample"
)


@dataclass(frozen=True, eq=False, repr=False)
class RefutationResult(ResultMixin):
    """A refutation test: DoWhy's refuters run by DoWhy or natively.

    ``engine="dowhy"``: DoWhy's refuter on the matched sample (``estimate`` is the weighted
    regression-adjusted ATT DoWhy refutes; ``engine_p_value`` is DoWhy's own test).
    ``engine="native"``: the whole design (score model, matching, ATT) is rerun.

    ``passed``: for ``placebo_treatment``, zero lies in the 95% interval of the mean placebo
    effect; for the other refuters, the original estimate lies within 1.96 standard
    deviations of the new effects (DoWhy's normal test, p >= 0.05). The same rule for both
    engines.
    """

    refuter: str
    outcome: str
    estimate: float
    new_effects: FloatArray
    engine: str = "native"
    note: str = ""
    engine_p_value: float = float("nan")

    @property
    def new_effect(self) -> float:
        """Mean of the re-estimated effects."""
        return float(np.mean(self.new_effects))

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the original estimate in the normal fit to the new effects."""
        sd = float(np.std(self.new_effects, ddof=1))
        return float(2 * stats.norm.sf(abs(self.estimate - self.new_effect) / sd))

    @property
    def passed(self) -> bool:
        """Whether the design survives this refutation (see class docstring)."""
        sd = float(np.std(self.new_effects, ddof=1))
        if self.refuter == "placebo_treatment":
            return bool(abs(self.new_effect) <= 1.96 * sd / np.sqrt(self.new_effects.size))
        return self.p_value >= 0.05

    def tidy(self) -> pd.DataFrame:
        """One row: refuter, outcome, estimate, new_effect, new_effect_sd, p_value, passed,
        n_simulations, engine, engine_p_value, note."""
        return pd.DataFrame(
            [
                {
                    "refuter": self.refuter,
                    "outcome": self.outcome,
                    "estimate": self.estimate,
                    "new_effect": self.new_effect,
                    "new_effect_sd": float(np.std(self.new_effects, ddof=1)),
                    "p_value": self.p_value,
                    "passed": self.passed,
                    "n_simulations": int(self.new_effects.size),
                    "engine": self.engine,
                    "engine_p_value": self.engine_p_value,
                    "note": self.note,
                }
            ]
        )

    def glance(self) -> pd.DataFrame:
        """The one row of :meth:`tidy` (a refutation is a single test)."""
        return self.tidy()

    def summary(self) -> str:
        """Text summary."""
        row = self.tidy().iloc[0]
        verdict = "passed" if self.passed else "FAILED"
        text = (
            f"Refuter {self.refuter} ({self.engine}) on {self.outcome!r}: estimate "
            f"{self.estimate:.4g}, new effect {row['new_effect']:.4g} "
            f"(sd {row['new_effect_sd']:.4g}, {row['n_simulations']} runs), "
            f"p = {row['p_value']:.3g}: {verdict}"
        )
        return f"{text}\nNote: {self.note}" if self.note else text

    def plot(self) -> Figure:
        """Histogram of the new effects with the original estimate."""
        fig = Figure(figsize=(6.0, 3.5))
        ax = fig.add_subplot(1, 1, 1)
        ax.hist(self.new_effects, bins=20, color="C0", alpha=0.7)
        ax.axvline(self.estimate, color="C3", label="estimate")
        ax.set_xlabel("re-estimated effect")
        ax.set_title(f"Refuter: {self.refuter}")
        ax.legend()
        fig.tight_layout()
        return fig


def _check_options(
    refuter: Refuter, engine: RefuteEngine | None, n_simulations: int, subset_fraction: float
) -> None:
    if refuter not in ("placebo_treatment", "random_common_cause", "data_subset"):
        raise OptionError(
            f"unknown refuter {refuter!r}",
            where="refute()",
            fix="use placebo_treatment, random_common_cause or data_subset",
        )
    if engine not in (None, "dowhy", "native"):
        raise OptionError(
            f"unknown engine {engine!r}",
            where="refute()",
            fix="use engine='dowhy', engine='native' or leave it out",
        )
    if n_simulations < 2:
        raise OptionError(
            "`n_simulations` must be at least 2",
            where="refute()",
            fix="use e.g. n_simulations=20",
        )
    if not 0 < subset_fraction < 1:
        raise OptionError(
            f"`subset_fraction` must be in (0, 1), got {subset_fraction}",
            where="refute()",
            fix="use e.g. subset_fraction=0.8",
        )


def refute(
    matched: MatchResult,
    outcome: str,
    *,
    refuter: Refuter = "placebo_treatment",
    engine: RefuteEngine | None = None,
    n_simulations: int = 20,
    subset_fraction: float = 0.8,
    seed: int | None = None,
) -> RefutationResult:
    """DoWhy's placebo-treatment, random-common-cause and data-subset refuters.

    ``placebo_treatment``: the treatment is randomly permuted; effects should vanish.
    ``random_common_cause``: an independent N(0, 1) covariate is added; the estimate
    should not move. ``data_subset``: a random ``subset_fraction`` of rows is kept; the
    estimate should not move.

    Parameters
    ----------
    matched:
        The matched design.
    outcome:
        Outcome column.
    refuter:
        Which refuter.
    engine:
        ``"dowhy"``: a ``dowhy.CausalModel`` on the matched sample (treatment, outcome,
        the matching covariates as common causes) estimated by weighted least squares
        with the matching weights (= ``effect(matched, outcome, adjust=True)`` without
        replacement and for IPW), refuted by DoWhy's ``refute_estimate``; the score model
        and the matching are held fixed. ``"native"``: our implementation, rerunning the
        whole design (score model, matching, unadjusted ATT) in every simulation. ``None``
        (default): DoWhy when it is installed, else native with a ``note`` saying so.
    n_simulations:
        Number of re-estimates (DoWhy's ``num_simulations``).
    subset_fraction:
        Share of rows kept by ``data_subset``.
    seed:
        Seed of the random draws (DoWhy's ``random_state``).

    Returns
    -------
    RefutationResult
        The original estimate, the re-estimates and the verdict.
    """
    from evaluation.estimators.matching._dowhy import dowhy_available

    _check_options(refuter, engine, n_simulations, subset_fraction)
    note = ""
    if engine is None:
        engine = "dowhy" if dowhy_available() else "native"
        note = "" if engine == "dowhy" else NO_DOWHY_NOTE
    elif engine == "dowhy" and not dowhy_available():
        raise EstimationError(
            "DoWhy is not installed",
            where="refute(engine='dowhy')",
            fix="pip install dowhy, or use engine='native'",
        )
    if engine == "dowhy":
        return _refute_dowhy(matched, outcome, refuter, n_simulations, subset_fraction, seed)
    effects = _refute_native(matched, outcome, refuter, n_simulations, subset_fraction, seed)
    base = effect(matched, outcome).estimate
    return RefutationResult(refuter, outcome, base, effects, engine="native", note=note)


def _refute_dowhy(
    matched: MatchResult,
    outcome: str,
    refuter: Refuter,
    n_simulations: int,
    subset_fraction: float,
    seed: int | None,
) -> RefutationResult:
    """DoWhy's refuter on the matched sample (see ``_dowhy``)."""
    from evaluation.estimators.matching._dowhy import refute_matched_sample

    y = matched.outcome_values(outcome)
    w = matched.unit_weights
    keep = w > 0
    out = refute_matched_sample(
        y[keep],
        matched.treated[keep].astype(np.float64),
        matched.model_matrix[keep],
        w[keep],
        refuter=refuter,
        n_simulations=n_simulations,
        subset_fraction=subset_fraction,
        seed=seed,
    )
    return RefutationResult(
        refuter, outcome, out.estimate, out.new_effects, engine="dowhy", engine_p_value=out.p_value
    )


def _refute_native(
    matched: MatchResult,
    outcome: str,
    refuter: Refuter,
    n_simulations: int,
    subset_fraction: float,
    seed: int | None,
) -> FloatArray:
    """Re-estimates of the whole design under the refuter (the native engine)."""
    from evaluation.estimators.matching.api import match

    rng = np.random.default_rng(seed)
    s = matched.spec
    effects = []
    for _ in range(n_simulations):
        data = matched.data
        covs = list(s.covariates)
        name = "_random_common_cause"
        if refuter == "placebo_treatment":
            data = data.copy()
            data[s.treatment] = rng.permutation(data[s.treatment].to_numpy())
        elif refuter == "random_common_cause":
            data = data.copy()
            data[name] = rng.standard_normal(len(data))
            covs.append(name)
        else:
            n_keep = round(subset_fraction * len(data))
            keep = np.sort(rng.choice(len(data), size=n_keep, replace=False))
            data = data.iloc[keep]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MatchWarning)
            options = s.options()
            if refuter == "random_common_cause":
                options["covariates"] = f"{s.formula} + {name}" if s.formula is not None else covs
            res = match(data, **options)  # type: ignore[arg-type]
        effects.append(effect(res, outcome).estimate)
    return np.asarray(effects, dtype=np.float64)
