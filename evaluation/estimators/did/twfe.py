"""Two-way fixed effects beside Callaway & Sant'Anna, with a Goodman-Bacon decomposition.

The TWFE coefficient of a binary, absorbing, staggered treatment is a weighted average of all
2x2 DiD comparisons (Goodman-Bacon 2021, Theorem 1): treated vs never treated, earlier vs
later treated (later as control, before it is treated) and later vs earlier treated (earlier
as control, *after* it is treated: the "forbidden" comparison that biases TWFE when effects
change over time). Showing the pieces next to the CS estimate explains why the two differ.
Balanced panels without sampling weights only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin
from evaluation.errors import EstimatorNote
from evaluation.estimators.did.api import att_gt, map_cohorts
from evaluation.estimators.did.panel import build_wide_panel
from evaluation.estimators.did.results import AttGtResult


@dataclass(frozen=True, repr=False)
class TwfeComparison(ResultMixin):
    """TWFE estimate, its Goodman-Bacon decomposition and the CS simple aggregate.

    Attributes
    ----------
    twfe_estimate, twfe_std_error:
        Coefficient of the treatment dummy in ``y ~ D + unit FE + time FE`` (PanelOLS,
        clustered by unit or by ``cluster``).
    cs_estimate, cs_std_error:
        Callaway & Sant'Anna simple aggregate on the same sample.
    bacon:
        One row per 2x2 comparison: ``comparison`` (``treated_vs_never``,
        ``earlier_vs_later``, ``later_vs_earlier``), ``treated``, ``control`` (cohort, 0 =
        never), ``estimate``, ``weight``.
    """

    twfe_estimate: float
    twfe_std_error: float
    cs_estimate: float
    cs_std_error: float
    bacon: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Two rows (``term``: ``TWFE``, ``CS simple``): estimate, std_error, statistic (z),
        p_value (two-sided normal), conf_low, conf_high (95%)."""
        z = 1.959963984540054
        est = [self.twfe_estimate, self.cs_estimate]
        se = [self.twfe_std_error, self.cs_std_error]
        stat = [e / s for e, s in zip(est, se, strict=True)]
        return pd.DataFrame(
            {
                "term": ["TWFE", "CS simple"],
                "estimate": est,
                "std_error": se,
                "statistic": stat,
                "p_value": [2 * stats.norm.sf(abs(v)) for v in stat],
                "conf_low": [e - z * s for e, s in zip(est, se, strict=True)],
                "conf_high": [e + z * s for e, s in zip(est, se, strict=True)],
            }
        )

    def summary(self) -> str:
        """Text: both estimates and the decomposition by comparison type."""
        b = self.bacon.assign(weighted=self.bacon["weight"] * self.bacon["estimate"])
        by_type = b.groupby("comparison", sort=False)[["weight", "weighted"]].sum()
        by_type["estimate"] = by_type["weighted"] / by_type["weight"]
        by_type = by_type[["weight", "estimate"]]
        return "\n".join(
            [
                "TWFE vs Callaway & Sant'Anna",
                self.tidy().to_string(index=False, float_format="%.4f"),
                "Goodman-Bacon decomposition of TWFE (weights sum to 1):",
                by_type.to_string(float_format="%.4f"),
            ]
        )

    def plot(self) -> Figure:
        """2x2 estimates against their weights, with the TWFE and CS estimates as lines."""
        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot()
        for i, (name, g) in enumerate(self.bacon.groupby("comparison", sort=False)):
            ax.scatter(g["weight"], g["estimate"], label=str(name), color=f"C{i}")
        ax.axhline(self.twfe_estimate, color="black", linestyle="--", label="TWFE")
        ax.axhline(self.cs_estimate, color="C3", linestyle=":", label="CS simple")
        ax.set_xlabel("weight in TWFE")
        ax.set_ylabel("2x2 DiD estimate")
        ax.set_title("Goodman-Bacon decomposition")
        ax.legend(fontsize="small")
        return fig


