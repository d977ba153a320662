"""Provenance of results: software versions, content hashes and the manifest record.

One place for the facts every results folder records about how it was produced:

* :data:`PACKAGES`: the packages whose versions are recorded (one list), and
  :data:`MISSING`: the marker of a package that is not installed (one marker);
* :func:`software_versions`: Python and those packages;
* :func:`file_sha256`, :func:`bytes_sha256`, :func:`frame_sha256`: the one file hasher,
  bytes hasher and DataFrame hasher;
* :func:`hash_input`: any of these by the type of the value (manifests' ``inputs``);
* :func:`write_json`: a manifest (or other record) as sorted, indented UTF-8 JSON.

The plan runner (:mod:`evaluation.plans.outputs`), the impact result writers
(:mod:`evaluation.reporting.impact_results`) and the comparison report
(:mod:`evaluation.reporting.compare`) all use it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.errors import InputDataError, OptionError
from evaluation.safe_io import write_text

__all__ = [
    "MISSING",
    "PACKAGES",
    "bytes_sha256",
    "file_sha256",
    "frame_sha256",
    "hash_input",
    "package_version",
    "software_versions",
    "write_json",
]

#: Packages whose versions every manifest and report records (one list).
PACKAGES = (
    "pilot-evaluation",
    "numpy",
    "pandas",
    "duckdb",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "pydantic",
    "pyyaml",
    "pypandoc-binary",
    "typst",
)
#: The version recorded for a package that is not installed (one marker).
MISSING = "not installed"
#: Separator of column names in :func:`frame_sha256` (a unit separator: never in a name).
_COLUMN_SEPARATOR = "\x1f"
_BLOCK = 1 << 16


def package_version(name: str) -> str:
    """The installed version of distribution ``name``, or :data:`MISSING`."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return MISSING


def software_versions() -> dict[str, str]:
    """Versions of Python and of :data:`PACKAGES` (``python`` first, then in list order)."""
    return {"python": platform.python_version(), **{p: package_version(p) for p in PACKAGES}}


def file_sha256(path: Path | str) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def bytes_sha256(data: bytes) -> str:
    """SHA-256 (hex) of ``data``."""
    return hashlib.sha256(data).hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of a DataFrame's column names and row hashes (row-order sensitive:
    put the rows in a canonical order first)."""
    h = hashlib.sha256(_COLUMN_SEPARATOR.join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def hash_input(name: str, value: object) -> str:
    """SHA-256 of an input given as a file path, bytes or a DataFrame.

    Raises
    ------
    InputDataError
        ``value`` is a path that is not a file.
    OptionError
        ``value`` is of another type.
    """
    if isinstance(value, pd.DataFrame):
        return frame_sha256(value)
    if isinstance(value, str | Path):
        path = Path(value)
        if not path.is_file():
            raise InputDataError(
                f"input {name!r} is not a file",
                where=str(path),
                fix="pass the path of an input file, or a DataFrame, in inputs=",
            )
        return file_sha256(path)
    if isinstance(value, bytes):
        return bytes_sha256(value)
    raise OptionError(
        f"cannot hash input {name!r} of type {type(value).__name__}",
        where="inputs=",
        fix="pass file paths, bytes or DataFrames",
    )


def write_json(path: Path, record: dict[str, Any], *, where: str = "") -> Path:
    """Write ``record`` as indented UTF-8 JSON with sorted keys and a final newline."""
    text = json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return write_text(path, text, where=where or path.name)
