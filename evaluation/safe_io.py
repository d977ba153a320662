"""Writing output files safely: never through a planted symlink, never half-written.

Every file the toolkit writes for a user (``--out``, ``--html``, ``--json``, report sets)
goes through :func:`output_folder` and :func:`atomic_write` (or :func:`write_bytes` /
:func:`write_text`): a symlink at the target or at the output folder is refused with a
located :class:`~evaluation.errors.OptionError`, and the file is written to a temporary
name in the same folder and renamed over the target, so a reader never sees half a file
and a symlink is never followed. :func:`spreadsheet_safe` neutralises text that a
spreadsheet would run as a formula (CSV/XLSX injection).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from evaluation.errors import OptionError

#: First characters that make Excel, LibreOffice or Sheets treat a text cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _refuse_symlink(path: Path, *, where: str) -> None:
    if path.is_symlink():
        raise OptionError(
            f"{path} is a symbolic link; pilot-eval does not write through links",
            where=where,
            fix="remove the link or choose another output path",
        )


def _write_error(path: Path, exc: OSError, where: str) -> OptionError:
    return OptionError(
        f"cannot write {path}: {exc.strerror}",
        where=where,
        fix="choose a writable location with free space",
    )


def output_folder(path: str | Path, *, where: str = "option --out") -> Path:
    """Create ``path`` (and parents) as a real folder and return it.

    Raises
    ------
    OptionError
        If ``path`` is a symlink or a file. (Links higher up, such as ``/tmp`` on some
        systems, are the user's own layout and are followed.)
    """
    path = Path(path)
    _refuse_symlink(path, where=where)
    if path.exists() and not path.is_dir():
        raise OptionError(
            f"{path} is a file, not a folder",
            where=where,
            fix="give a folder path (it is created if missing)",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptionError(
            f"cannot create the folder {path}: {exc.strerror}",
            where=where,
            fix="choose a writable location",
        ) from exc
    return path


@contextlib.contextmanager
def atomic_write(path: str | Path, *, where: str = "output file") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Use it for libraries that write to a path themselves (``frame.to_csv(tmp)``,
    ``workbook.save(tmp)``, ``fig.savefig(tmp)``). The temporary file is removed on error.

    Raises
    ------
    OptionError
        If ``path`` is a symlink or its folder cannot be written.
    """
    path = Path(path)
    _refuse_symlink(path, where=where)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc, where) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc, where) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes, *, where: str = "output file") -> Path:
    """Write ``data`` to ``path`` atomically, never through a symlink."""
    path = Path(path)
    with atomic_write(path, where=where) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: str | Path, text: str, *, where: str = "output file") -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically, never through a symlink."""
    return write_bytes(path, text.encode("utf-8"), where=where)


def spreadsheet_safe(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Numbers, dates and other non-text values are returned unchanged.
    """
    if isinstance(value, str) and value.lstrip(" \u00a0").startswith(FORMULA_STARTS):
        return "'" + value
    return value
