"""``pilot-eval submit FILE`` and ``pilot-eval submissions``.

Mount with ``app.command("submit")(submit_command)``,
``app.command("submissions")(submissions_command)`` and ``app.add_typer(store_app, name="store")``
(``pilot-eval store keygen|rekey|info``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluation.reporting.i18n import LANG_ENV, cli_language, translator
from evaluation.store.pseudonym import KEY_ENV, KEY_FILE_ENV, generate_key_file
from evaluation.store.rekey import rekey_store
from evaluation.store.store import STORE_ENV, SubmissionStore, store_path
from evaluation.store.submit import submit_file

_STORE_HELP = f"The DuckDB store file (default: ${STORE_ENV}, else ./pilot-eval-store.duckdb)."
_KEY_HELP = (
    f"The pseudonymisation key file (default: ${KEY_ENV}, else the file named by "
    f"${KEY_FILE_ENV}); mode 600, outside the store's folder."
)

store_app = typer.Typer(
    help="The submission store's key: make one, rotate it, and see the store's layout.",
    no_args_is_help=True,
)


def submit_command(
    file: Annotated[Path, typer.Argument(help="The filled self-evaluation workbook (.xlsx).")],
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
    submitter: Annotated[
        str | None, typer.Option("--submitter", help="Who submits (default: the login name).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", help="Reporting period (default: the workbook's report date)."),
    ] = None,
    pilot: Annotated[
        str | None, typer.Option("--pilot", help="Pilot name (default: the workbook's).")
    ] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help=_KEY_HELP)] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the validation report as HTML here.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Kept for old scripts: a rejected submission always exits with code 1.",
            hidden=True,
        ),
    ] = False,
) -> None:
    """Validate FILE and store it with its validation result and parsed tables.

    Every submission is kept: a resubmission becomes a new version, and a submission that
    fails validation is stored as rejected with its report (exit code 1). The same file
    sent again is recognised and not stored twice. Person ids are replaced by keyed
    pseudonyms everywhere, in the stored workbook too; the key is never stored. Make a key
    once with `pilot-eval store keygen keys/pilot-eval.key` (outside the store's folder).

    Exit codes: 0 accepted, 1 stored as rejected, 2 refused (nothing of the file kept).
    """
    st = SubmissionStore(store_path(store))
    result = submit_file(
        file, store=st, submitter=submitter, period=period, pilot=pilot, key_file=key_file
    )
    console = Console(highlight=False)
    s = result.stored
    t = translator(cli_language(result.report.lang))
    console.print(result.report.summary(), markup=False)
    if html is not None:
        result.report.write_html(html)
        console.print(t("cli.html_report", path=html), markup=False, soft_wrap=True)
    fields = {
        "status": t(f"cli.status.{s.status}"),
        "pilot": s.pilot,
        "period": s.period,
        "version": s.version,
    }
    if s.duplicate:
        when = f"{s.submitted_at:%d.%m.%Y %H:%M}"
        console.print(t("cli.duplicate", when=when, **fields), markup=False)
    else:
        console.print(t("cli.stored", store=st.path, **fields), markup=False)
    if s.status != "accepted":
        raise typer.Exit(1)


def submissions_command(
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help=f"fi, sv or en (default: ${LANG_ENV}, else en)."),
    ] = None,
) -> None:
    """List every submission with pilot, period, version, time and status."""
    st = SubmissionStore(store_path(store))
    frame = st.submissions()
    t = translator(cli_language(lang))
    console = Console(highlight=False, width=160)
    if frame.empty:
        console.print(t("cli.no_submissions", store=st.path), markup=False)
        return
    table = Table(title=t("cli.submissions_title", store=st.path))
    table.add_column(t("col.pilot"))
    for col in ("period", "version", "submitted_at", "status", "n_failures", "submitter", "sha256"):
        table.add_column(t(f"cli.col.{col}"))
    for r in frame.itertuples(index=False):
        table.add_row(
            str(r.pilot),
            str(r.period),
            str(r.version),
            f"{r.submitted_at:%d.%m.%Y %H:%M:%S}",
            t(f"cli.status.{r.status}"),
            str(r.n_failures),
            str(r.submitter),
            str(r.sha256)[:12],
        )
    console.print(table)


@store_app.command("keygen")
def keygen_command(
    file: Annotated[Path, typer.Argument(help="Where to write the new key file (must not exist).")],
) -> None:
    """Write a new random pseudonymisation key (64 hex characters) to FILE, mode 600.

    Keep FILE outside the store's folder (e.g. keys/ beside store/), back it up, and pass it
    with --key-file or PILOT_EVAL_PSEUDONYM_KEY_FILE. A key file is never overwritten.
    """
    path = generate_key_file(file)
    Console(highlight=False).print(
        f"New key written to {path} (mode 600). Back it up: without it, new submissions "
        "cannot be linked to stored ones.",
        markup=False,
    )


@store_app.command("rekey")
def rekey_command(
    key_file: Annotated[Path, typer.Option("--key-file", help="The store's key file.")],
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
) -> None:
    """Rotate the pseudonymisation key: add a new key to the key file and re-pseudonymise
    every stored id with it, in one transaction.

    A copy of the key file taken before the rotation no longer matches the store. If the
    rotation is cut off, run the same command again: it finishes the job.
    """
    result = rekey_store(SubmissionStore(store_path(store)), key_file)
    Console(highlight=False).print(result.summary(), markup=False)


@store_app.command("info")
def info_command(
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
) -> None:
    """Show the store's layout version, key fingerprint and number of submissions."""
    info = SubmissionStore(store_path(store)).info()
    Console(highlight=False).print(
        f"{info.path}: layout {info.layout_version or '-'}, key fingerprint "
        f"{info.key_fingerprint or '- (no submission yet)'}, {info.n_submissions} "
        "submission(s)",
        markup=False,
    )
