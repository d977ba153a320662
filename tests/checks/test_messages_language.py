"""Messages read as written for their reader: real plural forms, the headers a person sees
(never internal field ids), numbers without exponents."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from evaluation.checks.messages import ui
from evaluation.schema import load_schema
from evaluation.schema.model import plural_category
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.layout import HEADER_ROW, IDS_ROW
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_template


@pytest.mark.parametrize(
    ("lang", "one", "many"),
    [
        ("fi", "1 ongelma löytyi", "2 ongelmaa löytyi"),
        ("sv", "1 problem hittades", "2 problem hittades"),
        ("en", "1 problem found", "2 problems found"),
    ],
)
def test_counts_take_the_languages_plural_forms(lang: str, one: str, many: str) -> None:
    schema = load_schema()
    assert schema.text("problems_found", lang, n=1) == one  # type: ignore[arg-type]
    assert schema.text("problems_found", lang, n=2) == many  # type: ignore[arg-type]


def test_check_report_counts_and_plural_rule() -> None:
    assert ui("failed", "fi", n=1) == "1 tarkistus epäonnistui"
    assert ui("failed", "sv", n=1) == "1 kontroll misslyckades"
    assert ui("failed", "sv", n=3) == "3 kontroller misslyckades"
    assert ui("quarantined", "fi", n=1) == "1 rivi siirretty karanteeniin"
    assert plural_category("fi", 0) == "other" and plural_category("en", 1) == "one"


def test_a_moved_column_is_named_by_its_header_not_its_id(tmp_path: Path) -> None:
    path = write_template(tmp_path / "kp.xlsx", pilot="KP Ote", lang="fi")
    wb = load_workbook(path)
    ws = wb["Asiakasseuranta"]
    ws.cell(IDS_ROW, 2).value, ws.cell(IDS_ROW, 3).value = "entry_date", "client_id"
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    text = "\n".join(p.what for p in info.value.problems)
    assert "odotettiin 'Asiakastunnus'" in text and "client_id" not in text


def test_range_prompts_show_numbers_as_people_write_them(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "kp.xlsx", pilot="KP Ote", lang="fi"))
    prompts = [
        dv.prompt or ""
        for ws in wb.worksheets
        for dv in ws.data_validations.dataValidation
        if dv.prompt and "väliltä" in dv.prompt
    ]
    assert prompts and not any("e+" in p for p in prompts)
    assert any("1\u00a0000\u00a0000" in p or "1 000 000" in p for p in prompts)
    assert HEADER_ROW == IDS_ROW + 1  # the header a person sees sits under the id row


def test_the_command_line_speaks_the_workbooks_language(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_template(tmp_path / "kp.xlsx", pilot="KP Ote", lang="sv")
    code = "from evaluation.cli import main; main()"
    run = subprocess.run(
        [sys.executable, "-c", code, "template", "read", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and run.stderr.lstrip().startswith("Fel:"), run.stderr
    assert "Traceback" not in run.stderr


def test_dates_in_messages_are_written_as_staff_write_them(tmp_path: Path) -> None:
    """A date-order mistake names both dates as 1.6.2017, never 2017-06-01."""
    import datetime as dt
    import re

    from evaluation.synthetic.filled_workbooks import filled_evaluation
    from evaluation.workbook.layout import FIRST_ROW
    from evaluation.workbook.writer import write_workbook

    path = write_workbook(filled_evaluation("Fokus", seed=2, lang="fi"), tmp_path / "f.xlsx")
    wb = load_workbook(path)
    ws = wb["Asiakasseuranta"]
    cols = {c.value: c.column for c in ws[IDS_ROW] if c.value}
    ws.cell(FIRST_ROW, cols["entry_date"]).value = dt.datetime(2018, 6, 1)
    ws.cell(FIRST_ROW, cols["exit_date"]).value = dt.datetime(2018, 5, 3)
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError) as info:
        read_workbook(path)
    text = "\n".join(p.what for p in info.value.problems)
    assert "3.5.2018" in text and "1.6.2018" in text, text
    assert not re.search(r"\d{4}-\d\d-\d\d", text)


def _cli(*args: str) -> tuple[int, str]:
    import subprocess
    import sys

    code = "from evaluation.cli import main; main()"
    run = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    return run.returncode, run.stdout + run.stderr


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_check_and_read_speak_the_workbooks_language(tmp_path: Path, lang: str) -> None:
    """`template read` of a good workbook, `check` of a faulty one and its HTML validation
    report: no internal code, English word, catalogue key or ISO date a reader would see."""
    import re

    from evaluation.synthetic.filled_workbooks import filled_evaluation
    from evaluation.workbook.layout import FIRST_ROW
    from evaluation.workbook.writer import write_workbook
    from tests.language import problems, visible_text

    good = write_workbook(filled_evaluation("Fokus", seed=2, lang=lang), tmp_path / "hyva.xlsx")
    rc, out = _cli("template", "read", str(good))
    assert rc == 0 and problems(out) == set(), out
    wb = load_workbook(good)
    clients = wb[load_schema().section("clients").sheet(lang)]  # type: ignore[arg-type]
    cols = {c.value: c.column for c in clients[IDS_ROW] if c.value}
    clients.cell(FIRST_ROW, cols["entry_date"]).value = "ensi viikolla"
    clients.cell(FIRST_ROW + 1, cols["target_group"]).value = "työtön"
    bad = tmp_path / "virhe.xlsx"
    wb.save(bad)
    html_path = tmp_path / "virhe.html"
    rc, out = _cli("check", str(bad), "--html", str(html_path))
    assert rc == 1 and problems(out) == set(), out
    page = visible_text(html_path.read_text(encoding="utf-8"))
    assert problems(page) == set(), page
    assert "expect_" not in page and not re.search(r"\d{4}-\d\d-\d\d", page)
