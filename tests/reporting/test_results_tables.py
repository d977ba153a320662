"""Loading a results folder: formats, located errors, identifier refusal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.errors import InputDataError, MissingColumnError, ReportError
from evaluation.reporting import REPORTS_DIR, render_report
from evaluation.reporting.disclosure import IdentifierLeakError
from evaluation.reporting.results import (
    TABLE_COLUMNS,
    example_results,
    load_comparison_results,
)
from evaluation.synthetic import PILOT_NAMES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return example_results(tmp_path / "r", seed=3)


def test_example_results_have_documented_columns(folder: Path) -> None:
    res = load_comparison_results(folder)
    assert res.pilots == PILOT_NAMES
    for name, cols in TABLE_COLUMNS.items():
        assert tuple(getattr(res, name).columns) == cols
    # The required tables, then the optional ones the example writes (the service need).
    assert [n for n, _ in res.hashes] == [
        *(f"{n}.csv" for n in TABLE_COLUMNS),
        "need_indicators.csv",
    ]
    assert set(res.need_indicators["pilots"]) == set(PILOT_NAMES)
    assert all(len(h) == 64 for _, h in res.hashes)


def test_example_results_are_reproducible(tmp_path: Path) -> None:
    a = example_results(tmp_path / "a", seed=11)
    b = example_results(tmp_path / "b", seed=11)
    for name in TABLE_COLUMNS:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes()


def test_parquet_preferred_over_csv(folder: Path) -> None:
    eff = pd.read_csv(folder / "effects.csv")
    eff.loc[0, "estimate"] = 99.0
    eff.to_parquet(folder / "effects.parquet")
    assert load_comparison_results(folder).effects.loc[0, "estimate"] == 99.0


def test_missing_table_and_column(folder: Path) -> None:
    (folder / "traffic_lights.csv").unlink()
    with pytest.raises(ReportError, match="traffic_lights"):
        load_comparison_results(folder)
    example_results(folder, seed=3)
    pd.read_csv(folder / "process.csv").drop(columns="fidelity").to_csv(
        folder / "process.csv", index=False
    )
    with pytest.raises(MissingColumnError, match="fidelity"):
        load_comparison_results(folder)


def test_bad_values_are_located(folder: Path) -> None:
    tl = pd.read_csv(folder / "traffic_lights.csv")
    tl.loc[4, "rating"] = "blue"
    tl.to_csv(folder / "traffic_lights.csv", index=False)
    with pytest.raises(InputDataError, match="row 6"):
        load_comparison_results(folder)


def test_identifier_column_refused(folder: Path) -> None:
    d = pd.read_csv(folder / "destinations.csv").assign(person_id="P0000001")
    d.to_csv(folder / "destinations.csv", index=False)
    with pytest.raises(IdentifierLeakError):
        load_comparison_results(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportError):
        load_comparison_results(tmp_path / "nope")


def test_cli_raises_named_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evaluation.errors import OptionError
    from evaluation.reporting.commands import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["compare", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "x.html")]
    )
    assert isinstance(res.exception, ReportError)
    folder = example_results(tmp_path / "r")
    res = runner.invoke(
        app,
        ["compare", "--results", str(folder), "--out", str(tmp_path / "x.html"), "--lang", "de"],
    )
    assert res.exit_code == 2 and "'de' is not one of 'fi', 'sv'" in res.output  # usage error
    with pytest.raises(OptionError, match="de"):  # the library names the language too
        render_report(REPORTS_DIR / "compare.qmd", params={}, output=tmp_path / "y.html", lang="de")
    res = runner.invoke(app, ["example-results", "--out", str(tmp_path / "ex")])
    assert res.exit_code == 0 and (tmp_path / "ex" / "effects.csv").exists()
