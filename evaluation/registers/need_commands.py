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

from evaluation.errors import InputDataError, MissingColumnError, OptionError
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


def read_frame(path: Path, *, columns: tuple[str, ...], where: str) -> pd.DataFrame:
    """A csv or parquet file with ``columns`` (``person_id`` read as text).

    Raises
    ------
    InputDataError
        The file is missing or unreadable.
    MissingColumnError
        A column is missing.
    """
    if not path.is_file():
        raise InputDataError(
            f"file {str(path)!r} does not exist", where=where, fix="check the path"
        )
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"person_id": str})
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputDataError(
            f"cannot read the file ({type(exc).__name__}: {first})",
            where=f"{where} ({path.name})",
            fix="give a parquet file or a comma-separated csv file with a header row",
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            missing, where=f"{where} ({path.name})", available=[str(c) for c in frame.columns]
        )
    return frame


def check_population(frame: pd.DataFrame, *, where: str) -> None:
    """One row per person, or :class:`InputDataError` naming the repeated rows."""
    repeated = frame["person_id"].duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = [str(i + 2) for i in repeated.nonzero()[0][:5]]  # +2: header line, 1-based
        raise InputDataError(
            f"{int(repeated.sum())} rows repeat a person_id",
            where=f"{where}, column 'person_id', lines {', '.join(rows)}",
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
) -> None:
    """Service need per region and year from a person-year panel (see :data:`NEED_HELP`)."""
    panel = read_frame(years, columns=("person_id", "year", "n_benefits"), where="argument YEARS")
    pop = read_frame(population, columns=("person_id", region), where="argument POPULATION")
    check_population(pop, where=f"argument POPULATION ({population.name})")
    check_years(panel, year)
    result = need_indicators(panel, pop, region=region, year_list=year)
    path = write_need_indicators(results, result)
    ledger = build_ledger(results, threshold=threshold)
    table = need_table(results, translator("en"), ledger, year="all")
    console = Console(highlight=False)
    console.print(table.to_string(index=False), markup=False, soft_wrap=True)
    console.print(f"Service-need table: {path}", markup=False, soft_wrap=True)
