"""Adding a section is schema content only: the writer and reader need no new code."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from evaluation.schema import Schema, load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_workbook


def _extended() -> Schema:
    raw = load_schema().model_dump()
    t = {"fi": "Opit", "sv": "Lärdomar", "en": "Lessons"}
    raw["codelists"]["lesson"] = {
        "id": "lesson",
        "label": t,
        "codes": [
            {
                "code": "shared_goal",
                "label": {"fi": "Yhteinen tavoite", "sv": "Gemensamt mål", "en": "Shared goal"},
            },
            {
                "code": "management_support",
                "label": {"fi": "Johdon tuki", "sv": "Ledningens stöd", "en": "Management support"},
            },
        ],
    }
    raw["sections"] = list(raw["sections"])
    raw["sections"].insert(
        9,
        {
            "id": "lessons",
            "kind": "table",
            "required": True,
            "rows_from": "lesson",
            "row_label": t,
            "sheet": t,
            "title": t,
            "instructions": t,
            "fields": [
                {
                    "id": "in_place",
                    "type": "code",
                    "codelist": "yes_no",
                    "required": True,
                    "label": {"fi": "Toteutuu", "sv": "Uppfylls", "en": "In place"},
                },
                {
                    "id": "comment",
                    "type": "text",
                    "label": {"fi": "Kommentti", "sv": "Kommentar", "en": "Comment"},
                },
            ],
        },
    )
    return Schema.model_validate(raw)


def test_new_section_is_written_and_read_without_code_changes(tmp_path: Path) -> None:
    schema = _extended()
    base = filled_evaluation("Fokus", seed=1, lang="sv")
    ev = SelfEvaluation(
        pilot=base.pilot,
        lang="sv",
        forms=base.forms,
        records=base.records,
        schema_version=base.schema_version,
        schema=schema,
    )
    path = write_workbook(ev, tmp_path / "ext.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Lärdomar" in wb.sheetnames
    ws = wb["Lärdomar"]
    ws["C5"] = "Ja"
    ws["D5"] = "Styrgruppen har godkänt målen."
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError, match="C6"):  # every fixed row is answered
        read_workbook(path, schema=schema)
    ws["C6"] = "Nej"
    wb.save(path)
    back = read_workbook(path, schema=schema)
    assert back.records["lessons"] == (
        {"row": "shared_goal", "in_place": "yes", "comment": "Styrgruppen har godkänt målen."},
        {"row": "management_support", "in_place": "no", "comment": None},
    )
    assert "lessons" in back.tables()
