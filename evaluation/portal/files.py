"""Listing the files the portal may serve from a folder (listed, never guessed)."""

from __future__ import annotations

from pathlib import Path

#: File types the portal serves from the report folder.
SUFFIXES = (".html", ".pdf", ".csv")


def report_files(folder: Path, suffixes: tuple[str, ...] = SUFFIXES) -> tuple[str, ...]:
    """Relative names of the servable files in ``folder`` (sorted; no links, no dot files)."""
    if not folder.is_dir() or folder.is_symlink():
        return ()
    names = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.suffix in suffixes and p.is_file() and not p.is_symlink()
    ]
    return tuple(sorted(n for n in names if not any(part.startswith(".") for part in n.split("/"))))
