"""Register outcomes and trajectory groups in a results folder, and their report tables.

Two kinds of results the impact and comparison reports show beside the effects:

* ``register_outcomes.csv``: :meth:`evaluation.registers.RegisterOutcomes.tidy` per pilot
  (registered-unemployment months, care contacts, benefit euros before and after entry,
  their change and the difference in change against the comparison group): the cost per
  participant and the change in benefit spending asked for by recommendation 7 (``001_…``
  l.9193-9199);
* ``trajectory_groups.csv`` and ``trajectory_curves.csv``: the chosen group-based trajectory
  model (:func:`evaluation.trajectories`) of the participants' benefit months, as the report
  grouped social-assistance trajectories (l.5697-5706).

Every number goes through the disclosure ledger (:mod:`evaluation.reporting.ledger`): a mean
resting on fewer than ``threshold`` persons is hidden, and the group sizes are a protected
count table (hidden below the threshold, with secondary suppression against the total).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.registers.indicators import register_indicator
from evaluation.registers.measures import MEASURES, RegisterOutcomes
from evaluation.reporting.tables_io import read_csv, results_folder, write_csv

if TYPE_CHECKING:
    from evaluation.estimators.trajectories.results import TrajectoryResult
    from evaluation.reporting.i18n import Translator
    from evaluation.reporting.ledger import Ledger

#: Table names in a results folder.
REGISTER_OUTCOMES_TABLE = "register_outcomes"
TRAJECTORY_GROUPS_TABLE = "trajectory_groups"
TRAJECTORY_CURVES_TABLE = "trajectory_curves"
#: Terms shown as columns of the report table, in order.
SHOWN_TERMS = ("before", "after", "change", "difference_in_change")


def _path(folder: Path | str, name: str) -> Path:
    return Path(folder) / f"{name}.csv"


def _read(folder: Path | str, name: str) -> pd.DataFrame:
    path = _path(folder, name)
    return read_csv(path, dtype={"pilot": str, "group": str}) if path.exists() else pd.DataFrame()


def write_register_outcomes(
    results_dir: Path | str, outcomes: RegisterOutcomes, *, pilot: str
) -> Path:
    """Write (or replace) ``pilot``'s rows of ``register_outcomes.csv``."""
    folder = results_folder(results_dir)
    rows = outcomes.tidy()
    rows.insert(0, "pilot", pilot)
    old = _read(folder, REGISTER_OUTCOMES_TABLE)
    if len(old):
        rows = pd.concat([old[old["pilot"] != pilot], rows], ignore_index=True)
    return write_csv(rows, _path(folder, REGISTER_OUTCOMES_TABLE))


def write_trajectory_groups(
    results_dir: Path | str, result: TrajectoryResult, *, population: str
) -> tuple[Path, Path]:
    """Write the chosen model's groups (sizes, AvePP, OCC) and trajectories with bands."""
    folder = results_folder(results_dir)
    model = result.chosen
    groups = model.groups().rename(columns={"assigned": "persons"})
    groups.insert(0, "population", population)
    groups.insert(1, "outcome", result.outcome)
    curves = model.trajectories()
    curves.insert(0, "population", population)
    return (
        write_csv(groups, _path(folder, TRAJECTORY_GROUPS_TABLE)),
        write_csv(curves, _path(folder, TRAJECTORY_CURVES_TABLE)),
    )


def trajectory_group_counts(folder: Path | str) -> tuple[list[str], np.ndarray]:
    """Group labels and persons of ``trajectory_groups.csv`` (the ledger's count table)."""
    groups = _read(folder, TRAJECTORY_GROUPS_TABLE)
    if not len(groups):
        return [], np.zeros(0, dtype=np.int64)
    labels = [str(int(g)) for g in groups["group"]]
    return labels, groups["persons"].to_numpy(dtype=np.int64)


def register_outcome_cells(folder: Path | str) -> list[tuple[str, str, float]]:
    """(table, cell, persons) of every register outcome, for the ledger."""
    rows = _read(folder, REGISTER_OUTCOMES_TABLE)
    return [
        (f"{REGISTER_OUTCOMES_TABLE}:{p}", f"{g}|{m}|{term}", float(n))
        for p, g, m, term, n in zip(
            rows.get("pilot", []),
            rows.get("group", []),
            rows.get("measure", []),
            rows.get("term", []),
            rows.get("n_persons", []),
            strict=True,
        )
    ]


