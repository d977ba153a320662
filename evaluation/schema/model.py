"""Typed model of the self-evaluation schema.

The schema is *data*: its content (sections, fields, code lists, the indicator dictionary,
instruments and all fi/sv/en labels) lives in the YAML files of ``evaluation/schema/content``
and is parsed into the frozen pydantic models below. The workbook writer and reader, the
indicator computation and (later) the Great Expectations suites are all driven by it, so
adding a section is a matter of adding YAML, not code.

This module imports nothing else of ours except the named errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, get_args

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.errors import SchemaError

Lang = Literal["fi", "sv", "en"]
#: Supported languages, in display order.
LANGS: tuple[Lang, ...] = get_args(Lang)

FieldType = Literal["text", "integer", "number", "date", "code", "indicator_refs"]
SectionKind = Literal["form", "table", "reference"]
Op = Literal["notnull", "isnull", "eq", "ne", "in", "notin", "ge", "le", "gt", "lt"]
ComputeKind = Literal["count", "share", "mean", "within_months"]
Unit = Literal["count", "percent", "mean"]
ScoreMethod = Literal["item", "rescaled_mean", "mean_of_scores"]
TestKind = Literal["mannwhitney", "ttest"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A text in the three languages."""

    fi: str
    sv: str
    en: str

    def __call__(self, lang: Lang) -> str:
        """Return the text in ``lang``."""
        return str(getattr(self, lang))


class Code(_Frozen):
    """One allowed value of a code list.

    ``attrs`` carries extra properties (e.g. the theme and dimension of a criterion), each a
    code of another code list. ``since`` is the schema version that added the code (a
    workbook of an older version is read without it, see :meth:`Schema.as_of`).
    """

    code: str
    label: Text
    attrs: dict[str, str] = Field(default_factory=dict)
    since: str | None = None


