"""``pilot-eval report ...`` commands (a typer sub-app mounted by ``evaluation.cli``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="report",
    help=(
        "Render reports from tidy results: `pilot` (a pilot and its steering group), "
        "`impact` (evaluator's impact report), `compare` (funder's comparison across pilots). "
        "Uses quarto when installed, else the built-in renderer (pandoc + typst)."
    ),
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    """Output format of a report."""

    html = "html"
    pdf = "pdf"


class ReportLanguage(StrEnum):
    """Report language."""

    fi = "fi"
    sv = "sv"
    en = "en"


class RenderEngine(StrEnum):
    """Who renders: Quarto when installed (auto), Quarto, or the built-in pandoc + typst."""

    auto = "auto"
    quarto = "quarto"
    builtin = "builtin"


# Options shared by the report commands.
ResultsOption = Annotated[
    Path, typer.Option("--results", help="Results folder with the tidy tables.")
]
OutOption = Annotated[Path, typer.Option("--out", help="File to write (.html or .pdf).")]
FormatOption = Annotated[ReportFormat, typer.Option("--format", help="html or pdf.")]
LangOption = Annotated[
    ReportLanguage, typer.Option("--lang", help="Report language: fi, sv or en.")
]
ThresholdOption = Annotated[
    int, typer.Option("--threshold", min=1, help="Smallest person count shown.")
]
EngineOption = Annotated[
    RenderEngine,
    typer.Option("--engine", help="auto (quarto when installed), quarto or builtin."),
]


def _render(
    document: str,
    params: dict[str, object],
    out: Path,
    format: ReportFormat,
    lang: ReportLanguage,
    engine: RenderEngine,
) -> None:
    from evaluation.reporting import REPORTS_DIR, render_report

    path = render_report(
        REPORTS_DIR / document,
        params=params,
        output=out,
        format=format.value,  # type: ignore[arg-type]
        lang=lang.value,
        engine=engine.value,  # type: ignore[arg-type]
    )
    Console().print(f"[green]Report written:[/green] {path}")


@app.command()
def compare(
    results: ResultsOption,
    out: OutOption,
    format: FormatOption = ReportFormat.html,
    lang: LangOption = ReportLanguage.fi,
    threshold: ThresholdOption = 5,
    outcome: Annotated[
        str, typer.Option("--outcome", help="Outcome code to pool (default: most common).")
    ] = "",
    engine: EngineOption = RenderEngine.auto,
) -> None:
    """Funder's comparison across pilots: indicators, traffic lights, reach and dose,
    forest plot with random-effects meta-analysis and meta-regression."""
    params = {"results_dir": str(results.resolve()), "threshold": threshold, "outcome": outcome}
    _render("compare.qmd", params, out, format, lang, engine)


@app.command()
def pilot(
    results: ResultsOption,
    pilot: Annotated[str, typer.Option("--pilot", help="Pilot name, e.g. Sataosaa.")],
    out: OutOption,
    format: FormatOption = ReportFormat.html,
    lang: LangOption = ReportLanguage.fi,
    threshold: ThresholdOption = 5,
    engine: EngineOption = RenderEngine.auto,
) -> None:
    """Pilot report for a pilot and its steering group: intervention and logic model,
    process-evaluation findings, traffic lights, indicators over time and the effect."""
    params = {"results_dir": str(results.resolve()), "pilot": pilot, "threshold": threshold}
    _render("pilot.qmd", params, out, format, lang, engine)


@app.command()
def impact(
    results: ResultsOption,
    out: OutOption,
    format: FormatOption = ReportFormat.html,
    lang: LangOption = ReportLanguage.fi,
    threshold: ThresholdOption = 5,
    pilot: Annotated[str, typer.Option("--pilot", help="Only this pilot (default: all).")] = "",
    engine: EngineOption = RenderEngine.auto,
) -> None:
    """Evaluator's impact report: design, sample flow, diagnostics, ATT(g,t) and
    aggregations, event-study plots, sensitivity analyses and a methods appendix."""
    params = {"results_dir": str(results.resolve()), "pilot": pilot, "threshold": threshold}
    _render("impact.qmd", params, out, format, lang, engine)


@app.command("example-results")
def example_results_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the tables into.")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic generator.")] = 7,
    impact: Annotated[
        bool,
        typer.Option(
            "--impact/--no-impact",
            help="Also write pilot and impact results (synthetic workbooks and registers).",
        ),
    ] = True,
    persons: Annotated[
        int, typer.Option("--persons", min=1000, help="Persons in the synthetic registers.")
    ] = 4000,
) -> None:
    """Write synthetic tidy results (to try the reports): the comparison tables of the six
    OTE 4 pilots and, with --impact, the pilot tables of the synthetic workbooks and a DiD
    and matching run for Sataosaa (whose effect then replaces its comparison row)."""
    from evaluation.reporting.examples import example_impact_results, example_pilot_results
    from evaluation.reporting.results import example_results

    folder = example_results(out, seed=seed)
    if impact:
        example_pilot_results(folder, seed=seed)
        example_impact_results(folder, persons=persons)
    Console().print(f"[green]Example results written:[/green] {folder}")
