"""The indicator sheet's values by group (target group, service provider group, service) are
the toolkit's values by group, and a group resting on fewer than five rows shows a note
instead of a number.

The formulas are evaluated with the ``formulas`` package (as in test_template_formulas) and
compared with :class:`IndicatorResult` (rows ``group_var != "all"``) of the same workbook
read back, in a Finnish, a Swedish and an English workbook of different synthetic pilots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import formulas
import openpyxl
import pandas as pd
import pytest

from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.schema import Lang, load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.indicator_formulas import MIN_GROUP_N, group_blocks
from evaluation.workbook.layout import FIRST_ROW, GROUP_LEVEL_COL, INDICATOR_VALUE_COL, KEY_COL
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_template, write_workbook
from tests.template.conftest import SEED

#: Spreadsheet and pandas arithmetic differ only by float rounding.
TOL = 1e-9
#: The small-group note of each language (the formula's text for fewer than 5 rows).
NOTE = {"fi": "alle 5", "sv": "under 5", "en": "fewer than 5"}


@dataclass(frozen=True)
class GroupCells:
    """Where one workbook's by-group values are: (indicator, field, code) -> cell; code
    ``"all"``: the whole-pilot value shown in the block beside the groups."""

    sheet: str
    cells: dict[tuple[str, str, str], str]


def group_cells(path: Path, lang: Lang) -> GroupCells:
    """Locate the by-group cells from the hidden keys (column A, the level-code rows)."""
    sheet = load_schema().section("indicators").sheet(lang)
    ws = openpyxl.load_workbook(path)[sheet]
    cells: dict[tuple[str, str, str], str] = {}
    field, codes = "", {}
    for r in range(FIRST_ROW + len(load_schema().indicators), ws.max_row + 1):
        key = ws.cell(row=r, column=KEY_COL).value
        if key and ws.row_dimensions[r].hidden:
            field = str(key)
            codes = {
                c: str(ws.cell(row=r, column=c).value)
                for c in range(GROUP_LEVEL_COL, ws.max_column + 1)
                if ws.cell(row=r, column=c).value
            }
        elif key:
            cells[(str(key), field, "all")] = ws.cell(row=r, column=INDICATOR_VALUE_COL).coordinate
            for c, code in codes.items():
                cells[(str(key), field, code)] = ws.cell(row=r, column=c).coordinate
    return GroupCells(sheet, cells)


def formula_results(path: Path, lang: Lang) -> dict[tuple[str, str, str], object]:
    """(indicator, field, code) -> what the by-group formula gives (number or text)."""
    where = group_cells(path, lang)
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out: dict[tuple[str, str, str], object] = {}
    for k, cell in where.cells.items():
        value = solution[f"'[{path.name}]{where.sheet.upper()}'!{cell}"].value[0, 0]
        out[k] = float(value) if isinstance(value, int | float) else str(value)
    return out


def toolkit_by_group(path: Path) -> pd.DataFrame:
    """The toolkit's by-group rows with the base each value rests on."""
    t = read_workbook(path).indicators().tidy()
    whole = t[t["group_var"] == "all"].set_index("indicator")["value"]
    t = t[t["group_var"] != "all"].copy()
    t["whole"] = t["indicator"].map(whole)
    # shares: the denominator; counts and means: the rows counted or averaged
    t["base"] = t["denominator"].fillna(t["numerator"].astype("float64"))
    return t


@pytest.fixture(scope="module", params=["fi", "sv", "en"])
def workbook(
    request: pytest.FixtureRequest, filled_fi: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Lang]:
    """A filled workbook per language (different synthetic pilots)."""
    lang: Lang = request.param
    if lang == "fi":
        return filled_fi[0], lang
    pilot = {"sv": "Fokus", "en": "KP Ote"}[lang]
    folder = tmp_path_factory.mktemp(f"groups_{lang}")
    return write_workbook(filled_evaluation(pilot, seed=SEED, lang=lang), folder / "g.xlsx"), lang


