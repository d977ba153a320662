"""Spreadsheet formulas that compute the shared indicators inside the workbook.

Staff see their indicator values on the indicator sheet as soon as they fill in the client
sheets, without running a command. Each formula follows the indicator's rule in the schema
(:class:`evaluation.schema.Compute`) exactly as :mod:`evaluation.workbook.indicators` does:
a blank cell never meets a condition except ``isnull``, coded answers are compared by their
label in the workbook's language, and ``within_months`` adds calendar months the way
``pandas.DateOffset`` does (31 January + 1 month = 28/29 February). Formulas use only
``SUMPRODUCT``, ``IFERROR``, ``ISNUMBER`` and date functions, which Excel, LibreOffice and
the ``formulas`` package evaluate alike; a value that cannot be computed is left blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from openpyxl.utils import get_column_letter, quote_sheetname

from evaluation.schema import Condition, Indicator, Lang, Schema, Section
from evaluation.workbook.layout import FIRST_ROW, FORM_ANSWER_COL, first_data_col

#: A group value resting on fewer rows than this is not shown on the indicator sheet (the
#: reports' smallest shown cell, ``evaluation.reporting.disclosure.DEFAULT_THRESHOLD``;
#: a test keeps the two equal: the workbook package cannot import the reports).
MIN_GROUP_N: Final = 5


@dataclass(frozen=True)
class GroupLevel:
    """One level of a disaggregation: the field of the indicator's table and its code."""

    field: str
    code: str


@dataclass(frozen=True)
class SheetRows:
    """How many data rows each table sheet of one workbook has (formulas span them all)."""

    rows: dict[str, int]

    def count(self, section: Section) -> int:
        """Number of data rows of ``section``'s sheet."""
        return self.rows.get(section.id, section.max_rows)


@dataclass(frozen=True)
class _Ctx:
    schema: Schema
    lang: Lang
    rows: SheetRows

    def column(self, table: str, field: str) -> str:
        """Absolute range of one field's data cells, e.g. ``'Asiakkaat'!$F$5:$F$404``."""
        section = self.schema.section(table)
        col = get_column_letter(first_data_col(section) + section.field_ids.index(field))
        last = FIRST_ROW + self.rows.count(section) - 1
        return f"{quote_sheetname(section.sheet(self.lang))}!${col}${FIRST_ROW}:${col}${last}"

    def literal(self, table: str, field: str, value: object) -> str:
        """A condition's value as a formula literal (codes as their label)."""
        spec = self.schema.section(table).field(field)
        if spec.type == "code" and spec.codelist:
            return _text(self.schema.codelist(spec.codelist).label_of(str(value), self.lang))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _text(str(value))
        return repr(value) if isinstance(value, float) else str(value)


def report_date_cell(schema: Schema, lang: Lang) -> str:
    """The answer cell of the report date on the pilot sheet (absolute reference)."""
    pilot = schema.section("pilot")
    row = FIRST_ROW + pilot.field_ids.index("report_date")
    col = get_column_letter(FORM_ANSWER_COL)
    return f"{quote_sheetname(pilot.sheet(lang))}!${col}${row}"


def _condition(ctx: _Ctx, table: str, cond: Condition) -> str:
    """A 0/1 array of the rows meeting ``cond`` (blank never meets it, except ``isnull``)."""
    r = ctx.column(table, cond.field)
    filled = f'({r}<>"")'
    if cond.op == "notnull":
        return filled
    if cond.op == "isnull":
        return f'({r}="")'
    if cond.op in ("in", "notin"):
        values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
        hits = "+".join(f"({r}={ctx.literal(table, cond.field, v)})" for v in values)
        return f"(({hits})>0)" if cond.op == "in" else f"{filled}*(({hits})=0)"
    sign = {"eq": "=", "ne": "<>", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}[cond.op]
    return f"{filled}*({r}{sign}{ctx.literal(table, cond.field, cond.value)})"


def _product(parts: list[str]) -> str:
    """A 0/1 array: the product of conditions (``1*`` turns a lone TRUE/FALSE into numbers,
    which ``SUMPRODUCT`` needs: it counts logical values as 0)."""
    return "*".join(["1", *parts])


def _months_later(start: str, months: int) -> str:
    """``start`` + ``months`` calendar months, clipped to the month's last day."""
    shifted = f"DATE(YEAR({start}),MONTH({start})+{months},DAY({start}))"
    return f"({shifted}-(DAY({shifted})<DAY({start}))*DAY({shifted}))"


