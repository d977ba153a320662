"""``inspect_workbook``: a workbook inspected at the door, before any parsing."""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from evaluation.errors import Problem
from evaluation.intake.limits import ENV_OF, IntakeLimits
from evaluation.intake.scan import (
    Comments,
    ContentTypes,
    Finding,
    Findings,
    Loc,
    Part,
    Props,
    Reason,
    Rels,
    SharedStrings,
    Sheet,
    StopPart,
    Workbook,
    parser_for,
)
from evaluation.privacy import find_identity_codes, mask_identity_codes
from evaluation.schema import LANGS, Lang, Schema, load_schema

#: File types that may hold macros (never accepted, whatever their content).
MACRO_EXTENSIONS = (".xlsm", ".xlsb", ".xls", ".xltm", ".xlam", ".xla")
#: Reasons after which the file must not be parsed at all (limits, unreadable parts).
UNSAFE_REASONS: frozenset[Reason] = frozenset({"size", "rows", "cell_length", "unreadable"})
#: Problems listed at most (one more line counts the rest).
MAX_LISTED = 100
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_MACRO_PARTS = ("vbaproject.bin", "/activex/", "macrosheets/", "vbadata.xml", "dialogsheets/")
_LINK_PARTS = ("externallinks/", "connections.xml", "querytables/")


@dataclass(frozen=True)
class IntakeProblem(Problem):
    """A located reason to refuse a file (``reason`` groups them: ``identity_code``, ...)."""

    reason: Reason = "identity_code"