class CodeList(_Frozen):
    """A named list of codes; in the workbook it becomes a drop-down of labels."""

    id: str
    label: Text
    codes: tuple[Code, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The code ids in order."""
        return tuple(c.code for c in self.codes)

    def label_of(self, code: str, lang: Lang) -> str:
        """Label of ``code`` in ``lang``."""
        for c in self.codes:
            if c.code == code:
                return c.label(lang)
        raise KeyError(code)

    def code_of(self, text: str, lang: Lang) -> str | None:
        """Code whose label in ``lang`` (or whose id) equals ``text``; ``None`` if unknown.

        Matching ignores case and surrounding spaces.
        """
        key = text.strip().casefold()
        for c in self.codes:
            if c.label(lang).strip().casefold() == key or c.code.casefold() == key:
                return c.code
        return None


class Condition(_Frozen):
    """A row condition ``field op value`` used by ``required_if`` and indicator filters."""

    field: str
    op: Op
    value: Any = None

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows of ``frame`` meeting the condition (missing = False)."""
        col = frame[self.field]
        if self.op == "notnull":
            return col.notna()
        if self.op == "isnull":
            return col.isna()
        if self.op in ("in", "notin"):
            hit = col.isin(list(self.value))
            out = hit if self.op == "in" else ~hit & col.notna()
            return out.fillna(False).astype(bool)
        ops = {
            "eq": col.eq,
            "ne": col.ne,
            "ge": col.ge,
            "le": col.le,
            "gt": col.gt,
            "lt": col.lt,
        }
        res = ops[self.op](self.value)
        return (res & col.notna()).fillna(False).astype(bool)

    def holds(self, row: dict[str, Any]) -> bool:
        """Whether the condition holds for one record (a mapping of field -> value)."""
        v = row.get(self.field)
        if self.op == "notnull":
            return v is not None
        if self.op == "isnull":
            return v is None
        if v is None:
            return False
        if self.op == "in":
            return v in self.value
        if self.op == "notin":
            return v not in self.value
        if self.op == "eq":
            return bool(v == self.value)
        if self.op == "ne":
            return bool(v != self.value)
        if self.op == "ge":
            return bool(v >= self.value)
        if self.op == "le":
            return bool(v <= self.value)
        if self.op == "gt":
            return bool(v > self.value)
        return bool(v < self.value)


class FieldSpec(_Frozen):
    """One question of a form or one column of a table.

    Attributes
    ----------
    type:
        ``text``, ``integer``, ``number``, ``date``, ``code`` (one code of ``codelist``) or
        ``indicator_refs`` (comma-separated ids of the indicator dictionary).
    required:
        In a form: the answer is required. In a table: required in every non-empty row.
    required_if:
        Required in rows where this condition holds (e.g. a justification for a rating).
    min, max:
        Inclusive range of numbers and integers.
    unique:
        Values must not repeat within the table.
    references:
        ``"section.field"`` whose values this field must match (e.g. a client id).
    pseudonymous:
        The value is a pseudonymous id; a Finnish personal identity code is refused.
    since:
        The schema version that added the field; older workbooks are read without it.
    """

    id: str
    type: FieldType
    label: Text
    help: Text | None = None
    required: bool = False
    required_if: Condition | None = None
    codelist: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    unique: bool = False
    references: str | None = None
    pseudonymous: bool = False
    width: int = 18
    since: str | None = None


class DateOrder(_Frozen):
    """Within a row, ``earlier`` must not be after ``later``."""

    earlier: str
    later: str


class WaveOrder(_Frozen):
    """Across rows: for each ``group`` value, ``date`` must increase in the order of the
    codes of ``wave``'s code list (e.g. a follow-up after the baseline)."""

    group: str
    wave: str
    date: str


class Section(_Frozen):
    """One sheet of the workbook.

    ``form`` sections are question/answer lists; ``table`` sections have one row per record,
    either free rows (up to ``max_rows``) or one fixed row per code of ``rows_from`` (the
    code's attributes in ``row_attrs`` are shown as locked columns); ``reference`` sections
    are generated read-only sheets (e.g. the indicator dictionary). ``instrument`` appends the
    items of that instrument as integer columns. ``since`` is the schema version that added
    the sheet; older workbooks are read without it.
    """

    id: str
    kind: SectionKind
    sheet: Text
    title: Text
    instructions: Text
    required: bool = False
    fields: tuple[FieldSpec, ...] = ()
    rows_from: str | None = None
    row_label: Text | None = None
    row_attrs: tuple[str, ...] = ()
    max_rows: int = 50
    unique_together: tuple[tuple[str, ...], ...] = ()
    date_order: tuple[DateOrder, ...] = ()
    wave_order: WaveOrder | None = None
    instrument: str | None = None
    since: str | None = None

    def field(self, field_id: str) -> FieldSpec:
        """The field with id ``field_id``."""
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def field_ids(self) -> tuple[str, ...]:
        """Field ids in sheet order."""
        return tuple(f.id for f in self.fields)


class EsfMapping(_Frozen):
    """Link of an indicator to an EU ESF+ common indicator (Reg. (EU) 2021/1057, Annex I)."""

    code: str
    name: str
    relation: Literal["exact", "approximate"]
    note: Text | None = None


class Compute(_Frozen):
    """How an indicator is computed from a table of the workbook.

    * ``count``: rows meeting ``where``;
    * ``share``: rows meeting ``where`` and ``numerator`` over rows meeting ``where``, in %;
    * ``mean``: mean of ``field`` over rows meeting ``where`` (missing values excluded);
    * ``within_months``: among rows whose ``start`` date is at least ``months`` calendar
      months before the report date (a complete follow-up window), the share whose ``event``
      date falls within ``[start, start + months]``.
    """

    kind: ComputeKind
    table: str
    where: tuple[Condition, ...] = ()
    numerator: tuple[Condition, ...] = ()
    field: str | None = None
    start: str | None = None
    event: str | None = None
    months: int | None = None


class Indicator(_Frozen):
    """One entry of the shared indicator dictionary."""

    id: str
    domain: str
    #: The seed line the indicator answers (``"002 l.1041: ..."``: file ``002_…``, line 1041).
    seed_source: str
    name: Text
    definition: Text
    numerator: Text
    denominator: Text | None = None
    unit: Unit
    period: Text
    disaggregations: tuple[str, ...] = ()
    data_source: Text
    esf_plus: tuple[EsfMapping, ...] = ()
    compute: Compute


class InstrumentItem(_Frozen):
    """One question of a self-assessment instrument, answered on an integer scale."""

    id: str
    label: Text
    min: int
    max: int
    since: str | None = None


class Score(_Frozen):
    """A score of an instrument.

    ``item``: the answer of one item; ``rescaled_mean``: the mean of ``items`` rescaled
    linearly from the items' range to ``[min, max]`` (computed only when all items are
    answered); ``mean_of_scores``: the mean of other scores (all must be present).
    ``test`` is the two-group test used when comparing groups (Mann-Whitney for short
    ordinal scales, t-test otherwise, as in the seed report's Table 12).
    """

    id: str
    label: Text
    method: ScoreMethod
    items: tuple[str, ...]
    min: float
    max: float
    test: TestKind = "ttest"


class Instrument(_Frozen):
    """A configurable self-assessment instrument (items, scales and scoring)."""

    id: str
    name: Text
    description: Text
    items: tuple[InstrumentItem, ...]
    scores: tuple[Score, ...]

    def item(self, item_id: str) -> InstrumentItem:
        """The item with id ``item_id``."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


class Message(_Frozen):
    """A localised problem message: ``what`` and ``fix`` are format strings."""

    what: Text
    fix: Text


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _instrument_as_of(inst: Instrument, keep: Callable[[str | None], bool]) -> Instrument:
    """The instrument without the items ``keep`` rejects; scores use the items left."""
    items = tuple(i for i in inst.items if keep(i.since))
    ids = {i.id for i in items} | {s.id for s in inst.scores}
    scores = tuple(
        s.model_copy(update={"items": tuple(i for i in s.items if i in ids)}) for s in inst.scores
    )
    return inst.model_copy(update={"items": items, "scores": scores})


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10"`` -> ``(1, 10)``; anything unreadable sorts first."""
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (-1,)


def plural_category(lang: str, n: object) -> str:
    """The CLDR plural category (``"one"``, ``"other"``, ...) of count ``n`` in ``lang``."""
    from babel import Locale

    try:
        return str(Locale.parse(lang).plural_form(float(str(n))))
    except (ValueError, TypeError):
        return "other"


class Schema(_Frozen):
    """The whole self-evaluation schema: the single source of truth of the template."""

    version: str
    ui: dict[str, Text]
    messages: dict[str, Message]
    codelists: dict[str, CodeList]
    sections: tuple[Section, ...]
    indicators: tuple[Indicator, ...]
    instruments: tuple[Instrument, ...]

    # -- look-ups ----------------------------------------------------------------------
    def section(self, section_id: str) -> Section:
        """The section with id ``section_id``."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def codelist(self, codelist_id: str) -> CodeList:
        """The code list with id ``codelist_id``."""
        return self.codelists[codelist_id]

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with id ``indicator_id``."""
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def instrument(self, instrument_id: str) -> Instrument:
        """The instrument with id ``instrument_id``."""
        for i in self.instruments:
            if i.id == instrument_id:
                return i
        raise KeyError(instrument_id)

    def text(self, key: str, lang: Lang, **kwargs: Any) -> str:
        """A user-interface string in ``lang``, formatted with ``kwargs``.

        With a count ``n``, the singular form ``<key>_one`` is used where the language's
        plural rule says "one" (:func:`plural_category`) and the catalogue has it.
        """
        singular = f"{key}_one"
        if singular in self.ui and plural_category(lang, kwargs.get("n", "")) == "one":
            key = singular
        return self.ui[key](lang).format(**kwargs)

    def as_of(self, version: str) -> Schema:
        """The schema as a workbook of ``version`` has it: without the sheets, columns and
        fixed rows added after that version (their ``since`` is newer)."""

        def older(since: str | None) -> bool:
            return since is None or version_key(since) <= version_key(version)

        codelists = {
            k: cl.model_copy(update={"codes": tuple(c for c in cl.codes if older(c.since))})
            for k, cl in self.codelists.items()
        }
        sections = tuple(
            s.model_copy(update={"fields": tuple(f for f in s.fields if older(f.since))})
            for s in self.sections
            if older(s.since)
        )
        instruments = tuple(_instrument_as_of(i, older) for i in self.instruments)
        return self.model_copy(
            update={"codelists": codelists, "sections": sections, "instruments": instruments}
        )

    def added_since(self, version: str, lang: Lang) -> tuple[str, ...]:
        """Sheets and columns added after ``version``, as ``"sheet"`` or
        ``"sheet: column"`` in ``lang`` (what an older workbook lacks)."""
        old = self.as_of(version)
        old_ids = {s.id: set(s.field_ids) for s in old.sections}
        out: list[str] = []
        for s in self.sections:
            if s.id not in old_ids:
                out.append(s.sheet(lang))
                continue
            out += [
                f"{s.sheet(lang)}: {f.label(lang)}" for f in s.fields if f.id not in old_ids[s.id]
            ]
            if s.rows_from:
                new_rows = len(self.codelist(s.rows_from).codes) - len(
                    old.codelist(s.rows_from).codes
                )
                if new_rows:
                    out.append(f"{s.sheet(lang)}: {self.text('added_rows', lang, n=new_rows)}")
        return tuple(out)

    def sheet_names(self, lang: Lang) -> tuple[str, ...]:
        """Names of the data and reference sheets in ``lang``, in workbook order."""
        return tuple(s.sheet(lang) for s in self.sections)

    def field_table(self) -> pd.DataFrame:
        """Every field as one row: the contract a data-quality suite can be built from.

        Columns: ``section, field, type, required, required_if, codes, min, max,
        max_length, pattern, unique, references``; ``codes`` is a tuple of allowed code ids
        (empty unless the field is coded).
        """
        rows = []
        for s in self.sections:
            for f in s.fields:
                codes = self.codelists[f.codelist].ids if f.codelist else ()
                rows.append(
                    {
                        "section": s.id,
                        "field": f.id,
                        "type": f.type,
                        "required": f.required,
                        "required_if": (
                            None
                            if f.required_if is None
                            else f"{f.required_if.field} {f.required_if.op} {f.required_if.value}"
                        ),
                        "codes": codes,
                        "min": f.min,
                        "max": f.max,
                        "max_length": f.max_length,
                        "pattern": f.pattern,
                        "unique": f.unique,
                        "references": f.references,
                    }
                )
        out = pd.DataFrame(rows)
        out["max_length"] = out["max_length"].astype("Int64")
        return out

    # -- consistency -------------------------------------------------------------------
    @model_validator(mode="after")
    def _consistent(self) -> Schema:
        errs: list[str] = []
        dropdowns = {f.codelist for s in self.sections for f in s.fields if f.codelist}
        for cid, cl in self.codelists.items():
            if cid != cl.id:
                errs.append(f"code list key {cid!r} differs from its id {cl.id!r}")
            if len(set(cl.ids)) != len(cl.ids):
                errs.append(f"code list {cid!r} repeats a code")
            if cid not in dropdowns:
                continue  # fixed-row lists (criteria) may repeat a question across themes
            for lang in LANGS:
                labels = [c.label(lang).casefold() for c in cl.codes]
                if len(set(labels)) != len(labels):
                    errs.append(f"code list {cid!r} repeats a {lang} label")
        seen: set[str] = set()
        sheet_names: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for s in self.sections:
            if s.id in seen:
                errs.append(f"section id {s.id!r} repeated")
            seen.add(s.id)
            for lang in LANGS:
                name = s.sheet(lang)
                if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
                    errs.append(f"sheet name {name!r} is not a valid Excel sheet name")
                if name in sheet_names[lang]:
                    errs.append(f"sheet name {name!r} repeated in {lang}")
                sheet_names[lang].add(name)
            fids = [f.id for f in s.fields]
            if len(set(fids)) != len(fids):
                errs.append(f"section {s.id!r} repeats a field id")
            for f in s.fields:
                if not _ID.match(f.id):
                    errs.append(f"field id {s.id}.{f.id} must be snake_case")
                if f.type == "code" and (f.codelist is None or f.codelist not in self.codelists):
                    errs.append(f"field {s.id}.{f.id} names unknown code list {f.codelist!r}")
                if f.required_if is not None and f.required_if.field not in fids:
                    errs.append(f"field {s.id}.{f.id}: required_if names an unknown field")
                if f.references is not None:
                    ref_s, _, ref_f = f.references.partition(".")
                    try:
                        self.section(ref_s).field(ref_f)
                    except KeyError:
                        errs.append(f"field {s.id}.{f.id} references unknown {f.references!r}")
            if s.rows_from is not None and s.rows_from not in self.codelists:
                errs.append(f"section {s.id!r}: rows_from names unknown code list")
            for attr in s.row_attrs:
                if attr not in self.codelists:
                    errs.append(f"section {s.id!r}: row attribute {attr!r} is not a code list")
            for group in s.unique_together:
                errs.extend(
                    f"section {s.id!r}: unique_together names unknown field {g!r}"
                    for g in group
                    if g not in fids
                )
            if s.wave_order is not None:
                w = s.wave_order
                if any(g not in fids for g in (w.group, w.wave, w.date)):
                    errs.append(f"section {s.id!r}: wave_order names an unknown field")
            for d in s.date_order:
                for g in (d.earlier, d.later):
                    if g not in fids or s.field(g).type != "date":
                        errs.append(f"section {s.id!r}: date_order names non-date field {g!r}")
        for ind in self.indicators:
            if ind.domain not in self.codelists["indicator_domain"].ids:
                errs.append(f"indicator {ind.id!r} has unknown domain {ind.domain!r}")
            try:
                table = self.section(ind.compute.table)
            except KeyError:
                errs.append(f"indicator {ind.id!r} computes from unknown table")
                continue
            names = [
                *(c.field for c in ind.compute.where + ind.compute.numerator),
                *(x for x in (ind.compute.field, ind.compute.start, ind.compute.event) if x),
                *ind.disaggregations,
            ]
            errs.extend(
                f"indicator {ind.id!r} names unknown field {n!r} of {table.id!r}"
                for n in names
                if n not in table.field_ids
            )
        if errs:
            raise SchemaError(
                "; ".join(errs),
                where="evaluation/schema/content",
                fix="correct the schema YAML files",
            )
        return self
