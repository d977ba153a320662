"""Schema -> Excel workbook (what pilot staff fill in).

The workbook is generated entirely from the schema: one sheet per section in the chosen
language, drop-down lists for coded answers, data validation on every input cell,
protected structure (only input cells are unlocked) and an instructions sheet. The same
function writes a filled workbook from a :class:`SelfEvaluation`, which makes the round trip
write -> read -> write possible.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from evaluation.errors import OptionError
from evaluation.safe_io import atomic_write
from evaluation.schema import (
    LANGS,
    Code,
    FieldSpec,
    Indicator,
    Lang,
    Schema,
    Section,
    load_schema,
)
from evaluation.workbook.indicator_formulas import (
    MIN_GROUP_N,
    GroupBlock,
    GroupLevel,
    SheetRows,
    group_blocks,
    group_formula,
    indicator_formula,
)
from evaluation.workbook.layout import (
    FIRST_ROW,
    FORM_ANSWER_COL,
    FORM_GUIDANCE_COL,
    FORM_IDS,
    FORM_QUESTION_COL,
    GROUP_LEVEL_COL,
    HEADER_ROW,
    IDS_ROW,
    INDICATOR_VALUE_COL,
    INSTRUCTIONS_KEY,
    INSTRUCTIONS_ROW,
    KEY_COL,
    LISTS_SHEET,
    META_SHEET,
    ROW_KEY,
    TITLE_ROW,
    first_data_col,
    table_columns,
)
from evaluation.workbook.model import SelfEvaluation, Value

_INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="top")
_NUMBER = Alignment(horizontal="right", vertical="top")
#: Last column of the indicator dictionary (L) and the width of group-level columns past it.
_REFERENCE_LAST_COL = 12
_LEVEL_WIDTH = 20
_DATE_FORMAT = "DD.MM.YYYY"
#: Points per wrapped line of 11-pt text, and characters per unit of column width.
_LINE_POINTS = 15.0
_CHARS_PER_WIDTH = 1.1
#: Excel's largest row height (points).
_MAX_ROW_POINTS = 409.0
#: Traffic-light fills by rating code: colour-blind safe hues; the labels carry the words.
RATING_FILLS = {"green": "B7E1CD", "yellow": "FCE8B2", "red": "F4C7C3", "na": "E0E0E0"}
#: Fixed document timestamp, so that writing the same content twice gives the same file.
_STAMP = dt.datetime(2020, 1, 1)


def check_lang(lang: str) -> Lang:
    """``lang`` if the workbook can be written in it, else an :class:`OptionError`."""
    if lang not in LANGS:
        raise OptionError(
            f"unknown language {lang!r}",
            where="option --lang",
            fix=f"use one of {', '.join(LANGS)}",
        )
    return lang


class _Writer:
    def __init__(self, schema: Schema, lang: Lang, pilot: str) -> None:
        self.schema = schema
        self.lang = lang
        self.pilot = pilot
        self.wb = Workbook()
        self.list_ranges: dict[str, str] = {}

    # -- helpers -----------------------------------------------------------------------
    def _cell_value(self, spec: FieldSpec, value: Value) -> Any:
        if value is None:
            return None
        if spec.type == "code" and spec.codelist:
            return self.schema.codelist(spec.codelist).label_of(str(value), self.lang)
        if spec.type == "indicator_refs":  # staff see and type names, the data holds ids
            names = {i.id: i.name(self.lang) for i in self.schema.indicators}
            return ", ".join(names.get(p.strip(), p.strip()) for p in str(value).split(","))
        return value

    def _put(self, ws: Worksheet, row: int, col: int, spec: FieldSpec, value: Value) -> None:
        cell = ws.cell(row=row, column=col, value=self._cell_value(spec, value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # user text is never written as a formula
        if spec.type == "date":
            cell.number_format = _DATE_FORMAT
        cell.protection = _UNLOCKED
        cell.fill = _INPUT_FILL
        cell.alignment = _WRAP

    def _validation(self, spec: FieldSpec) -> DataValidation | None:
        t = self.schema.text
        lang = self.lang
        kind = t(f"type_{spec.type}", lang)
        dv: DataValidation | None = None
        if spec.type == "code" and spec.codelist:
            dv = DataValidation(type="list", formula1=self.list_ranges[spec.codelist])
            dv.prompt = t("list_prompt", lang)
        elif spec.type in ("integer", "number"):
            lo = -1e9 if spec.min is None else spec.min
            hi = 1e9 if spec.max is None else spec.max

            def fmt(x: float) -> str:  # a formula's number: no exponent, point decimals
                return str(int(x)) if spec.type == "integer" or x == int(x) else repr(x)

            def show(x: float) -> str:  # as staff read it: 1 000 000, 0,5
                return format_decimal(x, locale=lang)

            dv = DataValidation(
                type="whole" if spec.type == "integer" else "decimal",
                operator="between",
                formula1=fmt(lo),
                formula2=fmt(hi),
            )
            dv.prompt = t("range_prompt", lang, type=kind, min=show(lo), max=show(hi))
        elif spec.type == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1990,1,1)",
                formula2="DATE(2100,12,31)",
            )
            dv.prompt = t("date_prompt", lang)
        elif spec.type == "text" and spec.max_length:
            dv = DataValidation(
                type="textLength", operator="lessThanOrEqual", formula1=str(spec.max_length)
            )
            dv.prompt = t("length_prompt", lang, max=spec.max_length)
        if dv is not None:
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.showInputMessage = True
            dv.errorTitle = t("validation_title", lang)
            dv.error = dv.prompt
        return dv

    def _frame(
        self, ws: Worksheet, section_key: str, title: str, instructions: str, ncols: int
    ) -> None:
        """Key, title, instructions; protect the sheet."""
        ws.cell(row=TITLE_ROW, column=KEY_COL, value=section_key)
        c = ws.cell(row=TITLE_ROW, column=2, value=title)
        c.font = Font(bold=True, size=14)
        c = ws.cell(row=INSTRUCTIONS_ROW, column=2, value=instructions)
        c.alignment = _WRAP
        last = max(ncols + 1, 4)
        ws.merge_cells(
            start_row=INSTRUCTIONS_ROW, start_column=2, end_row=INSTRUCTIONS_ROW, end_column=last
        )
        ws.row_dimensions[INSTRUCTIONS_ROW].height = 60
        ws.column_dimensions["A"].hidden = True
        ws.row_dimensions[IDS_ROW].hidden = True
        ws.freeze_panes = ws.cell(row=FIRST_ROW, column=2)
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.formatCells = False

    def _header(self, ws: Worksheet, col: int, field_id: str, text: str, width: int) -> None:
        ws.cell(row=IDS_ROW, column=col, value=field_id)
        c = ws.cell(row=HEADER_ROW, column=col, value=text)
        c.font = Font(bold=True)
        c.fill = _HEADER_FILL
        c.alignment = _WRAP
        ws.column_dimensions[get_column_letter(col)].width = width

    # -- sheets ------------------------------------------------------------------------
    def instructions(self) -> None:
        ws = self.wb.active
        assert ws is not None  # a new Workbook always has one sheet
        lang, t = self.lang, self.schema.text
        ws.title = t("instructions_sheet", lang)
        self._frame(
            ws,
            INSTRUCTIONS_KEY,
            t("instructions_title", lang, pilot=self.pilot),
            t("instructions_intro", lang),
            3,
        )
        self._header(ws, 2, "sheet", t("sheet_col", lang), 24)
        self._header(ws, 3, "content", t("content_col", lang), 90)
        self._header(ws, 4, "required", t("required_section", lang), 14)
        yes_no = self.schema.codelist("yes_no")
        for i, s in enumerate(self.schema.sections):
            r = FIRST_ROW + i
            ws.cell(row=r, column=2, value=s.sheet(lang))
            c = ws.cell(row=r, column=3, value=f"{s.title(lang)}. {s.instructions(lang)}")
            c.alignment = _WRAP
            ws.cell(row=r, column=4, value=yes_no.label_of("yes" if s.required else "no", lang))
        r = FIRST_ROW + len(self.schema.sections) + 1
        c = ws.cell(row=r, column=2, value=t("instructions_rules", lang))
        c.alignment = _WRAP
        c.font = Font(bold=True)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
        ws.row_dimensions[r].height = 45
        ws.cell(row=r + 2, column=2, value=t("schema_version", lang))
        ws.cell(row=r + 2, column=3, value=self.schema.version)

    def lists(self) -> None:
        ws = self.wb.create_sheet(LISTS_SHEET)
        ws.cell(row=1, column=1, value=LISTS_SHEET)
        used = sorted({f.codelist for s in self.schema.sections for f in s.fields if f.codelist})
        for j, cid in enumerate(used, start=2):
            cl = self.schema.codelist(cid)
            ws.cell(row=1, column=j, value=cid)
            for i, code in enumerate(cl.codes, start=2):
                ws.cell(row=i, column=j, value=code.label(self.lang))
            letter = get_column_letter(j)
            self.list_ranges[cid] = (
                f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(cl.codes) + 1}"
            )
        ws.sheet_state = "hidden"
        ws.protection.sheet = True

    def meta(self) -> None:
        ws = self.wb.create_sheet(META_SHEET)
        for i, (k, v) in enumerate(
            (
                ("key", META_SHEET),
                ("schema_version", self.schema.version),
                ("lang", self.lang),
                ("pilot", self.pilot),
            ),
            start=1,
        ):
            ws.cell(row=i, column=1, value=k if i > 1 else META_SHEET)
            if i > 1:
                ws.cell(row=i, column=2, value=v).data_type = "s"  # text, never a formula
        ws.sheet_state = "hidden"
        ws.protection.sheet = True

    def form(self, section: Section, answers: dict[str, Value]) -> None:
        lang, t = self.lang, self.schema.text
        ws = self.wb.create_sheet(section.sheet(lang))
        self._frame(ws, section.id, section.title(lang), section.instructions(lang), 3)
        for col, fid, key in zip(
            (FORM_QUESTION_COL, FORM_ANSWER_COL, FORM_GUIDANCE_COL),
            FORM_IDS,
            ("question", "answer", "guidance"),
            strict=True,
        ):
            self._header(ws, col, fid, t(key, lang), (45, 50, 40)[col - 2])
        for i, spec in enumerate(section.fields):
            r = FIRST_ROW + i
            ws.cell(row=r, column=KEY_COL, value=spec.id)
            label = spec.label(lang) + (f" {t('required_mark', lang)}" if spec.required else "")
            ws.cell(row=r, column=FORM_QUESTION_COL, value=label).alignment = _WRAP
            self._put(ws, r, FORM_ANSWER_COL, spec, answers.get(spec.id))
            help_text = (
                spec.help(lang)
                if spec.help
                else (None if spec.type == "text" else t(f"type_{spec.type}", lang))
            )
            ws.cell(row=r, column=FORM_GUIDANCE_COL, value=help_text).alignment = _WRAP
            dv = self._validation(spec)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(ws.cell(row=r, column=FORM_ANSWER_COL).coordinate)

    def table(self, section: Section, records: tuple[dict[str, Value], ...]) -> None:
        lang, t = self.lang, self.schema.text
        ws = self.wb.create_sheet(section.sheet(lang))
        cols = table_columns(section)
        self._frame(ws, section.id, section.title(lang), section.instructions(lang), len(cols))
        start = first_data_col(section)
        for j, cid in enumerate(cols, start=2):
            if cid == ROW_KEY:
                text, width = (section.row_label(lang) if section.row_label else ""), 60
            elif cid in section.row_attrs:
                text, width = self.schema.codelist(cid).label(lang), 24
            else:
                spec = section.field(cid)
                req = f" {t('required_mark', lang)}" if spec.required else ""
                anchors = f"\n{spec.help(lang)}" if spec.help else ""  # e.g. scale anchors
                text, width = spec.label(lang) + req + anchors, spec.width
            self._header(ws, j, cid, text, width)
        if section.rows_from:
            codes = self.schema.codelist(section.rows_from).codes
            by_code = {str(r.get(ROW_KEY)): r for r in records}
            nrows = len(codes)
            for i, code in enumerate(codes):
                r = FIRST_ROW + i
                ws.cell(row=r, column=KEY_COL, value=code.code)
                ws.cell(row=r, column=2, value=code.label(lang)).alignment = _WRAP
                for k, attr in enumerate(section.row_attrs, start=3):
                    val = self.schema.codelist(attr).label_of(code.attrs[attr], lang)
                    ws.cell(row=r, column=k, value=val).alignment = _WRAP
                rec = by_code.get(code.code, {})
                for j, spec in enumerate(section.fields, start=start):
                    self._put(ws, r, j, spec, rec.get(spec.id))
        else:
            nrows = max(section.max_rows, len(records))
            for i, rec in enumerate(records):
                for j, spec in enumerate(section.fields, start=start):
                    value = rec.get(spec.id)
                    if value is not None:
                        self._put(ws, FIRST_ROW + i, j, spec, value)
            # empty input cells: unlocked and coloured through the column style
            for j, spec in enumerate(section.fields, start=start):
                dim = ws.column_dimensions[get_column_letter(j)]
                dim.protection = _UNLOCKED
                dim.fill = _INPUT_FILL
                if spec.type == "date":
                    dim.number_format = _DATE_FORMAT
                for r in range(TITLE_ROW, FIRST_ROW):
                    ws.cell(row=r, column=j).protection = _LOCKED
        last = FIRST_ROW + nrows - 1
        for j, spec in enumerate(section.fields, start=start):
            dv = self._validation(spec)
            letter = get_column_letter(j)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
            if spec.codelist == "rating":
                self._rating_colours(ws, f"{letter}{FIRST_ROW}:{letter}{last}")

    def _rating_colours(self, ws: Worksheet, cells: str) -> None:
        """Colour a traffic-light answer by its rating (conditional formatting)."""
        codes = self.schema.codelist("rating")
        for code, colour in RATING_FILLS.items():
            label = codes.label_of(code, self.lang).replace('"', '""')
            rule = CellIsRule(
                operator="equal",
                formula=[f'"{label}"'],
                fill=PatternFill("solid", fgColor=colour, bgColor=colour),
            )
            ws.conditional_formatting.add(cells, rule)

    def reference(self, section: Section, rows: SheetRows) -> None:
        """The indicator dictionary with each indicator's value computed by a formula."""
        lang, t = self.lang, self.schema.text
        ws = self.wb.create_sheet(section.sheet(lang))
        keys = (
            "ind_name",
            "ind_value",
            "ind_unit",
            "ind_domain",
            "ind_definition",
            "ind_numerator",
            "ind_denominator",
            "ind_period",
            "ind_disaggregations",
            "ind_source",
            "ind_esf",
        )
        widths = (34, 12, 12, 22, 60, 35, 35, 30, 25, 20, 40)
        self._frame(ws, section.id, section.title(lang), section.instructions(lang), len(keys))
        for j, (k, w) in enumerate(zip(keys, widths, strict=True), start=2):
            self._header(ws, j, k, t(k, lang), w)
        domains = self.schema.codelist("indicator_domain")
        for i, ind in enumerate(self.schema.indicators):
            r = FIRST_ROW + i
            ws.cell(row=r, column=KEY_COL, value=ind.id)
            table = self.schema.section(ind.compute.table)
            values = (
                ind.name(lang),
                indicator_formula(ind, self.schema, lang, rows),
                t(f"unit_{ind.unit}", lang),
                domains.label_of(ind.domain, lang),
                ind.definition(lang),
                ind.numerator(lang),
                ind.denominator(lang) if ind.denominator else "",
                ind.period(lang),
                ", ".join(table.field(d).label(lang) for d in ind.disaggregations),
                ind.data_source(lang),
                self._esf(ind),
            )
            for j, v in enumerate(values, start=2):
                ws.cell(row=r, column=j, value=v or None).alignment = _WRAP
            value = ws.cell(row=r, column=INDICATOR_VALUE_COL)
            value.number_format = _number_format(ind)
            value.font = Font(bold=True)
        self.group_values(ws, rows, FIRST_ROW + len(self.schema.indicators) + 1)

    def group_values(self, ws: Worksheet, rows: SheetRows, top: int) -> None:
        """Below the dictionary, from row ``top`` (on a new printed page): the values by
        group, one block per disaggregation with a column per group level."""
        lang, t = self.lang, self.schema.text
        ws.row_breaks.append(Break(id=top - 1))
        c = ws.cell(row=top, column=2, value=t("ind_groups_title", lang))
        c.font = Font(bold=True, size=12)
        note = t("ind_group_small", lang, n=MIN_GROUP_N)
        c = ws.cell(
            row=top + 1, column=2, value=t("ind_groups_intro", lang, n=MIN_GROUP_N, note=note)
        )
        c.alignment = _WRAP
        ws.merge_cells(
            start_row=top + 1, start_column=2, end_row=top + 1, end_column=_REFERENCE_LAST_COL
        )
        r = top + 3
        for block in group_blocks(self.schema):
            r = self._group_block(ws, rows, block, r) + 2

    def _group_block(self, ws: Worksheet, rows: SheetRows, block: GroupBlock, top: int) -> int:
        """One disaggregation's block from row ``top``: its name, a hidden row of column ids
        (key column: the field id; level codes from :data:`GROUP_LEVEL_COL`), the headers,
        then one row per indicator (key column: its id) with its name, whole-pilot value and
        unit beside the group values. Returns the block's last row."""
        lang, t = self.lang, self.schema.text
        codes = self.schema.codelist(block.codelist).codes
        table = self.schema.section(block.indicators[0].compute.table)
        title = ws.cell(row=top, column=2, value=table.field(block.field).label(lang))
        title.font = Font(bold=True)
        ids, head = top + 1, top + 2
        ws.cell(row=ids, column=KEY_COL, value=block.field)
        ws.row_dimensions[ids].hidden = True
        columns = [(k, t(k, lang)) for k in ("ind_name", "ind_whole_pilot", "ind_unit")]
        columns += [(code.code, code.label(lang)) for code in codes]
        for j, (cid, text) in enumerate(columns, start=2):
            ws.cell(row=ids, column=j, value=cid)
            c = ws.cell(row=head, column=j, value=text)
            c.font = Font(bold=True)
            c.fill = _HEADER_FILL
            c.alignment = _WRAP
            if j > _REFERENCE_LAST_COL:  # more levels than the dictionary has columns
                ws.column_dimensions[get_column_letter(j)].width = _LEVEL_WIDTH
        for i, ind in enumerate(block.indicators, start=head + 1):
            self._group_row(ws, rows, i, ind, block.field, codes)
        return head + len(block.indicators)

    def _group_row(
        self,
        ws: Worksheet,
        rows: SheetRows,
        r: int,
        ind: Indicator,
        field: str,
        codes: tuple[Code, ...],
    ) -> None:
        """Row ``r`` of a by-group block: ``ind``'s name, whole-pilot value (a reference to
        the dictionary's value cell), unit and one formula per group level."""
        lang = self.lang
        ws.cell(row=r, column=KEY_COL, value=ind.id)
        ws.cell(row=r, column=2, value=ind.name(lang)).alignment = _WRAP
        unit_text = self.schema.text(f"unit_{ind.unit}", lang)
        ws.cell(row=r, column=INDICATOR_VALUE_COL + 1, value=unit_text).alignment = _WRAP
        whole = ws.cell(
            row=FIRST_ROW + self.schema.indicators.index(ind), column=INDICATOR_VALUE_COL
        )
        cells = {INDICATOR_VALUE_COL: f"={whole.coordinate}"}
        for j, code in enumerate(codes, start=GROUP_LEVEL_COL):
            level = GroupLevel(field, code.code)
            cells[j] = group_formula(ind, self.schema, lang, rows, level)
        for j, formula in cells.items():
            c = ws.cell(row=r, column=j, value=formula)
            c.number_format = _number_format(ind)
            c.alignment = _NUMBER

    def _esf(self, ind: Indicator) -> str:
        """The ESF+ common indicators an indicator maps to, in the workbook's language."""
        t, lang = self.schema.text, self.lang
        return "; ".join(
            f"{m.code} {t(f'esf_{m.code}', lang)} ({t(f'esf_{m.relation}', lang)})"
            + (f": {m.note(lang)}" if m.note else "")
            for m in ind.esf_plus
        )

    def build(self, data: SelfEvaluation | None) -> Workbook:
        self.instructions()
        self.lists()  # created first so validations can point at it; moved to the end below
        for s in self.schema.sections:
            if s.kind == "form":
                answers = dict(data.forms.get(s.id, {})) if data else {}
                if s.id == "pilot" and not answers.get("pilot_name"):
                    answers["pilot_name"] = self.pilot
                self.form(s, answers)
            elif s.kind == "table":
                recs = tuple(dict(r) for r in data.records.get(s.id, ())) if data else ()
                self.table(s, recs)
            else:
                self.reference(s, sheet_rows(self.schema, data))
        self.meta()
        lists = self.wb[LISTS_SHEET]
        self.wb.move_sheet(
            lists, offset=len(self.wb.sheetnames) - 2 - self.wb.sheetnames.index(LISTS_SHEET)
        )
        for ws in self.wb.worksheets:
            if ws.sheet_state == "visible":
                fit_row_heights(ws)
                print_setup(ws)
        self.wb.active = 0
        self.wb.security = WorkbookProtection(lockStructure=True)
        # the indicator formulas have no stored results: spreadsheets compute them on open
        self.wb.calculation.fullCalcOnLoad = True
        self.wb.properties.created = _STAMP
        self.wb.properties.modified = _STAMP
        self.wb.properties.creator = "pilot-evaluation"
        return self.wb


