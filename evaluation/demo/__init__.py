"""``pilot-eval demo``: the whole toolkit on built-in synthetic OTE 4 pilots.

The demo is the toolkit's main job in miniature. It generates a synthetic national register
extract with six pilots that start in different months, builds the person-month panel and
writes an output folder whose ``index.html`` shows what was produced. Each later capability
(template, checks, estimators, reports) adds a step here.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from evaluation.demo.index_lang import write_index_in
from evaluation.demo.navigation import add_navigation
from evaluation.demo.plans import run_plans
from evaluation.demo.progress import Steps
from evaluation.demo.steps import (
    DemoContext,
    build_panel,
    estimate_impacts,
    generate_data,
    read_workbooks,
    render_reports,
    slug,
    submit_workbooks_to_store,
    summarise_panel,
    write_index,
    write_results,
)
from evaluation.synthetic import PILOT_NAMES

__all__ = ["report_links", "run_demo"]


def report_links(ctx: DemoContext) -> list[tuple[str, Path]]:
    """Every rendered report of the demo with its label, in reading order."""
    names = {  # catalogue keys: each page's bar shows them in its own language
        "compare.html": "nav.compare_en",
        "vertailu.html": "nav.compare_fi",
        "impact.html": "nav.impact",
        "vaikutus.html": "nav.impact_fi",
    }
    links = []
    for path in ctx.reports:
        label = names.get(path.name)
        if label is None:  # pilot-<slug>.html: label with the pilot's name
            label = next(
                (str(p) for p in PILOT_NAMES if path.stem == f"pilot-{slug(str(p))}"), path.stem
            )
        links.append((label, path))
    return links + ctx.plan_reports


def run_demo(
    out: Path,
    *,
    persons: int = 20_000,
    seed: int = 2024,
    console: Console | None = None,
) -> Path:
    """Run the demo and return the path of the written ``index.html``.

    Parameters
    ----------
    out:
        Output folder; created if missing. Existing demo files in it are overwritten.
    persons:
        Persons in the synthetic national register extract.
    seed:
        Seed of the synthetic data generator; the same seed gives the same output.
    console:
        Where progress is shown (default: standard error).
    """
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out=out, persons=persons, seed=seed)
    with Steps(console or Console(stderr=True)) as steps:
        with steps.step(f"Generating a synthetic register extract of {persons:,} persons"):
            generate_data(ctx)
        with steps.step("Building the person-month panel (DuckDB)"):
            build_panel(ctx)
        with steps.step("Filling and reading the pilots' self-evaluation workbooks"):
            read_workbooks(ctx)
        with steps.step("Checking and storing the submissions"):
            submit_workbooks_to_store(ctx)
        with steps.step("Estimating each pilot's effect (staggered DiD, matching)"):
            estimate_impacts(ctx)
        with steps.step("Writing tidy results"):
            write_results(ctx)
        with steps.step("Rendering the comparison, impact and pilot reports"):
            render_reports(ctx)
        with steps.step("Summarising participants and outcome trajectories"):
            summarise_panel(ctx)
        with steps.step("Running the evaluation plans (designs/*.yaml) and rating the evidence"):
            run_plans(ctx)
        with steps.step("Writing index.html (and index-fi.html, index-sv.html)"):
            index = write_index(ctx)
            for lang in ("fi", "sv"):
                write_index_in(ctx, lang)
            add_navigation(ctx.out, report_links(ctx))
    return index
