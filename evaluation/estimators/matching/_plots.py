"""Figures of matching results (matplotlib ``Figure`` objects, no pyplot global state)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

#: Love plot panels: balance column stem, axis label, threshold lines.
LOVE_PANELS = {
    "smd": ("smd", "|standardised mean difference|"),
    "var_ratio": ("var_ratio", "variance ratio"),
    "ks": ("ecdf_max", "eCDF max (Kolmogorov-Smirnov)"),
}


def love_plot(
    balance: pd.DataFrame,
    thresholds: dict[str, float],
    stats: tuple[str, ...] = ("smd",),
) -> Figure:
    """cobalt-style love plot: one row per term, sorted by the first panel's value before
    matching (largest on top), before (open) and after (filled), dashed threshold lines."""
    first = LOVE_PANELS[stats[0]][0]
    key = np.abs(balance[f"{first}_before"].to_numpy(dtype=float))
    table = balance.iloc[np.argsort(np.nan_to_num(key, nan=-1.0), kind="stable")]
    fig = Figure(figsize=(3.2 * len(stats) + 2.5, 0.3 * len(table) + 1.6))
    y = np.arange(len(table))
    for k, stat in enumerate(stats):
        stem, label = LOVE_PANELS[stat]
        ax = fig.add_subplot(1, len(stats), k + 1)
        before = table[f"{stem}_before"].to_numpy(dtype=float)
        after = table[f"{stem}_after"].to_numpy(dtype=float)
        if stem == "smd":
            before, after = np.abs(before), np.abs(after)
        ax.scatter(before, y, facecolors="none", edgecolors="C3", label="before")
        ax.scatter(after, y, color="C0", label="after")
        for t in _threshold_lines(stat, thresholds):
            ax.axvline(t, color="grey", linestyle="--", linewidth=1)
        if stat == "var_ratio":
            ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_yticks(y, labels=list(table["covariate"]) if k == 0 else [""] * len(y))
        ax.set_xlabel(label)
        if k == 0:
            ax.legend(loc="lower right")
    fig.suptitle("Covariate balance (love plot)")
    fig.tight_layout()
    return fig


def _threshold_lines(stat: str, thresholds: dict[str, float]) -> list[float]:
    if stat == "var_ratio" and "var_ratio" in thresholds:
        return [1 / thresholds["var_ratio"], thresholds["var_ratio"]]
    return [thresholds[stat]] if stat in thresholds else []


def overlap_plot(
    score: npt.NDArray[np.float64],
    treat: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float64],
    label: str = "propensity score",
) -> Figure:
    """Score distributions by group, all units and matched/weighted, with n per group.

    Bins are data-driven (``numpy.histogram_bin_edges(..., "auto")`` over the observed
    range, the same edges in both panels); each group is a density so a small treated
    group stays visible beside a large control group.
    """
    fig = Figure(figsize=(8.0, 3.5))
    finite = np.isfinite(score)
    edges = np.histogram_bin_edges(score[finite], bins="auto")
    if edges.size > 81:  # keep bars readable on very large samples
        edges = np.linspace(edges[0], edges[-1], 81)
    for k, (title, w) in enumerate((("All units", np.ones_like(score)), ("Matched", weights))):
        ax = fig.add_subplot(1, 2, k + 1)
        for grp, name, color in ((treat, "treated", "C3"), (~treat, "control", "C0")):
            sel = grp & (w > 0) & finite
            if sel.any():
                ax.hist(
                    score[sel],
                    bins=edges.tolist(),
                    weights=w[sel],
                    density=True,
                    alpha=0.5,
                    color=color,
                    label=f"{name} (n={int(sel.sum())})",
                )
        ax.set_xlabel(label)
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
