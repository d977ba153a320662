"""Goal Attainment Scaling (GAS): clients' own goals and their attainment.

Each client sets goals at entry; at follow-up each goal is rated on the five-point scale
``-2..+2`` (0 = the expected outcome). The client's goals are summarised by the standard
T-score of Kiresuk and Sherman (1968)::

    T = 50 + 10 * sum(w_i * x_i) / sqrt((1 - rho) * sum(w_i**2) + rho * (sum(w_i))**2)

with weights ``w_i`` (blank = 1) and ``rho`` the assumed correlation between the goal
scales, conventionally 0.3 (:data:`DEFAULT_RHO`). ``T = 50`` means goals attained as
expected on average and the scale's standard deviation is 10 when the assumptions hold.
Only goals with a rated attainment enter a client's T-score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from evaluation.contract import ResultMixin, interval_alpha
from evaluation.errors import InputDataError, MissingColumnError, OptionError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Assumed correlation between a client's goal scales (Kiresuk & Sherman's convention).
DEFAULT_RHO = 0.3
#: Pilots with fewer scored clients are not reported (small-group suppression).
DEFAULT_MIN_N = 5

PILOT_COLUMNS = (
    "pilot",
    "clients_with_goals",
    "goals_set",
    "goals_rated",
    "clients_scored",
    "mean_t_score",
    "conf_low",
    "conf_high",
    "share_at_or_above_expected",
    "suppressed",
)


def gas_t_score(
    attainment: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    rho: float = DEFAULT_RHO,
) -> float:
    """The Kiresuk-Sherman T-score of one client's goals (pure kernel).

    Parameters
    ----------
    attainment:
        Attainment levels ``x_i`` in ``-2..+2``, one per rated goal.
    weights:
        Goal weights ``w_i`` (default: all 1).
    rho:
        Assumed correlation between goal scales, in ``[0, 1)``.

    Returns
    -------
    float
        The T-score; ``nan`` if no goal is given.
    """
    x = np.asarray(attainment, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    if x.size == 0:
        return float("nan")
    denom = math.sqrt((1 - rho) * float(np.sum(w**2)) + rho * float(np.sum(w)) ** 2)
    return 50.0 + 10.0 * float(np.sum(w * x)) / denom


def _check_rho(rho: float) -> None:
    if not 0 <= rho < 1:
        raise OptionError(
            f"rho {rho} is not in [0, 1)", where="option rho", fix="use e.g. 0.3 (the convention)"
        )


@dataclass(frozen=True, repr=False)
class GasResult(ResultMixin):
    """GAS T-scores per client and their summary per pilot.

    ``clients``: ``pilot, client_id, goals_set, goals_rated, t_score`` (``t_score`` missing
    when no goal is rated). ``pilots``: see :data:`PILOT_COLUMNS`; estimates of pilots with
    fewer than ``min_n`` scored clients are blanked and ``suppressed`` is true.
    :meth:`tidy` is a descriptive table (mean T-scores with t intervals, columns
    :data:`PILOT_COLUMNS`), not an estimate table.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = PILOT_COLUMNS

    clients: pd.DataFrame
    pilots: pd.DataFrame
    rho: float
    min_n: int
    alpha: float = 0.05

    def tidy(self) -> pd.DataFrame:
        """Per-pilot summary (one row per pilot)."""
        return self.pilots.copy()

    def glance(self) -> pd.DataFrame:
        """One row: pilots (and how many suppressed), clients, goals, ``rho``, ``min_n``,
        ``alpha``."""
        p = self.pilots
        return pd.DataFrame(
            [
                {
                    "pilots": len(p),
                    "pilots_suppressed": int(p["suppressed"].sum()),
                    "clients_with_goals": len(self.clients),
                    "clients_scored": int(self.clients["t_score"].notna().sum()),
                    "goals_set": int(self.clients["goals_set"].sum()),
                    "goals_rated": int(self.clients["goals_rated"].sum()),
                    "rho": self.rho,
                    "min_n": self.min_n,
                    "alpha": self.alpha,
                }
            ]
        )

    def summary(self) -> str:
        """Readable per-pilot summary."""
        lines = [f"Goal attainment (GAS T-score, rho = {self.rho}, min n = {self.min_n})"]
        for r in self.pilots.itertuples(index=False):
            t = "suppressed" if r.suppressed else f"{r.mean_t_score:.1f}"
            lines.append(f"  {r.pilot:<20} clients scored {r.clients_scored:>4}  mean T {t}")
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Mean T-score per pilot with its confidence interval (reference line at 50)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.5))
        ax = fig.subplots()
        p = self.pilots[~self.pilots["suppressed"]]
        y = np.arange(len(p))
        mean = p["mean_t_score"].to_numpy(dtype="float64")
        err = np.vstack(
            [mean - p["conf_low"].to_numpy(dtype="float64"), p["conf_high"] - mean]
        ).astype("float64")
        ax.errorbar(mean, y, xerr=err, fmt="o")
        ax.axvline(50, color="grey", lw=0.8)
        ax.set_yticks(y, list(p["pilot"].astype(str)))
        ax.set_xlabel("GAS T-score (50 = goals attained as expected)")
        fig.tight_layout()
        return fig


