"""``pilot-eval registers ...``: code table, spell checks, panels, register outcomes, trajectories.

Mount with ``app.add_typer(registers_app, name="registers")`` where
``from evaluation.registers.commands import app as registers_app``. Errors are the
toolkit's named errors (the main entry prints them as one line, exit code 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import duckdb
import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from evaluation.errors import InputDataError, OptionError, PilotEvalError, Problem
from evaluation.estimators.trajectories import TrajectoryModel, TrajectoryResult, trajectories
from evaluation.registers._duck import connect
from evaluation.registers.codes import code_table
from evaluation.registers.intake import (
    check_text_file,
    csv_header,
    missing_column_error,
    refuse_codes_in_path,
)
from evaluation.registers.measures import EXTRACT_COLUMNS, RegisterOutcomes, register_outcomes
from evaluation.registers.need_commands import NEED_HELP, need_command
from evaluation.registers.panel import build_person_month_panel, min_days
from evaluation.registers.screening import refuse_identity_codes_in_frame
from evaluation.registers.spells import validate_spells
from evaluation.registers.yearly import build_person_year_panel
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import cli_language, translator
from evaluation.reporting.ledger import Ledger, build_ledger, small
from evaluation.reporting.register_results import (
    register_outcome_table,
    trajectory_group_figure,
    trajectory_group_table,
    write_register_outcomes,
    write_trajectory_groups,
)
from evaluation.safe_io import atomic_write

app = typer.Typer(
    name="registers",
    help="Register spells: code table, spell validation, person-month and person-year panels, "
    "register outcomes around entry, trajectory groups and service need by region.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("codes")
def codes_command(
    lang: Annotated[str, typer.Option("--lang", help="Label language: fi, sv or en.")] = "en",
) -> None:
    """Print the status/benefit code table (code, kind, benefit group, precedence, label)."""
    if lang not in ("fi", "sv", "en"):
        raise OptionError(f"unknown language {lang!r}", where="--lang", fix="use fi, sv or en")
    table = code_table()[["precedence", "code", "kind", "benefit_group", f"label_{lang}"]]
    Console(highlight=False).print(table.to_string(index=False), markup=False)


@app.command("validate")
def validate_command(
    spells: Annotated[Path, typer.Argument(help="Spell file (.parquet or .csv).")],
) -> None:
    """Check every row of a spell file; list every bad row or print a summary."""
    valid = validate_spells(spells, source=spells.name)
    console = Console(highlight=False)
    console.print(valid.summary(), markup=False)
    print_notes(console, valid.notes)


def print_notes(console: Console, notes: Sequence[Problem]) -> None:
    """Print located notes (not errors) under a heading, one per line."""
    if notes:
        console.print(f"Notes ({len(notes)}):", markup=False)
        for note in notes:
            console.print(f"  - {note}", markup=False)


def _refuse_linked(targets: dict[str, Path | None]) -> None:
    # Before the (long) build; the writes refuse links again (evaluation.safe_io).
    for option, path in targets.items():
        if path is not None and path.is_symlink():
            raise OptionError(
                f"{path} is a symbolic link; pilot-eval does not write through links",
                where=f"option {option}",
                fix="remove the link or choose another output path",
            )


@app.command("panel")
def panel_command(
    spells: Annotated[Path, typer.Argument(help="Spell file (.parquet or .csv).")],
    start: Annotated[str, typer.Option("--start", help="First month, e.g. 2016-01.")],
    end: Annotated[str, typer.Option("--end", help="Last month, e.g. 2020-12.")],
    out: Annotated[Path, typer.Option("--out", help="Person-month panel parquet file.")],
    participants: Annotated[
        Path | None, typer.Option("--participants", help="Participant file (.parquet/.csv).")
    ] = None,
    yearly: Annotated[
        Path | None, typer.Option("--yearly", help="Also write the person-year panel here.")
    ] = None,
    extract_date: Annotated[
        str | None, typer.Option("--extract-date", help="Open spells run to this date.")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB memory limit.")
    ] = "3GB",
    month_rule: Annotated[
        str,
        typer.Option(
            "--month-rule",
            help="When a spell counts in a month: any_day (default), full_month or "
            "min_days=N (the report counts benefits received for at least a month).",
        ),
    ] = "any_day",
) -> None:
    """Build the person-month panel from SPELLS and write it (and person-years) to parquet."""
    _refuse_linked({"--out": out, "--yearly": yearly})
    con = connect(memory_limit=memory_limit)
    try:
        panel = build_person_month_panel(
            spells,
            start=start,
            end=end,
            participants=participants,
            extract_date=extract_date,
            con=con,
            source=spells.name,
            participants_source=participants.name if participants else "participants",
            month_rule=month_rule,
        )
    except (duckdb.IOException, duckdb.OutOfMemoryException) as exc:
        raise OptionError(
            f"DuckDB could not build the panel: {str(exc).splitlines()[0]}",
            where=f"building the panel from {spells.name}",
            fix="free disk space in the DuckDB temp folder or raise --memory-limit",
        ) from None
    console = Console(highlight=False)
    panel.to_parquet(out, where="option --out")
    console.print(panel.summary(), markup=False)
    print_notes(console, panel.notes)
    console.print(f"Person-month panel: {out}", markup=False)
    if yearly is not None:
        years = build_person_year_panel(panel)
        years.to_parquet(yearly, where="option --yearly")
        console.print(f"Person-year panel: {yearly}", markup=False)


# --- register outcomes and trajectory groups (issue 20, items 3 and 4) -------------------

#: ``--help`` of ``registers outcomes``: the measure, the report's definitions, an example.
OUTCOMES_HELP = """Registered-unemployment months, care contacts and benefit euros around entry.

