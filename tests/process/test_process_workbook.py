"""The process sections round-trip through the workbook (fi/sv/en); mistakes are located."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from evaluation.schema import LANGS, load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_template, write_workbook

SEED = 4
PROCESS_TABLES = (
    "service_dose",
    "client_goals",
    "preconditions",
    "harms",
    "readiness",
    "codebook",
    "excerpts",
)


@pytest.mark.parametrize("lang", LANGS)
def test_process_sections_round_trip(lang: str, tmp_path: Path) -> None:
    ev = filled_evaluation("Fokus", seed=SEED, lang=lang)
    for sid in PROCESS_TABLES:
        assert ev.records[sid], sid  # the synthetic pilot fills every process sheet
    back = read_workbook(write_workbook(ev, tmp_path / f"fokus_{lang}.xlsx"))
    assert back.lang == lang
    assert back.forms["integration_model"] == ev.forms["integration_model"]
    for sid in PROCESS_TABLES:
        assert back.records[sid] == ev.records[sid], sid
    tables = back.tables()
    assert {"client_goals", "readiness", "excerpts", "service_dose"} <= set(tables)


def test_template_has_the_process_vocabulary(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx", pilot="Fokus", lang="en")
    wb = openpyxl.load_workbook(path)
    text = " ".join(wb.sheetnames).lower()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            text += " " + " ".join(str(v).lower() for v in row if v is not None)
    for word in (
        "one-stop",
        "partnership",
        "client work",
        "readiness",
        "codebook",
        "goal attainment",
        "division of responsibility",
        "management support",
    ):
        assert word in text, word
    fi = openpyxl.load_workbook(write_template(tmp_path / "fi.xlsx", pilot="Fokus", lang="fi"))
    assert {"Integraatiomalli", "Edellytykset", "Valmiuskysely", "Koodikirja"} <= set(fi.sheetnames)


def _problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    return [(p.where, p.what) for p in info.value.problems]


def test_mistakes_in_process_sheets_are_located(tmp_path: Path) -> None:
    ev = filled_evaluation("Sataosaa", seed=SEED, lang="en")
    path = write_workbook(ev, tmp_path / "s.xlsx")
    read_workbook(path)  # clean start
    wb = openpyxl.load_workbook(path)
    schema = load_schema()
    expected: list[tuple[str, str]] = []

    im = wb["Integration model"]
    im["C5"] = "Federation"  # model type not in the list
    expected.append(("sheet 'Integration model', cell C5", "'Federation' is not an allowed"))

    goals = wb["Client goals"]
    goals["I5"] = 3  # attainment outside -2..+2
    expected.append(("sheet 'Client goals', cell I5", "3 is outside the allowed range -2–2"))
    goals["I6"] = None  # follow-up date without attainment
    assert goals["H6"].value is not None
    expected.append(("sheet 'Client goals', cell I6", "'Goal attainment level"))
    goals["C7"] = goals["C8"].value
    goals["B7"] = goals["B8"].value  # same client and goal number twice
    expected.append(("sheet 'Client goals', cell B8", "appears more than once"))

    dose = wb["Service dose"]
    dose["B6"] = "ZZZ999"
    expected.append(("sheet 'Service dose', cell B6", "'ZZZ999' is not found"))

    pre = wb["Preconditions"]
    pre["D6"] = None  # rating without justification (division of responsibility)
    assert pre["B6"].value == "Agreed division of responsibility"
    expected.append(("sheet 'Preconditions', cell D6", "'Justification' is missing"))

    harms = wb["Harms to watch"]
    harms["C5"] = "Observed"
    harms["D5"] = None
    expected.append(("sheet 'Harms to watch', cell D5", "'What was seen' is missing"))

    ready = wb["Readiness survey"]
    ready["G5"] = 6  # first item on a 1-5 scale
    expected.append(("sheet 'Readiness survey', cell G5", "6 is outside the allowed range 1–5"))

    exc = wb["Coded excerpts"]
    exc["C5"] = "Gossip"
    expected.append(("sheet 'Coded excerpts', cell C5", "'Gossip' is not an allowed"))
    exc["B6"] = None
    expected.append(("sheet 'Coded excerpts', cell B6", "required answer 'Excerpt'"))

    book = wb["Codebook"]
    assert book["B29"].value == "Cooperation: workplaces"  # the last of the 25 codes
    book["D31"] = "our own code"  # below the codebook's fixed rows
    expected.append(("sheet 'Codebook'", "outside the template's table (first D31)"))
    wb.save(path)

    got = _problems(path)
    assert len(got) == len(expected), got
    for where, what in expected:
        assert any(w == where and what in t for w, t in got), (where, what, got)
    assert schema.section("client_goals").field("attainment").min == -2

    # An identity code anywhere refuses the whole file at intake, before other checks.
    wb = openpyxl.load_workbook(path)
    wb["Readiness survey"]["B6"] = "131052-308T"
    wb.save(path)
    got = _problems(path)
    assert got == [
        (
            "sheet 'Readiness survey', cell B6",
            "this holds a Finnish personal identity code or a store pseudonym (shape ######-####)",
        )
    ]


def test_errors_in_swedish_and_finnish(tmp_path: Path) -> None:
    for lang, sheet, word in (
        ("sv", "Klientens mål", "ligger utanför"),
        ("fi", "Asiakkaan tavoitteet", "ulkopuolella"),
    ):
        ev = filled_evaluation("KP Ote", seed=SEED, lang=lang)
        path = write_workbook(ev, tmp_path / f"kp_{lang}.xlsx")
        wb = openpyxl.load_workbook(path)
        wb[sheet]["I5"] = -3
        wb.save(path)
        ((where, what),) = _problems(path)
        assert sheet in where and "I5" in where and word in what
