"""``pilot-eval check FILE``: validate a file, print a readable summary, write an HTML report.

Mount with ``app.command("check")(check_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evaluation.checks.api import validate, validate_submission
from evaluation.checks.report import ValidationReport
from evaluation.checks.submission import parse_submission
from evaluation.errors import OptionError
from evaluation.intake import LIMITS_HELP
from evaluation.privacy import mask_identity_codes
from evaluation.reporting.i18n import cli_language, translator

_KINDS = ("auto", "submission", "spells", "panel", "did_input")


def _read_table(path: Path, kind: str) -> ValidationReport:
    """Validate a CSV or parquet table inside DuckDB (never loaded whole into pandas)."""
    import duckdb

    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv_auto"
    con = duckdb.connect()
    try:
        lit = "'" + str(path).replace("'", "''") + "'"
        try:
            con.execute(f"CREATE VIEW input_table AS SELECT * FROM {reader}({lit})")
            con.execute("SELECT * FROM input_table LIMIT 0")
        except duckdb.Error as exc:
            raise OptionError(
                f"cannot read {path.name}: {str(exc).splitlines()[0]}",
                where=str(path),
                fix="give a readable CSV or parquet file",
            ) from exc

        class _Table:
            def __init__(self) -> None:
                self.con = con
                self.table = "input_table"

        return validate(kind, _Table(), source=path.name, engine="duckdb")
    finally:
        con.close()


def check_command(
    file: Annotated[
        Path, typer.Argument(help="A filled workbook (.xlsx), or a CSV/parquet table with --kind.")
    ],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="What FILE holds: auto (workbook), submission, spells, panel or did_input.",
        ),
    ] = "auto",
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Where to write the HTML report "
            "(default: FILE's name + .report.html, beside FILE).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Language of the messages (fi, sv, en; default: the submission's)."
        ),
    ] = None,
) -> None:
    """Check FILE against the versioned expectation suites.

    Prints a summary in the submission's language and writes an HTML report listing each
    failed expectation with its failing rows or cells. Exit code 0 when everything passes,
    1 when anything fails, 2 for unusable options and for a file the intake refuses.

    {limits}
    """
    if kind not in _KINDS:
        raise OptionError(
            f"unknown kind {kind!r}", where="option --kind", fix=f"use one of: {', '.join(_KINDS)}"
        )
    if not file.exists():
        raise OptionError(
            f"file {file} does not exist",
            where="argument FILE",
            fix="give the path of the file to check",
        )
    suffix = file.suffix.lower()
    refusal = None
    if kind in ("auto", "submission"):
        if suffix in (".csv", ".parquet") and kind == "auto":
            raise OptionError(
                f"{file.name} is a table; say what it holds",
                where="option --kind",
                fix="add --kind spells, --kind panel or --kind did_input",
            )
        parsed = parse_submission(file)
        report = validate_submission(parsed, lang=lang)
        refusal = parsed.refusal()
    else:
        report = _read_table(file, kind)
    name = mask_identity_codes(file.name) + ".report.html"  # never a code in a file name
    out = html or file.with_name(name)
    try:
        report.write_html(out)
    except OptionError:
        if html is not None:
            raise  # the user's own --html (e.g. a planted symlink): refused
        out = Path.cwd() / name
        report.write_html(out)
    console = Console(highlight=False)
    t = translator(cli_language(report.lang))
    written = t("cli.html_report", path=mask_identity_codes(str(out)))
    if refusal is not None:
        console.print(written, markup=False, soft_wrap=True)  # a path is never cut
        raise refusal  # exit 2: located, no code echoed, nothing of the file shown
    console.print(report.summary(), markup=False)
    console.print(written, markup=False, soft_wrap=True)  # a path is never cut
    if not report.ok:
        raise typer.Exit(1)


check_command.__doc__ = (check_command.__doc__ or "").replace("{limits}", LIMITS_HELP)
