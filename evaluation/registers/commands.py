"""``pilot-eval registers ...``: code table, spell checks, panels, register outcomes, trajectories.

Mount with ``app.add_typer(registers_app, name="registers")`` where
``from evaluation.registers.commands import app as registers_app``. Errors are the
toolkit's named errors (the main entry prints them as one line, exit code 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from evaluation.errors import OptionError, Problem
from evaluation.registers._duck import connect
from evaluation.registers.codes import code_table
from evaluation.registers.command_files import refuse_linked
from evaluation.registers.need_commands import NEED_HELP, need_command
from evaluation.registers.outcome_commands import OUTCOMES_HELP, outcomes_command
from evaluation.registers.panel import build_person_month_panel
from evaluation.registers.spells import validate_spells
from evaluation.registers.trajectory_commands import TRAJECTORIES_HELP, trajectories_command
from evaluation.registers.yearly import build_person_year_panel

app = typer.Typer(
    name="registers",
    help="Register spells: code table, spell validation, person-month and person-year panels, "
    "register outcomes around entry, trajectory groups and service need by region.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("codes")
def codes_command(
    lang: Annotated[str, typer.Option("--lang", help="Label language: fi, sv or en.")] = "en",
) -> None:
    """Print the status/benefit code table (code, kind, benefit group, precedence, label)."""
    if lang not in ("fi", "sv", "en"):
        raise OptionError(f"unknown language {lang!r}", where="--lang", fix="use fi, sv or en")
    table = code_table()[["precedence", "code", "kind", "benefit_group", f"label_{lang}"]]
    Console(highlight=False).print(table.to_string(index=False), markup=False)


@app.command("validate")
def validate_command(
    spells: Annotated[Path, typer.Argument(help="Spell file (.parquet or .csv).")],
) -> None:
    """Check every row of a spell file; list every bad row or print a summary."""
    valid = validate_spells(spells, source=spells.name)
    console = Console(highlight=False)
    console.print(valid.summary(), markup=False)
    print_notes(console, valid.notes)


def print_notes(console: Console, notes: Sequence[Problem]) -> None:
    """Print located notes (not errors) under a heading, one per line."""
    if notes:
        console.print(f"Notes ({len(notes)}):", markup=False)
        for note in notes:
            console.print(f"  - {note}", markup=False)


@app.command("panel")
def panel_command(
    spells: Annotated[Path, typer.Argument(help="Spell file (.parquet or .csv).")],
    start: Annotated[str, typer.Option("--start", help="First month, e.g. 2016-01.")],
    end: Annotated[str, typer.Option("--end", help="Last month, e.g. 2020-12.")],
    out: Annotated[Path, typer.Option("--out", help="Person-month panel parquet file.")],
    participants: Annotated[
        Path | None, typer.Option("--participants", help="Participant file (.parquet/.csv).")
    ] = None,
    yearly: Annotated[
        Path | None, typer.Option("--yearly", help="Also write the person-year panel here.")
    ] = None,
    extract_date: Annotated[
        str | None, typer.Option("--extract-date", help="Open spells run to this date.")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB memory limit.")
    ] = "3GB",
    month_rule: Annotated[
        str,
        typer.Option(
            "--month-rule",
            help="When a spell counts in a month: any_day (default), full_month or "
            "min_days=N (the report counts benefits received for at least a month).",
        ),
    ] = "any_day",
) -> None:
    """Build the person-month panel from SPELLS and write it (and person-years) to parquet."""
    refuse_linked({"--out": out, "--yearly": yearly})
    con = connect(memory_limit=memory_limit)
    try:
        panel = build_person_month_panel(
            spells,
            start=start,
            end=end,
            participants=participants,
            extract_date=extract_date,
            con=con,
            source=spells.name,
            participants_source=participants.name if participants else "participants",
            month_rule=month_rule,
        )
    except (duckdb.IOException, duckdb.OutOfMemoryException) as exc:
        raise OptionError(
            f"DuckDB could not build the panel: {str(exc).splitlines()[0]}",
            where=f"building the panel from {spells.name}",
            fix="free disk space in the DuckDB temp folder or raise --memory-limit",
        ) from None
    console = Console(highlight=False)
    panel.to_parquet(out, where="option --out")
    console.print(panel.summary(), markup=False)
    print_notes(console, panel.notes)
    console.print(f"Person-month panel: {out}", markup=False)
    if yearly is not None:
        years = build_person_year_panel(panel)
        years.to_parquet(yearly, where="option --yearly")
        console.print(f"Person-year panel: {yearly}", markup=False)


app.command("outcomes", help=OUTCOMES_HELP)(outcomes_command)
app.command("trajectories", help=TRAJECTORIES_HELP)(trajectories_command)
app.command("need", help=NEED_HELP)(need_command)
