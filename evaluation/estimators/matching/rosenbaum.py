"""Rosenbaum bounds of a matched design: how strong hidden bias must be to explain it away."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.contract import ResultMixin
from evaluation.errors import OptionError
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._effects import rosenbaum_bounds

if TYPE_CHECKING:
    from evaluation.estimators.matching._results import MatchResult

__all__ = ["DEFAULT_GAMMAS", "RosenbaumResult", "rosenbaum"]

#: Gamma grid of :func:`rosenbaum` (odds of treatment within a matched set, 1 = no bias).
DEFAULT_GAMMAS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


@dataclass(frozen=True, eq=False, repr=False)
class RosenbaumResult(ResultMixin):
    """Rosenbaum bounds: how strong hidden bias must be to explain the effect away.

    Attributes
    ----------
    outcome:
        Outcome column.
    n_pairs:
        Matched sets used.
    table:
        ``gamma``, ``p_lower``, ``p_upper`` (bounds of the Wilcoxon signed-rank p-value).
    alpha:
        Significance level of :attr:`critical_gamma`.
    """

    outcome: str
    n_pairs: int
    table: pd.DataFrame
    alpha: float

    @property
    def critical_gamma(self) -> float:
        """Smallest Gamma in the grid whose upper p-value bound exceeds ``alpha`` (NaN: none)."""
        over = self.table.loc[self.table["p_upper"] > self.alpha, "gamma"]
        return float(over.iloc[0]) if len(over) else float("nan")

    def tidy(self) -> pd.DataFrame:
        """Columns gamma, p_lower, p_upper."""
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row: outcome, n_pairs, alpha, critical_gamma."""
        return super().glance().assign(critical_gamma=self.critical_gamma)

    def summary(self) -> str:
        """Text summary."""
        lines = [
            f"Rosenbaum bounds (Wilcoxon signed rank) for {self.outcome!r}, "
            f"{self.n_pairs} matched sets",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            f"Effect no longer significant at {self.alpha} from Gamma = {self.critical_gamma}",
        ]
        return "\n".join(lines)

    def plot(self) -> Figure:
        """p-value bounds against Gamma."""
        return _plots.rosenbaum_plot(self.table, self.alpha)


def rosenbaum(
    matched: MatchResult,
    outcome: str,
    *,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
) -> RosenbaumResult:
    """Rosenbaum bounds for the matched sets (nearest neighbour without replacement).

    Each matched set contributes ``y_treated - mean(y_controls)`` (for 1:1 matching, the
    pair difference); see ``_effects.rosenbaum_bounds``.

    Parameters
    ----------
    matched:
        A design of ``method="nearest"`` or ``"optimal"`` without replacement.
    outcome:
        Outcome column.
    gammas:
        The grid of hidden-bias odds.
    alpha:
        Significance level of the critical Gamma.

    Returns
    -------
    RosenbaumResult
        The p-value bounds per Gamma.
    """
    if matched.spec.method not in ("nearest", "optimal") or matched.spec.replace:
        raise OptionError(
            "Rosenbaum bounds need matched sets without replacement",
            where="rosenbaum()",
            fix="match with method='nearest', replace=False",
        )
    y = matched.outcome_values(outcome)
    links = matched.links
    sub = matched.subclass[links.treated]
    codes, inv = np.unique(sub, return_inverse=True)
    mean_c = np.bincount(inv, weights=y[links.control]) / np.bincount(inv)
    t_of = np.zeros(codes.size, dtype=np.int64)
    t_of[inv] = links.treated
    diff = y[t_of] - mean_c
    rows = rosenbaum_bounds(diff, np.asarray(gammas, dtype=np.float64))
    table = pd.DataFrame([r.__dict__ for r in rows])[["gamma", "p_lower", "p_upper"]]
    return RosenbaumResult(outcome, int(codes.size), table, alpha)
