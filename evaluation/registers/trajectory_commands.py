"""``pilot-eval registers trajectories``: group-based trajectory models from a panel file.

Fits :func:`evaluation.trajectories` for each number of groups (with a progress bar),
prints the model-choice table, writes ``trajectory_groups.csv`` and
``trajectory_curves.csv`` into a results folder and optionally saves the plot; group sizes
are printed as the disclosure ledger publishes them. Mounted by
:mod:`evaluation.registers.commands`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from evaluation.errors import OptionError, PilotEvalError
from evaluation.estimators.trajectories import TrajectoryModel, TrajectoryResult, trajectories
from evaluation.registers.command_files import read_table, refuse_linked, relocated
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import cli_language, translator
from evaluation.reporting.ledger import Ledger, build_ledger, small
from evaluation.reporting.register_results import (
    trajectory_group_figure,
    trajectory_group_table,
    write_trajectory_groups,
)
from evaluation.safe_io import atomic_write

#: ``--help`` of ``registers trajectories``.
TRAJECTORIES_HELP = """Group-based trajectory models of a count outcome, groups chosen by BIC.

Fits finite mixtures of polynomial trajectories (Nagin) by EM with --starts seeded starts
for each number of --groups, prints the model-choice table (BIC: smaller is better; the
smallest AvePP, 0.7 or more is good; the smallest OCC, 5 or more is good; the smallest
group's share) and the chosen model's groups (persons, share, AvePP).

The report grouped the persons who received social assistance in 2010 by their months of
social assistance a year, 2006-2014, into five trajectories; the number of groups was
chosen by BIC (seed 001_… l.5697-5706). Recommendation 7 asks that benefit use be followed
(seed 001_… l.9189-9199). Months on a benefit a year are binomial out of --trials 12.

PANEL is a person-year panel (pilot-eval registers panel --yearly; --time year) or a
person-month panel (--time month_index). A person-year panel's years with fewer than 12
months observed are left out; --population participants keeps the persons with a pilot.
Writes trajectory_groups.csv and trajectory_curves.csv to --results (the impact and
comparison reports show them through the disclosure ledger). Groups of fewer than
--threshold persons are printed as <threshold and left out of the --plot.

Example: pilot-eval registers trajectories person_years.parquet --outcome
months_on_main_benefit --results results --groups 1-5 --degree 2 --family binomial
--trials 12 --time year --starts 10 --seed 1 --plot trajectories.png
"""
_GROUPS_TEXT = re.compile(r"^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$")


def parse_groups(text: str) -> tuple[int, ...]:
    """Numbers of groups from ``"1-5"``, ``"3"`` or ``"1-3,5"`` (sorted, distinct).

    Raises
    ------
    evaluation.errors.OptionError
        The text is not such a list, or a number is below 1.
    """
    if not _GROUPS_TEXT.match(text):
        raise OptionError(
            f"cannot read groups {text!r}",
            where="option --groups",
            fix="give a range or a list of numbers of groups, e.g. 1-5, 3 or 1-3,5",
        )
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    if not out or min(out) < 1:
        raise OptionError(
            f"groups {text!r} hold no positive number of groups",
            where="option --groups",
            fix="give numbers from 1 up, low to high, e.g. 1-5",
        )
    return tuple(sorted(out))


Population = Literal["participants", "all"]
#: Months of a whole person-year.
MONTHS_PER_YEAR = 12


def _trajectory_panel(
    path: Path, columns: list[str], population: str, time: str, console: Console
) -> pd.DataFrame:
    """The panel's persons of ``population``; a person-year panel's whole years only."""
    if population not in get_args(Population):
        raise OptionError(
            f"unknown population {population!r}",
            where="option --population",
            fix="use participants (persons with a pilot) or all",
        )
    frame = read_table(path, "PANEL", columns, extra=("pilot", "months_observed"))
    if population == "participants":
        frame = _participants(frame, console)
    if time == "year" and "months_observed" in frame.columns:
        frame = _whole_years(frame, console)
    return frame[columns]


def _participants(frame: pd.DataFrame, console: Console) -> pd.DataFrame:
    """Rows with a pilot (all rows, with a note, when the panel has no ``pilot``)."""
    if "pilot" in frame.columns:
        return frame[frame["pilot"].notna()]
    console.print(
        "Note: the panel has no 'pilot' column; every person is taken as a participant "
        "(build the panel with --participants, or use --population all).",
        markup=False,
    )
    return frame


def _whole_years(frame: pd.DataFrame, console: Console) -> pd.DataFrame:
    """Person-years with all 12 months observed (a note says how many were left out)."""
    whole = pd.to_numeric(frame["months_observed"], errors="coerce") == MONTHS_PER_YEAR
    if not whole.all():
        console.print(
            f"Note: {int((~whole).sum())} person-year(s) with fewer than "
            f"{MONTHS_PER_YEAR} months observed (the window's edges) left out.",
            markup=False,
        )
    return frame[whole]


def _shown_share(model: TrajectoryModel, threshold: int) -> str:
    """The smallest group's share, or ``<threshold`` when it has fewer persons."""
    g = model.groups()
    at = int(np.argmin(g["share"].to_numpy()))
    share, persons = float(g["share"].iloc[at]), float(g["assigned"].iloc[at])
    return f"<{threshold}" if small(persons, threshold) else f"{share:.3f}"


def _selection_table(result: TrajectoryResult, threshold: int) -> pd.DataFrame:
    sel = result.selection()
    return pd.DataFrame(
        {
            "groups": sel["groups"],
            "BIC": sel["bic"].map("{:.2f}".format),
            "min AvePP": sel["smallest_avepp"].map("{:.3f}".format),
            "min OCC": [_occ(v) for v in sel["smallest_occ"]],
            "smallest share": [_shown_share(m, threshold) for m in result.models],
            "converged": sel["converged"],
            "chosen": sel["chosen"].map({True: "<-", False: ""}),
        }
    )


def _occ(value: float) -> str:
    return ">9999" if not np.isfinite(value) or value > 9999 else f"{value:.1f}"


def _fit_with_progress(
    frame: pd.DataFrame, outcome: str, groups: tuple[int, ...], options: dict[str, Any]
) -> TrajectoryResult:
    """:func:`trajectories` with a progress bar and one line per fitted number of groups."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as progress:
        task = progress.add_task("Fitting trajectory models", total=len(groups))

        def fitted(model: TrajectoryModel) -> None:
            progress.console.print(
                f"{model.n_groups} group(s): BIC {model.bic:.2f}, converged {model.fit.converged}",
                markup=False,
                highlight=False,
            )
            progress.advance(task)

        return trajectories(frame, outcome, groups=groups, on_fit=fitted, **options)


def _save_plot(results: Path, plot: Path, ledger: Ledger, labels: tuple[str, str]) -> None:
    fig = trajectory_group_figure(results, translator(cli_language()), ledger)
    if fig is None:
        return
    ax = fig.axes[0]
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    with atomic_write(plot, where="option --plot") as tmp:
        fig.savefig(tmp, format="png", dpi=150)


def trajectories_command(
    panel: Annotated[
        Path,
        typer.Argument(help="Person-year (or person-month) panel (.parquet or .csv)."),
    ],
    outcome: Annotated[str, typer.Option("--outcome", help="Count column to group by.")],
    results: Annotated[Path, typer.Option("--results", help="Results folder to write into.")],
    groups: Annotated[
        str, typer.Option("--groups", help="Numbers of groups to compare: 1-5, 3 or 1-3,5.")
    ] = "1-7",
    degree: Annotated[int, typer.Option("--degree", help="Polynomial degree: 1, 2 or 3.")] = 2,
    family: Annotated[
        str, typer.Option("--family", help="binomial (with --trials), poisson or zip.")
    ] = "poisson",
    trials: Annotated[
        int, typer.Option("--trials", help="Binomial trials a cell, e.g. 12 months a year.")
    ] = 1,
    time: Annotated[
        str, typer.Option("--time", help="Time column: year (person-years) or month_index.")
    ] = "month_index",
    person: Annotated[str, typer.Option("--person", help="Person id column.")] = "person_id",
    starts: Annotated[
        int, typer.Option("--starts", help="Seeded EM starts per number of groups.")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the starts.")] = 0,
    population: Annotated[
        str,
        typer.Option(
            "--population",
            help="participants (rows with a pilot, when the panel has that column) or all.",
        ),
    ] = "participants",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save the groups' trajectories (.png).")
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 - coverage of the bands.")] = 0.05,
    threshold: Annotated[
        int, typer.Option("--threshold", help="Smallest group size printed.", min=1)
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Trajectory groups of PANEL to --results (help: :data:`TRAJECTORIES_HELP`)."""
    group_list = parse_groups(groups)
    refuse_linked({"--results": results, "--plot": plot})
    console = Console(highlight=False)
    frame = _trajectory_panel(panel, [person, time, outcome], population, time, console)
    options = {"degree": degree, "family": family, "trials": trials, "time": time}
    options |= {"person": person, "starts": starts, "seed": seed, "alpha": alpha}
    try:
        result = _fit_with_progress(frame, outcome, group_list, options)
    except PilotEvalError as exc:
        names = ("groups", "degree", "family", "trials", "starts", "alpha")
        places = {name: f"option --{name}" for name in names}
        raise relocated(exc, {**places, "panel": f"{panel.name} (argument PANEL)"}) from None
    paths = write_trajectory_groups(results, result, population=population)
    ledger = build_ledger(results, threshold=threshold)
    _print_trajectories(result, results, ledger, console)
    if plot is not None:
        _save_plot(results, plot, ledger, (time, outcome))
        console.print(f"Plot: {plot}", markup=False)
    console.print(f"Trajectory groups: {paths[0]}\nTrajectories: {paths[1]}", markup=False)


def _print_trajectories(
    result: TrajectoryResult, results: Path, ledger: Ledger, console: Console
) -> None:
    chosen = result.chosen
    console.print("Number of groups by BIC (smaller is better):", markup=False)
    table = _selection_table(result, ledger.threshold)
    console.print(table.to_string(index=False), markup=False, soft_wrap=True)
    console.print(
        f"Chosen: {chosen.n_groups} group(s), {result.family}, degree {result.degree}, "
        f"BIC {chosen.bic:.2f} (groups of fewer than {ledger.threshold} persons: "
        f"<{ledger.threshold}).",
        markup=False,
        soft_wrap=True,
    )
    groups = trajectory_group_table(results, translator(cli_language()), ledger)
    console.print(groups.to_string(index=False), markup=False, soft_wrap=True)
