"""``pilot-eval registers need``: service need per region from a person-year panel
(issue 20, item 2; THL's request, ``002_…`` l.1023-1024 and l.1034-1053)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.registers.commands import app

#: Shares below are exact fractions written by hand; float rounding only.
TOL = 1e-9


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Satakunta: 10 persons, 6 with a benefit month in 2017 (one with 3 distinct
    benefits), Kainuu: 3 persons, 2 with a benefit; 2016 has one recipient in each."""
    ids = [f"s{i}" for i in range(10)] + ["k0", "k1", "k2"]
    benefits_2017 = [1, 1, 1, 1, 1, 3, 0, 0, 0, 0, 2, 1, 0]
    years = pd.DataFrame(
        {
            "person_id": [*ids, "s0", "k0"],
            "year": [2017] * 13 + [2016, 2016],
            "n_benefits": [*benefits_2017, 1, 1],
        }
    )
    population = pd.DataFrame({"person_id": ids, "maakunta": ["Satakunta"] * 10 + ["Kainuu"] * 3})
    years.to_parquet(tmp_path / "years.parquet")
    population.to_csv(tmp_path / "population.csv", index=False)
    return tmp_path / "years.parquet", tmp_path / "population.csv"


def _need(*args: str) -> tuple[int, str, BaseException | None]:
    res = CliRunner().invoke(app, ["need", *args])
    return res.exit_code, res.output, res.exception


def test_need_writes_the_table_and_prints_no_small_count(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    years, population = inputs
    out = tmp_path / "results"
    code, output, exc = _need(
        str(years), str(population), "--results", str(out), "--region", "maakunta",
        "--year", "2017", "--pilot", "Sataosaa=Satakunta",
    )  # fmt: skip
    assert code == 0, (output, exc)
    table = pd.read_csv(out / "need_indicators.csv").set_index("region")
    # 001_… l.5359-5360: a recipient has at least one benefit month (n_benefits >= 1).
    assert list(table["year"]) == [2017, 2017]
    assert table.loc["Satakunta", "recipients"] == 6
    assert table.loc["Satakunta", "recipients_share"] == pytest.approx(60.0, abs=TOL)
    # l.5633-5634: mean distinct benefits, (5 * 1 + 3) / 10.
    assert table.loc["Satakunta", "mean_benefits"] == pytest.approx(0.8, abs=TOL)
    assert table.loc["Kainuu", "population"] == 3
    assert table.loc["Satakunta", "pilots"] == "Sataosaa"
    lines = {ln.split()[0]: ln.split()[1:] for ln in output.splitlines() if ln.strip()}
    # Kainuu rests on 3 persons: everything "<5"; with the total of 13 in the published
    # count table, Satakunta's population is hidden too ("*").
    assert lines["Kainuu"] == ["2017", "<5", "<5", "<5"]
    # Satakunta: 6 recipients and 4 others: the share and the mean are hidden as well.
    assert lines["Satakunta"] == ["2017", "*", "<5", "<5"]
    assert "need_indicators.csv" in output


def test_need_every_year_by_default_and_threshold_option(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    years, population = inputs
    out = tmp_path / "results"
    code, output, exc = _need(
        str(years), str(population), "--results", str(out), "--region", "maakunta",
        "--threshold", "3",
    )  # fmt: skip
    assert code == 0, (output, exc)
    assert sorted(set(pd.read_csv(out / "need_indicators.csv")["year"])) == [2016, 2017]
    rows = [
        ln.split() for ln in output.splitlines() if ln.split()[:1] in (["Satakunta"], ["Kainuu"])
    ]
    # Threshold 3: Satakunta 2017 (6 of 10) is shown: 60.0 % and 0.80 benefits.
    assert ["Satakunta", "2017", "10", "60.0", "0.80"] in rows
    # Kainuu 2017: 2 recipients, 1 other: below 3, hidden.
    assert ["Kainuu", "2017", "3", "<3", "<3"] in rows


def test_need_bad_input_is_located(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    years, population = inputs
    res = ["--results", str(tmp_path / "r")]
    _, _, exc = _need(str(years), str(population), *res)  # no 'region' column
    assert isinstance(exc, MissingColumnError)
    assert "population.csv (argument POPULATION)" in str(exc) and "'maakunta'" in str(exc)
    _, _, exc = _need(str(years), str(population), *res, "--region", "maakunta", "--year", "2030")
    assert isinstance(exc, OptionError) and "option --year" in str(exc) and "2030" in str(exc)
    twice = tmp_path / "twice.csv"
    pd.read_csv(population).pipe(lambda f: pd.concat([f, f.iloc[[3]]])).to_csv(twice, index=False)
    _, _, exc = _need(str(years), str(twice), *res, "--region", "maakunta")
    assert isinstance(exc, InputDataError) and "column 'person_id', row 4, 14" in str(exc)
    gap = tmp_path / "gap.csv"
    pd.read_csv(population).assign(maakunta=lambda f: f["maakunta"].mask(f.index == 11)).to_csv(
        gap, index=False
    )
    _, _, exc = _need(str(years), str(gap), *res, "--region", "maakunta")
    assert isinstance(exc, InputDataError) and "column 'maakunta', row 12" in str(exc)
    for value in ("Sataosaa", "Sataosaa=Lappi"):
        _, _, exc = _need(str(years), str(population), *res, "--region", "maakunta",
                          "--pilot", value)  # fmt: skip
        assert isinstance(exc, OptionError) and "option --pilot" in str(exc), value
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not a parquet file")
    _, _, exc = _need(str(bad), str(population), *res, "--region", "maakunta")
    assert isinstance(exc, InputDataError) and "bad.parquet (argument YEARS)" in str(exc)
    _, _, exc = _need(str(tmp_path / "none.parquet"), str(population), *res)
    assert isinstance(exc, InputDataError) and "does not exist" in str(exc)


def test_need_errors_exit_2_through_the_main_entry(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from evaluation.cli import main

    years, population = inputs
    argv = ["pilot-eval", "registers", "need", str(years), str(population), "--results",
            str(tmp_path / "r"), "--region", "kunta"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert "missing column(s) 'kunta'" in capsys.readouterr().err.replace("\n", " ")


def test_need_help_explains_the_indicators_and_the_seed() -> None:
    res = CliRunner().invoke(app, ["need", "--help"], terminal_width=200)
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    for words in ("THL", "l.1034-1053", "at least a month", "distinct benefits", "--threshold"):
        assert words in text, words


#: A valid-looking Finnish personal identity code (checksum letter correct); never echoed.
IDENTITY_CODE = "131052-308T"


def test_need_refuses_an_identity_code_in_a_cell_and_never_echoes_it(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    years, population = inputs
    pop = pd.read_csv(population)
    pop.loc[4, "maakunta"] = IDENTITY_CODE  # a code pasted into the region column
    bad = tmp_path / "population_bad.csv"
    pop.to_csv(bad, index=False)
    out = tmp_path / "results"
    code, output, exc = _need(str(years), str(bad), "--results", str(out), "--region", "maakunta")
    assert code != 0
    assert IDENTITY_CODE not in output and IDENTITY_CODE not in str(exc)
    assert "population_bad.csv" in str(exc)
    assert not (out / "need_indicators.csv").exists()  # nothing written
