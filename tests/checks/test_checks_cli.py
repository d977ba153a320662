"""`check`, `submit` and `submissions` as the acceptance script calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evaluation.checks.commands import check_command
from evaluation.errors import OptionError
from evaluation.store.commands import submissions_command, submit_command
from evaluation.store.pseudonym import generate_key_file
from evaluation.workbook.writer import write_template


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("check")(check_command)
    app.command("submit")(submit_command)
    app.command("submissions")(submissions_command)
    return app


def test_acceptance_flow(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PILOT_EVAL_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("PILOT_EVAL_STORE", str(tmp_path / "store" / "store.duckdb"))
    key = generate_key_file(tmp_path / "keys" / "k")
    ok = write_template(tmp_path / "ok.xlsx", pilot="KP Ote", lang="fi")
    broken = tmp_path / "broken.xlsx"
    data = bytearray(ok.read_bytes())
    data[100:107] = b"garbage"
    broken.write_bytes(bytes(data))
    runner = CliRunner()
    res = runner.invoke(app, ["check", str(broken)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and "broken.xlsx" in res.output
    assert (tmp_path / "broken.xlsx.report.html").exists()
    res = runner.invoke(app, ["submit", str(ok), "--key-file", str(key)])
    assert res.exit_code == 1, res.output  # the blank template is stored as rejected
    assert "Tallennettu (hylätty): kokeilu KP Ote" in res.output  # the workbook speaks Finnish
    res = runner.invoke(app, ["submit", str(ok), "--key-file", str(key)])
    assert res.exit_code == 1 and "Jo tallennettu" in res.output  # not stored twice
    res = runner.invoke(app, ["submit", str(ok)])
    assert isinstance(res.exception, OptionError)  # no key: nothing stored
    assert "no pseudonymisation key" in res.exception.message
    res = runner.invoke(app, ["submissions"])
    assert res.exit_code == 0 and res.output.count("KP Ote") == 1


def test_check_table_file(app: typer.Typer, tmp_path: Path) -> None:
    spells = tmp_path / "spells.csv"
    spells.write_text(
        "person_id,code,start,end\nP1,employment_open,2020-01-01,2020-02-01\n"
        "P2,retired,2020-01-01,\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    res = runner.invoke(app, ["check", str(spells), "--kind", "spells"])
    assert res.exit_code == 1 and "'retired'" in res.output
    res = runner.invoke(app, ["check", str(spells)])
    assert res.exit_code != 0 and "--kind" in str(res.exception)
