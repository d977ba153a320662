"""``pilot-eval registers outcomes`` (issue 20, item 3): extracts from files to a results
folder, a ledger-checked printout, located errors with exit code 2.

Expected values are written by hand from the seed's definitions (``../shared/seeds/``):
"received for at least a month" (``001_…`` l.5359-5360) for the month rule, and the health
service use, benefits and cost effects of recommendation 7 (l.9189-9199).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.cli import app, main
from evaluation.registers.commands import OUTCOMES_HELP
from evaluation.reporting.i18n import LANG_ENV, translator
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.register_results import register_outcome_table

#: Hand-computed means are sums of a few whole numbers over five persons.
TOL = 1e-12

ANCHORS = """person_id,group,anchor_month
P1,participants,2017-04-10
P2,participants,2017-04-01
P3,participants,2017-04-01
P4,participants,2017-04-01
P5,participants,2017-04-01
C1,comparison,2017-04-01
C2,comparison,2017-04-01
"""
# P1 unemployed 15 Jan - 31 Mar 2017 (17, 28 and 31 days), before the April anchor;
# P2 laid off 1 May - 10 Jul 2017 (31, 30 and 10 days), after it. C1 is an employed
# jobseeker: never a registered-unemployment month.
JOBSEEKER = """person_id,status,start,end
P1,unemployed,2017-01-15,2017-03-31
P2,laid_off,2017-05-01,2017-07-10
C1,employed_jobseeker,2017-01-01,
"""
PAYMENTS = """person_id,month,code,amount_eur
P1,2017-02,labour_market_subsidy,600
P1,2017-06,housing_allowance,300
P2,2017-01,labour_market_subsidy,400
C1,2017-03,social_assistance_basic,1000
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv(LANG_ENV, "en")
    out = {}
    for name, text in (("anchors", ANCHORS), ("jobseeker", JOBSEEKER), ("payments", PAYMENTS)):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text, encoding="utf-8")
    out["results"] = tmp_path / "results"
    return out


