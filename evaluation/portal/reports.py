"""Which files of the report folder each role sees.

The folder (``pilot-eval serve --reports DIR``, e.g. the demo's ``reports/``) holds rendered
reports. Evaluators see every file; funders only the comparison reports (``compare*``,
``vertailu*``, ``jamforelse*``) and suppressed tables (``*suppressed*.csv``); pilot staff
only their own pilot report, ``pilot-<slug>.html`` or ``.pdf`` (the demo's names). Files
are listed, never guessed: a name that is not listed is 404, symbolic links are skipped.
"""

from __future__ import annotations

import fnmatch
import unicodedata
from pathlib import Path

from evaluation.portal.users import User

#: File types the portal serves from the report folder.
SUFFIXES = (".html", ".pdf", ".csv")
#: What funders see: comparison reports and suppressed tables.
FUNDER_PATTERNS = ("compare*", "vertailu*", "jamforelse*", "*suppressed*.csv")


def pilot_slug(name: str) -> str:
    """ASCII file-name part of a pilot name (``Pähee Ote`` -> ``pahee-ote``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())


def report_files(folder: Path) -> tuple[str, ...]:
    """Relative names of the servable files in ``folder`` (sorted; no links, no dot files)."""
    if not folder.is_dir() or folder.is_symlink():
        return ()
    names = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.suffix in SUFFIXES and p.is_file() and not p.is_symlink()
    ]
    return tuple(sorted(n for n in names if not any(part.startswith(".") for part in n.split("/"))))


def visible(name: str, user: User, files: tuple[str, ...]) -> bool:
    """Whether ``user`` may open the report-folder file ``name``."""
    if name not in files:
        return False
    base = name.rsplit("/", 1)[-1]
    if user.role == "evaluator":
        return True
    if user.role == "funder":
        return any(fnmatch.fnmatch(base, pat) for pat in FUNDER_PATTERNS)
    own = f"pilot-{pilot_slug(user.pilot or '')}"
    return base in (f"{own}.html", f"{own}.pdf")


def visible_files(folder: Path | None, user: User) -> tuple[str, ...]:
    """The report-folder files ``user`` may open."""
    if folder is None:
        return ()
    files = report_files(folder)
    return tuple(n for n in files if visible(n, user, files))
