"""``pilot-eval synthetic ...``: write a synthetic register extract with known truth.

Mount with ``app.add_typer(synthetic_app, name="synthetic")`` where
``from evaluation.synthetic.extract_commands import app as synthetic_app``. Errors are the
toolkit's named errors (the main entry prints them as one line, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evaluation.errors import OptionError
from evaluation.synthetic.extract import generate_registers
from evaluation.synthetic.ote4 import pilots_frame

app = typer.Typer(
    name="synthetic",
    help="Synthetic data with known truth: a national register extract with six OTE 4 pilots.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("registers")
def registers_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the extract into.")],
    persons: Annotated[int, typer.Option("--persons", help="Persons (>= 2000).")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed; same seed, same files.")] = 2016,
    fmt: Annotated[
        str, typer.Option("--format", help="File format of the frames: parquet or csv.")
    ] = "parquet",
) -> None:
    """Generate persons, spells, participants and the truth, and write them to OUT."""
    if fmt not in ("parquet", "csv"):
        raise OptionError(f"unknown format {fmt!r}", where="--format", fix="use parquet or csv")
    reg = generate_registers(persons=persons, seed=seed)
    folder = reg.write(out, fmt="csv" if fmt == "csv" else "parquet")
    console = Console(highlight=False)
    console.print(reg.summary(), markup=False)
    console.print(f"Written to {folder}", markup=False)


@app.command("pilots")
def pilots_command() -> None:
    """Print the OTE 4 pilot table (facts from the seeds plus synthetic assumptions)."""
    table = pilots_frame()
    table["start_month"] = table["start_month"].dt.strftime("%Y-%m")
    cols = ["pilot", "town", "regions", "kind", "start_month", "effect_max", "effect_months"]
    Console(highlight=False).print(table[cols].to_string(index=False), markup=False)
