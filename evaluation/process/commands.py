"""``pilot-eval process``: process evidence from filled workbooks and coded excerpts.

Mount with ``app.add_typer(evaluation.process.commands.app, name="process")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evaluation.errors import ProblemsFound
from evaluation.process import process_report
from evaluation.process.qualitative import code_counts, read_coded_excerpts
from evaluation.safe_io import atomic_write, output_folder
from evaluation.workbook.instrument import FollowUp, instrument_analyses
from evaluation.workbook.reader import read_workbooks

app = typer.Typer(
    name="process",
    help="Process evaluation: per-pilot measures, GAS, readiness and coded excerpts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("tables")
def tables(
    files: Annotated[list[Path], typer.Argument(help="Filled self-evaluation workbooks.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write the tables as CSV.")
    ] = None,
) -> None:
    """Read workbooks and print (or write) the per-pilot process tables.

    Workbooks with problems are listed and left out; if none can be read, exit code 2.
    """
    subs = read_workbooks(files)
    if not subs.evaluations:
        raise ProblemsFound(
            ", ".join(str(f) for f in files), [p for e in subs.errors for p in e.problems]
        )
    rep = process_report(subs)
    console = Console()
    console.print(rep.summary(), highlight=False, markup=False)
    for e in subs.errors:
        console.print(f"not read ({len(e.problems)} problem(s)): {e.source}", markup=False)
    if out is not None:
        folder = output_folder(out)
        for name, frame in rep.tables().items():
            if name != "clients":  # per-client rows stay inside the pilot
                with atomic_write(folder / f"{name}.csv", where="option --out") as tmp:
                    frame.to_csv(tmp, index=False)
        console.print(f"Tables written: {out}", markup=False)


@app.command("instrument")
def instrument(
    files: Annotated[list[Path], typer.Argument(help="Filled self-evaluation workbooks.")],
    by: Annotated[
        str,
        typer.Option("--by", help="Group of Tables 10-11: service_group, target_group or pilot."),
    ] = "service_group",
    follow_up: Annotated[
        str,
        typer.Option(
            "--follow-up", help="With several follow-ups: compare with the 'latest' or 'first'."
        ),
    ] = "latest",
    min_n: Annotated[
        int, typer.Option("--min-n", help="Groups with fewer answers are suppressed.")
    ] = 5,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write the tables as CSV.")
    ] = None,
) -> None:
    """The self-assessment analyses of the seed report's Tables 10-12.

    Baseline means by group, first vs latest answer, and baseline scores of those in work
    or study 3 months after exit vs those in another service or unemployed (raw test, AUC
    and the difference adjusted for age and education). Pilots' answers are pooled.
    Scores describe groups: a score must never be used to exclude anyone from a service.
    Workbooks with problems are listed and left out; if none can be read, exit code 2.
    """
    import pandas as pd

    from evaluation.errors import OptionError

    if by not in ("service_group", "target_group", "pilot"):
        raise OptionError(
            f"--by {by!r} is not a grouping of the answers",
            where="option --by",
            fix="use service_group, target_group or pilot",
        )
    if follow_up not in ("latest", "first"):
        raise OptionError(
            f"--follow-up {follow_up!r} is not latest or first",
            where="option --follow-up",
            fix="use latest (first vs latest answer) or first",
        )
    subs = read_workbooks(files)
    if not subs.evaluations:
        raise ProblemsFound(
            ", ".join(str(f) for f in files), [p for e in subs.errors for p in e.problems]
        )
    scores = pd.concat([ev.scores() for ev in subs.evaluations], ignore_index=True)
    chosen: FollowUp = "first" if follow_up == "first" else "latest"
    res = instrument_analyses(scores, by=by, min_n=min_n, follow_up=chosen)
    console = Console()
    for ev in subs.evaluations:
        for note in ev.notes:
            console.print(f"{ev.pilot}: {note}", markup=False)
    console.print(res.summary(), highlight=False, markup=False)
    for e in subs.errors:
        console.print(f"not read ({len(e.problems)} problem(s)): {e.source}", markup=False)
    if out is not None:
        folder = output_folder(out)
        for name, frame in res.tables().items():
            with atomic_write(folder / f"instrument_{name}.csv", where="option --out") as tmp:
                frame.to_csv(tmp, index=False)
        console.print(f"Tables written: {out}", markup=False)


@app.command("excerpts")
def excerpts(
    file: Annotated[Path, typer.Argument(help="CSV of coded excerpts (excerpt, code, ...).")],
    pilot: Annotated[
        str | None, typer.Option("--pilot", help="Pilot of all rows if the file has none.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the counts by code x pilot x source.")
    ] = None,
) -> None:
    """Import coded excerpts and print the non-zero counts by code, pilot and source.

    Every invalid row is reported with its row number (exit code 2); nothing is imported
    then.
    """
    frame = read_coded_excerpts(file, pilot=pilot)
    counts = code_counts(frame)
    shown = counts[counts["n"] > 0]
    console = Console()
    console.print(f"{len(frame)} coded excerpt(s) imported", markup=False)
    console.print(shown.to_string(index=False), highlight=False, markup=False)
    if out is not None:
        with atomic_write(out, where="option --out") as tmp:
            counts.to_csv(tmp, index=False)
        console.print(f"Counts written: {out}", markup=False)
