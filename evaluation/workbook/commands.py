"""``pilot-eval template``: create and read self-evaluation workbooks.

Mount with ``app.add_typer(evaluation.workbook.commands.app, name="template")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evaluation.intake import LIMITS_HELP
from evaluation.safe_io import write_text
from evaluation.schema import load_schema
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import check_lang, write_template, write_workbook

app = typer.Typer(
    name="template",
    help="Create the common self-evaluation workbook and read filled ones.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("new")
def new(
    pilot: Annotated[str, typer.Option("--pilot", help="Name of the pilot.")],
    out: Annotated[Path, typer.Option("--out", help="The .xlsx file to create.")],
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the workbook: fi, sv or en.")
    ] = "fi",
) -> None:
    """Create an empty self-evaluation workbook for PILOT from the schema."""
    path = write_template(out, pilot=pilot, lang=lang)
    text = load_schema().text("cli_workbook_written", check_lang(lang), path=path)
    Console().print(text, highlight=False, markup=False)


@app.command("read")
def read(
    file: Annotated[Path, typer.Argument(help="A filled self-evaluation workbook (.xlsx).")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the content as JSON to this file.")
    ] = None,
) -> None:
    """Check and read a filled workbook; print a summary with the computed indicators.

    Any problem (sheet, cell, what, how to fix) stops the read with exit code 2; nothing
    is half-read.

    {limits}
    """
    evaluation = read_workbook(file)  # the intake runs first (refusal: exit 2)
    Console().print(evaluation.summary(), highlight=False, markup=False)
    if json_out is not None:
        write_text(json_out, evaluation.to_json(), where="option --json")
        text = evaluation.schema.text("cli_json_written", evaluation.lang, path=json_out)
        Console().print(text, highlight=False, markup=False)


read.__doc__ = (read.__doc__ or "").replace("{limits}", LIMITS_HELP)


@app.command("upgrade")
def upgrade(
    file: Annotated[Path, typer.Argument(help="A workbook made from an older template version.")],
    out: Annotated[Path, typer.Option("--out", help="The new .xlsx file to write.")],
) -> None:
    """Carry the answers of a workbook made from an older template version over to the
    current template.

    Every answer whose sheet and column still exist is copied; a problem that stops the
    copy is reported with its sheet and cell (exit 2). Check the new workbook, fill in any
    new questions, and submit it.
    """
    evaluation = read_workbook(file, any_version=True)
    found = evaluation.schema_version
    path = write_workbook(evaluation, out)
    text = evaluation.schema.text(
        "cli_upgraded",
        evaluation.lang,
        file=file.name,
        old=found,
        path=path,
        new=evaluation.schema.version,
    )
    Console().print(text, highlight=False, markup=False)
