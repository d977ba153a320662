"""``pilot-eval plan check FILE``, ``pilot-eval run FILE --out DIR`` and
``pilot-eval power FILE``.

Mount with ``app.add_typer(plan_app, name="plan")``, ``app.command("run")(run_command)`` and
``app.command("power")(power_command)``.
Errors are the toolkit's named errors (:class:`~evaluation.errors.PlanError` etc.); the main
entry prints them as one message with exit code 2.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

plan_app = typer.Typer(
    help="Evaluation plans (designs/*.yaml): check them before the data are seen.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@plan_app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="Plan YAML file, e.g. designs/sataosaa.yaml.")],
) -> None:
    """Validate a plan against the published schema (designs/plan.schema.json).

    Every mistake is listed with its YAML path and line, and a fix.
    """
    from evaluation.plans.load import load_plan

    plan = load_plan(file)
    Console().print(
        f"[green]Plan OK:[/green] {file} ({plan.study.id}; {plan.design.kind}; "
        f"pilots: {', '.join(plan.pilots)})"
    )


@plan_app.command("schema")
def schema_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON Schema.")] = Path(
        "designs/plan.schema.json"
    ),
) -> None:
    """Write the plan JSON Schema (the published designs/plan.schema.json)."""
    from evaluation.plans.model import write_schema

    Console().print(f"Schema written to {write_schema(out)}")


class BackendName(StrEnum):
    """Where the data steps of ``pilot-eval run`` execute (see designs/README.md)."""

    local = "local"
    ibis = "ibis"
    spark = "spark"


def run_command(
    file: Annotated[Path, typer.Argument(help="Plan YAML file, e.g. designs/sataosaa.yaml.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the results into.")],
    backend: Annotated[
        BackendName,
        typer.Option(
            "--backend",
            help="Where the panel and the DiD sums are computed: local (in-process DuckDB, "
            "fastest on one machine), ibis (the portable Ibis steps on DuckDB) or spark (the "
            "same steps on a local Spark session; needs the spark extra and Java 17). "
            "All three give the same results.",
        ),
    ] = BackendName.local,
) -> None:
    """Run an evaluation plan end to end and write tidy results, the evidence rating and a
    manifest (plan hash, input hashes, package versions, seeds) into --out.

    Example: pilot-eval run designs/fokus.yaml --out results/fokus --backend spark
    """
    from evaluation.plans.runner import run_plan

    result = run_plan(file, out, backend=backend.value)
    console = Console()
    console.print(result.summary())
    console.print(f"[green]Results written to[/green] {out}")


def power_command(
    file: Annotated[Path, typer.Argument(help="Plan YAML file, e.g. designs/sataosaa.yaml.")],
    rollouts: Annotated[
        int | None,
        typer.Option("--rollouts", min=20, help="Placebo rollouts (default: the plan's, 200)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write power.csv and power.png here.")
    ] = None,
) -> None:
    """Power before the pilot: minimum detectable effect (80% power) and the pre-trend
    test's false-alarm rate from placebo rollouts on the target group's register history,
    with the plan's sample size, entry cohorts and design (the plan's optional power: section).

    Example: pilot-eval power designs/fokus.yaml --rollouts 500
    """
    from evaluation.power_analysis.plan import plan_power
    from evaluation.safe_io import atomic_write, output_folder, write_text

    result = plan_power(file, rollouts=rollouts)
    console = Console()
    console.print(result.summary())
    if out is not None:
        folder = output_folder(out)
        write_text(folder / "power.csv", result.tidy().to_csv(index=False))
        with atomic_write(folder / "power.png") as tmp:
            result.plot().savefig(tmp, dpi=120, format="png")
        console.print(f"[green]Written to[/green] {folder}")
