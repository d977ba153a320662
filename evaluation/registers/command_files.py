"""Files named on the ``pilot-eval registers`` command line.

* :func:`read_table`: one reader for every command that takes a table file (CSV or
  parquet). It refuses identity codes in the path and in the cells, reads CSV as UTF-8 with
  its own delimiter, keeps ids as text (leading zeros) and names the file and the option in
  every message.
* :func:`refuse_linked`: output paths that are symbolic links are refused before long work.
* :func:`relocated`: a library error located in the user's terms (file, option).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evaluation.errors import InputDataError, OptionError, PilotEvalError
from evaluation.registers.intake import (
    check_text_file,
    csv_header,
    missing_column_error,
    refuse_codes_in_path,
)
from evaluation.registers.screening import refuse_identity_codes_in_frame

#: File types a table may have.
TABLE_SUFFIXES = (".csv", ".parquet")


def option_label(option: str) -> str:
    """``--care`` -> ``option --care``; ``PANEL`` -> ``argument PANEL`` (for messages)."""
    return f"option {option}" if option.startswith("--") else f"argument {option}"


def read_table(
    path: Path,
    option: str,
    columns: Sequence[str],
    *,
    extra: Sequence[str] | None = None,
    text: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A CSV or parquet table given on the command line, checked at the door.

    Parameters
    ----------
    path:
        The ``.csv`` or ``.parquet`` file.
    option:
        The option (``"--care"``) or argument (``"PANEL"``) that named it, for messages.
    columns:
        Columns the table must have.
    extra:
        ``None`` keeps every column; otherwise only ``columns`` and those of ``extra`` the
        file has are kept (a large panel is screened on the columns used only).
    text:
        CSV columns read as text; ``None`` reads every CSV cell as text.

    Raises
    ------
    evaluation.errors.InputDataError
        The file is missing, not CSV/parquet, unreadable or lacks a column (named with
        the option and the file).
    evaluation.errors.IntakeRefusedError
        The path or a cell holds an identity code.
    """
    where = f"{path.name} ({option_label(option)})"
    refuse_codes_in_path(path, where=where)
    if not path.is_file():
        raise InputDataError(
            "file not found (it does not exist or is not a file)",
            where=option_label(option),
            fix=f"check the path {path}",
        )
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputDataError(
            f"unsupported file type {path.suffix!r}", where=where, fix="give .csv or .parquet"
        )
    try:
        frame = _read(path, where=where, text=text)
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputDataError(
            f"cannot be read as a {suffix[1:]} table ({type(exc).__name__})",
            where=where,
            fix="export the table again (CSV: UTF-8 with a header line; or parquet)",
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise missing_column_error(missing, where=where, available=list(frame.columns))
    if extra is not None:
        frame = frame[[*columns, *(c for c in extra if c in frame.columns and c not in columns)]]
    refuse_identity_codes_in_frame(frame, source=path.name)
    return frame


def _read(path: Path, *, where: str, text: Sequence[str] | None) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    check_text_file(path, where=where)
    delimiter, _names = csv_header(path, where=where)
    dtype: type[str] | dict[str, type[str]] = str if text is None else dict.fromkeys(text, str)
    return pd.read_csv(path, sep=delimiter, dtype=dtype, encoding="utf-8-sig")


def refuse_linked(targets: dict[str, Path | None]) -> None:
    """Refuse output paths (``{option: path}``) that are symbolic links."""
    # Before the (long) build; the writes refuse links again (evaluation.safe_io).
    for option, path in targets.items():
        if path is not None and path.is_symlink():
            raise OptionError(
                f"{path} is a symbolic link; pilot-eval does not write through links",
                where=f"option {option}",
                fix="remove the link or choose another output path",
            )


def relocated(exc: PilotEvalError, places: dict[str, str]) -> PilotEvalError:
    """``exc`` located in the user's terms: ``jobseeker row 3`` -> ``js.csv row 3``.

    ``places`` maps the library's argument names (``jobseeker``, ``before``) to the file
    name or option the user gave.
    """
    for name, place in places.items():
        for key in (f"{name} row", f"({name}=...)"):
            at = exc.where.find(key)
            if exc.where.startswith(key) or (at >= 0 and key.startswith("(")):
                tail = exc.where[at + len(key) :]
                lead = f"{place} row" if key.endswith(" row") else place
                kind = type(exc) if type(exc) in (OptionError, InputDataError) else InputDataError
                return kind(exc.what, where=f"{lead}{tail}", fix=exc.fix)
    return exc
