"""Figures of matching results (matplotlib ``Figure`` objects, no pyplot global state)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure


def love_plot(balance: pd.DataFrame, threshold: float) -> Figure:
    """Absolute standardised mean differences before and after, one row per covariate."""
    fig = Figure(figsize=(6.0, 0.35 * len(balance) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(balance))[::-1]
    ax.scatter(np.abs(balance["smd_before"]), y, facecolors="none", edgecolors="C3", label="before")
    ax.scatter(np.abs(balance["smd_after"]), y, color="C0", label="after")
    ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y, labels=list(balance["covariate"]))
    ax.set_xlabel("|standardised mean difference|")
    ax.set_title("Covariate balance (love plot)")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def overlap_plot(
    ps: npt.NDArray[np.float64], treat: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]
) -> Figure:
    """Propensity score distributions of the two groups, all units and matched/weighted."""
    fig = Figure(figsize=(8.0, 3.5))
    bins = np.linspace(0.0, 1.0, 41).tolist()
    for k, (title, w) in enumerate((("All units", np.ones_like(ps)), ("Matched", weights))):
        ax = fig.add_subplot(1, 2, k + 1)
        for grp, label, color in ((treat, "treated", "C3"), (~treat, "control", "C0")):
            sel = grp & (w > 0)
            if sel.any():
                ax.hist(
                    ps[sel],
                    bins=bins,
                    weights=w[sel],
                    density=True,
                    alpha=0.5,
                    color=color,
                    label=label,
                )
        ax.set_xlabel("propensity score")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    return fig


def estimate_plot(table: pd.DataFrame, label_column: str, title: str) -> Figure:
    """Point estimates with confidence intervals, one row per line of ``table``."""
    fig = Figure(figsize=(6.0, 0.5 * len(table) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(table))[::-1]
    est = table["estimate"].to_numpy(dtype=float)
    lo = table["conf_low"].to_numpy(dtype=float)
    hi = table["conf_high"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", capsize=3)
    ax.axvline(0.0, color="grey", linewidth=1)
    ax.set_yticks(y, labels=[str(v) for v in table[label_column]])
    ax.set_xlabel("effect on the treated")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def rosenbaum_plot(table: pd.DataFrame, alpha: float) -> Figure:
    """Upper and lower p-value bounds against Gamma."""
    fig = Figure(figsize=(6.0, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(table["gamma"], table["p_upper"], marker="o", label="upper bound")
    ax.plot(table["gamma"], table["p_lower"], marker="o", label="lower bound")
    ax.axhline(alpha, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("Gamma (odds of differential assignment)")
    ax.set_ylabel("one-sided p-value")
    ax.set_title("Rosenbaum sensitivity bounds")
    ax.legend()
    fig.tight_layout()
    return fig
