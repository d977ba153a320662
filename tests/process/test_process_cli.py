"""The ``process`` sub-app (mounted by the main CLI as ``pilot-eval process``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.errors import ProblemsFound
from evaluation.process.commands import app
from evaluation.workbook.model import SelfEvaluation


def test_excerpts_command(tmp_path: Path) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("excerpt,code,source_type\nHyvä ote.,Seuranta,asiakas\n", encoding="utf-8")
    res = CliRunner().invoke(
        app, ["excerpts", str(csv), "--pilot", "Fokus", "--out", str(tmp_path / "n.csv")]
    )
    assert res.exit_code == 0, res.output
    assert "1 coded excerpt(s) imported" in res.output and "follow_up" in res.output
    assert (tmp_path / "n.csv").exists()
    csv.write_text("excerpt,code,source_type\n,nope,asiakas\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["excerpts", str(csv), "--pilot", "Fokus"])
    assert isinstance(res.exception, ProblemsFound)
    assert "row 2" in res.exception.message


def test_tables_command(process_paths_en: list[Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["tables", *map(str, process_paths_en), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "mean_dose_hours" in res.output and "savon_ote.xlsx" in res.output
    assert (tmp_path / "process.csv").exists() and not (tmp_path / "clients.csv").exists()


@pytest.mark.parametrize("bad", ["missing.xlsx"])
def test_tables_without_readable_workbooks(bad: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["tables", str(tmp_path / bad)])
    assert isinstance(res.exception, ProblemsFound)


def test_instrument_command(process_paths_en: list[Path], tmp_path: Path) -> None:
    # Tables 10-12 of seed 001 (l.4955-4957 Table 10, l.5132-5135 the adjusted Table 12)
    # from the CLI, with the ethics rule (001 l.5234-5237)
    paths = [str(p) for p in process_paths_en]
    res = CliRunner().invoke(app, ["instrument", *paths, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "a score must never be used to exclude anyone from a service" in text.lower()
    assert "adjusted for age + education" in text
    assert "savon_ote.xlsx" in text  # the flawed workbook is listed and left out
    for name in ("baseline", "change", "validity"):
        assert (tmp_path / f"instrument_{name}.csv").exists()
    bad = CliRunner().invoke(app, ["instrument", *paths, "--follow-up", "middle"])
    assert bad.exit_code != 0 and "--follow-up" in str(bad.exception)


def test_instrument_command_first_vs_latest_by_hand(
    tmp_path: Path, with_hand_follow_ups: Callable[[SelfEvaluation], SelfEvaluation]
) -> None:
    # seed 001 l.4900-4902: first vs latest answer of those who answered at least twice.
    # Two clients answer the work-ability question (l.4955-4957) by hand (HAND_FOLLOW_UPS
    # of conftest): 2 -> 4 -> 7 and 5 -> 6. Latest: change (7-2 + 6-5)/2 = 3, mean
    # follow-up (7 + 6)/2 = 6.5; first follow-up: change (4-2 + 6-5)/2 = 1.5, mean 5.
    import pandas as pd

    from evaluation.synthetic.filled_workbooks import filled_evaluation
    from evaluation.workbook.writer import write_workbook

    ev = with_hand_follow_ups(filled_evaluation("Fokus", seed=2, lang="en"))
    path = str(write_workbook(ev, tmp_path / "fokus.xlsx"))
    expected = {"latest": (3.0, 6.5), "first": (1.5, 5.0)}
    for follow_up, (change, mean) in expected.items():
        out = tmp_path / follow_up
        args = ["instrument", path, "--min-n", "1", "--follow-up", follow_up, "--out", str(out)]
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
        table = pd.read_csv(out / "instrument_change.csv")
        row = table[(table["score"] == "work_ability") & (table["group"] == "all")].iloc[0]
        assert row["n"] == 2
        assert row["estimate"] == pytest.approx(change, abs=1e-12)
        assert row["mean_follow_up"] == pytest.approx(mean, abs=1e-12)
