"""``pilot-eval registers trajectories`` (issue 20, item 4): a person-year panel file to
trajectory groups in a results folder, the model-choice table, small groups hidden.

The report grouped yearly months of social assistance into trajectories, the number of
groups chosen by BIC (seed ``001_…`` l.5697-5706); here two groups are built into the data
by hand (a low flat and a high rising trajectory of months on a benefit a year, out of 12).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from evaluation import trajectories
from evaluation.cli import app, main
from evaluation.reporting.i18n import LANG_ENV, translator
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.register_results import trajectory_group_table

YEARS = np.arange(2010, 2017)
#: Persons of the two built-in groups: months a year ~ Binomial(12, p) with logit p
#: -3 (flat, about half a month a year) and 0.5 + 2 s (rising; s = scaled year in [-1, 1]).
LOW, HIGH = 140, 60
#: The CLI runs the library's fit: its written trajectories equal the library's.
CURVE_TOL = 1e-9
FIT = ["--groups", "1-2", "--family", "binomial", "--trials", "12", "--time", "year",
       "--starts", "2", "--seed", "3"]  # fmt: skip


def _panel(low: int, high: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = (YEARS - YEARS.mean()) / 3.0
    logit = np.vstack([np.full((low, len(YEARS)), -3.0), np.tile(0.5 + 2.0 * s, (high, 1))])
    months = rng.binomial(12, expit(logit))
    n = low + high
    return pd.DataFrame(
        {
            "person_id": np.repeat([f"P{i:03d}" for i in range(n)], len(YEARS)),
            "year": np.tile(YEARS, n),
            "months_on_main_benefit": months.ravel(),
            "months_observed": 12,
            "pilot": "Pilot A",
        }
    )


@pytest.fixture
def panel_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(LANG_ENV, "en")
    frame = _panel(LOW, HIGH)
    # Non-participants (no pilot) and a half-observed edge year are left out.
    others = _panel(0, 20, seed=8).assign(person_id=lambda f: "N" + f["person_id"], pilot=None)
    edge = frame[frame["year"] == YEARS[-1]].assign(year=YEARS[-1] + 1, months_observed=6)
    path = tmp_path / "person_years.parquet"
    pd.concat([frame, others, edge], ignore_index=True).to_parquet(path)
    return path


def _run(panel: Path, results: Path, *extra: str) -> str:
    args = ["registers", "trajectories", str(panel), "--outcome", "months_on_main_benefit",
            "--results", str(results), *FIT, *extra]  # fmt: skip
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_two_built_in_groups_are_chosen_and_written(panel_file: Path, tmp_path: Path) -> None:
    results, plot = tmp_path / "results", tmp_path / "groups.png"
    output = _run(panel_file, results, "--plot", str(plot))
    # One line per fitted number of groups, the choice table, the chosen model.
    assert "1 group(s): BIC" in output and "2 group(s): BIC" in output
    assert "Chosen: 2 group(s), binomial, degree 2" in output
    assert "Note: 200 person-year(s) with fewer than 12 months observed" in output
    groups = pd.read_csv(results / "trajectory_groups.csv")
    assert groups["persons"].tolist() == [LOW, HIGH]  # participants only, all recovered
    assert set(groups["population"]) == {"participants"}
    # The report's table reads the written files and shows the same sizes.
    t = translator("en")
    table = trajectory_group_table(results, t, build_ledger(results))
    assert table[t("register.col.persons")].tolist() == [str(LOW), str(HIGH), str(LOW + HIGH)]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cli_fit_is_the_library_fit(panel_file: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    _run(panel_file, results)
    frame = pd.read_parquet(panel_file)
    frame = frame[frame["pilot"].notna() & (frame["months_observed"] == 12)]
    fit = trajectories(
        frame, "months_on_main_benefit", groups=range(1, 3), family="binomial", trials=12,
        time="year", starts=2, seed=3,
    )  # fmt: skip
    curves = pd.read_csv(results / "trajectory_curves.csv")
    expected = fit.trajectories()
    assert np.allclose(curves["estimate"], expected["estimate"], rtol=0, atol=CURVE_TOL)
    assert np.allclose(curves["conf_high"], expected["conf_high"], rtol=0, atol=CURVE_TOL)


def test_a_group_below_the_threshold_is_printed_as_less_than(tmp_path: Path) -> None:
    # Three persons on a benefit 10 months of every year: their own group, below 5.
    frame = _panel(197, 0)
    small = frame[frame["person_id"].isin(["P000", "P001", "P002"])].index
    frame.loc[small, "months_on_main_benefit"] = 10
    path = tmp_path / "py.parquet"
    frame.to_parquet(path)
    output = _run(path, tmp_path / "results")
    assert "Chosen: 2 group(s)" in output
    choice = next(x for x in output.splitlines() if x.split()[:1] == ["2"] and "<-" in x)
    assert "<5" in choice  # the smallest share rests on 3 persons
    shown = output.split("Chosen:")[1].split("Trajectory groups:")[0].splitlines()[2:]
    rows = {x.split()[0]: x.split()[1] for x in shown if x.strip()}
    assert rows["2"] == "<5"
    assert "3" not in rows.values() and "194" not in rows.values()  # nor by subtraction


def test_help_teaches_the_model_its_seed_lines_and_an_example() -> None:
    result = CliRunner().invoke(app, ["registers", "trajectories", "--help"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    for needle in (
        "finite mixtures of polynomial trajectories",
        "seed 001_… l.5697-5706",
        "seed 001_… l.9189-9199",
        "Example: pilot-eval registers trajectories person_years.parquet",
    ):
        assert needle in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.parquet", "--outcome", "months_on_main_benefit"],
         "argument PANEL: file not found"),
        (["PANEL", "--outcome", "months_on_benefit"],
         "person_years.parquet (argument PANEL): missing column(s) 'months_on_benefit'"),
        (["PANEL", "--outcome", "months_on_main_benefit", "--groups", "two"],
         "option --groups: cannot read groups 'two'"),
        (["PANEL", "--outcome", "months_on_main_benefit", "--groups", "0-2"],
         "option --groups: groups '0-2' hold no positive number of groups"),
        (["PANEL", "--outcome", "months_on_main_benefit", "--family", "gaussian"],
         "option --family: unknown family 'gaussian'"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_located_message(
    panel_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    first = str(panel_file) if args[0] == "PANEL" else str(tmp_path / args[0])
    argv = ["pilot-eval", "registers", "trajectories", first, *args[1:],
            "--results", str(tmp_path / "results"), "--starts", "1", "--time", "year"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        main()
    seen = capsys.readouterr()
    output = " ".join((seen.out + seen.err).split())
    assert stop.value.code == 2
    assert message in output and "Fix:" in output and "Traceback" not in output
    assert not (tmp_path / "results" / "trajectory_groups.csv").exists()


def test_plot_through_a_link_is_refused(
    panel_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere.png"
    target.write_bytes(b"")
    link = tmp_path / "plot.png"
    link.symlink_to(target)
    args = ["registers", "trajectories", str(panel_file), "--outcome", "months_on_main_benefit",
            "--results", str(tmp_path / "results"), *FIT, "--plot", str(link)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert "option --plot" in str(result.exception) and "symbolic link" in str(result.exception)
    assert target.read_bytes() == b""