For each person of ANCHORS (person_id, group, anchor_month: participants with their entry
month, comparison persons with a pseudo entry month) sums each measure over the --before
months before and the --after months after the anchor month, and gives per group the mean
before, after, the change and the difference in change against --reference: the cost per
participant and the change in benefit spending. A registered-unemployment month is a month
that an 'unemployed' or 'laid_off' jobseeker spell covers by --month-rule (jobseeker status,
not benefit months); care contacts are care-register visits and stays; benefit euros are
Income-Register payments. At least one of --jobseeker, --care and --payments is needed.

The report counts a benefit for a person who received it "for at least a month"
(vähintään kuukauden ajan, seed 001_… l.5359-5360) on registers of granted months; a month
is granted when the benefit covers it whole or in part, so --month-rule any_day (the
default, as in the panel) reproduces the report's month, and full_month or min_days=N are
stricter sensitivity rules that drop a spell's partly covered months. Recommendation 7
asks that effects be followed beyond employment: health service use, benefits and the cost
effects of failed coordination (seed 001_… l.9189-9199).

Writes (replaces) the pilot's rows of register_outcomes.csv in --results (the impact and
comparison reports show them through the disclosure ledger) and prints the same table: a
mean resting on fewer than --threshold persons is shown as <threshold.

Example: pilot-eval registers outcomes anchors.csv --pilot "Pilot A" --results results
--jobseeker jobseeker.parquet --care care.csv --payments payments.csv --reference
comparison
"""

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


def _label(option: str) -> str:
    return f"option {option}" if option.startswith("--") else f"argument {option}"


def read_extract(
    path: Path, option: str, columns: Sequence[str], *, extra: Sequence[str] | None = None
) -> pd.DataFrame:
    """A CSV or parquet table given on the command line, checked at the door.

    Refuses identity codes (in the path and the cells), reads CSV cells as text (ids keep
    their leading zeros) and checks that ``columns`` are there.

    Parameters
    ----------
    path:
        The ``.csv`` or ``.parquet`` file.
    option:
        The option (``"--care"``) or argument (``"PANEL"``) that named it, for messages.
    columns:
        Columns the table must have.
    extra:
        ``None`` keeps every column; otherwise only ``columns`` and those of ``extra`` the
        file has are read (a large panel is screened on the columns used only).

    Raises
    ------
    evaluation.errors.InputDataError
        The file is missing, not CSV/parquet, unreadable or lacks a column (named with
        the option and the file).
    evaluation.errors.IntakeRefusedError
        The path or a cell holds an identity code.
    """
    where = f"{path.name} ({_label(option)})"
    refuse_codes_in_path(path, where=where)
    if not path.is_file():
        raise InputDataError("file not found", where=_label(option), fix=f"check the path {path}")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputDataError(
            f"unsupported file type {path.suffix!r}", where=where, fix="give .csv or .parquet"
        )
    try:
        frame = _read_table_file(path, where=where)
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputDataError(
            f"cannot be read as a {suffix[1:]} table ({type(exc).__name__})",
            where=where,
            fix="export the table again (CSV: UTF-8 with a header line; or parquet)",
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise missing_column_error(missing, where=where, available=list(frame.columns))
    if extra is not None:
        frame = frame[[*columns, *(c for c in extra if c in frame.columns and c not in columns)]]
    refuse_identity_codes_in_frame(frame, source=path.name)
    return frame


def _read_table_file(path: Path, *, where: str) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    check_text_file(path, where=where)
    delimiter, _names = csv_header(path, where=where)
    return pd.read_csv(path, sep=delimiter, dtype=str, encoding="utf-8-sig")


def _extracts(
    files: dict[str, Path | None],
) -> dict[str, pd.DataFrame | None]:
    if all(path is None for path in files.values()):
        raise OptionError(
            "no register extract given",
            where="pilot-eval registers outcomes",
            fix="give at least one of --jobseeker, --care and --payments",
        )
    return {
        name: None if path is None else read_extract(path, f"--{name}", EXTRACT_COLUMNS[name])
        for name, path in files.items()
    }


def _relocated(exc: PilotEvalError, places: dict[str, str]) -> PilotEvalError:
    """``exc`` located in the user's terms: ``jobseeker row 3`` -> ``js.csv row 3``.

    ``places`` maps the library's argument names (``jobseeker``, ``before``) to the file
    name or option the user gave.
    """
    for name, place in places.items():
        for key in (f"{name} row", f"({name}=...)"):
            at = exc.where.find(key)
            if exc.where.startswith(key) or (at >= 0 and key.startswith("(")):
                tail = exc.where[at + len(key) :]
                lead = f"{place} row" if key.endswith(" row") else place
                kind = type(exc) if type(exc) in (OptionError, InputDataError) else InputDataError
                return kind(exc.what, where=f"{lead}{tail}", fix=exc.fix)
    return exc


@app.command("outcomes", help=OUTCOMES_HELP)
def outcomes_command(
    anchors: Annotated[
        Path,
        typer.Argument(
            help="Anchors (.csv/.parquet): person_id, group, anchor_month (one row a person)."
        ),
    ],
    pilot: Annotated[str, typer.Option("--pilot", help="Pilot name of the rows written.")],
    results: Annotated[Path, typer.Option("--results", help="Results folder to write into.")],
    jobseeker: Annotated[
        Path | None,
        typer.Option("--jobseeker", help="Jobseeker spells: person_id, status, start, end."),
    ] = None,
    care: Annotated[
        Path | None,
        typer.Option("--care", help="Care-register rows: person_id, date, kind [, visits]."),
    ] = None,
    payments: Annotated[
        Path | None,
        typer.Option("--payments", help="Payments: person_id, month, code, amount_eur."),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="Group the others' change is compared with."),
    ] = None,
    month_rule: Annotated[
        str,
        typer.Option(
            "--month-rule",
            help="When a jobseeker spell counts in a month: any_day (default), full_month "
            "or min_days=N.",
        ),
    ] = "any_day",
    before: Annotated[int, typer.Option("--before", help="Months before the anchor.")] = 12,
    after: Annotated[int, typer.Option("--after", help="Months after the anchor.")] = 12,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level.")] = 0.05,
    threshold: Annotated[
        int, typer.Option("--threshold", help="Smallest group a printed mean rests on.", min=1)
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Register outcomes of ANCHORS to --results (help: :data:`OUTCOMES_HELP`)."""
    min_days(month_rule, where="option --month-rule")
    _refuse_linked({"--results": results})
    files = {"jobseeker": jobseeker, "care": care, "payments": payments}
    frame = read_extract(anchors, "ANCHORS", EXTRACT_COLUMNS["anchors"])
    tables = _extracts(files)
    given = {name: path for name, path in files.items() if path is not None}
    try:
        outcomes = register_outcomes(
            frame,
            jobseeker=tables["jobseeker"],
            care=tables["care"],
            payments=tables["payments"],
            before=before,
            after=after,
            month_rule=month_rule,
            reference=reference,
            alpha=alpha,
        )
    except PilotEvalError as exc:
        places = {name: path.name for name, path in {**given, "anchors": anchors}.items()}
        options = {name: f"option --{name}" for name in ("before", "after", "reference")}
        raise _relocated(exc, {**places, **options}) from None
    path = write_register_outcomes(results, outcomes, pilot=pilot)
    _print_outcomes(results, pilot, threshold, outcomes)
    Console(highlight=False).print(f"Register outcomes: {path}", markup=False)