@pytest.mark.slow
def test_group_values_equal_the_toolkit_and_small_groups_are_blank(
    workbook: tuple[Path, Lang],
) -> None:
    path, lang = workbook
    results = formula_results(path, lang)
    got = {k: v for k, v in results.items() if k[2] != "all"}
    expected = toolkit_by_group(path)
    keys = zip(expected["indicator"], expected["group_var"], expected["group"], strict=True)
    assert set(got) == set(keys)
    for r in expected.drop_duplicates(["indicator", "group_var"]).itertuples(index=False):
        whole = results[(r.indicator, r.group_var, "all")]  # "" when blank
        assert whole == "" if math.isnan(r.whole) else whole == pytest.approx(r.whole, abs=TOL)
    shown = small = 0
    for r in expected.itertuples(index=False):
        value = got[(r.indicator, r.group_var, r.group)]
        where = f"{r.indicator} {r.group_var}={r.group}"
        if r.base < MIN_GROUP_N:
            assert value == NOTE[lang], where  # no number: only the note
            small += 1
        else:
            assert isinstance(value, float) and not math.isnan(r.value), where
            assert value == pytest.approx(r.value, abs=TOL), where
            shown += 1
    # both kinds occur, in every block
    assert shown > 50 and small > 50
    for field in {"target_group", "service_group", "service"}:
        values = [v for (_, f, _), v in got.items() if f == field]
        assert any(isinstance(v, float) for v in values), field


def test_small_group_limit_is_the_reports_threshold() -> None:
    """The workbook hides what the reports hide (the workbook package cannot import the
    reports, so the two constants are kept equal here)."""
    assert MIN_GROUP_N == DEFAULT_THRESHOLD == 5


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_blocks_are_labelled_in_the_workbook_language(tmp_path: Path, lang: Lang) -> None:
    """One block per disaggregation under the dictionary: the name, whole-pilot value and
    unit, then the level labels of the code list in the workbook's language above the
    columns, the ids only in hidden cells; the whole-pilot values stay in column C of the
    dictionary rows (a block's column C refers to them)."""
    schema = load_schema()
    path = write_template(tmp_path / "t.xlsx", pilot="P", lang=lang)
    ws = openpyxl.load_workbook(path)[schema.section("indicators").sheet(lang)]
    where = group_cells(path, lang)
    blocks = group_blocks(schema)
    assert [b.field for b in blocks] == ["target_group", "service_group", "service"]
    expected = {
        (ind.id, b.field, code)
        for b in blocks
        for ind in b.indicators
        for code in ("all", *schema.codelist(b.codelist).ids)
    }
    assert set(where.cells) == expected
    for b in blocks:
        key_row = next(
            r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=KEY_COL).value == b.field
        )
        assert ws.row_dimensions[key_row].hidden
        labels = [ws.cell(row=key_row + 1, column=c).value for c in range(GROUP_LEVEL_COL, 20)]
        cl = schema.codelist(b.codelist)
        assert labels[: len(cl.codes)] == [c.label(lang) for c in cl.codes]
        assert not any(labels[len(cl.codes) :])
    for i, ind in enumerate(schema.indicators):
        value = str(ws.cell(row=FIRST_ROW + i, column=INDICATOR_VALUE_COL).value)
        assert ws.cell(row=FIRST_ROW + i, column=KEY_COL).value == ind.id
        assert value.startswith("=") and NOTE[lang] not in value  # no suppression there
    group_formula = ws[where.cells[("clients_total", "target_group", "immigrants")]].value
    assert f'"{NOTE[lang]}"' in str(group_formula)
    assert ws[where.cells[("clients_total", "service_group", "all")]].value == f"=C{FIRST_ROW}"


def test_reader_ignores_the_group_cells(tmp_path: Path) -> None:
    """The reader skips the indicator sheet as before: the by-group cells (even typed over
    in an unprotected copy) change nothing read, and the round trip stays lossless."""
    original = filled_evaluation("Sataosaa", seed=SEED, lang="sv")
    path = write_workbook(original, tmp_path / "g.xlsx")
    assert read_workbook(path) == original
    where = group_cells(path, "sv")
    wb = openpyxl.load_workbook(path)
    ws = wb[where.sheet]
    for cell in list(where.cells.values())[::7]:
        ws[cell] = "typed over"
    wb.save(path)
    assert read_workbook(path) == original
