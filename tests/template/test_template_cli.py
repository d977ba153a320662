"""The ``template`` sub-commands, run as the main entry point runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from evaluation.workbook.commands import app
from evaluation.workbook.errors import LocalizedWorkbookError

# Mounts the sub-app like evaluation/cli.py will and prints errors as main() does.
_MAIN = """
import sys, typer
from evaluation.errors import PilotEvalError
from evaluation.workbook.commands import app as template
root = typer.Typer()
root.add_typer(template, name="template")
try:
    root(args=sys.argv[1:], standalone_mode=False)
except PilotEvalError as exc:
    print("Error:", exc.message, file=sys.stderr)
    sys.exit(2)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _MAIN, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_new_then_read_json(tmp_path: Path) -> None:
    from evaluation.synthetic.filled_workbooks import filled_evaluation
    from evaluation.workbook.writer import write_workbook

    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    res = runner.invoke(app, ["new", "--pilot", "Sataosaa", "--lang", "sv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "Anvisningar"
    filled = write_workbook(filled_evaluation("Sataosaa", seed=1, lang="en"), tmp_path / "f.xlsx")
    js = tmp_path / "f.json"
    res = runner.invoke(app, ["read", str(filled), "--json", str(js)])
    assert res.exit_code == 0, res.output
    # the summary speaks the workbook's language: indicator names, not ids
    assert "Employed within 6 months of starting job coaching" in res.output
    assert "employed_6m_after_job_coaching" not in res.output
    assert json.loads(js.read_text(encoding="utf-8"))["pilot"] == "Sataosaa"


def test_read_of_problem_workbook_raises_named_error(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    CliRunner().invoke(app, ["new", "--pilot", "X", "--lang", "en", "--out", str(out)])
    res = CliRunner().invoke(app, ["read", str(out)])
    assert isinstance(res.exception, LocalizedWorkbookError)


def _main(*args: str) -> tuple[int, str]:
    """Run the mounted sub-app as ``pilot-eval`` does; return (exit code, printed text)."""
    import typer

    from evaluation.errors import PilotEvalError

    root = typer.Typer()
    root.add_typer(app, name="template")
    res = CliRunner().invoke(root, list(args))
    if isinstance(res.exception, PilotEvalError):
        return 2, res.output + res.exception.message  # main() prints the message, exit 2
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_acceptance_flow_exits_cleanly(tmp_path: Path, lang: str) -> None:
    t = tmp_path / "t.xlsx"
    code, _ = _main("template", "new", "--pilot", "Sataosaa", "--lang", lang, "--out", str(t))
    assert code == 0
    code, _ = _main("template", "read", str(t))
    assert code == 2
    wb = openpyxl.load_workbook(t)
    middle = wb.sheetnames[len(wb.sheetnames) // 2]
    del wb[middle]
    wb.save(t)
    code, text = _main("template", "read", str(t))
    assert code == 2 and middle in text
    empty = tmp_path / "e.xlsx"
    empty.write_bytes(b"")
    code, _ = _main("template", "read", str(empty))
    assert code == 2


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """One real process: a missing sheet gives exit 2, its name and no traceback."""
    t = tmp_path / "t.xlsx"
    from evaluation.workbook.writer import write_template

    write_template(t, pilot="Sataosaa", lang="fi")
    wb = openpyxl.load_workbook(t)
    middle = wb.sheetnames[len(wb.sheetnames) // 2]
    del wb[middle]
    wb.save(t)
    res = _run("template", "read", str(t))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert middle in res.stderr