@dataclass(frozen=True)
class _Parts:
    """One indicator's formula pieces: ``base`` is the 0/1 array of the rows it counts over
    (its denominator; for ``count`` and ``mean`` the rows counted or averaged) and
    ``value`` the expression of its value (without ``=``)."""

    base: str
    value: str


def _parts(ctx: _Ctx, ind: Indicator, extra: list[str]) -> _Parts:
    """The formula pieces of ``ind`` over the rows that also meet ``extra`` (0/1 arrays)."""
    c = ind.compute
    where = [*(_condition(ctx, c.table, w) for w in c.where), *extra]
    if c.kind == "count":
        base = _product(where)
        return _Parts(base, f"SUMPRODUCT({base})")
    if c.kind == "mean":
        values = ctx.column(c.table, c.field or "")
        base = _product([*where, f"ISNUMBER({values})"])
        return _Parts(base, f"SUMPRODUCT({base},{values})/SUMPRODUCT({base})")
    if c.kind == "share":
        num = [_condition(ctx, c.table, n) for n in c.numerator]
        base = _product(where)
        return _Parts(base, f"100*SUMPRODUCT({_product([*where, *num])})/SUMPRODUCT({base})")
    start = ctx.column(c.table, c.start or "")
    event = ctx.column(c.table, c.event or "")
    end = _months_later(start, c.months or 0)
    report = report_date_cell(ctx.schema, ctx.lang)
    ready = [f"ISNUMBER({report})", f"ISNUMBER({start})", f"({end}<={report})"]
    base = _product([*where, *ready])
    hit = f"{base}*ISNUMBER({event})*({event}>={start})*({event}<={end})"
    return _Parts(base, f"100*SUMPRODUCT({hit})/SUMPRODUCT({base})")


def _text(value: str) -> str:
    """``value`` as a formula's string literal."""
    return '"' + value.replace('"', '""') + '"'


def indicator_formula(ind: Indicator, schema: Schema, lang: Lang, rows: SheetRows) -> str:
    """The formula (with its leading ``=``) giving ``ind``'s whole-pilot value.

    Counts are whole numbers, shares percentages (0–100) and means plain means; a share or
    mean with an empty base is blank, as the toolkit reports it missing.
    """
    parts = _parts(_Ctx(schema, lang, rows), ind, [])
    if ind.compute.kind == "count":
        return f"={parts.value}"
    return f'=IFERROR({parts.value},"")'


def group_formula(
    ind: Indicator, schema: Schema, lang: Lang, rows: SheetRows, group: GroupLevel
) -> str:
    """The formula (with its leading ``=``) giving ``ind``'s value in one group.

    The value is that of :func:`indicator_formula` over the rows whose ``group.field`` is
    ``group.code`` (rows with the field blank belong to no group), as
    :func:`evaluation.workbook.indicators.indicator_table` computes it. A value resting on
    fewer than :data:`MIN_GROUP_N` rows of the base (the denominator; for counts and means
    the rows counted or averaged) is not shown: the cell reads the small-group note
    (e.g. "alle 5") instead, since workbooks are shared with steering groups.
    """
    ctx = _Ctx(schema, lang, rows)
    table = ind.compute.table
    member = f"({ctx.column(table, group.field)}={ctx.literal(table, group.field, group.code)})"
    parts = _parts(ctx, ind, [member])
    note = _text(schema.text("ind_group_small", lang, n=MIN_GROUP_N))
    return f'=IFERROR(IF(SUMPRODUCT({parts.base})<{MIN_GROUP_N},{note},{parts.value}),"")'


@dataclass(frozen=True)
class GroupBlock:
    """The indicators broken down by one disaggregation field, and its code list."""

    field: str
    codelist: str
    indicators: tuple[Indicator, ...]


def group_blocks(schema: Schema) -> tuple[GroupBlock, ...]:
    """The by-group blocks of the indicator sheet, in the order the fields first appear in
    the indicators' ``disaggregations`` (one block per field and code list)."""
    found: dict[tuple[str, str], list[Indicator]] = {}
    for ind in schema.indicators:
        table = schema.section(ind.compute.table)
        for var in ind.disaggregations:
            found.setdefault((var, table.field(var).codelist or ""), []).append(ind)
    return tuple(GroupBlock(f, cl, tuple(inds)) for (f, cl), inds in found.items())
