"""Figures of the demo overview page, drawn from tidy tables (no pyplot global state)."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

#: Colours of the two compared groups.
PARTICIPANT_COLOUR = "#c8553d"
OTHERS_COLOUR = "#2a6f97"


def entrants_figure(shown: pd.DataFrame, *, pilot_order: list[str]) -> Figure:
    """Cumulative participants per pilot over calendar months, from the published table.

    Parameters
    ----------
    shown:
        The disclosure-controlled table: entry months (``YYYY-MM``) as index, one column
        per pilot, cells as published (counts, ``<5`` or ``*``). Only published counts are
        summed; months with a hidden cell are marked, so no step reveals a hidden cell.
    pilot_order:
        Pilots in display order.
    """
    fig = Figure(figsize=(9, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    months = pd.to_datetime(pd.Index([str(m) for m in shown.index]), format="%Y-%m")
    for pilot in pilot_order:
        if pilot not in shown.columns:
            continue
        cells = shown[pilot].astype(str)
        counts = pd.to_numeric(cells.where(cells.str.isdigit()), errors="coerce")
        cumulative = counts.fillna(0).cumsum().to_numpy()
        (line,) = ax.step(months, cumulative, where="post", label=pilot)
        hidden = ~cells.str.isdigit().to_numpy()
        ax.plot(months[hidden], cumulative[hidden], "x", color=line.get_color(), markersize=4)
    ax.set_ylabel("participants (cumulative, shown cells)")
    ax.set_title("Staggered rollout: participants entering each pilot (x: a hidden cell)")
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