def goal_attainment(
    goals: pd.DataFrame,
    *,
    rho: float = DEFAULT_RHO,
    min_n: int = DEFAULT_MIN_N,
    alpha: float = 0.05,
    conf_level: float | None = None,
) -> GasResult:
    """GAS T-scores of each client and per pilot.

    Parameters
    ----------
    goals:
        One row per goal: ``pilot, client_id, attainment`` (``-2..+2``, missing if not yet
        rated) and optionally ``weight`` (missing = 1).
    rho:
        Assumed correlation between goal scales (default 0.3).
    min_n:
        Pilots with fewer scored clients are suppressed.
    alpha:
        Significance level of the t-based confidence intervals (0.05: 95% intervals).
    conf_level:
        Deprecated: the confidence level (``1 - alpha``); use ``alpha``.
    """
    alpha = interval_alpha(alpha, conf_level, where="goal_attainment", old_name="conf_level")
    level = 1.0 - alpha
    _check_rho(rho)
    if min_n < 1:
        raise OptionError(f"min_n {min_n} is below 1", where="option min_n", fix="use e.g. 5")
    need = ["pilot", "client_id", "attainment"]
    missing = [c for c in need if c not in goals.columns]
    if missing:
        raise MissingColumnError(missing, where="client goals", available=goals.columns)
    g = pd.DataFrame(
        {
            "pilot": goals["pilot"].astype("string"),
            "client_id": goals["client_id"].astype("string"),
            "attainment": pd.to_numeric(goals["attainment"], errors="coerce").astype("Float64"),
            "weight": (
                pd.to_numeric(goals["weight"], errors="coerce").astype("Float64").fillna(1.0)
                if "weight" in goals.columns
                else pd.array([1.0] * len(goals), dtype="Float64")
            ),
        }
    )
    bad = g["attainment"].notna() & ~g["attainment"].isin([-2, -1, 0, 1, 2])
    if bad.any() or (g["weight"] <= 0).any():
        row = int(np.flatnonzero((bad | (g["weight"] <= 0)).to_numpy())[0])
        raise InputDataError(
            "attainment must be a whole number in -2..+2 and weights positive",
            where=f"client goals row {row}",
            fix="correct the attainment level or the weight",
        )
    rows = []
    for (pilot, cid), grp in g.groupby(["pilot", "client_id"], sort=True):
        rated = grp[grp["attainment"].notna()]
        rows.append(
            {
                "pilot": pilot,
                "client_id": cid,
                "goals_set": len(grp),
                "goals_rated": len(rated),
                "t_score": gas_t_score(
                    rated["attainment"].to_numpy(dtype="float64"),
                    rated["weight"].to_numpy(dtype="float64"),
                    rho=rho,
                ),
            }
        )
    clients = pd.DataFrame(
        rows, columns=["pilot", "client_id", "goals_set", "goals_rated", "t_score"]
    )
    return GasResult(clients, _by_pilot(clients, min_n, level), rho, min_n, alpha)


def _by_pilot(clients: pd.DataFrame, min_n: int, conf_level: float) -> pd.DataFrame:
    from scipy import stats

    rows = []
    for pilot, grp in clients.groupby("pilot", sort=False):
        t = grp["t_score"].dropna().to_numpy(dtype="float64")
        n = len(t)
        supp = n < min_n
        mean = lo = hi = share = float("nan")
        if not supp:
            mean = float(t.mean())
            share = float(np.mean(t >= 50.0 - 1e-9))
            if n > 1:
                se = float(t.std(ddof=1)) / math.sqrt(n)
                q = float(stats.t.ppf(0.5 + conf_level / 2, n - 1))
                lo, hi = mean - q * se, mean + q * se
        rows.append(
            {
                "pilot": pilot,
                "clients_with_goals": len(grp),
                "goals_set": int(grp["goals_set"].sum()),
                "goals_rated": int(grp["goals_rated"].sum()),
                "clients_scored": n,
                "mean_t_score": mean,
                "conf_low": lo,
                "conf_high": hi,
                "share_at_or_above_expected": share,
                "suppressed": supp,
            }
        )
    return pd.DataFrame(rows, columns=list(PILOT_COLUMNS))
