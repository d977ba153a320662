"""Which files of the report folder each role sees.

The folder (``pilot-eval serve --reports DIR``, e.g. the demo's ``reports/``) holds rendered
reports. Evaluators see every file; funders only what a report set whose disclosure log
passes the re-audit publishes: its comparison reports and its published tables
(:func:`evaluation.portal.disclosure.funder_files`); pilot staff only their own pilot
report, ``pilot-<slug>.html`` or ``.pdf`` (the demo's names). Files are listed, never
guessed: a name that is not listed is 404, symbolic links are skipped.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from evaluation.portal.disclosure import funder_files
from evaluation.portal.files import SUFFIXES, report_files
from evaluation.portal.users import User

__all__ = ["SUFFIXES", "pilot_slug", "report_files", "visible", "visible_files"]


def pilot_slug(name: str) -> str:
    """ASCII file-name part of a pilot name (``Pähee Ote`` -> ``pahee-ote``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())


def visible(name: str, user: User, files: tuple[str, ...]) -> bool:
    """Whether pilot staff or an evaluator may open the report-folder file ``name`` of
    ``files`` (funders: :func:`visible_files`, which reads the disclosure logs)."""
    if name not in files or user.role == "funder":
        return False
    if user.role == "evaluator":
        return True
    own = f"pilot-{pilot_slug(user.pilot or '')}"
    return name.rsplit("/", 1)[-1] in (f"{own}.html", f"{own}.pdf")


def visible_files(folder: Path | None, user: User) -> tuple[str, ...]:
    """The report-folder files ``user`` may open."""
    if folder is None:
        return ()
    if user.role == "funder":
        return funder_files(folder)
    files = report_files(folder)
    return tuple(n for n in files if visible(n, user, files))
