"""Trajectory and BIC plots (object-oriented matplotlib, no pyplot state)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

_COLOURS = ("#1f4e79", "#b03a2e", "#1e8449", "#b9770e", "#6c3483", "#117a65", "#515a5a")


def trajectory_plot(
    trajectories: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    level: float,
    title: str = "",
    xlabel: str = "Time",
    ylabel: str = "",
) -> Figure:
    """Draw each group's fitted trajectory, its band and the observed group means.

    Parameters
    ----------
    trajectories:
        Output of :meth:`TrajectoryModel.trajectories`.
    groups:
        Output of :meth:`TrajectoryModel.groups` (shares label the legend).
    level:
        Coverage of the bands (for the legend).
    """
    fig = Figure(figsize=(7.5, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    shares = dict(zip(groups["group"].astype(int), groups["share"], strict=True))
    for k in sorted(shares):
        part = trajectories[trajectories["group"] == k]
        colour = _COLOURS[(k - 1) % len(_COLOURS)]
        ax.fill_between(
            part["time"], part["conf_low"], part["conf_high"], color=colour, alpha=0.2, lw=0
        )
        ax.plot(
            part["time"],
            part["estimate"],
            color=colour,
            lw=1.8,
            label=f"Group {k} ({100 * shares[k]:.1f}%)",
        )
        ax.scatter(part["time"], part["observed"], color=colour, s=10, alpha=0.7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"Trajectory groups ({round(100 * level)}% bands, dots: observed)")
    ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def bic_plot(selection: pd.DataFrame, *, title: str = "") -> Figure:
    """BIC against the number of groups, the chosen model marked."""
    fig = Figure(figsize=(5.5, 3.8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(selection["groups"], selection["bic"], marker="o", color=_COLOURS[0])
    chosen = selection[selection["chosen"]]
    ax.scatter(chosen["groups"], chosen["bic"], s=120, facecolors="none", edgecolors=_COLOURS[1])
    ax.set_xlabel("Number of groups")
    ax.set_ylabel("BIC (smaller is better)")
    ax.set_title(title or "Choosing the number of groups")
    fig.tight_layout()
    return fig