def register_outcome_table(
    folder: Path | str, t: Translator, ledger: Ledger, *, pilot: str | None = None
) -> pd.DataFrame:
    """The report table: pilot, group, measure, before, after, change, difference.

    A mean resting on fewer persons than the ledger's threshold is shown as ``<threshold``.
    The persons themselves are not printed here: the participants of a pilot are the
    cohort tables' pilot total, which the ledger may hide (secondary suppression).
    """
    rows = _read(folder, REGISTER_OUTCOMES_TABLE)
    if not len(rows):
        return pd.DataFrame()
    if pilot:
        rows = rows[rows["pilot"] == pilot]
    out = []
    keys = rows[["pilot", "group", "measure"]].drop_duplicates()
    for p, g, m in keys.itertuples(index=False):
        sub = rows[(rows["pilot"] == p) & (rows["group"] == g) & (rows["measure"] == m)]
        by_term = sub.set_index("term")
        line: dict[str, object] = {
            t("col.pilot"): p,
            t("register.col.group"): t.get(f"register.group.{g}", str(g)),
            t("register.col.measure"): register_indicator(MEASURES[str(m)]).name(t.lang),
        }
        digits = 0 if m == "benefit_eur" else 2
        for term in SHOWN_TERMS:
            if term not in by_term.index:
                line[t(f"register.term.{term}")] = ""
                continue
            r = by_term.loc[term]
            cell = f"{g}|{m}|{term}"
            shown = ledger.shows(f"{REGISTER_OUTCOMES_TABLE}:{p}", cell, float(r["n_persons"]))
            line[t(f"register.term.{term}")] = (
                t.num(float(r["estimate"]), digits) if shown else f"<{ledger.threshold}"
            )
        out.append(line)
    return pd.DataFrame(out)


def trajectory_group_table(folder: Path | str, t: Translator, ledger: Ledger) -> pd.DataFrame:
    """Group sizes as the ledger publishes them, with the estimated share, AvePP and OCC."""
    groups = _read(folder, TRAJECTORY_GROUPS_TABLE)
    if not len(groups) or ledger.table(TRAJECTORY_GROUPS_TABLE) is None:
        return pd.DataFrame()
    shown = ledger.display(TRAJECTORY_GROUPS_TABLE, total_label=t("total"))
    persons = shown.iloc[:, 0].tolist()
    hidden = [not str(v).isdigit() for v in persons[:-1]]

    def column(values: pd.Series, scale: float, digits: int) -> list[str]:
        return ["" if h else t.num(scale * v, digits) for h, v in zip(hidden, values, strict=True)]

    return pd.DataFrame(
        {
            t("register.col.trajectory_group"): [*map(str, groups["group"]), t("total")],
            t("register.col.persons"): persons,
            t("register.col.share"): [*column(groups["share"], 100.0, 1), t.num(100.0, 1)],
            "AvePP": [*column(groups["avepp"], 1.0, 2), ""],
        }
    )


def trajectory_group_figure(folder: Path | str, t: Translator, ledger: Ledger) -> Figure | None:
    """The shown groups' trajectories with their bands (hidden groups left out)."""
    curves = _read(folder, TRAJECTORY_CURVES_TABLE)
    labels, _counts = trajectory_group_counts(folder)
    if not len(curves) or not labels:
        return None
    table = ledger.display(TRAJECTORY_GROUPS_TABLE)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for label, text in zip(labels, table.iloc[:-1, 0], strict=True):
        if not str(text).isdigit():
            continue
        part = curves[curves["group"].astype(int) == int(label)].sort_values("time")
        ax.plot(part["time"], part["estimate"], label=f"{label} (n = {text})")
        ax.fill_between(part["time"], part["conf_low"], part["conf_high"], alpha=0.2)
    ax.set_xlabel(t("register.axis.year"))
    ax.set_ylabel(t("register.axis.months"))
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
