"""The ``process`` sub-app (mounted by the main CLI as ``pilot-eval process``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.errors import ProblemsFound
from evaluation.process.commands import app


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
