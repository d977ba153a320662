"""The indicator sheet computes the indicators with formulas: staff see their numbers in the
workbook itself, and those numbers are the toolkit's.

The formulas are evaluated with the ``formulas`` package (a pure-Python spreadsheet engine,
so CI needs no Excel or LibreOffice) and compared with :func:`compute_indicators` on the
same workbook read back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tempfile
from pathlib import Path

import formulas
import openpyxl
import pytest

from evaluation.intake import inspect_workbook
from evaluation.schema import Lang, load_schema
from evaluation.workbook.layout import FIRST_ROW, KEY_COL
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_workbook
from tests.template.test_template_indicators import EXPECTED, _evaluation

#: Spreadsheet and pandas arithmetic differ only by float rounding.
TOL = 1e-9
#: Column of the computed values on the indicator sheet (after the hidden id and the name).
VALUE_COL = 3


def whole_pilot_only(path: Path, lang: Lang, folder: Path) -> Path:
    """A copy (in ``folder``) of the workbook without the indicator sheet's by-group part,
    which test_template_group_formulas evaluates: the engine then parses some 20 formulas
    instead of some 270 (3 s instead of 25 s a workbook)."""
    sheet = load_schema().section("indicators").sheet(lang)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    end = FIRST_ROW + len(load_schema().indicators)
    ws.delete_rows(end, ws.max_row - end + 1)
    out = folder / path.name
    wb.save(out)
    return out


def formula_values(path: Path, lang: Lang) -> dict[str, float]:
    """Indicator id -> the value its whole-pilot formula gives (NaN for a blank result)."""
    sheet = load_schema().section("indicators").sheet(lang)
    with tempfile.TemporaryDirectory() as tmp:
        path = whole_pilot_only(path, lang, Path(tmp))
        ws = openpyxl.load_workbook(path)[sheet]
        ids = {
            r: str(ws.cell(row=r, column=KEY_COL).value)
            for r in range(FIRST_ROW, ws.max_row + 1)
            if ws.cell(row=r, column=KEY_COL).value
        }
        solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    col = openpyxl.utils.get_column_letter(VALUE_COL)
    out = {}
    for r, ind in ids.items():
        key = f"'[{path.name}]{sheet.upper()}'!{col}{r}"
        value = solution[key].value[0, 0]
        out[ind] = float(value) if isinstance(value, int | float) else math.nan
    return out


def assert_same(got: dict[str, float], expected: dict[str, float]) -> None:
    assert set(got) == set(expected)
    for ind, value in expected.items():
        if math.isnan(value):
            assert math.isnan(got[ind]), ind
        else:
            assert got[ind] == pytest.approx(value, abs=TOL), ind


def toolkit_values(source: Path | SelfEvaluation) -> dict[str, float]:
    ev = read_workbook(source) if isinstance(source, Path) else source
    result = ev.indicators()
    return {i.id: result.value(i.id) for i in load_schema().indicators}


def test_formulas_equal_the_toolkit_on_a_filled_demo_workbook(filled_fi: list[Path]) -> None:
    path = filled_fi[0]
    got = formula_values(path, "fi")
    assert_same(got, toolkit_values(path))
    # every one computed, except where this pilot has nobody to count (no day-activity
    # users: the toolkit's value is blank too, checked above)
    blank = {ind for ind, v in got.items() if math.isnan(v)}
    assert blank <= {"day_activity_feedback_rate"}


def test_formulas_equal_hand_computed_values(tmp_path: Path) -> None:
    """The hand-computed case of test_template_indicators, in a Swedish workbook."""
    path = write_workbook(_evaluation(), tmp_path / "t.xlsx", lang="sv")
    expected = {ind: value for ind, (_, value) in EXPECTED.items()}
    assert_same(formula_values(path, "sv"), expected)
    assert_same(toolkit_values(_evaluation()), expected)


def test_month_end_window_and_missing_report_date(tmp_path: Path) -> None:
    """30 November + 3 months is 28 February (not 2 March), as pandas' DateOffset; without
    a report date no follow-up window is complete and the window indicators are blank."""
    ev = _evaluation()
    late: dict[str, object] = {
        **ev.records["clients"][0],
        "client_id": "c7",
        "job_coaching_start": dt.date(2017, 11, 30),
        "employment_start": dt.date(2018, 3, 1),
    }
    with_late = dataclasses.replace(
        ev,
        records={**ev.records, "clients": (*ev.records["clients"], late)},  # type: ignore[dict-item]
    )
    path = write_workbook(with_late, tmp_path / "late.xlsx", lang="fi")
    got = formula_values(path, "fi")
    assert_same(got, toolkit_values(with_late))
    # c7 joins the base (1 of 5 -> 1 of 6): its job starts a day after the window ends
    assert got["employed_3m_after_job_coaching"] == pytest.approx(100 / 6, abs=TOL)
    undated = dataclasses.replace(ev, forms={"pilot": {"report_date": None}})
    path = write_workbook(undated, tmp_path / "undated.xlsx", lang="fi")
    got = formula_values(path, "fi")
    assert math.isnan(got["employed_3m_after_job_coaching"])
    assert_same(got, toolkit_values(undated))


def test_formula_cells_pass_intake_and_are_not_read_as_answers(filled_fi: list[Path]) -> None:
    path = filled_fi[0]
    assert inspect_workbook(path).problems == ()
    assert read_workbook(path).pilot  # read without a problem


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_indicator_sheet_speaks_the_workbook_language(tmp_path: Path, lang: Lang) -> None:
    """No internal id or English ESF+ text visible on the Finnish or Swedish indicator sheet."""
    path = write_workbook(_evaluation(), tmp_path / "t.xlsx", lang=lang)
    ws = openpyxl.load_workbook(path)[load_schema().section("indicators").sheet(lang)]
    assert ws.column_dimensions["A"].hidden
    visible = [
        str(c.value)
        for row in ws.iter_rows(min_row=FIRST_ROW, min_col=KEY_COL + 1)
        for c in row
        if isinstance(c.value, str)
        and not c.value.startswith("=")
        and not ws.row_dimensions[c.row].hidden  # the by-group blocks' rows of level codes
    ]
    text = "\n".join(visible)
    assert not re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text)
    for english in ("participants", "upon leaving", "approximate", "exact"):
        assert english not in text.lower()
    assert "EECO01" in text  # the ESF+ codes themselves stay


def test_the_workbook_asks_to_be_calculated_on_open(tmp_path: Path) -> None:
    """Formulas written by the toolkit carry no stored result; the workbook tells Excel and
    LibreOffice to compute them when it is opened."""
    path = write_workbook(_evaluation(), tmp_path / "t.xlsx", lang="fi")
    assert openpyxl.load_workbook(path).calculation.fullCalcOnLoad
