"""Figures of the demo overview page, drawn from tidy tables (no pyplot global state)."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

#: Colours of the two compared groups.
PARTICIPANT_COLOUR = "#c8553d"
OTHERS_COLOUR = "#2a6f97"


def entrants_figure(entrants: pd.DataFrame, *, pilot_order: list[str]) -> Figure:
    """Cumulative participants per pilot over calendar months.

    Parameters
    ----------
    entrants:
        Columns ``pilot, month, entrants`` (new participants per pilot and month).
    pilot_order:
        Pilots in display order.
    """
    fig = Figure(figsize=(9, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    for pilot in pilot_order:
        rows = entrants[entrants["pilot"] == pilot].sort_values("month")
        if rows.empty:
            continue
        ax.step(rows["month"], rows["entrants"].cumsum(), where="post", label=pilot)
    ax.set_ylabel("participants (cumulative)")
    ax.set_title("Staggered rollout: participants entering each pilot")
    ax.legend(fontsize=8, ncol=3, frameon=False)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return fig


def trajectories_figure(
    trajectories: pd.DataFrame,
    *,
    pilot_order: list[str],
    starts: dict[str, pd.Timestamp],
    outcome_label: str = "employed in month (share)",
) -> Figure:
    """Outcome trajectories of each pilot's participants versus everyone else.

    Parameters
    ----------
    trajectories:
        Columns ``pilot, group, month, rate`` where ``group`` is ``"participants"`` or
        ``"everyone else"`` (the national comparison, the same for every pilot).
    pilot_order:
        Pilots in display order, one panel each.
    starts:
        Start month of each pilot, drawn as a vertical line.
    """
    ncols = 3
    nrows = math.ceil(len(pilot_order) / ncols)
    fig = Figure(figsize=(11, 3.1 * nrows))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    others = trajectories[trajectories["group"] == "everyone else"].sort_values("month")
    for ax, pilot in zip(axes.flat, pilot_order, strict=False):
        own = trajectories[
            (trajectories["pilot"] == pilot) & (trajectories["group"] == "participants")
        ].sort_values("month")
        ax.plot(others["month"], others["rate"], color=OTHERS_COLOUR, label="everyone else")
        ax.plot(own["month"], own["rate"], color=PARTICIPANT_COLOUR, label="participants")
        if pilot in starts:
            ax.axvline(starts[pilot], color="#555", linestyle=":", linewidth=1)
        ax.set_title(pilot, fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    for ax in list(axes.flat)[len(pilot_order) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel(outcome_label)
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle("Participants versus everyone else (dotted line: pilot starts)", fontsize=11)
    fig.tight_layout()
    return fig
