"""``pilot-eval registers outcomes``: register outcomes around entry from extract files.

Reads the anchors and the jobseeker, care and payment extracts (CSV or parquet, checked at
the door), runs :func:`evaluation.registers.register_outcomes`, writes the pilot's rows of
``register_outcomes.csv`` into a results folder and prints them as the disclosure ledger
publishes them. Mounted by :mod:`evaluation.registers.commands`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from evaluation.errors import OptionError, PilotEvalError
from evaluation.registers.command_files import read_table, refuse_linked, relocated
from evaluation.registers.measures import EXTRACT_COLUMNS, RegisterOutcomes, register_outcomes
from evaluation.registers.panel import min_days
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import cli_language, translator
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.register_results import (
    register_outcome_table,
    write_register_outcomes,
)

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
        name: None if path is None else read_table(path, f"--{name}", EXTRACT_COLUMNS[name])
        for name, path in files.items()
    }


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
    refuse_linked({"--results": results})
    files = {"jobseeker": jobseeker, "care": care, "payments": payments}
    frame = read_table(anchors, "ANCHORS", EXTRACT_COLUMNS["anchors"])
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
        raise relocated(exc, {**places, **options}) from None
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