def _outcomes(files: dict[str, Path], *extra: str, pilot: str = "Pilot A") -> str:
    args = [
        "registers", "outcomes", str(files["anchors"]), "--pilot", pilot,
        "--results", str(files["results"]), "--jobseeker", str(files["jobseeker"]),
        "--payments", str(files["payments"]), "--reference", "comparison", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _rows(files: dict[str, Path]) -> pd.DataFrame:
    return pd.read_csv(files["results"] / "register_outcomes.csv")


def _mean(rows: pd.DataFrame, measure: str, term: str, group: str = "participants") -> float:
    hit = rows[(rows["group"] == group) & (rows["measure"] == measure) & (rows["term"] == term)]
    assert len(hit) == 1
    return float(hit["estimate"].iloc[0])


@pytest.mark.parametrize(
    ("rule", "months"),
    [
        # The report's month (l.5359-5360: "for at least a month" of granted months; a
        # month covered in part is granted): P1 Jan, Feb, Mar before; P2 May, Jun, Jul
        # after -> 3/5 each.
        ("any_day", 0.6),
        # Stricter, whole months only: P1 Feb, Mar; P2 May, Jun (January's 17 and July's
        # 10 days do not count) -> 2/5 each.
        ("full_month", 0.4),
        # 15 days: January's 17 count, July's 10 do not -> P1 3, P2 2.
        ("min_days=15", None),
    ],
)
def test_outcomes_follow_the_month_rule(
    files: dict[str, Path], rule: str, months: float | None
) -> None:
    _outcomes(files, "--month-rule", rule)
    rows = _rows(files)
    before = _mean(rows, "unemployment_months", "before")
    after = _mean(rows, "unemployment_months", "after")
    if months is None:
        assert (before, after) == pytest.approx((3 / 5, 2 / 5), abs=TOL)
    else:
        assert (before, after) == pytest.approx((months, months), abs=TOL)
    assert _mean(rows, "unemployment_months", "before", "comparison") == 0.0


def test_benefit_euros_are_the_cost_per_participant_and_its_change(
    files: dict[str, Path],
) -> None:
    # Recommendation 7 (l.9189-9199): benefits and their costs. Participants: 600 + 400
    # before, 300 after (P1's June housing allowance), over five persons.
    _outcomes(files)
    rows = _rows(files)
    assert _mean(rows, "benefit_eur", "before") == pytest.approx(200.0, abs=TOL)
    assert _mean(rows, "benefit_eur", "after") == pytest.approx(60.0, abs=TOL)
    assert _mean(rows, "benefit_eur", "change") == pytest.approx(-140.0, abs=TOL)
    # Comparison: C1 1000 before, nothing after; C2 nothing -> change -500.
    assert _mean(rows, "benefit_eur", "change", "comparison") == pytest.approx(-500.0, abs=TOL)
    assert set(rows["pilot"]) == {"Pilot A"}


def test_printout_hides_means_of_small_groups_as_the_reports_do(files: dict[str, Path]) -> None:
    output = _outcomes(files)
    # Participants (5 persons) are shown; the comparison group (2) and the difference
    # in change (resting on min(5, 2) persons) are "<5", never the mean or the count.
    line = next(x for x in output.splitlines() if "Participants" in x and "Benefit" in x)
    assert line.split()[-4:] == ["200", "60", "\N{MINUS SIGN}140", "<5"]
    comparison = [x for x in output.splitlines() if "Comparison group" in x]
    assert len(comparison) == 2 and all(x.split()[-3:] == ["<5"] * 3 for x in comparison)
    table = output.split("Register outcomes:")[0]  # not the path line (tmp names)
    assert "500" not in table and "1,000" not in table and "n = 2" not in table
    # The report reads the written table and shows the same cells.
    t = translator("en")
    table = register_outcome_table(files["results"], t, build_ledger(files["results"]))
    shown = table[table[t("register.col.group")] == "Comparison group"]
    assert (shown[t("register.term.change")] == "<5").all()


def test_a_pilot_rerun_replaces_only_its_own_rows(files: dict[str, Path]) -> None:
    _outcomes(files, pilot="Pilot A")
    _outcomes(files, pilot="Pilot B")
    first = _rows(files)
    _outcomes(files, "--month-rule", "full_month", pilot="Pilot A")
    again = _rows(files)
    assert len(again) == len(first)
    assert (again["pilot"] == "Pilot B").sum() == (first["pilot"] == "Pilot A").sum()
    a = again[again["pilot"] == "Pilot A"]
    assert _mean(a, "unemployment_months", "before") == pytest.approx(0.4, abs=TOL)


def test_help_teaches_the_measure_its_seed_lines_and_an_example() -> None:
    result = CliRunner().invoke(app, ["registers", "outcomes", "--help"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    for needle in (
        "A registered-unemployment month is a month",
        "for at least a month",
        "seed 001_… l.5359-5360",
        "Recommendation 7",
        "seed 001_… l.9189-9199",
        "Example: pilot-eval registers outcomes anchors.csv",
        "any_day (the default, as in the panel) reproduces the report's month",
    ):
        assert needle in text
    assert OUTCOMES_HELP.splitlines()[0] in text


def _main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[object, str]:
    """Run the ``pilot-eval`` entry point in-process: exit code and all output."""
    monkeypatch.setattr(sys, "argv", ["pilot-eval", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    seen = capsys.readouterr()
    return stop.value.code, " ".join((seen.out + seen.err).split())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("anchors", "nope.csv"), "argument ANCHORS: file not found"),
        (("jobseeker", "anchors"), "anchors.csv (option --jobseeker): missing column(s) 'status'"),
        (("rule", "weekly"), "option --month-rule: unknown month rule 'weekly'"),
        (("reference", "nobody"), "option --reference: reference group 'nobody'"),
        (("payments", "bad.csv"), "bad.csv row 2, column 'code': unknown code 'dole'"),
    ],
)
def test_bad_input_exits_2_with_a_located_message(
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    bad = files["anchors"].parent / "bad.csv"
    bad.write_text(
        "person_id,month,code,amount_eur\nP1,2017-02,housing_allowance,1\nP1,2017-06,dole,3\n"
    )
    paths = {k: str(v) for k, v in files.items()}
    opts = {"rule": "any_day", "reference": "comparison"}
    key, value = change
    if key in opts:
        opts[key] = value
    else:
        paths[key] = str(files.get(value, files["anchors"].parent / value))
    code, output = _main(
        ["registers", "outcomes", paths["anchors"], "--pilot", "A", "--results",
         paths["results"], "--jobseeker", paths["jobseeker"], "--payments", paths["payments"],
         "--month-rule", opts["rule"], "--reference", opts["reference"]],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2
    assert message in output and "Fix:" in output
    assert "Traceback" not in output
    assert not (files["results"] / "register_outcomes.csv").exists()


def test_no_extract_is_a_clear_error(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = _main(
        ["registers", "outcomes", str(files["anchors"]), "--pilot", "A", "--results",
         str(files["results"])],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "no register extract given" in output
    assert "give at least one of --jobseeker, --care and --payments" in output


def test_threshold_option_and_linked_results_folder(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # With --threshold 6 the five participants' means are hidden too.
    output = _outcomes(files, "--threshold", "6")
    line = next(x for x in output.splitlines() if "Participants" in x and "Benefit" in x)
    assert line.split()[-4:] == ["<6"] * 4
    link = files["anchors"].parent / "linked"
    link.symlink_to(files["results"], target_is_directory=True)
    code, text = _main(
        ["registers", "outcomes", str(files["anchors"]), "--pilot", "A", "--results", str(link),
         "--payments", str(files["payments"])],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "option --results" in text and "symbolic link" in text