def bacon_decomposition(y: np.ndarray, cohort: np.ndarray, periods: np.ndarray) -> pd.DataFrame:
    """Goodman-Bacon (2021) decomposition for a balanced wide panel ``y`` (n x T).

    ``cohort`` holds the first treated period (``inf`` = never treated); every cohort must
    be treated after the first period.
    """
    n, n_t = y.shape
    groups = np.unique(cohort)
    treated = groups[np.isfinite(groups)]
    share = {g: float(np.mean(cohort == g)) for g in groups}
    dbar = {g: float(np.mean(periods >= g)) if np.isfinite(g) else 0.0 for g in groups}
    d = (periods[None, :] >= cohort[:, None]).astype(np.float64)
    dd = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + d.mean()
    v_d = float((dd**2).mean())
    means = {g: y[cohort == g].mean(axis=0) for g in groups}

    def did(a: float, b: float, pre: np.ndarray, post: np.ndarray) -> float:
        ya, yb = means[a], means[b]
        return float((ya[post].mean() - ya[pre].mean()) - (yb[post].mean() - yb[pre].mean()))

    rows: list[dict[str, Any]] = []
    never = groups[~np.isfinite(groups)]
    for k in treated:
        if len(never):
            u = float(never[0])
            nk, nu = share[k], share[u]
            nku = nk / (nk + nu)
            s = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / v_d
            est = did(k, u, periods < k, periods >= k)
            rows.append(
                dict(comparison="treated_vs_never", treated=k, control=0.0, estimate=est, weight=s)
            )
        for lt in treated[treated > k]:
            nk, nl = share[k], share[lt]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[lt]
            s_k = (
                ((nk + nl) * (1 - dl)) ** 2
                * nkl
                * (1 - nkl)
                * ((dk - dl) / (1 - dl))
                * ((1 - dk) / (1 - dl))
                / v_d
            )
            s_l = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk) / v_d
            mid = (periods >= k) & (periods < lt)
            rows.append(
                dict(
                    comparison="earlier_vs_later",
                    treated=k,
                    control=lt,
                    estimate=did(k, lt, periods < k, mid),
                    weight=s_k,
                )
            )
            rows.append(
                dict(
                    comparison="later_vs_earlier",
                    treated=lt,
                    control=k,
                    estimate=did(lt, k, mid, periods >= lt),
                    weight=s_l,
                )
            )
    del n, n_t
    out = pd.DataFrame(rows, columns=["comparison", "treated", "control", "estimate", "weight"])
    out["treated"] = out["treated"].astype(np.int64)
    out["control"] = out["control"].astype(np.int64)
    return out


def twfe_comparison(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    cluster: str | None = None,
    cs_result: AttGtResult | None = None,
) -> TwfeComparison:
    """TWFE (linearmodels PanelOLS) beside the CS simple aggregate, with a Bacon decomposition.

    Units treated by the first period are left out of both, as in :func:`att_gt`.
    """
    from linearmodels.panel import PanelOLS  # imported here: slow to import, rarely needed

    wide = build_wide_panel(
        data, outcome=outcome, time=time, unit=unit, cohort=cohort, cluster=cluster
    )
    cmap = map_cohorts(wide.cohort, wide.periods, control_group="nevertreated", anticipation=0)
    for note in cmap.notes:
        warnings.warn(note, EstimatorNote, stacklevel=2)
    code = cmap.codes(wide.cohort)
    keep = code >= 0
    g = np.where(code[keep] == len(cmap.cohorts), np.inf, wide.cohort[keep])
    y = wide.y[keep]
    periods = wide.periods
    n, n_t = y.shape
    long = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), n_t),
            "time": np.tile(periods, n),
            "y": y.ravel(),
            "D": (periods[None, :] >= g[:, None]).astype(np.float64).ravel(),
        }
    ).set_index(["unit", "time"])
    mod = PanelOLS(long["y"], long[["D"]], entity_effects=True, time_effects=True)
    if cluster is not None and wide.cluster is not None:
        clusters = pd.DataFrame({"c": np.repeat(wide.cluster[keep], n_t)}, index=long.index)
        fit = mod.fit(cov_type="clustered", clusters=clusters)
    else:
        fit = mod.fit(cov_type="clustered", cluster_entity=True)
    if cs_result is None:
        cs_result = att_gt(
            data, outcome=outcome, time=time, unit=unit, cohort=cohort, cluster=cluster
        )
    simple = cs_result.aggregate("simple")
    return TwfeComparison(
        twfe_estimate=float(fit.params["D"]),
        twfe_std_error=float(fit.std_errors["D"]),
        cs_estimate=simple.estimate,
        cs_std_error=simple.std_error,
        bacon=bacon_decomposition(y, g, periods),
    )
