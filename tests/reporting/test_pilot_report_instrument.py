"""The pilot report's self-assessment section (Tables 10-12 of seed 001, l.4955-5135) and the
rows of the new rateable concepts (001 l.8722-8723, l.717-721; 000 l.137, 179), with the
ethics rule (001 l.5234-5237) in every language (issue 20). The numbers themselves are
checked by hand in ``tests/template/test_instrument_seed.py``; here the report must show
the library's numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from evaluation.reporting import REPORTS_DIR, render_report
from evaluation.reporting.i18n import translator
from evaluation.reporting.pilot_report import build_pilot
from evaluation.reporting.pilot_results import write_pilot_results
from evaluation.schema import load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.instrument import ethics_rule, instrument_analyses
from evaluation.workbook.model import SelfEvaluation

PILOT = "Fokus"
SEED = 20


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilot_instrument")
    write_pilot_results(out, filled_evaluation(PILOT, seed=SEED, lang="en"))
    return out


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_tables_10_to_12_with_the_ethics_rule(folder: Path, lang: str) -> None:
    rep = build_pilot(folder, pilot=PILOT, lang=lang)
    t = translator(lang)
    validity = rep.instrument_validity_table.set_index(t("col.score"))
    # the same numbers as the library's analysis of the same answers
    scores = filled_evaluation(PILOT, seed=SEED, lang="en").scores()
    v = instrument_analyses(scores, min_n=1).validity
    assert v is not None
    row = v.tidy().set_index("score").loc["cognitive"]
    label = rep.instrument_validity_table[t("col.score")].iloc[
        list(v.tidy()["score"]).index("cognitive")
    ]
    assert validity.loc[label, t("col.auc")] == t.num(float(row["auc"]), 2)
    assert validity.loc[label, t("col.adjusted_difference")] == t.num(
        float(row["adjusted_estimate"]), 1
    )
    change = rep.instrument_change_table
    assert set(change[t("col.group")]) >= {t("total")}
    assert len(change) > 0


def test_rendered_report_shows_the_section_concepts_and_ethics(
    folder: Path, tmp_path: Path
) -> None:
    for lang in ("fi", "sv", "en"):
        path = render_report(
            REPORTS_DIR / "pilot.qmd",
            params={"results_dir": str(folder), "pilot": PILOT},
            output=tmp_path / f"pilot-{lang}.html",
            lang=lang,
            engine="builtin",
        )
        text = re.sub(r"\s+", " ", html.unescape(path.read_text(encoding="utf-8")))
        t = translator(lang)
        assert t("pilot.section_instrument") in text
        assert text.count(ethics_rule(lang)) >= 2  # the scores table and Tables 10-12
        if lang == "fi":
            # the rateable concepts and the second involvement criterion have their rows
            assert "Lähestyttävyys" in text and "Moniammatillisuus" in text
            assert "Edustuksellinen osallisuus" in text
            assert "mukana mallin mukaisen toiminnan suunnittelussa" in text
            assert "Miten toteuttajat saatiin toimimaan" in text


def test_small_groups_are_hidden(tmp_path: Path) -> None:
    ev = filled_evaluation(PILOT, seed=SEED, lang="en")
    write_pilot_results(tmp_path, ev)
    rep = build_pilot(tmp_path, pilot=PILOT, lang="en", threshold=1000)
    t = translator("en")
    table = rep.instrument_validity_table
    assert (table[t("col.auc")] == "–").all()
    ins = pd.read_csv(tmp_path / "pilot_instrument.csv")
    assert "client_id" not in ins.columns


def test_change_table_by_hand(
    tmp_path: Path, with_hand_follow_ups: Callable[[SelfEvaluation], SelfEvaluation]
) -> None:
    # seed 001 l.4900-4902 (first answer of all; first vs latest of those who answered
    # twice) and Table 10 (l.4955-4957, the work-ability question). Two clients answer by
    # hand (HAND_FOLLOW_UPS of conftest): 2 -> 4 -> 7 and 5 -> 6. All: first answers
    # (2 + 5)/2 = 3.5 (n 2); twice or more: first 3.5, latest (7 + 6)/2 = 6.5, change
    # (5 + 1)/2 = 3.0.
    ev = with_hand_follow_ups(filled_evaluation(PILOT, seed=SEED, lang="en"))
    write_pilot_results(tmp_path, ev)
    t = translator("fi")
    table = build_pilot(tmp_path, pilot=PILOT, lang="fi", threshold=1).instrument_change_table
    scores = load_schema().instrument("work_ability_functioning").scores
    work = next(s.label.fi for s in scores if s.id == "work_ability")
    row = table[(table[t("col.score")] == work) & (table[t("col.group")] == t("total"))]
    assert len(row) == 1
    got = row.iloc[0]
    assert got[t("col.n") + " (1)"] == "2"
    assert got[t("col.first_answer") + " (1)"] == t.num(3.5, 1)
    assert got[t("col.n") + " (2)"] == "2"
    assert got[t("col.first_answer") + " (2)"] == t.num(3.5, 1)
    assert got[t("col.latest_answer") + " (2)"] == t.num(6.5, 1)
    assert got[t("col.change")].startswith(t.num(3.0, 1) + " (")
