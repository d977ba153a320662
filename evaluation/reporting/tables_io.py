"""Writing and reading the tidy CSV tables of a results folder safely.

The tables are handed to funders and opened in spreadsheets, so every text cell a
spreadsheet would run as a formula is written with a leading ``'``
(:func:`evaluation.safe_io.spreadsheet_safe`; plain numbers written as text are numbers
in a spreadsheet and stay as they are). Files are written atomically and never through a
symlink (:func:`evaluation.safe_io.atomic_write`). :func:`from_spreadsheet` undoes the
prefix when the toolkit reads a table back, so reports show the text as it was entered.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from evaluation.safe_io import FORMULA_STARTS, atomic_write, output_folder, spreadsheet_safe


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and not _is_number(value):
        return spreadsheet_safe(value)
    return value


def _unsafe_cell(value: object) -> object:
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:].lstrip(" \u00a0").startswith(FORMULA_STARTS)
    ):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
    ]


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) a spreadsheet shows as text."""
    out = frame.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(_safe_cell).astype(out[col].dtype)
    out.columns = [_safe_cell(c) for c in out.columns]
    return out


def from_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` read back: the ``'`` that :func:`spreadsheet_frame` added removed."""
    out = frame.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(_unsafe_cell).astype(out[col].dtype)
    return out


def results_folder(folder: Path | str) -> Path:
    """A results folder to write into (created; refused when a symlink or a file)."""
    return output_folder(folder, where="results folder")


def write_csv(frame: pd.DataFrame, path: Path, *, where: str = "results table") -> Path:
    """Write ``frame`` (no index) as spreadsheet-safe CSV, atomically, never via a symlink."""
    with atomic_write(path, where=where) as tmp:
        spreadsheet_frame(frame).to_csv(tmp, index=False)
    return path


def read_csv(path: Path, **options: object) -> pd.DataFrame:
    """Read a CSV the toolkit wrote (``pandas.read_csv`` options), prefixes removed."""
    return from_spreadsheet(pd.read_csv(path, **options))  # type: ignore[call-overload]


__all__ = ["from_spreadsheet", "read_csv", "results_folder", "spreadsheet_frame", "write_csv"]