@dataclass(frozen=True)
class IntakeResult:
    """What the intake found.

    Attributes
    ----------
    path:
        The file inspected.
    lang:
        Language of the messages (the workbook's, from its sheet names, or the hint).
    problems:
        Every reason to refuse the file, located and worded; empty when it may be read.
    """

    path: Path
    lang: Lang
    problems: tuple[IntakeProblem, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether nothing of the file may be read further, stored or shown."""
        return bool(self.problems)

    @property
    def safe_to_parse(self) -> bool:
        """Whether the file may still be opened to collect ids (no limit was exceeded)."""
        return not any(p.reason in UNSAFE_REASONS for p in self.problems)


class _Abort(Exception):
    """Stop the whole inspection (a file-level limit was hit)."""


def inspect_workbook(
    path: str | Path,
    *,
    limits: IntakeLimits | None = None,
    lang_hint: Lang | None = None,
    schema: Schema | None = None,
) -> IntakeResult:
    """Inspect ``path`` before any parsing: sizes, macros, links and identity codes.

    Parameters
    ----------
    path:
        The submitted file. A missing, empty or non-zip file gives no problems here (the
        reader reports it), unless its name, type or size is refused.
    limits:
        The limits (default :meth:`IntakeLimits.from_env`).
    lang_hint:
        Language of the messages when the workbook's cannot be told from its sheet names.
    schema:
        Schema whose message catalogue words the problems (default: the shipped one).

    Returns
    -------
    IntakeResult
        ``refused`` when any problem was found; messages show at most an identity code's
        shape (``######-####``), never a character of it.
    """
    path = Path(path)
    limits = limits or IntakeLimits.from_env()
    schema = schema or load_schema()
    found = Findings(limits)
    names: list[str] = []
    try:
        _file_checks(path, found)
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = _container(zf, found)
    except _Abort:
        pass
    except (OSError, zipfile.BadZipFile):
        pass  # unreadable container: the reader reports it
    lang = lang_hint or _lang_of(schema, names)
    return IntakeResult(path, lang, _render(schema, lang, path, found.items, limits))


def _file_checks(path: Path, found: Findings) -> None:
    hits = find_identity_codes(path.name)
    if hits:
        found.add("file_name", "intake_file_name", ("file_name",), shape=hits[0].shape)
    if path.suffix.lower() in MACRO_EXTENSIONS:
        found.add("extension", "intake_extension", ("file",), ext=path.suffix.lower())
    if path.is_file() and path.stat().st_size > found.limits.max_file_bytes:
        size = path.stat().st_size
        found.add("size", "intake_file_size", ("file",), size=_mb(size), attr="max_file_bytes")
        raise _Abort


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}"


def _directory(zf: zipfile.ZipFile, found: Findings) -> list[zipfile.ZipInfo]:
    """Checks of the zip directory alone (nothing is decompressed)."""
    limits = found.limits
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_parts:
        found.add("size", "intake_parts", ("file",), n=len(infos), attr="max_parts")
        raise _Abort
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        found.add("size", "intake_unpacked", ("file",), size=_mb(total), attr="max_unpacked_bytes")
        raise _Abort
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            found.add(
                "size", "intake_ratio", ("part", i.filename), ratio=int(ratio), attr="max_ratio"
            )
        if i.flag_bits & 0x1:
            found.add("unreadable", "intake_damaged", ("part", i.filename), detail="encrypted")
    if any(f.reason in UNSAFE_REASONS for f in found.items):
        raise _Abort
    found.codes(zf.comment.decode("latin-1"), ("file",))
    for i in infos:
        _part_name(i.filename, found)
    return infos


def _part_name(name: str, found: Findings) -> None:
    low = name.lower()
    found.codes(name, ("part", name))
    if any(m in low for m in _MACRO_PARTS):
        found.add("macro", "intake_macro", ("part", name), detail=posixpath.basename(name))
    if any(m in low for m in _LINK_PARTS):
        found.add("external", "intake_external", ("part", name), detail=posixpath.basename(name))


class _Reader:
    """Streams parts with a byte cap shared by the whole file."""

    def __init__(self, zf: zipfile.ZipFile, found: Findings) -> None:
        self.zf = zf
        self.found = found
        self.total = 0

    def feed(self, info: zipfile.ZipInfo, part: Part) -> Part:
        """Stream ``info`` through ``part`` (XML) and return it."""
        parser = parser_for(part)
        try:
            for chunk in self._chunks(info):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except StopPart as exc:
            if str(exc) == "dtd":
                self._unreadable(info, "DTD")
        except expat.ExpatError:
            self.raw(info, part.loc)  # not well-formed: scan its text as it is
        return part

    def raw(self, info: zipfile.ZipInfo, loc: Loc) -> None:
        """Scan the bytes of a part as text (binary parts, damaged XML)."""
        import html

        tail = ""
        for chunk in self._chunks(info):
            text = tail + html.unescape(chunk.decode("latin-1"))
            self.found.codes(text, loc)
            tail = text[-40:]

    def _chunks(self, info: zipfile.ZipInfo) -> Any:
        limit = self.found.limits.max_unpacked_bytes
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(1 << 16):
                    self.total += len(chunk)
                    if self.total > limit:
                        size = _mb(self.total)
                        self.found.add(
                            "size",
                            "intake_unpacked",
                            ("file",),
                            size=size,
                            attr="max_unpacked_bytes",
                        )
                        raise _Abort
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            return  # damaged compressed data: no one can read it; the reader reports it

    def _unreadable(self, info: zipfile.ZipInfo, detail: str) -> None:
        self.found.add("unreadable", "intake_damaged", ("part", info.filename), detail=detail)


def _source_of(rels_name: str) -> str:
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _container(zf: zipfile.ZipFile, found: Findings) -> list[str]:
    """Every part, in an order that lets later parts be located (rels, workbook first)."""
    infos = _directory(zf, found)
    reader = _Reader(zf, found)
    by_name = {i.filename: i for i in infos}
    done: set[str] = set()
    rels: dict[str, list[Any]] = {}
    for i in infos:
        if i.filename == "[Content_Types].xml":
            reader.feed(i, ContentTypes(found, ("part", i.filename)))
            done.add(i.filename)
        elif i.filename.endswith(".rels"):
            part = reader.feed(i, Rels(found, ("part", i.filename)))
            rels[_source_of(i.filename)] = part.rels if isinstance(part, Rels) else []
            done.add(i.filename)
    sheets: dict[str, str] = {}
    names: list[str] = []
    for i in infos:
        if i.filename.endswith("workbook.xml") and i.filename not in done:
            wb = reader.feed(i, Workbook(found, ("part", i.filename)))
            targets = {r.rid: _resolve(i.filename, r.target) for r in rels.get(i.filename, [])}
            if isinstance(wb, Workbook):
                names += [n for n, _ in wb.sheets]
                sheets.update({targets.get(rid, ""): n for n, rid in wb.sheets})
            done.add(i.filename)
    comments = {
        _resolve(src, r.target): sheets[src]
        for src, lst in rels.items()
        if src in sheets
        for r in lst
        if "comment" in r.type.lower()
    }
    for i in infos:
        if i.filename.endswith("sharedStrings.xml"):
            reader.feed(i, SharedStrings(found, ("part", i.filename)))
            done.add(i.filename)
    for i in infos:
        if i.filename not in done:
            _scan_part(reader, i, found, sheets, comments)
    _unused_shared(found, by_name)
    return names


def _scan_part(
    reader: _Reader,
    info: zipfile.ZipInfo,
    found: Findings,
    sheets: dict[str, str],
    comments: dict[str, str],
) -> None:
    name = info.filename
    loc: Loc = ("part", name)
    if not name.lower().endswith(_XML_SUFFIXES):
        reader.raw(info, loc)
    elif name in sheets:
        reader.feed(info, Sheet(found, loc, sheets[name]))
    elif name in comments or "comments" in name.lower():
        reader.feed(info, Comments(found, loc, comments.get(name)))
    elif name.startswith("docProps/"):
        reader.feed(info, Props(found, loc))
    else:
        reader.feed(info, Part(found, loc))


def _unused_shared(found: Findings, by_name: dict[str, zipfile.ZipInfo]) -> None:
    """Codes in shared strings that no scanned cell uses: located as the part."""
    part = next((n for n in by_name if n.endswith("sharedStrings.xml")), "xl/sharedStrings.xml")
    for idx, shape in found.shared_codes.items():
        if idx not in found.shared_used:
            found.add("identity_code", "intake_identity_code", ("part", part), shape=shape)


def _lang_of(schema: Schema, names: list[str]) -> Lang:
    scores = {
        lang: len(set(names) & {*schema.sheet_names(lang), schema.text("instructions_sheet", lang)})
        for lang in LANGS
    }
    best = max(LANGS, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"


def _where(schema: Schema, lang: Lang, file: str, loc: Loc) -> str:
    kind, *rest = loc
    m = [mask_identity_codes(x) for x in rest]
    if kind == "cell":
        return schema.text("where_cell", lang, sheet=m[0], cell=m[1])
    if kind == "sheet":
        return schema.text("where_sheet", lang, sheet=m[0])
    if kind == "comment":
        return schema.text("where_comment", lang, sheet=m[0], cell=m[1])
    if kind == "part":
        return schema.text("where_part", lang, file=file, part=m[0])
    if kind == "name":
        return schema.text("where_name", lang, file=file, name=m[0])
    if kind == "props":
        return schema.text("where_props", lang, file=file, field=m[0])
    if kind == "sheet_name":
        return schema.text("where_sheet_name", lang, file=file)
    if kind == "file_name":
        return schema.text("where_file_name", lang)
    return schema.text("where_file", lang, file=file)


def _word(schema: Schema, lang: Lang, file: str, f: Finding, limits: IntakeLimits) -> IntakeProblem:
    kw: dict[str, Any] = {k: mask_identity_codes(str(v)) for k, v in f.kw}
    attr = kw.pop("attr", None)
    env = {
        "intake_rows": "max_rows",
        "intake_cell_length": "max_cell_chars",
    }.get(f.key, attr)
    if env is not None:
        kw.setdefault("max", str(limits.shown(env)))
        kw["env"] = ENV_OF[env]
    msg = schema.messages[f.key]
    return IntakeProblem(
        where=_where(schema, lang, file, f.loc),
        what=msg.what(lang).format(**kw),
        fix=msg.fix(lang).format(**kw),
        reason=f.reason,
    )


def _render(
    schema: Schema, lang: Lang, path: Path, findings: list[Finding], limits: IntakeLimits
) -> tuple[IntakeProblem, ...]:
    file = mask_identity_codes(path.name)
    out = [_word(schema, lang, file, f, limits) for f in findings[:MAX_LISTED]]
    if len(findings) > MAX_LISTED:
        last = out[-1]
        more = schema.text("intake_more", lang, n=len(findings) - MAX_LISTED)
        out.append(IntakeProblem(last.where, more, last.fix, last.reason))
    return tuple(out)
