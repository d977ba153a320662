"""The ``registers`` sub-app of the command line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from typer.testing import CliRunner

from evaluation.errors import SpellError
from evaluation.registers.commands import app


def test_panel_command_writes_parquet(basic_spells: pd.DataFrame, tmp_path: Path) -> None:
    spells = tmp_path / "spells.parquet"
    basic_spells.to_parquet(spells)
    out, yearly = tmp_path / "pm.parquet", tmp_path / "py.parquet"
    result = CliRunner().invoke(
        app,
        ["panel", str(spells), "--start", "2020-01", "--end", "2020-06", "--out", str(out),
         "--yearly", str(yearly)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 persons x 6 months" in result.output
    assert duckdb.sql(f"SELECT count(*) FROM '{out.as_posix()}'").fetchall()[0][0] == 24
    assert duckdb.sql(f"SELECT count(*) FROM '{yearly.as_posix()}'").fetchall()[0][0] == 4


def test_codes_and_validate_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["codes", "--lang", "fi"])
    assert result.exit_code == 0 and "Työmarkkinatuki" in result.output
    bad = tmp_path / "spells.csv"
    bad.write_text("person_id,code,start,end\nP1,sickness,2020-01-01,\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert isinstance(result.exception, SpellError)
    assert "spells.csv row 1, column 'code'" in str(result.exception)


def test_panel_command_month_rule(basic_spells: pd.DataFrame, tmp_path: Path) -> None:
    spells = tmp_path / "spells.parquet"
    basic_spells.to_parquet(spells)
    months = {}
    for rule in ("any_day", "full_month"):
        out = tmp_path / f"{rule}.parquet"
        result = CliRunner().invoke(
            app,
            ["panel", str(spells), "--start", "2020-01", "--end", "2020-06", "--out", str(out),
             "--month-rule", rule],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        months[rule] = duckdb.sql(
            f"SELECT sum(status <> 'none') FROM '{out.as_posix()}'"
        ).fetchall()[0][0]
    assert months["full_month"] <= months["any_day"]
    result = CliRunner().invoke(
        app,
        ["panel", str(spells), "--start", "2020-01", "--end", "2020-06", "--out",
         str(tmp_path / "x.parquet"), "--month-rule", "weekly"],
    )  # fmt: skip
    assert "unknown month rule 'weekly'" in str(result.exception)
