"""Streaming scanners of the parts of an xlsx container (expat, bounded memory).

Each scanner gets the XML of one part in chunks and reports findings to a :class:`Findings`
collector; nothing is kept but flags, counters and the text of the current cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.parsers import expat

from evaluation.intake.limits import IntakeLimits
from evaluation.privacy import find_identity_codes

Reason = Literal[
    "identity_code",
    "file_name",
    "extension",
    "macro",
    "external",
    "size",
    "rows",
    "cell_length",
    "unreadable",
]
#: A location: ``("file",)``, ``("file_name",)``, ``("part", name)``, ``("sheet", s)``,
#: ``("cell", s, ref)``, ``("comment", s, ref)``, ``("name", n)``, ``("props", f)``,
#: ``("sheet_name",)``.
Loc = tuple[str, ...]
_MAYBE = re.compile(r"\d|ps", re.IGNORECASE)
_DDE = re.compile(r"[A-Za-z0-9_.]+\|.*!")
_ROW_OF = re.compile(r"([0-9]+)\s*$")
#: Text buffered per element before it is scanned in pieces (with an overlap).
_CHUNK = 1 << 20


class StopPart(Exception):
    """Stop reading the current part (a limit was hit; the finding is recorded)."""


@dataclass(frozen=True)
class Finding:
    """One reason to refuse, before it is worded in the workbook's language."""

    reason: Reason
    key: str
    loc: Loc
    kw: tuple[tuple[str, Any], ...] = ()


@dataclass
class Findings:
    """Findings of one inspection (one per key and location) and shared state."""

    limits: IntakeLimits
    items: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, Loc]] = field(default_factory=set)
    shared_codes: dict[int, str] = field(default_factory=dict)
    shared_long: set[int] = field(default_factory=set)
    shared_used: set[int] = field(default_factory=set)

    def add(self, reason: Reason, key: str, loc: Loc, **kw: Any) -> None:
        """Record a finding unless the same key was already found at ``loc``."""
        if (key, loc) not in self.seen:
            self.seen.add((key, loc))
            self.items.append(Finding(reason, key, loc, tuple(kw.items())))

    def codes(self, text: str, loc: Loc) -> bool:
        """Record an identity code in ``text`` at ``loc``; whether there was one."""
        if not text or not _MAYBE.search(text):
            return False
        hits = find_identity_codes(text)
        if hits:
            self.add("identity_code", "intake_identity_code", loc, shape=hits[0].shape)
        return bool(hits)


def local(name: str) -> str:
    """Local part of an expat ``namespace local`` name."""
    return name.rsplit(" ", 1)[-1]


class Part:
    """Generic scanner: every attribute value and text of the part is checked for codes."""

    def __init__(self, found: Findings, loc: Loc) -> None:
        self.found = found
        self.loc = loc
        self.buf: list[str] = []
        self.size = 0

    def where(self, tag: str) -> Loc:
        """Location of text inside element ``tag``."""
        return self.loc

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.flush(tag)
        for value in attrs.values():
            self.found.codes(value, self.where(tag))

    def end(self, tag: str) -> None:
        self.flush(tag)

    def text(self, data: str) -> None:
        self.buf.append(data)
        self.size += len(data)
        if self.size > _CHUNK:
            joined = "".join(self.buf)
            self.found.codes(joined, self.loc)
            self.buf, self.size = [joined[-40:]], 40

    def flush(self, tag: str) -> None:
        if self.buf:
            self.found.codes("".join(self.buf), self.where(tag))
            self.buf, self.size = [], 0


class Props(Part):
    """docProps: each property located by its element name (author, title, ...)."""

    def where(self, tag: str) -> Loc:
        return ("props", tag)


