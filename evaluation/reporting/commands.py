"""``pilot-eval report ...`` commands (a typer sub-app mounted by ``evaluation.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="report",
    help=(
        "Render reports from tidy results: `compare` (funder's comparison across pilots). "
        "Uses quarto when installed, else the built-in renderer (pandoc + typst)."
    ),
    no_args_is_help=True,
)


@app.command()
def compare(
    results: Annotated[
        Path, typer.Option("--results", help="Results folder with the tidy tables.")
    ],
    out: Annotated[Path, typer.Option("--out", help="File to write (.html or .pdf).")],
    format: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
    lang: Annotated[str, typer.Option("--lang", help="Report language: fi, sv or en.")] = "fi",
    threshold: Annotated[
        int, typer.Option("--threshold", min=1, help="Smallest person count shown.")
    ] = 5,
    outcome: Annotated[
        str, typer.Option("--outcome", help="Outcome code to pool (default: most common).")
    ] = "",
    engine: Annotated[str, typer.Option("--engine", help="auto, quarto or builtin.")] = "auto",
) -> None:
    """Funder's comparison across pilots: indicators, traffic lights, reach and dose,
    forest plot with random-effects meta-analysis and meta-regression."""
    from evaluation.reporting import REPORTS_DIR, render_report

    path = render_report(
        REPORTS_DIR / "compare.qmd",
        params={
            "results_dir": str(results.resolve()),
            "threshold": threshold,
            "outcome": outcome,
        },
        output=out,
        format=format,  # type: ignore[arg-type]
        lang=lang,
        engine=engine,  # type: ignore[arg-type]
    )
    Console().print(f"[green]Report written:[/green] {path}")


@app.command("example-results")
def example_results_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the tables into.")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic generator.")] = 7,
) -> None:
    """Write synthetic tidy results of the six OTE 4 pilots (to try the reports)."""
    from evaluation.reporting.results import example_results

    folder = example_results(out, seed=seed)
    Console().print(f"[green]Example results written:[/green] {folder}")
