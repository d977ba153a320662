"""Reading register files at the door: text checks, CSV dialect and missing columns.

A CSV file is checked before DuckDB reads it, so that every problem is one located message
(exit code 2) and never a parser traceback:

* an empty file, a binary file (zip/xlsx, parquet with a ``.csv`` name, NUL bytes) or a
  UTF-16 file is refused, naming the file and how to fix it;
* text that is not UTF-8 (e.g. Latin-1 or Windows-1252 from an old export) is refused with
  the line and byte of the first bad byte (the byte value only, never the text around it);
* the delimiter is the one of ``, ; TAB |`` that the header line uses most (``,`` when it
  uses none); the header names the columns; every row must have as many fields. A parser
  error names the line and the field counts, never the line's content.

:func:`missing_column_error` names the columns a file lacks, the columns it has, the
closest name for each missing one (``difflib``) and, when the header is one column with a
separator inside, the separator the file seems to use.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import duckdb

from evaluation.errors import InputDataError, IntakeRefusedError, MissingColumnError, Problem
from evaluation.privacy import find_identity_codes, mask_identity_codes

#: Delimiters a register CSV may use (the header line decides which).
CSV_DELIMITERS = (",", ";", "\t", "|")
#: Bytes read at a time when checking that a file is UTF-8.
CHUNK_BYTES = 1 << 20
#: The fix of every encoding problem.
UTF8_FIX = (
    "save the file as UTF-8 (Excel: Save As > 'CSV UTF-8'; LibreOffice: character set "
    "'Unicode (UTF-8)'; or iconv -f latin1 -t utf-8 FILE > NEW.csv) and run again"
)
#: Leading bytes of binary files often given a .csv name, and what they are.
_MAGIC = (
    (b"PK\x03\x04", "a zip or Excel (.xlsx) file"),
    (b"PAR1", "a parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) file"),
    (b"%PDF", "a PDF file"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _refuse_binary(head: bytes, *, where: str) -> None:
    fix = "export the table as CSV (UTF-8, comma-separated) or parquet"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise InputDataError(f"the file is {kind}, not CSV text", where=where, fix=fix)
    if head.startswith(_UTF16_BOMS):
        raise InputDataError("the file is UTF-16 text, not UTF-8", where=where, fix=UTF8_FIX)
    if b"\x00" in head:
        raise InputDataError(
            "the file holds NUL bytes: it is a binary (or UTF-16) file, not CSV text",
            where=where,
            fix=fix,
        )


def check_text_file(path: str | Path, *, where: str) -> None:
    """Check that ``path`` is a non-empty UTF-8 text file (streamed; large files are fine).

    Raises
    ------
    evaluation.errors.InputDataError
        The file is empty, binary, UTF-16, or not UTF-8: the message names the line and
        byte offset of the first bad byte and says how to save the file as UTF-8.
    """
    p = Path(path)
    with p.open("rb") as handle:
        head = handle.read(CHUNK_BYTES)
        if not head.strip():
            raise InputDataError(
                "the file is empty (no header line)",
                where=where,
                fix="export the table again, with a header line person_id,code,start,end",
            )
        _refuse_binary(head, where=where)
        handle.seek(0)
        _check_utf8(handle, where=where)


def _check_utf8(handle: BinaryIO, *, where: str) -> None:
    base, carry, lines = 0, b"", 0
    while True:
        chunk = handle.read(CHUNK_BYTES)
        data = carry + chunk
        try:
            _text, used = codecs.utf_8_decode(data, "strict", not chunk)
        except UnicodeDecodeError as exc:
            offset = base + exc.start
            line = lines + data.count(b"\n", 0, exc.start) + 1
            raise InputDataError(
                f"the file is not UTF-8 text: byte 0x{data[exc.start]:02X} at line {line} "
                f"(byte offset {offset}) is not valid UTF-8 (the file is probably Latin-1 "
                "or Windows-1252)",
                where=where,
                fix=UTF8_FIX,
            ) from None
        lines += data.count(b"\n", 0, used)
        base, carry = base + used, data[used:]
        if not chunk:
            return


def csv_header(path: str | Path, *, where: str) -> tuple[str, list[str]]:
    """The delimiter and column names of a CSV file's header line.

    The delimiter is the one of :data:`CSV_DELIMITERS` the header uses most (a ``.tsv``
    file: tab). Empty names become ``column<k>``.

    Raises
    ------
    evaluation.errors.InputDataError
        A column name appears twice.
    """
    p = Path(path)
    with p.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline().rstrip("\r\n")
    if p.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = max(CSV_DELIMITERS, key=first.count) if first else ","
    names = next(csv.reader([first], delimiter=delimiter), [])
    names = [n.strip() or f"column{k + 1}" for k, n in enumerate(names)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputDataError(
                f"column {mask_identity_codes(name)!r} appears twice in the header line",
                where=f"{where} line 1",
                fix="give every column its own name",
            )
        seen.add(name)
    return delimiter, names


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_csv_sql(path: str | Path, *, where: str) -> str:
    """SQL ``read_csv(...)`` of a checked CSV file: its own header, every column as text.

    The file is checked first (:func:`check_text_file`); DuckDB's sniffer is not used, so
    a ragged row is an error on its line instead of a silently guessed header.
    """
    check_text_file(path, where=where)
    delimiter, names = csv_header(path, where=where)
    columns = ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names)
    return (
        f"read_csv({_literal(Path(path).as_posix())}, auto_detect = false, header = false, "
        f"skip = 1, delim = {_literal(delimiter)}, quote = '\"', escape = '\"', "
        f"columns = {{{columns}}})"
    )


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def csv_read_error(exc: duckdb.Error, *, where: str) -> InputDataError:
    """A located error for a DuckDB CSV parser error (its line's content never shown).

    Raises ``exc`` itself when it is not a CSV parser error (a bug, not bad input).
    """
    text = str(exc)
    if "CSV" not in text:
        raise exc
    line = _CSV_LINE.search(text)
    count = _CSV_COUNT.search(text)
    at = f"{where} line {line[1]}" if line else where
    if count:
        what = f"the line has {count[2]} fields, the header {count[1]}"
        fix = (
            "quote fields that contain the delimiter, and give every row as many fields "
            "as the header (empty fields are fine)"
        )
    else:
        what = "the file cannot be read as CSV"
        fix = "export the table again as CSV (UTF-8, comma-separated, with a header line)"
    return InputDataError(what, where=at, fix=fix)


def _separator_hint(available: Sequence[str]) -> str:
    if len(available) != 1:
        return ""
    found = [d for d in (*CSV_DELIMITERS, " ") if d in available[0]]
    if not found:
        return ""
    shown = "a tab" if found[0] == "\t" else repr(found[0])
    return (
        f"the header is one column with {shown} inside: separate the columns with commas "
        "(or ';', tab or '|')"
    )


def _close_names(missing: Iterable[str], available: Sequence[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
        if not close:
            lowered = {a.lower().strip(): a for a in available}
            close = [lowered[name]] if name in lowered else []
        if close:
            hints.append(f"did you mean {close[0]!r} for {name!r}?")
    return "; ".join(hints)


def missing_column_error(
    missing: Sequence[str], *, where: str, available: Sequence[str]
) -> MissingColumnError:
    """A :class:`~evaluation.errors.MissingColumnError` with did-you-mean hints.

    Names the missing columns, the columns the data has, the closest available name of
    each missing one and, when the header is one column with a separator inside, says so.
    """
    shown = [mask_identity_codes(a) for a in available]
    err = MissingColumnError(missing, where=where, available=shown)
    hints = "; ".join(h for h in (_separator_hint(shown), _close_names(missing, shown)) if h)
    if hints:
        err.fix = f"{hints}; otherwise {err.fix}"
        err.args = (err.message,)
    return err


def name_problems(source: str, columns: Iterable[str]) -> list[Problem]:
    """Problems for identity codes in a file name (``source``) or in column names."""
    shown = mask_identity_codes(source)
    problems = []
    if find_identity_codes(source):
        problems.append(
            Problem(
                shown,
                "the file name holds an identity code or pseudonym",
                "rename the file (and its folder) without it",
            )
        )
    for k, col in enumerate(columns, start=1):
        if find_identity_codes(col):
            problems.append(
                Problem(
                    f"{shown}, header of column {k}",
                    "the column name holds an identity code or pseudonym",
                    "rename the column without it",
                )
            )
    return problems


def refuse_codes_in_path(path: Path, *, where: str) -> None:
    """Refuse a file whose path holds an identity code (shown masked, never its characters).

    Raises
    ------
    evaluation.errors.IntakeRefusedError
    """
    problems = name_problems(str(path), ())
    if problems:
        raise IntakeRefusedError(mask_identity_codes(where), problems)
