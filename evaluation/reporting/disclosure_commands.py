"""``pilot-eval disclosure ...`` commands (a typer sub-app mounted by ``evaluation.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="disclosure",
    help=(
        "Output checking: re-audit a rendered report set from its disclosure log "
        "(disclosure.csv, written beside the reports)."
    ),
    no_args_is_help=True,
)


@app.command()
def audit(
    folder: Annotated[
        Path,
        typer.Argument(help="Folder of a rendered report set (or its disclosure.csv)."),
    ],
) -> None:
    """Re-audit DIR/disclosure.csv: nothing resting on fewer than threshold persons is
    shown, no grand total is hidden, a cell has one status in every output, and every
    hidden small cell's feasible range (recomputed by linear programming, linked tables
    together) is what the markers allow and what the log records; the log and the published
    tables have the columns, types and values of the table registry (docs/tables.md).
    Exit 2 on any failure."""
    from evaluation.reporting.ledger import check_log

    n = check_log(folder)
    Console().print(f"[green]Disclosure audit passed:[/green] {n} entries of {folder}")
