"""``pilot-eval registers need``: service-need indicators from a person-year panel.

Reads a person-year panel (``pilot-eval registers panel --yearly``) and the target group's
register population (``person_id`` and a region column), writes ``need_indicators.csv``
into a results folder (:func:`evaluation.reporting.register_results.write_need_indicators`)
and prints the table as the disclosure ledger publishes it. Bad input is reported with the
file, column, row or option (the CLI turns the named errors into exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from evaluation.errors import InputDataError, OptionError
from evaluation.registers.command_files import read_table
from evaluation.registers.need import need_indicators
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import translator
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.register_results import need_table, write_need_indicators

#: Help of the command (typer shows it under ``--help``).
NEED_HELP = (
    "Service need from registers, per region and year (writes need_indicators.csv).\n\n"
    "THL asked for indicators of service need from regional and national registers (seed "
    "002_..., l.1023-1024 and l.1034-1053). For the target group's population (POPULATION: "
    "person_id and the region column, one row per person) and a person-year panel (YEARS: "
    "person_id, year, n_benefits, as written by 'pilot-eval registers panel --yearly') it "
    "gives per region and year: the population; the share who received any benefit for at "
    "least a month in the year (seed 001_..., l.5359-5360); the mean number of distinct "
    "benefits, family and accident benefits each counted as one (l.5633-5634). Persons "
    "without a panel row in a year received nothing.\n\n"
    "The printed table hides every number resting on fewer than --threshold persons ('<5', "
    "or '*' where a hidden cell must be protected); the csv keeps the counts for the reports, "
    "which go through the same disclosure ledger."
)


def _rows(mask: pd.Series) -> str:
    """The first data rows (1-based) where ``mask`` holds."""
    found = [str(i + 1) for i in mask.to_numpy().nonzero()[0]]
    return ", ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")


def check_population(frame: pd.DataFrame, *, region: str, where: str) -> None:
    """One row per person, each with a region, or :class:`InputDataError` naming the rows.

    A row without a region would silently leave its person out of every region.
    """
    for col in ("person_id", region):
        empty = frame[col].isna()
        if empty.any():
            raise InputDataError(
                f"{int(empty.sum())} rows have no {col}",
                where=f"{where}, column {col!r}, row {_rows(empty)}",
                fix=f"fill in the {col} or leave the person out of the population",
            )
    repeated = frame["person_id"].duplicated(keep=False)
    if repeated.any():
        raise InputDataError(
            f"{int(repeated.sum())} rows repeat a person_id",
            where=f"{where}, column 'person_id', row {_rows(repeated)}",
            fix="give one row (one region) per person",
        )


def check_years(panel: pd.DataFrame, years: list[int] | None) -> None:
    """Every year asked for is in the panel, or :class:`OptionError` on ``--year``."""
    have = sorted({int(y) for y in panel["year"].dropna()})
    unknown = sorted(set(years or []) - set(have))
    if unknown:
        span = f"{have[0]}-{have[-1]}" if have else "none"
        raise OptionError(
            f"year(s) {', '.join(map(str, unknown))} are not in the person-year panel "
            f"(it has {span})",
            where="option --year",
            fix="give years the panel covers, or leave --year out for every year",
        )


def parse_pilots(values: list[str] | None, regions: set[str]) -> dict[str, list[str]]:
    """``--pilot NAME=REGION[;REGION...]`` values as each pilot's regions.

    Raises
    ------
    OptionError
        A value without ``=``, without a region, or naming a region the population lacks.
    """
    out: dict[str, list[str]] = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        chosen = [r.strip() for r in rest.split(";") if r.strip()]
        if not sep or not name.strip() or not chosen:
            raise OptionError(
                f"{value!r} is not NAME=REGION[;REGION...]",
                where="option --pilot",
                fix="give e.g. --pilot 'Sataosaa=Satakunta' (regions separated by ';')",
            )
        unknown = [r for r in chosen if r not in regions]
        if unknown:
            raise OptionError(
                f"region(s) {', '.join(map(repr, unknown))} of pilot {name.strip()!r} are not "
                "in the population",
                where="option --pilot",
                fix=f"use regions of the population file: {', '.join(sorted(regions)[:20])}",
            )
        out[name.strip()] = chosen
    return out


def need_command(
    years: Annotated[
        Path, typer.Argument(help="Person-year panel (.parquet; 'registers panel --yearly').")
    ],
    population: Annotated[
        Path,
        typer.Argument(help="Target group's population (.csv/.parquet): person_id and region."),
    ],
    results: Annotated[
        Path, typer.Option("--results", help="Results folder; need_indicators.csv is written here.")
    ],
    region: Annotated[
        str, typer.Option("--region", help="Region column of POPULATION.")
    ] = "region",
    year: Annotated[
        list[int] | None,
        typer.Option("--year", help="Year to report (repeat it; default: every year)."),
    ] = None,
    threshold: Annotated[
        int,
        typer.Option("--threshold", min=1, help="Smallest group of persons a number may show."),
    ] = DEFAULT_THRESHOLD,
    pilot: Annotated[
        list[str] | None,
        typer.Option(
            "--pilot",
            help="A pilot's regions, NAME=REGION[;REGION...] (repeat it): the comparison "
            "report shows each pilot's regions.",
        ),
    ] = None,
) -> None:
    """Service need per region and year from a person-year panel (see :data:`NEED_HELP`)."""
    panel = read_table(
        years, "YEARS", ("person_id", "year", "n_benefits"), extra=(), text=("person_id",)
    )
    cols = ("person_id", region)
    pop = read_table(population, "POPULATION", cols, extra=(), text=cols)
    check_population(pop, region=region, where=f"{population.name} (argument POPULATION)")
    check_years(panel, year)
    pilots = parse_pilots(pilot, {str(r) for r in pop[region]})
    chosen = sorted(set(year)) if year else None
    result = need_indicators(panel, pop, region=region, year_list=chosen)
    path = write_need_indicators(results, result, pilots=pilots)
    ledger = build_ledger(results, threshold=threshold)
    table = need_table(results, translator("en"), ledger, year="all")
    console = Console(highlight=False)
    shown = table.to_string(index=False) if len(table) else "No person-years in the panel."
    console.print(shown, markup=False, soft_wrap=True)
    console.print(f"Service-need table: {path}", markup=False, soft_wrap=True)
