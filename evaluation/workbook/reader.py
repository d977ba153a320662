"""Filled workbook -> :class:`SelfEvaluation`, with every problem located.

Reading never stops at the first problem and never returns a half-read workbook: either
all sheets pass every check and a :class:`SelfEvaluation` is returned, or a
:class:`LocalizedWorkbookError` lists every problem (sheet, cell, what, how to fix) in the
workbook's language.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from evaluation.errors import Problem
from evaluation.intake import IntakeLimits, inspect_workbook
from evaluation.privacy import (
    CODE_SHAPE,
    contains_identity_code,
    mask_identity_codes,
    normalise_text,
)
from evaluation.schema import (
    LANGS,
    OLDEST_READABLE,
    FieldSpec,
    Lang,
    Schema,
    Section,
    load_schema,
    version_key,
)
from evaluation.workbook.errors import LocalizedWorkbookError, RefusedWorkbookError
from evaluation.workbook.layout import (
    FIRST_ROW,
    FORM_ANSWER_COL,
    FORM_GUIDANCE_COL,
    FORM_IDS,
    HEADER_ROW,
    IDS_ROW,
    INSTRUCTIONS_KEY,
    KEY_COL,
    LISTS_SHEET,
    META_SHEET,
    ROW_KEY,
    column_header,
    first_data_col,
    table_columns,
)
from evaluation.workbook.model import SelfEvaluation, Value
from evaluation.workbook.xlsx import FastBook, Formula

Rows = list[tuple[Any, ...]]
_Loc = tuple[str, int | None, int | None]
_TEXT_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_LENGTH = re.compile(r"\{(\d+),(\d+)\}")


@dataclass
class _Ctx:
    """State of one read: schema, language and the problems found so far."""

    schema: Schema
    lang: Lang
    problems: list[Problem]

    def add(self, key: str, where: _Loc | str, **kw: Any) -> None:
        msg = self.schema.messages[key]
        kw = {k: mask_identity_codes(v) if isinstance(v, str) else v for k, v in kw.items()}
        self.problems.append(
            Problem(
                where=self.where(where),
                what=msg.what(self.lang).format(**kw),
                fix=msg.fix(self.lang).format(**kw),
            )
        )

    def where(self, loc: _Loc | str) -> str:
        """Location text of ``loc`` in the workbook's language."""
        if isinstance(loc, str):
            return mask_identity_codes(loc)
        sheet, row, col = loc
        sheet = mask_identity_codes(sheet)
        if row is None or col is None:
            return self.schema.text("where_sheet", self.lang, sheet=sheet)
        return self.schema.text(
            "where_cell", self.lang, sheet=sheet, cell=f"{get_column_letter(col)}{row}"
        )

    @staticmethod
    def at(sheet: str, row: int | None = None, col: int | None = None) -> _Loc:
        """A location, turned into text only if a problem is reported there."""
        return (sheet, row, col)


def indicator_names(schema: Schema) -> dict[str, str]:
    """Indicator id by its name in any language or by the id itself (case-folded keys):
    staff refer to indicators by the names they see on the indicator sheet."""
    out: dict[str, str] = {}
    for ind in schema.indicators:
        out[ind.id.casefold()] = ind.id
        for lang in LANGS:
            out[ind.name(lang).casefold()] = ind.id
    return out


def is_formula(raw: Any) -> bool:
    """Whether a cell value is a formula: a formula in the file, or text that starts with
    ``=`` once leading spaces, NBSP, tabs and zero-width characters are removed."""
    if isinstance(raw, Formula):
        return True
    return isinstance(raw, str) and normalise_text(raw).lstrip().startswith("=")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _cell(rows: Rows, r: int, c: int) -> Any:
    """Value at 1-based row ``r`` and column ``c`` (``None`` outside the data)."""
    if r - 1 < len(rows):
        row = rows[r - 1]
        if c - 1 < len(row):
            return row[c - 1]
    return None


