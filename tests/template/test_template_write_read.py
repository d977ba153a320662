"""Generating the workbook, reading it back, and the lossless round trip in fi/sv/en."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from evaluation.errors import OptionError, PilotEvalError
from evaluation.schema import LANGS, load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_template, write_workbook

SEED = 11


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {n: [tuple(c.value for c in r) for r in wb[n].iter_rows()] for n in wb.sheetnames}


@pytest.mark.parametrize("lang", LANGS)
def test_new_template_has_sheets_lists_validation_and_protection(tmp_path: Path, lang: str) -> None:
    schema = load_schema()
    path = write_template(tmp_path / "t.xlsx", pilot="Sataosaa", lang=lang)
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0] == schema.text("instructions_sheet", lang)  # type: ignore[arg-type]
    assert names[1:-2] == list(schema.sheet_names(lang))  # type: ignore[arg-type]
    assert names[-2:] == ["_lists", "_meta"]
    assert wb["_lists"].sheet_state == "hidden"
    assert wb.security is not None and wb.security.lockStructure
    clients = wb[schema.section("clients").sheet(lang)]  # type: ignore[arg-type]
    assert clients.protection.sheet
    kinds = {dv.type for dv in clients.data_validations.dataValidation}
    assert {"list", "date", "whole"} <= kinds
    lists = [dv for dv in clients.data_validations.dataValidation if dv.type == "list"]
    assert all(dv.formula1.startswith("'_lists'!") for dv in lists)
    # the drop-down labels are in the workbook's language
    tg = schema.codelist("target_group")
    values = {c.value for col in wb["_lists"].iter_cols() for c in col}
    assert {c.label(lang) for c in tg.codes} <= values  # type: ignore[arg-type]
    pilot = wb[schema.section("pilot").sheet(lang)]  # type: ignore[arg-type]
    assert pilot["C5"].value == "Sataosaa"
    assert pilot["C5"].protection.locked is False
    assert pilot["B5"].protection.locked is True


def test_same_content_in_all_languages(tmp_path: Path) -> None:
    shapes = []
    for lang in LANGS:
        wb = openpyxl.load_workbook(write_template(tmp_path / f"{lang}.xlsx", pilot="X", lang=lang))
        shapes.append([(ws.max_row, ws.max_column) for ws in wb.worksheets])
    assert shapes[0] == shapes[1] == shapes[2]


@pytest.mark.parametrize("lang", LANGS)
def test_empty_template_reports_missing_content_without_crashing(tmp_path: Path, lang: str) -> None:
    schema = load_schema()
    path = write_template(tmp_path / "t.xlsx", pilot="Sataosaa", lang=lang)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    msg = info.value.message
    assert schema.text("fix", lang) in msg  # type: ignore[arg-type]
    # every required table section is reported once as empty
    empty = [p for p in info.value.problems if schema.section("clients").sheet(lang) in p.where]  # type: ignore[arg-type]
    assert len(empty) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_deleted_middle_sheet_is_named(tmp_path: Path, lang: str) -> None:
    path = write_template(tmp_path / "t.xlsx", pilot="Sataosaa", lang=lang)
    wb = openpyxl.load_workbook(path)
    middle = wb.sheetnames[len(wb.sheetnames) // 2]
    del wb[middle]
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    hits = [p for p in info.value.problems if middle in p.what]
    assert len(hits) == 1


def test_empty_and_corrupt_files_give_clean_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(LocalizedWorkbookError, match="empty"):
        read_workbook(empty)
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"this is not a workbook at all" * 10)
    with pytest.raises(LocalizedWorkbookError, match="not a readable Excel workbook"):
        read_workbook(garbage)
    with pytest.raises(LocalizedWorkbookError, match="does not exist"):
        read_workbook(tmp_path / "missing.xlsx")
    # bytes overwritten inside a real workbook: still one clean error, never a traceback
    real = write_template(tmp_path / "real.xlsx", pilot="X", lang="en")
    data = bytearray(real.read_bytes())
    for offset in (100, 2000, len(data) // 2):
        broken = tmp_path / f"broken{offset}.xlsx"
        broken.write_bytes(bytes(data[:offset]) + b"garbage" + bytes(data[offset + 7 :]))
        with pytest.raises(PilotEvalError):
            read_workbook(broken)


@pytest.mark.parametrize("lang", LANGS)
def test_round_trip_is_lossless(tmp_path: Path, lang: str) -> None:
    original = filled_evaluation("Sataosaa", seed=SEED, lang=lang)
    first = write_workbook(original, tmp_path / "first.xlsx")
    read1 = read_workbook(first)
    assert read1 == original
    second = write_workbook(read1, tmp_path / "second.xlsx")
    assert _cells(first) == _cells(second)
    assert read_workbook(second) == read1


def test_read_gives_typed_model_tables_and_json(tmp_path: Path) -> None:
    ev = filled_evaluation("KP Ote", seed=SEED, lang="en")
    back = read_workbook(write_workbook(ev, tmp_path / "kp.xlsx"))
    tables = back.tables()
    assert {"pilot", "clients", "criteria", "indicators", "scores"} <= set(tables)
    clients = tables["clients"]
    assert str(clients["entry_date"].dtype).startswith("datetime64")
    assert str(clients["perceived_benefit"].dtype) == "Int64"
    assert set(clients["pilot"]) == {"KP Ote"}
    crit = tables["criteria"]
    assert {"row", "theme", "dimension", "rating", "justification"} <= set(crit.columns)
    import json

    data = json.loads(back.to_json())
    assert data["pilot"] == "KP Ote"
    assert len(data["tables"]["clients"]) == len(clients)
    assert "Indicators" in back.summary()


def test_writing_a_workbook_in_another_language_keeps_content(tmp_path: Path) -> None:
    ev = filled_evaluation("Fokus", seed=SEED, lang="fi")
    sv = read_workbook(write_workbook(ev, tmp_path / "sv.xlsx", lang="sv"))
    assert sv.lang == "sv"
    assert sv.forms == ev.forms
    assert sv.records == ev.records


def test_bad_options_raise_option_error(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="language"):
        write_template(tmp_path / "t.xlsx", pilot="X", lang="de")
    with pytest.raises(OptionError, match=r"\.xlsx"):
        write_template(tmp_path / "t.csv", pilot="X", lang="fi")
    with pytest.raises(OptionError, match="pilot"):
        write_template(tmp_path / "t.xlsx", pilot="  ", lang="fi")


def _nonempty(rows: list[tuple[Any, ...]]) -> dict[tuple[int, int], Any]:
    return {
        (r, c): v for r, row in enumerate(rows, 1) for c, v in enumerate(row, 1) if v is not None
    }


def test_fast_reader_agrees_with_openpyxl(tmp_path: Path) -> None:
    """The fast cell reader sees exactly what openpyxl sees (values, dates, formulas)."""
    import datetime as dt

    from evaluation.workbook.xlsx import FastBook

    ev = filled_evaluation("Pähee Ote", seed=SEED, lang="sv")
    path = write_workbook(ev, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Klientuppföljning"]
    ws["N6"] = "=1+1"
    ws["J7"] = True
    ws["J8"] = 2.5
    ws["J9"] = dt.datetime(2018, 5, 4)
    ws["J9"].number_format = "yyyy-mm-dd"
    wb.save(path)
    fast = FastBook(path)
    ref = openpyxl.load_workbook(path, read_only=True)
    try:
        assert fast.names == ref.sheetnames
        for name in fast.names:
            want = _nonempty([tuple(r) for r in ref[name].iter_rows(values_only=True)])
            assert _nonempty(fast.rows(name)) == want, name
    finally:
        fast.close()
        ref.close()
