"""``pilot-eval synthetic``: the sub-app writes an extract and reports bad options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.errors import OptionError
from evaluation.synthetic.extract_commands import app


def test_registers_command_writes_the_extract(tmp_path: Path) -> None:
    out = tmp_path / "extract"
    result = CliRunner().invoke(
        app, ["registers", "--out", str(out), "--persons", "3000", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Sataosaa" in result.output
    assert (out / "spells.parquet").is_file()
    assert (out / "truth.csv").is_file()
    assert (out / "parameters.json").is_file()


def test_bad_format_is_an_option_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["registers", "--out", str(tmp_path), "--format", "xlsx"])
    assert isinstance(result.exception, OptionError)
    assert "--format" in str(result.exception)


def test_too_few_persons_is_an_option_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["registers", "--out", str(tmp_path), "--persons", "5"])
    assert isinstance(result.exception, OptionError)


@pytest.mark.parametrize("name", ["Yhdessä hyvä Ote", "Fokus", "Savon Ote"])
def test_pilots_command_lists_the_pilots(name: str) -> None:
    result = CliRunner().invoke(app, ["pilots"])
    assert result.exit_code == 0
    assert name in result.output
