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
