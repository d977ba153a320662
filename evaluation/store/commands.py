"""``pilot-eval submit FILE`` and ``pilot-eval submissions``.

Mount with ``app.command("submit")(submit_command)`` and
``app.command("submissions")(submissions_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluation.store.pseudonym import KEY_ENV
from evaluation.store.store import STORE_ENV, SubmissionStore, store_path
from evaluation.store.submit import submit_file

_STORE_HELP = f"The DuckDB store file (default: ${STORE_ENV}, else ./pilot-eval-store.duckdb)."


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
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help=f"File holding the "
            f"pseudonymisation key (default: ${KEY_ENV}, else a per-store key "
            "file beside the store).",
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the validation report as HTML here.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit with code 1 when the submission is stored as rejected."
        ),
    ] = False,
) -> None:
    """Validate FILE and store it with its bytes, hash, validation result and parsed tables.

    Every submission is kept: a resubmission becomes a new version, and a submission that
    fails validation is stored as rejected with its report. Person ids are pseudonymised
    with a keyed hash; the key is never stored in the database.
    """
    st = SubmissionStore(store_path(store))
    result = submit_file(
        file, store=st, submitter=submitter, period=period, pilot=pilot, key_file=key_file
    )
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    if result.pseudonymiser.created:
        err.print(
            f"Notice: no {KEY_ENV} set; created a per-store pseudonymisation key in "
            f"{result.pseudonymiser.origin.removeprefix('store key file ')} (kept outside "
            "the database; back it up, and set the variable for production use).",
            markup=False,
        )
    s = result.stored
    console.print(result.report.summary(), markup=False)
    if html is not None:
        result.report.write_html(html)
        console.print(f"HTML report: {html}", markup=False)
    if "personal_id" in result.report.families() or any(
        "henkilötunnu" in f.what or "identity code" in f.what or "personbeteckning" in f.what
        for f in result.report.failures
    ):
        err.print(
            "Error: the submission contains a Finnish personal identity code; it was "
            "stored as rejected. Fix: replace identity codes with pseudonymous ids and "
            "submit again.",
            markup=False,
        )
    console.print(
        f"Stored {s.status} submission: pilot {s.pilot!r}, period {s.period}, version "
        f"{s.version}, sha256 {s.sha256[:12]}…, in {st.path}",
        markup=False,
    )
    if strict and s.status != "accepted":
        raise typer.Exit(1)


def submissions_command(
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
) -> None:
    """List every submission with pilot, period, version, time and status."""
    st = SubmissionStore(store_path(store))
    frame = st.submissions()
    console = Console(highlight=False, width=160)
    if frame.empty:
        console.print(f"No submissions in {st.path}.", markup=False)
        return
    table = Table(title=f"Submissions in {st.path}")
    for col in (
        "pilot",
        "period",
        "version",
        "submitted_at",
        "status",
        "n_failures",
        "submitter",
        "sha256",
    ):
        table.add_column(col.replace("_", " "))
    for r in frame.itertuples(index=False):
        table.add_row(
            str(r.pilot),
            str(r.period),
            str(r.version),
            f"{r.submitted_at:%Y-%m-%d %H:%M:%S}",
            str(r.status),
            str(r.n_failures),
            str(r.submitter),
            str(r.sha256)[:12],
        )
    console.print(table)