def _date_text(day: dt.date, lang: Lang) -> str:
    """A date as staff write it (1.6.2017 in Finnish and Swedish), as the reports do."""
    from evaluation.reporting.i18n import translator  # the one rule for dates shown

    return translator(lang).date(day.isoformat())


def _show(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _kind(ctx: _Ctx, spec: FieldSpec) -> str:
    return ctx.schema.text(f"type_{spec.type}", ctx.lang)


def _convert(ctx: _Ctx, spec: FieldSpec, raw: Any, where: _Loc) -> tuple[bool, Value]:
    """Type one cell; on a problem record it and return ``(False, None)``."""
    if is_formula(raw):
        ctx.add("formula", where, formula=str(raw)[:40])
        return False, None
    lang = ctx.lang
    if spec.type == "date":
        if isinstance(raw, dt.datetime):
            if raw.time() == dt.time(0):
                return True, raw.date()
        elif isinstance(raw, dt.date):
            return True, raw
        elif isinstance(raw, str):
            s = raw.strip()
            m = _TEXT_DATE.match(s)
            try:
                if m:
                    return True, dt.date(int(m[3]), int(m[2]), int(m[1]))
                return True, dt.date.fromisoformat(s)
            except ValueError:
                pass
        ctx.add("wrong_type", where, value=_show(raw), type=_kind(ctx, spec))
        return False, None
    if spec.type in ("integer", "number"):
        num: float | None = None
        if isinstance(raw, bool | dt.date):
            num = None
        elif isinstance(raw, int | float):
            num = float(raw)
        elif isinstance(raw, str):
            try:
                num = float(raw.strip().replace(",", ".").replace("\u2212", "-"))
            except ValueError:
                num = None
        if num is None or num != num or (spec.type == "integer" and not num.is_integer()):
            ctx.add("wrong_type", where, value=_show(raw), type=_kind(ctx, spec))
            return False, None
        if (spec.min is not None and num < spec.min) or (spec.max is not None and num > spec.max):
            ctx.add(
                "out_of_range", where, value=_show(num), min=_show(spec.min), max=_show(spec.max)
            )
            return False, None
        return True, int(num) if spec.type == "integer" else num
    # text-like types
    text = _show(raw).strip()
    if spec.type == "code":
        cl = ctx.schema.codelist(spec.codelist or "")
        code = cl.code_of(text, lang)
        if code is None:
            choices = ", ".join(c.label(lang) for c in cl.codes)
            ctx.add("unknown_code", where, value=text, choices=choices)
            return False, None
        return True, code
    if spec.type == "indicator_refs":
        given = [p.strip() for p in text.split(",") if p.strip()]
        known = indicator_names(ctx.schema)
        ids = [known.get(p.casefold(), "") for p in given]
        bad = [p for p, i in zip(given, ids, strict=True) if not i]
        if bad:
            sheet = ctx.schema.section("indicators").sheet(lang)
            ctx.add("unknown_indicator", where, value=", ".join(bad), sheet=sheet)
            return False, None
        return True, ", ".join(ids)
    if contains_identity_code(text):  # the intake refuses it first; a second guard
        ctx.add("personal_id", where, shape=CODE_SHAPE)
        return False, None
    if spec.max_length is not None and len(text) > spec.max_length:
        ctx.add("too_long", where, n=len(text), max=spec.max_length)
        return False, None
    if spec.pattern is not None and not re.match(spec.pattern, text):
        m = _LENGTH.search(spec.pattern)
        length = f"{m[1]}–{m[2]}" if m else "1–50"
        ctx.add("bad_pattern", where, value=text, field=spec.label(lang), length=length)
        return False, None
    return True, text


# -- sheets --------------------------------------------------------------------------
def _check_ids(
    ctx: _Ctx, rows: Rows, sheet: str, section: Section, expected: Sequence[str]
) -> bool:
    """Compare the hidden field-id row with the schema; report the first difference (by
    the header a person sees, never the internal id)."""
    for j, fid in enumerate(expected, start=2):
        found = _cell(rows, IDS_ROW, j)
        if found != fid:
            hdr = _cell(rows, HEADER_ROW, j)
            ctx.add(
                "header_changed",
                ctx.at(sheet, HEADER_ROW, j),
                expected=column_header(ctx.schema, section, fid, ctx.lang),
                found=_show(hdr if hdr is not None else found or ""),
            )
            return False
    return True


def _read_form(ctx: _Ctx, section: Section, rows: Rows, sheet: str) -> dict[str, Value] | None:
    if not _check_ids(ctx, rows, sheet, section, FORM_IDS):
        return None
    _outside(
        ctx, rows, sheet, first_row=FIRST_ROW + len(section.fields), last_col=FORM_GUIDANCE_COL
    )
    answers: dict[str, Value] = {}
    if all(_blank(_cell(rows, FIRST_ROW + i, FORM_ANSWER_COL)) for i in range(len(section.fields))):
        # an untouched form: the caller reports the empty section once
        return dict.fromkeys(section.field_ids)
    for i, spec in enumerate(section.fields):
        r = FIRST_ROW + i
        key = _cell(rows, r, KEY_COL)
        if key != spec.id:
            ctx.add(
                "header_changed",
                ctx.at(sheet, r, 2),
                expected=spec.label(ctx.lang),
                found=_show(_cell(rows, r, 2) or ""),
            )
            return None
        raw = _cell(rows, r, FORM_ANSWER_COL)
        where = ctx.at(sheet, r, FORM_ANSWER_COL)
        if _blank(raw):
            answers[spec.id] = None
            if spec.required:
                ctx.add(
                    "required",
                    where,
                    field=spec.label(ctx.lang),
                    type=ctx.schema.text(f"type_{spec.type}", ctx.lang),
                )
            continue
        answers[spec.id] = _convert(ctx, spec, raw, where)[1]
    for d in section.date_order:
        a, b = answers.get(d.earlier), answers.get(d.later)
        if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
            r = FIRST_ROW + section.field_ids.index(d.later)
            ctx.add(
                "date_order",
                ctx.at(sheet, r, FORM_ANSWER_COL),
                later=section.field(d.later).label(ctx.lang),
                later_value=_date_text(b, ctx.lang),
                earlier=section.field(d.earlier).label(ctx.lang),
                earlier_value=_date_text(a, ctx.lang),
            )
    return answers


def _outside(ctx: _Ctx, rows: Rows, sheet: str, *, first_row: int | None, last_col: int) -> None:
    """Report content typed outside the template's table (right of it, or below fixed rows)."""
    hits: list[tuple[int, int]] = []
    for r in range(FIRST_ROW, len(rows) + 1):
        row = rows[r - 1]
        for c, v in enumerate(row, start=1):
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            below = first_row is not None and r >= first_row and c > KEY_COL
            if c > last_col or below:
                hits.append((r, c))
    if hits:
        r, c = hits[0]
        ctx.add("outside", ctx.at(sheet), n=len(hits), cell=f"{get_column_letter(c)}{r}")


def _check_wave_order(
    ctx: _Ctx, section: Section, rows: list[_Row], sheet: str, start: int
) -> None:
    """Dates must increase with the wave (e.g. follow-up after baseline) within a group."""
    w = section.wave_order
    if w is None:
        return
    wave_codes = ctx.schema.codelist(section.field(w.wave).codelist or "")
    rank = {c: i for i, c in enumerate(wave_codes.ids)}
    by_group: dict[Value, list[_Row]] = {}
    for row in rows:
        g, wv, d = (row.record.get(k) for k in (w.group, w.wave, w.date))
        if g is not None and isinstance(wv, str) and isinstance(d, dt.date):
            by_group.setdefault(g, []).append(row)
    col = start + section.field_ids.index(w.date)
    for g, group in by_group.items():
        ordered = sorted(group, key=lambda x: rank[str(x.record[w.wave])])
        for prev, cur in itertools.pairwise(ordered):
            d0, d1 = prev.record[w.date], cur.record[w.date]
            w0, w1 = str(prev.record[w.wave]), str(cur.record[w.wave])
            if (
                rank[w0] < rank[w1]
                and isinstance(d0, dt.date)
                and isinstance(d1, dt.date)
                and d1 <= d0
            ):
                ctx.add(
                    "wave_order",
                    ctx.at(sheet, cur.number, col),
                    wave=wave_codes.label_of(w1, ctx.lang),
                    date=_date_text(d1, ctx.lang),
                    previous=wave_codes.label_of(w0, ctx.lang),
                    previous_date=_date_text(d0, ctx.lang),
                    group=g,
                )


@dataclass(frozen=True)
class _Row:
    number: int
    record: dict[str, Value]
    raw: tuple[Any, ...]


def _read_table(ctx: _Ctx, section: Section, rows: Rows, sheet: str) -> list[_Row] | None:
    schema, lang = ctx.schema, ctx.lang
    if not _check_ids(ctx, rows, sheet, section, table_columns(section)):
        return None
    start = first_data_col(section)
    out: list[_Row] = []
    fixed = schema.codelist(section.rows_from).codes if section.rows_from else None
    last = len(rows) if fixed is None else FIRST_ROW + len(fixed) - 1
    for r in range(FIRST_ROW, max(last, FIRST_ROW - 1) + 1):
        raws = [_cell(rows, r, start + k) for k in range(len(section.fields))]
        rec: dict[str, Value] = {}
        if fixed is not None:
            code = fixed[r - FIRST_ROW]
            if _cell(rows, r, KEY_COL) != code.code:
                ctx.add(
                    "header_changed",
                    ctx.at(sheet, r, 2),
                    expected=code.label(lang),
                    found=_show(_cell(rows, r, 2) or ""),
                )
                return None
            rec[ROW_KEY] = code.code
            rec.update({a: code.attrs[a] for a in section.row_attrs})
        blank_row = all(_blank(v) for v in raws)
        if blank_row and fixed is None:
            continue  # a free table's blank row; a fixed row's required answers are checked
        for k, (spec, raw) in enumerate(zip(section.fields, raws, strict=True)):
            if _blank(raw):
                rec[spec.id] = None
                continue
            _, rec[spec.id] = _convert(ctx, spec, raw, ctx.at(sheet, r, start + k))
        # required and conditionally required fields (only if the cell was blank)
        for k, (spec, raw) in enumerate(zip(section.fields, raws, strict=True)):
            if not _blank(raw):
                continue
            where = ctx.at(sheet, r, start + k)
            if spec.required:
                ctx.add(
                    "required",
                    where,
                    field=spec.label(lang),
                    type=schema.text(f"type_{spec.type}", lang),
                )
            elif spec.required_if is not None and spec.required_if.holds(rec):
                other = section.field(spec.required_if.field).label(lang)
                ctx.add("required_if", where, field=spec.label(lang), other=other)
        for d in section.date_order:
            a, b = rec.get(d.earlier), rec.get(d.later)
            if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
                col = start + section.field_ids.index(d.later)
                ctx.add(
                    "date_order",
                    ctx.at(sheet, r, col),
                    later=section.field(d.later).label(lang),
                    later_value=_date_text(b, ctx.lang),
                    earlier=section.field(d.earlier).label(lang),
                    earlier_value=_date_text(a, ctx.lang),
                )
        if not blank_row:
            out.append(_Row(r, rec, tuple(raws)))
    _outside(
        ctx,
        rows,
        sheet,
        first_row=last + 1 if fixed is not None else None,
        last_col=start + len(section.fields) - 1,
    )
    if section.wave_order is not None:
        _check_wave_order(ctx, section, out, sheet, start)
    # uniqueness (single fields and combinations)
    groups: list[tuple[str, ...]] = [(f.id,) for f in section.fields if f.unique]
    groups += [g for g in section.unique_together if g not in groups]
    for g in groups:
        seen: dict[tuple[Value, ...], int] = {}
        for row in out:
            key = tuple(row.record.get(f) for f in g)
            if any(v is None for v in key):
                continue
            if key in seen:
                col = start + section.field_ids.index(g[0])
                ctx.add(
                    "duplicate",
                    ctx.at(sheet, row.number, col),
                    value=" / ".join(_show(v) for v in key),
                    other_row=seen[key],
                    fields=" + ".join(section.field(f).label(lang) for f in g),
                )
            else:
                seen[key] = row.number
    return out


# -- workbook ------------------------------------------------------------------------
def _detect_lang(schema: Schema, names: Sequence[str], meta: Rows | None) -> Lang:
    if meta is not None:
        for row in meta:
            if len(row) >= 2 and row[0] == "lang" and row[1] in LANGS:
                return row[1]  # type: ignore[no-any-return]
    scores = {
        lang: len(set(names) & {*schema.sheet_names(lang), schema.text("instructions_sheet", lang)})
        for lang in LANGS
    }
    best = max(LANGS, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"


def _fail(path: Path, key: str, **kw: Any) -> LocalizedWorkbookError:
    schema = load_schema()
    ctx = _Ctx(schema, "en", [])
    ctx.add(key, schema.text("where_file", "en", file=path.name), **kw)
    return LocalizedWorkbookError(str(path), ctx.problems, lang="en")


def _precheck(path: Path) -> None:
    """Refuse missing, empty and non-zip files with one located problem."""
    if not path.is_file():
        raise _fail(path, "not_found")
    if path.stat().st_size == 0:
        raise _fail(path, "empty_file")
    if not zipfile.is_zipfile(path):
        raise _fail(path, "not_xlsx", detail="not a zip container")


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:160]


def refuse_if_needed(path: Path, *, limits: IntakeLimits | None = None) -> None:
    """Run the intake on ``path``; raise :class:`RefusedWorkbookError` if it refuses it."""
    result = inspect_workbook(path, limits=limits)
    if result.refused:
        raise RefusedWorkbookError(
            mask_identity_codes(str(path)), result.problems, lang=result.lang
        )


def read_workbook(
    path: str | Path,
    *,
    schema: Schema | None = None,
    limits: IntakeLimits | None = None,
    any_version: bool = False,
) -> SelfEvaluation:
    """Read a filled self-evaluation workbook into a :class:`SelfEvaluation`.

    Parameters
    ----------
    path:
        The ``.xlsx`` file made by :func:`write_template` and filled by the pilot.
    schema:
        Schema to check against (default: the shipped one).
    limits:
        Limits of the intake (default: :meth:`IntakeLimits.from_env`).
    any_version:
        Read a workbook made from another template version as far as it matches this one
        (``pilot-eval template upgrade``); by default another version is a problem.

    Returns
    -------
    SelfEvaluation
        The typed content; ``.tables()`` gives tidy DataFrames, ``.indicators()`` the
        indicators computed from the client sheet, ``.to_json()`` JSON.

    Raises
    ------
    LocalizedWorkbookError
        With every problem found, each naming sheet and cell, in the workbook's language.
        Nothing is returned for a workbook with problems.
    RefusedWorkbookError
        If the intake refuses the file (identity codes, macros, links, limits); it runs
        before anything is parsed.
    """
    path = Path(path)
    schema = schema or load_schema()
    refuse_if_needed(path, limits=limits)
    _precheck(path)
    # fast path: our own cell-value parser; any surprise falls back to openpyxl
    try:
        fast = FastBook(path)
    except Exception:
        fast = None
    if fast is not None:
        try:
            return _parse(path, schema, fast, any_version=any_version)
        except LocalizedWorkbookError:
            raise
        except Exception:
            pass
        finally:
            fast.close()
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise _fail(path, "not_xlsx", detail=_detail(exc)) from None
    try:
        return _parse(path, schema, _Book(wb), any_version=any_version)
    except LocalizedWorkbookError:
        raise
    except Exception as exc:  # damaged sheet XML inside a valid zip
        raise _fail(path, "not_xlsx", detail=_detail(exc)) from None
    finally:
        wb.close()


class _Book:
    """Lazy access to the sheets of an open read-only workbook (parse only what is used)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.names: list[str] = list(wb.sheetnames)

    def rows(self, name: str) -> Rows:
        return [tuple(r) for r in self.wb[name].iter_rows(values_only=True)]

    def key(self, name: str) -> Any:
        for row in self.wb[name].iter_rows(min_row=1, max_row=1, max_col=1, values_only=True):
            return row[0] if row else None
        return None


def _parse(
    path: Path, schema: Schema, book: _Book | FastBook, *, any_version: bool = False
) -> SelfEvaluation:
    names = book.names
    meta_rows = book.rows(META_SHEET) if META_SHEET in names else None
    lang = _detect_lang(schema, names, meta_rows)
    full = schema
    version, pilot = _meta_version(meta_rows, schema), ""
    readable = _reads_as_older(version, schema)
    if readable:
        schema = schema.as_of(version)
    ctx = _Ctx(schema, lang, [])
    # expected sheets by key (A1): sections, instructions, lists and meta
    expected: dict[str, str] = {INSTRUCTIONS_KEY: schema.text("instructions_sheet", lang)}
    expected.update({s.id: s.sheet(lang) for s in schema.sections})
    expected.update({LISTS_SHEET: LISTS_SHEET, META_SHEET: META_SHEET})
    by_name = {v: k for k, v in expected.items()}
    found: dict[str, str] = {}  # key -> actual sheet name
    unknown: list[str] = []
    for n in names:
        if n in by_name:
            found[by_name[n]] = n
        else:
            unknown.append(n)
    for n in unknown:
        key = book.key(n)
        if isinstance(key, str) and key in expected and key not in found:
            found[key] = n
            ctx.add("renamed_sheet", ctx.at(n), found=n, expected=expected[key])
        else:
            ctx.add("extra_sheet", ctx.at(n), sheet=n)
    for key, name in expected.items():
        if key not in found:
            ctx.add("missing_sheet", ctx.at(name), sheet=name)
    # meta
    if META_SHEET in found:
        rows_meta = meta_rows if found[META_SHEET] == META_SHEET else book.rows(found[META_SHEET])
        meta = {r[0]: r[1] for r in rows_meta or [] if len(r) >= 2}
        pilot = str(meta.get("pilot") or "")
        version = str(meta.get("schema_version") or schema.version)
    if version != full.version and not any_version and not readable:
        where = ctx.at(found.get(INSTRUCTIONS_KEY, expected[INSTRUCTIONS_KEY]))
        older = version_key(version) < version_key(full.version)
        ctx.add(
            "old_version" if older else "new_version",
            where,
            found=version,
            current=full.version,
            file=path.name,
        )
    # sections
    forms: dict[str, dict[str, Value]] = {}
    tables: dict[str, list[_Row]] = {}
    for s in schema.sections:
        if s.id not in found or s.kind == "reference":
            continue
        name = found[s.id]
        rows = book.rows(name)
        if s.kind == "form":
            answers = _read_form(ctx, s, rows, name)
            if answers is None:
                continue
            forms[s.id] = answers
            if s.required and all(v is None for v in answers.values()):
                ctx.add("section_empty", ctx.at(name), section=name)
        else:
            table = _read_table(ctx, s, rows, name)
            if table is None:
                continue
            tables[s.id] = table
            if s.required and not table:
                ctx.add("section_empty", ctx.at(name), section=name)
    _cross_checks(ctx, schema, tables, found)
    if not pilot:
        stem = "" if contains_identity_code(path.stem) else path.stem
        pilot = str(forms.get("pilot", {}).get("pilot_name") or stem)
    if ctx.problems:
        raise LocalizedWorkbookError(str(path), ctx.problems, lang=lang)
    notes = _older_notes(full, version, lang) if readable else ()
    return SelfEvaluation(
        pilot=pilot,
        lang=lang,
        forms=forms,
        records={k: tuple(r.record for r in v) for k, v in tables.items()},
        schema_version=version,
        schema=full,
        notes=notes,
    )


def _meta_version(meta_rows: Rows | None, schema: Schema) -> str:
    """The template version the meta sheet records (the current one if none)."""
    meta = {r[0]: r[1] for r in meta_rows or [] if len(r) >= 2}
    return str(meta.get("schema_version") or schema.version)


def _reads_as_older(version: str, schema: Schema) -> bool:
    """An older workbook from :data:`OLDEST_READABLE` on reads without the later additions."""
    key = version_key(version)
    return version_key(OLDEST_READABLE) <= key < version_key(schema.version)


def _older_notes(schema: Schema, version: str, lang: Lang) -> tuple[str, ...]:
    """One note: what an older workbook lacks and how to add it."""
    added = schema.added_since(version, lang)
    if not added:
        return ()
    return (
        schema.text(
            "older_template_note",
            lang,
            found=version,
            current=schema.version,
            added="; ".join(added),
        ),
    )


def _cross_checks(
    ctx: _Ctx, schema: Schema, tables: dict[str, list[_Row]], found: dict[str, str]
) -> None:
    """References between sheets (e.g. self-assessment client ids)."""
    for s in schema.sections:
        if s.id not in tables:
            continue
        start = first_data_col(s)
        for k, spec in enumerate(s.fields):
            if spec.references is None:
                continue
            ref_s, _, ref_f = spec.references.partition(".")
            if ref_s not in tables:
                continue  # the referenced sheet is missing or broken: already reported
            ref_k = schema.section(ref_s).field_ids.index(ref_f)
            # invalid ids were reported where they are typed: do not report them again here
            known = {r.record.get(ref_f) for r in tables[ref_s]}
            known |= {_show(r.raw[ref_k]).strip() for r in tables[ref_s] if r.raw[ref_k]}
            for row in tables[s.id]:
                v = row.record.get(spec.id)
                if v is not None and v not in known:
                    ctx.add(
                        "unknown_reference",
                        ctx.at(found[s.id], row.number, start + k),
                        value=v,
                        sheet=found[ref_s],
                    )


def problems_of(path: str | Path) -> list[Problem]:
    """Every problem of a workbook (empty list if it reads cleanly); never raises them."""
    try:
        read_workbook(path)
    except LocalizedWorkbookError as exc:
        return list(exc.problems)
    return []


@dataclass(frozen=True)
class Submissions:
    """Several workbooks read at once: the clean ones and the errors of the others.

    Nothing is dropped silently: every file is either in ``evaluations`` or in ``errors``.
    """

    evaluations: tuple[SelfEvaluation, ...]
    errors: tuple[LocalizedWorkbookError, ...]

    def indicators(self) -> pd.DataFrame:
        """Indicators of every clean workbook, stacked (columns as in ``IndicatorResult``)."""
        frames = [ev.indicators().tidy() for ev in self.evaluations]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def scores(self) -> pd.DataFrame:
        """Self-assessment scores of every clean workbook, stacked."""
        frames = [ev.scores() for ev in self.evaluations]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def problems(self) -> pd.DataFrame:
        """Every problem of the workbooks that could not be read: ``file, where, what, fix``."""
        rows = [
            {"file": Path(e.source).name, "where": p.where, "what": p.what, "fix": p.fix}
            for e in self.errors
            for p in e.problems
        ]
        return pd.DataFrame(rows, columns=["file", "where", "what", "fix"])

    def summary(self) -> str:
        """One line per workbook."""
        lines = [
            f"{ev.pilot}: read, {len(ev.records.get('clients', ()))} clients"
            for ev in self.evaluations
        ]
        lines += [f"{Path(e.source).name}: {len(e.problems)} problem(s)" for e in self.errors]
        return "\n".join(lines)


def read_workbooks(paths: Iterable[str | Path]) -> Submissions:
    """Read several workbooks; clean ones become evaluations, the others keep their errors."""
    good: list[SelfEvaluation] = []
    bad: list[LocalizedWorkbookError] = []
    for p in paths:
        try:
            good.append(read_workbook(p))
        except LocalizedWorkbookError as exc:
            bad.append(exc)
    return Submissions(tuple(good), tuple(bad))
