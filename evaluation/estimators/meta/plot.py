"""Forest plot and bubble plot (object-oriented matplotlib, no pyplot state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

if TYPE_CHECKING:
    from evaluation.estimators.meta.results import MetaRegressionResult

_STUDY_COLOUR = "#1f4e79"
_POOLED_COLOUR = "#b03a2e"


def forest_plot(
    tidy: pd.DataFrame,
    *,
    pred_low: float | None = None,
    pred_high: float | None = None,
    title: str = "",
    xlabel: str = "Effect",
    pooled_label: str = "Pooled (RE)",
    prediction_label: str = "Prediction interval",
    null_value: float = 0.0,
) -> Figure:
    """Draw a forest plot from a tidy meta-analysis table.

    Parameters
    ----------
    tidy:
        Output of :meth:`MetaAnalysisResult.tidy` (columns ``term, kind, estimate,
        conf_low, conf_high, weight``), studies first, the pooled row last.
    pred_low, pred_high:
        Prediction interval drawn as a thin bar through the pooled diamond.
    """
    studies = tidy[tidy["kind"] == "study"]
    pooled = tidy[tidy["kind"] == "pooled"]
    n = len(studies)
    fig = Figure(figsize=(7.5, 1.2 + 0.42 * (n + 2)), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ys = np.arange(n, 0, -1, dtype=float) + 1.0
    w = studies["weight"].to_numpy(dtype=float)
    sizes = 30 + 220 * w / max(float(w.max()), 1e-12)
    for y, (_, row) in zip(ys, studies.iterrows(), strict=True):
        ax.plot([row["conf_low"], row["conf_high"]], [y, y], color=_STUDY_COLOUR, lw=1.4)
    ax.scatter(studies["estimate"], ys, s=sizes, marker="s", color=_STUDY_COLOUR, zorder=3)
    labels = [str(t) for t in studies["term"]]
    ticks = list(ys)
    if len(pooled) == 1:
        p = pooled.iloc[0]
        y0 = 0.6
        if pred_low is not None and pred_high is not None:
            ax.plot([pred_low, pred_high], [y0, y0], color=_POOLED_COLOUR, lw=1.0, ls="--")
            ax.plot([], [], color=_POOLED_COLOUR, lw=1.0, ls="--", label=prediction_label)
        diamond = Polygon(
            [
                (p["conf_low"], y0),
                (p["estimate"], y0 + 0.3),
                (p["conf_high"], y0),
                (p["estimate"], y0 - 0.3),
            ],
            closed=True,
            color=_POOLED_COLOUR,
            zorder=4,
        )
        ax.add_patch(diamond)
        ax.axvline(float(p["estimate"]), color=_POOLED_COLOUR, lw=0.6, ls=":")
        labels.append(pooled_label)
        ticks.append(y0)
    ax.axvline(null_value, color="0.4", lw=0.8)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.2, n + 1.8)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    if pred_low is not None and pred_high is not None and len(pooled) == 1:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def bubble_plot(
    result: MetaRegressionResult,
    *,
    moderator: str | None = None,
    ylabel: str = "Effect",
    xlabel: str | None = None,
) -> Figure:
    """Effects against one moderator, bubble area by weight, with the fitted line."""
    mods = result.moderators
    name = moderator if moderator is not None else str(mods.columns[0])
    x = mods[name].to_numpy(dtype=float)
    y = np.asarray(result.effects, dtype=float)
    se = np.asarray(result.effect_std_errors, dtype=float)
    w = 1.0 / (se**2 + result.tau2)
    fig = Figure(figsize=(6.0, 4.0), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(x, y, s=40 + 400 * w / w.max(), alpha=0.6, color=_STUDY_COLOUR, edgecolor="k")
    for xi, yi, lab in zip(x, y, result.labels, strict=True):
        ax.annotate(lab, (xi, yi), fontsize=7, xytext=(4, 4), textcoords="offset points")
    grid = np.linspace(float(x.min()), float(x.max()), 50)
    coef = dict(zip(result.terms, result.estimates, strict=True))
    fitted = np.full_like(grid, coef.get("intercept", 0.0))
    for col in mods.columns:
        c = coef.get(str(col), 0.0)
        fitted += c * (grid if col == name else float(mods[col].mean()))
    ax.plot(grid, fitted, color=_POOLED_COLOUR)
    ax.set_xlabel(xlabel if xlabel is not None else name)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