def _number_format(ind: Indicator) -> str:
    """Number format of an indicator's value cells: whole counts, one decimal otherwise."""
    return "0" if ind.unit == "count" else "0.0"


def sheet_rows(schema: Schema, data: SelfEvaluation | None) -> SheetRows:
    """How many data rows each table sheet gets (the template's rows, or more if filled)."""
    rows: dict[str, int] = {}
    for s in schema.sections:
        if s.kind != "table":
            continue
        if s.rows_from:
            rows[s.id] = len(schema.codelist(s.rows_from).codes)
        else:
            rows[s.id] = max(s.max_rows, len(data.records.get(s.id, ())) if data else 0)
    return SheetRows(rows)


def _column_widths(ws: Worksheet) -> dict[int, float]:
    widths = {}
    for col in range(1, ws.max_column + 1):
        dim = ws.column_dimensions.get(get_column_letter(col))
        widths[col] = float(dim.width) if dim is not None and dim.width else 8.43
    return widths


def _lines(text: str, width: float) -> int:
    per_line = max(1, int(width * _CHARS_PER_WIDTH))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def fit_row_heights(ws: Worksheet) -> None:
    """Size every row to its wrapped text (Excel and LibreOffice do not do it on open)."""
    widths = _column_widths(ws)
    merged = {
        (m.min_row, m.min_col): sum(widths.get(c, 8.43) for c in range(m.min_col, m.max_col + 1))
        for m in ws.merged_cells.ranges
    }
    for row in ws.iter_rows(min_row=TITLE_ROW + 1):
        lines = 1
        for cell in row:  # a formula's text is never shown: only its value
            if isinstance(cell.value, str) and cell.value and cell.data_type != "f":
                width = merged.get((cell.row, cell.column), widths.get(cell.column, 8.43))
                lines = max(lines, _lines(cell.value, width))
        if lines > 1 and not ws.row_dimensions[row[0].row].hidden:
            ws.row_dimensions[row[0].row].height = min(_MAX_ROW_POINTS, lines * _LINE_POINTS)


