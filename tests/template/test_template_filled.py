"""The six synthetic pilots' filled workbooks: five clean, Savon Ote flawed on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.synthetic.filled_workbooks import FLAWED_PILOT, filled_evaluation
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.instrument import baseline_means, paired_change, predictive_validity
from evaluation.workbook.reader import Submissions, read_workbook

PILOTS = ("Yhdessä hyvä Ote", "Sataosaa", "KP Ote", "Pähee Ote", "Fokus", "Savon Ote")


def test_six_workbooks_five_clean(filled_fi: list[Path], read_fi: Submissions) -> None:
    assert len(filled_fi) == 6
    good, bad = read_fi.evaluations, read_fi.errors
    assert sorted(e.pilot for e in good) == sorted(p for p in PILOTS if p != FLAWED_PILOT)
    assert len(bad) == 1 and "savon_ote" in bad[0].source
    kinds = [p.what for p in bad[0].problems]
    assert sum("on tyhjä" in w for w in kinds) == 2  # mechanisms and context left empty
    assert len(kinds) == 7  # plus five invalid cells
    problems = read_fi.problems()
    assert list(problems.columns) == ["file", "where", "what", "fix"]
    assert len(problems) == 7 and set(problems["file"]) == {"savon_ote.xlsx"}
    ind = read_fi.indicators()
    assert set(ind["pilot"]) == {ev.pilot for ev in good}
    assert "savon_ote.xlsx: 7 problem(s)" in read_fi.summary()
    for ev in good:
        assert len(ev.records["clients"]) >= 40
        assert ev.indicators().value("clients_total") == len(ev.records["clients"])


def test_flawed_workbook_never_reads_half(filled_fi: list[Path]) -> None:
    flawed = next(p for p in filled_fi if "savon" in p.name)
    with pytest.raises(LocalizedWorkbookError):
        read_workbook(flawed)


def test_pooled_instrument_analyses(read_fi: Submissions) -> None:
    scores = read_fi.scores()
    means = baseline_means(scores).tidy()
    assert set(means["group"]) >= {"all", "te", "education"}
    change = paired_change(scores).tidy()
    assert (change.loc[change["group"] == "all", "n"] > 30).all()
    pv = predictive_validity(scores).tidy()
    # readiness drives both the scores and the outcome, so baseline scores predict it
    assert (pv.set_index("score").loc["overall", "auc"]) > 0.6


def test_same_seed_same_content_other_seed_other_content() -> None:
    for pilot in PILOTS:
        a = filled_evaluation(pilot, seed=3, lang="en")
        assert a == filled_evaluation(pilot, seed=3, lang="en")
        assert (
            a.records["clients"] != filled_evaluation(pilot, seed=4, lang="en").records["clients"]
        )


def test_overview_for_the_demo(filled_fi: list[Path]) -> None:
    from evaluation.workbook.overview import KEY_INDICATORS, submissions_overview

    ov = submissions_overview(filled_fi)
    assert list(ov.indicators.columns) == ["pilot", *KEY_INDICATORS]
    assert len(ov.indicators) == 5
    assert len(ov.problems) == 7
    page = ov.to_html()
    assert "savon_ote.xlsx" in page and "<table" in page