class Workbook(Part):
    """xl/workbook.xml: sheet names and relationship ids, defined names."""

    def __init__(self, found: Findings, loc: Loc) -> None:
        super().__init__(found, loc)
        self.sheets: list[tuple[str, str]] = []
        self.name: str | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.flush(tag)
        if tag == "sheet":
            name = attrs.get("name", "")
            rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
            self.sheets.append((name, rid))
            self.found.codes(name, ("sheet_name",))
            return
        if tag == "definedName":
            self.name = attrs.get("name", "")
            self.found.codes(self.name, ("name", self.name))
        super().start(tag, attrs)

    def where(self, tag: str) -> Loc:
        return ("name", self.name) if self.name is not None else self.loc

    def end(self, tag: str) -> None:
        self.flush(tag)
        if tag == "definedName":
            self.name = None


@dataclass(frozen=True)
class Rel:
    """One relationship of a part."""

    rid: str
    type: str
    target: str
    external: bool


class Rels(Part):
    """A ``.rels`` part: external targets, macro and link relationships."""

    def __init__(self, found: Findings, loc: Loc) -> None:
        super().__init__(found, loc)
        self.rels: list[Rel] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        super().start(tag, attrs)
        if tag != "Relationship":
            return
        kind = attrs.get("Type", "").rsplit("/", 1)[-1]
        external = attrs.get("TargetMode", "").lower() == "external"
        self.rels.append(Rel(attrs.get("Id", ""), kind, attrs.get("Target", ""), external))
        if external or kind.lower() in ("externallink", "externallinkpath", "connections"):
            self.found.add("external", "intake_external", self.loc, detail=kind or "link")
        if kind.lower() in ("vbaproject", "activexcontrol", "activexcontrolbinary", "oleobject"):
            self.found.add("macro", "intake_macro", self.loc, detail=kind)


_MACRO_TYPES = ("vbaproject", "macroenabled", "macrosheet", "activex", "dialogsheet")


class ContentTypes(Part):
    """``[Content_Types].xml``: macro-enabled and link content types."""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        super().start(tag, attrs)
        ctype = attrs.get("ContentType", "").lower()
        if any(m in ctype for m in _MACRO_TYPES):
            self.found.add("macro", "intake_macro", self.loc, detail=ctype.rsplit(".", 1)[-1])
        if "externallink" in ctype or "connections" in ctype:
            self.found.add("external", "intake_external", self.loc, detail="externalLink")


class SharedStrings(Part):
    """xl/sharedStrings.xml: flags the indices holding a code or too long a text."""

    def __init__(self, found: Findings, loc: Loc) -> None:
        super().__init__(found, loc)
        self.index = -1
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "si":
            self.index += 1
            self.buf, self.size = [], 0
        elif tag == "rPh":
            self.phonetic += 1
            self.buf.append(" ")

    def end(self, tag: str) -> None:
        if tag == "rPh":
            self.phonetic -= 1
        if tag != "si":
            return
        text = "".join(self.buf)
        self.buf, self.size = [], 0
        hits = find_identity_codes(text) if _MAYBE.search(text) else []
        if hits:
            self.found.shared_codes[self.index] = hits[0].shape
        if len(text) > self.found.limits.max_cell_chars:
            self.found.shared_long.add(self.index)

    def text(self, data: str) -> None:
        self.buf.append(data)


class Comments(Part):
    """Legacy comments (notes) and threaded comments, located by their cell."""

    def __init__(self, found: Findings, loc: Loc, sheet: str | None) -> None:
        super().__init__(found, loc)
        self.sheet = sheet
        self.ref: str | None = None

    def where(self, tag: str) -> Loc:
        if self.ref is None or self.sheet is None:
            return self.loc
        return ("comment", self.sheet, self.ref)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in ("comment", "threadedComment"):
            self.flush(tag)
            self.ref = attrs.get("ref", "")
        for value in attrs.values():
            self.found.codes(value, self.where(tag))
        if self.ref is None:
            self.flush(tag)

    def end(self, tag: str) -> None:
        if tag in ("comment", "threadedComment") or self.ref is None:
            self.flush(tag)
            if tag in ("comment", "threadedComment"):
                self.ref = None


