"""The workbook as staff meet it in Excel or LibreOffice: rows sized to their text, A4
print setup, coloured traffic lights, every criterion answered, old versions upgraded."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.commands import app
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.layout import (
    FIRST_ROW,
    HEADER_ROW,
    IDS_ROW,
    INSTRUCTIONS_ROW,
    META_SHEET,
)
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import RATING_FILLS, write_template, write_workbook


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wb")
    return write_workbook(filled_evaluation("Fokus", seed=2), folder / "fokus.xlsx")


def test_rows_fit_their_text_and_headers_show_scale_anchors(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx", pilot="KP Ote", lang="fi"))
    ws = wb["Asiakasseuranta"]
    header = next(c for c in ws[HEADER_ROW] if c.value and "Koettu hyöty" in c.value)
    assert "1 = ei lainkaan hyötyä" in header.value  # the scale's anchors are shown
    assert ws.row_dimensions[HEADER_ROW].height >= 4 * 15  # tall enough for its lines
    assert ws.row_dimensions[INSTRUCTIONS_ROW].height >= 30
    criteria = wb["Liikennevalot"]
    long_rows = [
        r
        for r in range(FIRST_ROW, criteria.max_row + 1)
        if len(str(criteria.cell(r, 2).value or "")) > 80
    ]
    assert long_rows and all((criteria.row_dimensions[r].height or 0) >= 30 for r in long_rows)


def test_every_visible_sheet_prints_on_a4_landscape_fitted_to_width(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx", pilot="KP Ote", lang="sv"))
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"


def test_traffic_light_answers_are_coloured(tmp_path: Path) -> None:
    ws = load_workbook(write_template(tmp_path / "t.xlsx", pilot="KP Ote", lang="fi"))[
        "Liikennevalot"
    ]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    formulas = {r.formula[0]: r.dxf.fill.fgColor.rgb for r in rules}
    assert formulas['"Vihreä – toteutunut hyvin"'].endswith(RATING_FILLS["green"])
    assert formulas['"Ei koske tätä kokeilua"'].endswith(RATING_FILLS["na"])
    assert len(rules) == len(RATING_FILLS)


def test_a_blank_criterion_is_an_error_and_not_applicable_is_an_answer(
    filled: Path, tmp_path: Path
) -> None:
    wb = load_workbook(filled)
    ws = wb["Liikennevalot"]
    rating_col = next(c.column for c in ws[IDS_ROW] if c.value == "rating")
    ws.cell(FIRST_ROW + 1, rating_col).value = "Ei koske tätä kokeilua"
    ws.cell(FIRST_ROW + 1, rating_col + 1).value = None  # no justification needed for n/a
    for col in (rating_col, rating_col + 1):
        ws.cell(FIRST_ROW + 2, col).value = None  # a criterion left blank
    path = tmp_path / "blank.xlsx"
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    problems = info.value.problems
    assert len(problems) == 1 and f"{FIRST_ROW + 2}" in problems[0].where
    assert "Liikennevalot" in problems[0].where


def test_an_old_template_version_is_named_and_upgraded(filled: Path, tmp_path: Path) -> None:
    wb = load_workbook(filled)
    wb[META_SHEET]["B2"] = "1.0"  # schema_version in the hidden meta sheet
    old = tmp_path / "vanha.xlsx"
    wb.save(old)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(old)
    (problem,) = info.value.problems
    assert "vanhalla versiolla 1.0" in problem.what
    assert "pilot-eval template upgrade vanha.xlsx" in problem.fix
    result = CliRunner().invoke(app, ["upgrade", str(old), "--out", str(tmp_path / "uusi.xlsx")])
    assert result.exit_code == 0, result.output
    new = read_workbook(tmp_path / "uusi.xlsx")
    before = read_workbook(old, any_version=True)
    assert new.schema_version == new.schema.version != "1.0"
    assert new.forms == before.forms and new.records == before.records


@pytest.mark.parametrize("sheet", ["Kohderyhmät", "Seurattavat haitat"])
def test_a_blank_row_is_named_not_dropped(filled: Path, tmp_path: Path, sheet: str) -> None:
    """A row of Kohderyhmät or Seurattavat haitat emptied by the user is reported with its
    row (its required answer is missing); it never vanishes from the check output."""
    wb = load_workbook(filled)
    ws = wb[sheet]
    first_input = next(
        c.column
        for c in ws[IDS_ROW]
        if c.value and c.column > 2 and ws.cell(FIRST_ROW, c.column).protection.locked is False
    )
    row = FIRST_ROW + 1
    for col in range(first_input, ws.max_column + 1):
        ws.cell(row, col).value = None
    path = tmp_path / "blank.xlsx"
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    where = [p.where for p in info.value.problems]
    assert where and all(sheet in w and f"{row}" in w for w in where)
