"""The workbook the store keeps: the submitted file with every person id replaced.

The store never holds a raw client id (issue 14): the person-id columns of the table sheets
are replaced by their pseudonyms, and ids written into free text anywhere in the workbook
(cells of every sheet, comments) are replaced as whole words when they are *distinctive*
(:func:`is_distinctive`): a short number such as ``7`` in "7 käyntiä" is left alone, since
it cannot be told from a count. A final scan of every decompressed part of the result makes
sure no distinctive id is left; if one is, nothing of the file is kept
(:class:`RedactionFailed`).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from evaluation.schema import Schema
from evaluation.store.pseudonym import Pseudonymiser
from evaluation.workbook.layout import FIRST_ROW, first_data_col

#: Shortest id (characters) replaced in free text when it holds a letter.
MIN_TEXT_ID_CHARS = 3
#: Shortest all-digit id replaced in free text (shorter numbers read as counts).
MIN_TEXT_NUMERIC_ID_CHARS = 5
_WORD_EDGE = r"0-9A-Za-zÅÄÖåäö_-"


class RedactionFailed(Exception):
    """The workbook could not be read, or an id was left after redaction (never stored)."""


def is_distinctive(person_id: str) -> bool:
    """Whether ``person_id`` is replaced when it appears inside free text."""
    if person_id.isdigit():
        return len(person_id) >= MIN_TEXT_NUMERIC_ID_CHARS
    return len(person_id) >= MIN_TEXT_ID_CHARS


def id_pattern(person_ids: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching any distinctive id of ``person_ids`` as a whole word."""
    ids = sorted({i for i in person_ids if i and is_distinctive(i)}, key=len, reverse=True)
    if not ids:
        return None
    body = "|".join(re.escape(i) for i in ids)
    return re.compile(rf"(?<![{_WORD_EDGE}])({body})(?![{_WORD_EDGE}])", re.IGNORECASE)


def text_replacer(person_ids: Iterable[str], pseudonymiser: Pseudonymiser) -> Callable[[str], str]:
    """A function that replaces every distinctive id inside a text by its pseudonym."""
    pattern = id_pattern(person_ids)
    if pattern is None:
        return lambda text: text
    compiled = pattern
    return lambda text: compiled.sub(lambda m: pseudonymiser.one(m.group(1)), text)


@dataclass(frozen=True)
class IdCells:
    """Where a table sheet keeps person ids: its key (cell A1) and 1-based columns."""

    sheet_key: str
    columns: tuple[int, ...]


def id_cells(schema: Schema, columns: dict[str, tuple[str, ...]]) -> tuple[IdCells, ...]:
    """The person-id columns of each table section (section id -> field ids) as cells."""
    sections = {s.id: s for s in schema.sections}
    out = []
    for section_id, fields in columns.items():
        sec = sections.get(section_id)
        if sec is None:
            continue
        start = first_data_col(sec)
        cols = tuple(start + sec.field_ids.index(f) for f in fields if f in sec.field_ids)
        if cols:
            out.append(IdCells(section_id, cols))
    return tuple(out)


def redact_workbook(
    content: bytes,
    *,
    person_ids: Iterable[str],
    cells: tuple[IdCells, ...],
    pseudonymiser: Pseudonymiser,
) -> bytes:
    """``content`` (an xlsx) with every person id replaced by its pseudonym.

    Raises
    ------
    RedactionFailed
        If the workbook cannot be read or a distinctive id is still found afterwards.
    """
    from openpyxl import load_workbook

    ids = {str(i).strip() for i in person_ids if str(i).strip()}
    replace = text_replacer(ids, pseudonymiser)
    try:
        wb = load_workbook(io.BytesIO(content), keep_vba=False, keep_links=False)
    except Exception as exc:  # any damage: nothing of the file can be kept safely
        raise RedactionFailed(f"unreadable workbook ({type(exc).__name__})") from None
    by_key = {str(ws.cell(1, 1).value): ws for ws in wb.worksheets}
    for spec in cells:
        ws = by_key.get(spec.sheet_key)
        if ws is not None:
            _replace_id_columns(ws, spec.columns, pseudonymiser)
    for ws in wb.worksheets:
        _replace_free_text(ws, replace)
    buffer = io.BytesIO()
    wb.save(buffer)
    out = buffer.getvalue()
    leftover = _leftover_ids(out, id_pattern(ids | {xml_escape(i) for i in ids}))
    if leftover:
        raise RedactionFailed(f"{leftover} person id(s) could not be replaced")
    return out


def _replace_id_columns(ws: Any, columns: tuple[int, ...], p: Pseudonymiser) -> None:
    for col in columns:
        for row in range(FIRST_ROW, ws.max_row + 1):
            cell = ws.cell(row, col)
            value = cell.value
            if value is not None and str(value).strip():
                cell.value = p.one(_id_text(value))


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _replace_free_text(ws: Any, replace: Callable[[str], str]) -> None:
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                new = replace(cell.value)
                if new != cell.value:
                    cell.value = new
            if cell.comment is not None:
                cell.comment.text = replace(cell.comment.text)


def _leftover_ids(content: bytes, pattern: re.Pattern[str] | None) -> int:
    """How many distinctive ids are still written in any part of the xlsx ``content``."""
    if pattern is None:
        return 0
    found = 0
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8", errors="replace")
            found += len(pattern.findall(text))
    return found


def rewrite_parts(content: bytes, transform: Callable[[str], str]) -> bytes:
    """``content`` (a zip) with ``transform`` applied to the text of every part."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            with contextlib.suppress(UnicodeDecodeError):  # a binary part is copied as it is
                data = transform(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()