class Sheet(Part):
    """A worksheet: row limits, and every cell's text, formula and shared string."""

    def __init__(self, found: Findings, loc: Loc, sheet: str) -> None:
        super().__init__(found, loc)
        self.sheet = sheet
        self.rows = 0
        self.row = 0
        self.col = 0
        self.cell: dict[str, str] | None = None
        self.target: list[str] | None = None
        self.value: list[str] = []
        self.formula: list[str] = []
        self.inline: list[str] = []
        self.phonetic = 0

    def _too_many(self, n: int) -> None:
        limits = self.found.limits
        self.found.add("rows", "intake_rows", ("sheet", self.sheet), n=n, max=limits.max_rows)
        raise StopPart

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self._cell_start(tag)
            return
        if tag == "dimension":
            m = _ROW_OF.search(attrs.get("ref", ""))
            if m and int(m[1]) > self.found.limits.max_rows:
                self._too_many(int(m[1]))
        elif tag == "row":
            self.rows += 1
            r = attrs.get("r", "")
            self.row = int(r) if r.isdigit() else self.row + 1
            self.col = 0
            if max(self.rows, self.row) > self.found.limits.max_rows:
                self._too_many(max(self.rows, self.row))
            return
        elif tag == "c":
            self.cell = attrs
            self.value, self.formula, self.inline = [], [], []
            return
        super().start(tag, attrs)

    def _cell_start(self, tag: str) -> None:
        if tag == "v":
            self.target = self.value
        elif tag == "f":
            self.target = self.formula
        elif tag == "rPh":
            self.phonetic += 1
            self.inline.append(" ")
        elif tag == "t":
            self.target = self.inline

    def text(self, data: str) -> None:
        if self.cell is None:
            super().text(data)
        elif self.target is not None and len(self.target) < 4096:
            self.target.append(data)

    def end(self, tag: str) -> None:
        if self.cell is None:
            super().end(tag)
        elif tag == "c":
            self._cell_end(self.cell)
            self.cell = None
        elif tag in ("v", "f", "t"):
            self.target = None

    def _ref(self, cell: dict[str, str]) -> str:
        ref = cell.get("r", "")
        if not ref:
            from openpyxl.utils import get_column_letter

            ref = f"{get_column_letter(self.col + 1)}{self.row}"
        m = re.match(r"([A-Z]+)", ref)
        if m:
            from openpyxl.utils import column_index_from_string

            self.col = column_index_from_string(m[1])
        return ref

    def _cell_end(self, cell: dict[str, str]) -> None:
        loc: Loc = ("cell", self.sheet, self._ref(cell))
        found, limit = self.found, self.found.limits.max_cell_chars
        value = "".join(self.value)
        if cell.get("t") == "s" and value.strip().isdigit():
            idx = int(value)
            found.shared_used.add(idx)
            if idx in found.shared_codes:
                found.add(
                    "identity_code", "intake_identity_code", loc, shape=found.shared_codes[idx]
                )
            if idx in found.shared_long:
                found.add("cell_length", "intake_cell_length", loc, max=limit)
        else:
            text = "".join(self.inline) if cell.get("t") == "inlineStr" else value
            found.codes(text, loc)
            if len(text) > limit:
                found.add("cell_length", "intake_cell_length", loc, max=limit)
        formula = "".join(self.formula)
        found.codes(formula, loc)
        if _DDE.search(formula):
            found.add("external", "intake_external", loc, detail="DDE")


def parser_for(part: Part) -> Any:
    """An expat parser feeding ``part``; DTDs and entity declarations are refused."""
    p = expat.ParserCreate(namespace_separator=" ")
    p.buffer_text = True
    p.buffer_size = 1 << 16

    def no_dtd(*_: Any) -> None:
        raise StopPart("dtd")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    p.StartElementHandler = lambda name, attrs: part.start(local(name), attrs)
    p.EndElementHandler = lambda name: part.end(local(name))
    p.CharacterDataHandler = part.text
    return p


Factory = Callable[[Findings, Loc], Part]
