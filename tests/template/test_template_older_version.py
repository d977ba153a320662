"""A workbook of template version 1.1 (before issue 20) still reads, with a clear note.

The fixture ``fixtures/fokus_schema_1_1_en.xlsx`` was written by the code of main before
this change (commit 2988ad1): ``filled_evaluation("Fokus", seed=20, lang="en")`` passed to
``write_workbook``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.process import concept_ratings, implementer_engagement
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.instrument import predictive_validity
from evaluation.workbook.layout import META_SHEET
from evaluation.workbook.reader import read_workbook

OLD = Path(__file__).parent / "fixtures" / "fokus_schema_1_1_en.xlsx"
#: Rescaled means of three integer answers: float rounding only.
TOL = 1e-9


def test_an_older_workbook_reads_with_a_note_naming_what_it_lacks() -> None:
    ev = read_workbook(OLD)
    assert ev.schema_version == "1.1"
    (note,) = ev.notes
    assert note.startswith("Note: the workbook was made from template version 1.1 (current")
    for part in (
        "Client follow-up: Age at entry (years)",
        "Client follow-up: Level of education",
        "Implementation: How the implementers were engaged",
        "Traffic lights: 3 new rows",
        "Quality and participation",
        "pilot-eval template upgrade",
    ):
        assert part in note
    # what it has is read; the new columns are there, blank
    clients = ev.frame("clients")
    assert len(clients) > 0 and clients["age"].isna().all()
    assert len(ev.records["criteria"]) == 30  # the 30 criteria of version 1.1
    assert concept_ratings([ev])["rating"].isna().all()  # 14 rows, none rated
    assert len(concept_ratings([ev])) == 14
    assert implementer_engagement([ev]).empty


def test_an_older_workbooks_skills_score_uses_the_items_it_has() -> None:
    ev = read_workbook(OLD)
    answers = ev.frame("self_assessment").iloc[0]
    scores = ev.scores().iloc[0]
    # version 1.1 had three cognitive items: (mean - 1) / 4 * 100
    mean = np.mean([float(answers[f"cognitive_{k}"]) for k in (1, 2, 3)])
    assert scores["cognitive"] == pytest.approx((mean - 1) / 4 * 100, abs=TOL)
    res = predictive_validity(ev.scores())
    assert np.isnan(res.tidy()["adjusted_estimate"]).all()
    assert any("not recorded" in n for n in res.notes)


def test_a_version_before_the_oldest_readable_is_still_refused(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(OLD)
    wb[META_SHEET]["B2"] = "1.0"  # schema_version in the hidden meta sheet
    path = tmp_path / "older.xlsx"
    wb.save(path)
    with pytest.raises(LocalizedWorkbookError, match=r"older template version 1\.0"):
        read_workbook(path)


def test_template_read_prints_the_note() -> None:
    from typer.testing import CliRunner

    from evaluation.workbook.commands import app

    res = CliRunner().invoke(app, ["read", str(OLD)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Note: the workbook was made from template version 1.1" in text
    assert "Traffic lights: 3 new rows" in text