def _print_outcomes(results: Path, pilot: str, threshold: int, outcomes: RegisterOutcomes) -> None:
    t = translator(cli_language())
    table = register_outcome_table(
        results, t, build_ledger(results, threshold=threshold), pilot=pilot
    )
    console = Console(highlight=False)
    console.print(
        f"Register outcomes of {pilot}: means per person, {outcomes.before} months before and "
        f"{outcomes.after} after the anchor month (<{threshold}: fewer than {threshold} "
        "persons, not shown)",
        markup=False,
    )
    console.print(table.to_string(index=False), markup=False, soft_wrap=True)


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
    frame = read_extract(path, "PANEL", columns, extra=("pilot", "months_observed"))
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


@app.command("trajectories", help=TRAJECTORIES_HELP)
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
    _refuse_linked({"--results": results, "--plot": plot})
    console = Console(highlight=False)
    frame = _trajectory_panel(panel, [person, time, outcome], population, time, console)
    options = {"degree": degree, "family": family, "trials": trials, "time": time}
    options |= {"person": person, "starts": starts, "seed": seed, "alpha": alpha}
    try:
        result = _fit_with_progress(frame, outcome, group_list, options)
    except PilotEvalError as exc:
        names = ("groups", "degree", "family", "trials", "starts", "alpha")
        places = {name: f"option --{name}" for name in names}
        raise _relocated(exc, {**places, "panel": f"{panel.name} (argument PANEL)"}) from None
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


app.command("need", help=NEED_HELP)(need_command)
