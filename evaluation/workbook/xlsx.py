"""A small, fast reader of cell values in ``.xlsx`` files (values and formulas only).

openpyxl builds a full object model and is slow for reading hundreds of submissions; this
reader parses just what :mod:`evaluation.workbook.reader` needs: sheet names and, per
sheet, rows of cell values (text, numbers, dates for date-formatted cells, booleans) with
formulas returned as ``"=..."`` strings. Anything unexpected raises, and the caller falls
back to openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COORD = re.compile(r"^([A-Z]{1,3})(\d+)$")


class Formula(str):
    """A cell value that is a formula in the file (``"=" + formula text``)."""

    __slots__ = ()


@lru_cache(maxsize=256)
def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _text_of(el: ET.Element) -> str:
    """Text of a shared or inline string: all ``t`` runs, without phonetic runs."""
    t = el.find(f"{_NS}t")
    if t is not None and len(el) == 1:
        return t.text or ""
    parts = []
    for run in el.iter():
        if run.tag == f"{_NS}rPh":
            continue
        if run.tag == f"{_NS}t":
            parts.append(run.text or "")
    return "".join(parts)


class FastBook:
    """Cell values of an ``.xlsx`` file, sheet by sheet (parsed on demand)."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        wb = ET.fromstring(self.zip.read("xl/workbook.xml"))
        pr = wb.find(f"{_NS}workbookPr")
        self.epoch = (
            CALENDAR_MAC_1904
            if pr is not None and pr.get("date1904") in ("1", "true")
            else CALENDAR_WINDOWS_1900
        )
        rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
        self.paths: dict[str, str] = {}
        self.names: list[str] = []
        sheets = wb.find(f"{_NS}sheets")
        for s in sheets if sheets is not None else ():
            name = s.get("name", "")
            target = targets[s.get(f"{_REL_NS}id")]
            path_in_zip = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            self.names.append(name)
            self.paths[name] = path_in_zip
        self.strings = self._shared_strings()
        self.date_styles = self._date_styles()
        self._cache: dict[str, list[tuple[Any, ...]]] = {}

    def _shared_strings(self) -> list[str]:
        try:
            data = self.zip.read("xl/sharedStrings.xml")
        except KeyError:
            return []
        root = ET.fromstring(data)
        return [_text_of(si) for si in root.iter(f"{_NS}si")]

    def _date_styles(self) -> set[int]:
        try:
            root = ET.fromstring(self.zip.read("xl/styles.xml"))
        except KeyError:
            return set()
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in root.iter(f"{_NS}numFmt")
        }
        xfs = root.find(f"{_NS}cellXfs")
        out: set[int] = set()
        for i, xf in enumerate(xfs if xfs is not None else ()):
            fid = int(xf.get("numFmtId", "0"))
            code = custom.get(fid, BUILTIN_FORMATS.get(fid, "General"))
            if is_date_format(code):
                out.add(i)
        return out

    def rows(self, name: str) -> list[tuple[Any, ...]]:
        """Rows of a sheet from row 1 as tuples of values (ragged; missing cells None)."""
        if name in self._cache:
            return self._cache[name]
        root = ET.fromstring(self.zip.read(self.paths[name]))
        data = root.find(f"{_NS}sheetData")
        cells: dict[int, dict[int, Any]] = {}
        r_prev = 0
        for row in data if data is not None else ():
            r = int(row.get("r") or r_prev + 1)
            r_prev = r
            c_prev = 0
            for c in row:
                ref = c.get("r")
                if ref:
                    m = _COORD.match(ref)
                    if m is None:
                        raise ValueError(f"bad cell reference {ref!r}")
                    col = _col_index(m[1])
                else:
                    col = c_prev + 1
                c_prev = col
                value = self._value(c)
                if value is not None:
                    cells.setdefault(r, {})[col] = value
        out: list[tuple[Any, ...]] = []
        last = max(cells, default=0)
        for r in range(1, last + 1):
            row_cells = cells.get(r)
            if not row_cells:
                out.append(())
                continue
            width = max(row_cells)
            out.append(tuple(row_cells.get(j) for j in range(1, width + 1)))
        self._cache[name] = out
        return out

    def _value(self, c: ET.Element) -> Any:
        f = c.find(f"{_NS}f")
        if f is not None:
            return Formula("=" + (f.text or ""))
        t = c.get("t", "n")
        if t == "inlineStr":
            el = c.find(f"{_NS}is")
            return None if el is None else _text_of(el)
        v = c.find(f"{_NS}v")
        if v is None or v.text is None:
            return None
        text = v.text
        if t == "s":
            return self.strings[int(text)]
        if t in ("str", "e"):
            return text
        if t == "b":
            return text.strip() in ("1", "true")
        num = float(text)
        style = int(c.get("s", "0"))
        if style in self.date_styles:
            return from_excel(num, self.epoch)
        return int(num) if num.is_integer() and "." not in text and "E" not in text else num

    def key(self, name: str) -> Any:
        """Value of cell A1 of a sheet."""
        rows = self.rows(name)
        return rows[0][0] if rows and rows[0] else None

    def close(self) -> None:
        """Close the underlying zip file."""
        self.zip.close()
