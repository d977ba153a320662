"""Randomisation inference for staggered pilots: permute the start dates.

With six pilots in about ten regions, the sharp null of no effect for anyone makes the pilots'
start dates exchangeable among the eligible regions (or units): re-estimating the aggregation
under every reassignment gives its exact null distribution, whatever the number of clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

from evaluation.contract import ResultMixin
from evaluation.estimators.did.aggregate import Kind, aggregation_weights
from evaluation.estimators.did.errors import OptionError
from evaluation.estimators.did.results import AttGtResult
from evaluation.estimators.did.wild import permutation_estimates

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, repr=False)
class RandomizationResult(ResultMixin):
    """Randomisation (permutation) test of an aggregated effect.

    Attributes
    ----------
    kind:
        The aggregation tested (its overall effect).
    estimate:
        The observed overall effect.
    p_value:
        ``(1 + #{|permuted| >= |estimate|}) / (reps + 1)``: two-sided, valid in finite
        samples under the sharp null of no effect.
    reps:
        Number of permutations.
    level:
        ``"clusters"`` (start dates permuted among clusters) or ``"units"``.
    n_permuted:
        Clusters or units whose start dates were permuted.
    permuted:
        The permuted estimates.
    """

    kind: Kind
    estimate: float
    p_value: float
    reps: int
    level: str
    n_permuted: int
    permuted: FloatArray = field(repr=False)
    seed: int = 0

    def tidy(self) -> pd.DataFrame:
        """One row: ``term, estimate, p_value, reps, level, n_permuted``."""
        return pd.DataFrame(
            {
                "term": [f"ATT ({self.kind})"],
                "estimate": [self.estimate],
                "p_value": [self.p_value],
                "reps": [self.reps],
                "level": [self.level],
                "n_permuted": [self.n_permuted],
            }
        )

    def summary(self) -> str:
        """One paragraph of text."""
        return (
            f"Randomisation inference ({self.kind} aggregation): start dates permuted among "
            f"{self.n_permuted} {self.level}, {self.reps} permutations (seed {self.seed})\n"
            f"  estimate {self.estimate:.4f}, permutation p = {self.p_value:.4f}"
        )

    def plot(self) -> Figure:
        """The permutation distribution with the observed estimate."""
        fig = Figure(figsize=(6, 3.5))
        ax = fig.add_subplot()
        ax.hist(self.permuted, bins=40, color="C7", alpha=0.7, label="permuted start dates")
        ax.axvline(self.estimate, color="C3", label=f"estimate (p = {self.p_value:.3f})")
        ax.set_xlabel(f"ATT ({self.kind})")
        ax.set_title(f"Randomisation inference over {self.n_permuted} {self.level}")
        ax.legend(loc="best", fontsize="small")
        return fig


def randomization_inference(
    result: AttGtResult,
    reps: int = 999,
    seed: int = 0,
    *,
    kind: Kind = "simple",
) -> RandomizationResult:
    """Permute the pilots' start dates (cohorts) among eligible clusters or units.

    The cohorts of the estimation sample (units dropped by design excluded) are permuted
    among the clusters given to ``att_gt(cluster=...)`` when each cluster has one cohort
    (pilots by region), otherwise among units (``att_gt`` without ``cluster``). The
    aggregation ``kind`` is re-estimated under each permutation with its cohort shares.

    Parameters
    ----------
    result:
        An :func:`att_gt` result without covariates on a balanced panel.
    reps:
        Number of random permutations.
    seed:
        Seed of the permutations.
    kind:
        The aggregation whose overall effect is tested (``"simple"`` by default).
    """
    few = result.few_cluster
    if few is None:
        raise OptionError(
            "randomisation inference needs an att_gt result without covariates on a "
            "balanced pandas panel",
            where="randomization_inference(result)",
            fix="re-run att_gt without covariates (and with missing_outcome='balance')",
        )
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 19:
        raise OptionError(
            f"reps={reps!r} is too few permutations",
            where="randomization_inference",
            fix="use at least 19 (e.g. 999)",
        )
    sums = few.sums
    per_cluster = np.bincount(sums.pair_cluster, minlength=sums.n_clusters)
    if sums.cluster_level and (per_cluster > 1).any():
        raise OptionError(
            "start dates vary within clusters, so they cannot be permuted among clusters",
            where="randomization_inference(result)",
            fix="re-run att_gt without cluster= to permute units, or cluster by the unit of "
            "assignment (the region where a pilot starts)",
        )

    def statistic(att: FloatArray, share: FloatArray) -> float:
        aw = aggregation_weights(
            kind,
            att=att,
            cohort=result.cohort,
            time=result.time,
            group=result.group,
            share=share,
            cohorts=result.cohorts,
            periods=result.periods,
        )
        return float(aw.overall[: len(att)] @ att)

    observed = result.aggregate(kind).estimate
    permuted, level = permutation_estimates(
        sums, statistic, reps=reps, rng=np.random.default_rng(seed)
    )
    hits = int((np.abs(permuted) >= abs(observed) * (1 - 1e-12)).sum())
    return RandomizationResult(
        kind=kind,
        estimate=float(observed),
        p_value=(1 + hits) / (reps + 1),
        reps=reps,
        level=level,
        n_permuted=len(sums.pair_code),
        permuted=permuted,
        seed=seed,
    )