def print_setup(ws: Worksheet) -> None:
    """A4 landscape, fitted to the page width, the header rows repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.gridLines = True


def write_template(
    out: str | Path,
    *,
    pilot: str,
    lang: str = "fi",
    schema: Schema | None = None,
) -> Path:
    """Write an empty self-evaluation workbook for ``pilot`` in ``lang``.

    Parameters
    ----------
    out:
        Path of the ``.xlsx`` file to create (parent folders are created).
    pilot:
        Name of the pilot, pre-filled on the pilot sheet and stored in the workbook.
    lang:
        ``"fi"``, ``"sv"`` or ``"en"``; sheet names, labels, drop-downs and instructions.
    schema:
        The schema to use (default: the shipped one).

    Returns
    -------
    Path
        The written file.
    """
    return _write(out, pilot=pilot, lang=lang, schema=schema, data=None)


def write_workbook(evaluation: SelfEvaluation, out: str | Path, *, lang: str | None = None) -> Path:
    """Write a filled workbook holding ``evaluation`` (in its own language by default)."""
    return _write(
        out,
        pilot=evaluation.pilot,
        lang=lang or evaluation.lang,
        schema=evaluation.schema,
        data=evaluation,
    )


def _write(
    out: str | Path, *, pilot: str, lang: str, schema: Schema | None, data: SelfEvaluation | None
) -> Path:
    code = check_lang(lang)
    if not pilot.strip():
        raise OptionError(
            "the pilot name is empty",
            where="option --pilot",
            fix='give the pilot\'s name, e.g. --pilot "Sataosaa"',
        )
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise OptionError(
            f"output file {path} does not end in .xlsx",
            where="option --out",
            fix="give a file name ending in .xlsx",
        )
    wb = _Writer(schema or load_schema(), code, pilot.strip()).build(data)
    try:
        with atomic_write(path, where="option --out") as tmp:
            wb.save(tmp)
    except OSError as exc:
        raise OptionError(
            f"cannot write {path}: {exc.strerror}",
            where="option --out",
            fix="choose a writable folder and close the file in Excel",
        ) from exc
    return path
