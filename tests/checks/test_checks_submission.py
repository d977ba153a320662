"""Submission suites (tidy tables of a filled workbook) and workbook-level validation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.checks import ValidationReport, parse_submission, validate
from evaluation.checks.submission import tidy_tables
from evaluation.synthetic.filled_workbooks import FLAWED_PILOT, write_filled_workbooks
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.writer import write_template, write_workbook


def only(report: ValidationReport, family: str):  # type: ignore[no-untyped-def]
    assert report.families() == (family,), report.summary()
    return next(f for f in report.failures if f.family == family)


@pytest.fixture
def tables(clean_evaluation: SelfEvaluation) -> dict[str, pd.DataFrame]:
    return tidy_tables(clean_evaluation)


def test_clean_evaluation_passes(clean_evaluation: SelfEvaluation) -> None:
    report = validate("submission", clean_evaluation)
    assert report.ok, report.summary()
    assert report.n_rows["clients"] > 10 and report.lang == "fi"
    assert report.meta["pilot"] == "Fokus"


def test_required(tables: dict[str, pd.DataFrame]) -> None:
    tables["clients"].loc[3, "entry_date"] = pd.NaT
    f = only(validate("submission", {"clients": tables["clients"]}), "required")
    assert f.table == "clients" and f.column == "entry_date" and f.rows == (3,)
    assert "required column 'Entry date'" in f.what  # the header staff see, not the id


def test_required_form_answer(tables: dict[str, pd.DataFrame]) -> None:
    forms = tables["forms"]
    forms.loc[forms["field"].eq("coordinator"), "value"] = None
    f = only(validate("submission", {"forms": tables["forms"]}), "required")
    assert f.table == "forms" and f.column == "value" and len(f.rows) == 1
    assert f.samples[0]["field"] == "coordinator"


def test_code(tables: dict[str, pd.DataFrame]) -> None:
    tables["clients"].loc[1, "target_group"] = "unemployed"
    f = only(validate("submission", {"clients": tables["clients"]}), "code")
    assert f.column == "target_group" and f.rows == (1,) and "'unemployed'" in f.what


def test_range(tables: dict[str, pd.DataFrame]) -> None:
    tables["self_assessment"].loc[0, "work_ability"] = 15
    f = only(validate("submission", {"self_assessment": tables["self_assessment"]}), "range")
    assert f.column == "work_ability" and "outside 0.0..10.0" in f.what and f.rows == (0,)


def test_pattern(tables: dict[str, pd.DataFrame]) -> None:
    tables["logic_model"].loc[0, "element_id"] = "has spaces!"
    f = only(validate("submission", {"logic_model": tables["logic_model"]}), "pattern")
    assert f.column == "element_id" and "'has spaces!'" in f.what


def test_length(tables: dict[str, pd.DataFrame]) -> None:
    forms = tables["forms"]
    forms.loc[forms["field"].eq("coordinator"), "value"] = "x" * 201
    f = only(validate("submission", {"forms": tables["forms"]}), "length")
    assert f.table == "forms" and f.samples[0]["field"] == "coordinator"
    assert "longer than" in f.what


def test_unique(tables: dict[str, pd.DataFrame]) -> None:
    clients = tables["clients"]
    clients.loc[5, "client_id"] = clients.loc[4, "client_id"]
    f = only(validate("submission", {"clients": tables["clients"]}), "unique")
    assert f.column == "client_id" and f.rows == (4, 5)


def test_date_order(tables: dict[str, pd.DataFrame]) -> None:
    clients = tables["clients"]
    row = int(clients["exit_date"].first_valid_index())  # type: ignore[arg-type]
    clients.loc[row, "exit_date"] = clients.loc[row, "entry_date"] - pd.Timedelta(days=1)
    f = only(validate("submission", {"clients": tables["clients"]}), "date_order")
    assert f.column == "exit_date" and f.rows == (row,)
    assert "'Exit date' is before 'Entry date'" in f.what


def test_personal_identity_code_in_free_text(tables: dict[str, pd.DataFrame]) -> None:
    tables["clients"].loc[2, "other_services"] = "asiakas 131052-308T soitti"
    f = only(validate("submission", {"clients": tables["clients"]}, lang="fi"), "personal_id")
    assert f.column == "other_services" and f.rows == (2,)
    assert "henkilötunnuksen" in f.what and "131052-308T" not in f.what


def test_personal_identity_code_in_form_answer(tables: dict[str, pd.DataFrame]) -> None:
    forms = tables["forms"]
    forms.loc[forms["field"].eq("why"), "value"] = "Yhteyshenkilö 010101A123N."
    f = only(validate("submission", {"forms": tables["forms"]}), "personal_id")
    assert f.table == "forms"


def test_missing_column(tables: dict[str, pd.DataFrame]) -> None:
    tables["clients"] = tables["clients"].drop(columns=["service_group"])
    f = only(validate("submission", {"clients": tables["clients"]}), "columns")
    assert f.what == "column 'Main service provider' is missing"


def test_workbook_code_refused_at_intake(clean_evaluation: SelfEvaluation, tmp_path: Path) -> None:
    """An identity code in free text refuses the file at the door, located by cell."""
    from openpyxl import load_workbook

    path = write_workbook(clean_evaluation, tmp_path / "fokus.xlsx")
    wb = load_workbook(path)
    ws = wb["Asiakasseuranta"]
    ws["J6"] = "soitti 131052-308T"  # other_services of the second client (row 6)
    wb.save(path)
    report = validate("submission", path)
    f = only(report, "personal_id")
    assert f.where == "välilehti 'Asiakasseuranta', solu J6"
    assert "131052" not in report.to_json() + report.to_html() + report.summary()
    assert len(report.quarantine) == 0  # nothing of a refused file is kept


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wb")
    paths = write_filled_workbooks(folder, seed=3)
    return next(p for p in paths if FLAWED_PILOT.lower().replace(" ", "_") in p.name)


def test_flawed_workbook_report(flawed: Path, tmp_path: Path) -> None:
    report = validate("submission", flawed)
    assert not report.ok and report.families() == ("workbook",)
    wheres = [f.where for f in report.failures]
    assert "välilehti 'Asiakasseuranta', solu C7" in wheres
    assert "välilehti 'Itsearviot', solu H6" in wheres
    # failing rows are quarantined with the reason, never dropped
    q = report.quarantine
    assert {("clients", 7), ("self_assessment", 6)} <= set(zip(q["table"], q["row"], strict=True))
    assert q["reason"].str.contains("solu C7").any()
    html = report.write_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "solu H6" in html and html.count("<section>") == len(report.failures)
    pilot = report.meta["pilot"]
    assert pilot and report.summary().startswith(f"{flawed.name} (Kokeilu {pilot}")
    assert f"Kokeilu {pilot}" in html  # staff see whose workbook it is, not only the file


def test_unfilled_template_and_damaged_file(tmp_path: Path) -> None:
    path = write_template(tmp_path / "kp.xlsx", pilot="KP Ote", lang="sv")
    parsed = parse_submission(path)
    assert parsed.pilot == "KP Ote" and parsed.lang == "sv" and parsed.period == "unknown"
    report = validate("submission", path)
    assert not report.ok and "kontroller misslyckades" in report.summary()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    report = validate("submission", bad)
    assert not report.ok and report.meta["pilot"] == "bad"


def test_required_if(tables: dict[str, pd.DataFrame]) -> None:
    crit = tables["criteria"]
    row = int(crit.index[crit["rating"].isin(["green", "yellow", "red"])][0])
    crit.loc[row, "justification"] = None
    f = only(validate("submission", {"criteria": crit}), "required_if")
    assert f.column == "justification" and f.rows == (row,)
    assert "required there" in f.what and "rating in" in f.fix
