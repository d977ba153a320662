"""The comparison report's rows for the rateable concepts and the intended reach (issue 20).

Concepts: seed 001 l.8722-8723 (seven quality dimensions), 000 l.137/179 (participation
levels), 001 l.717-721 (cooperation dimensions). Reach: seed 001 l.4837-4838 ("saavuttiko
toteutus aiotun kohderyhmän").
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from evaluation.process import intended_reach, process_measures
from evaluation.reporting.compare import build_comparison
from evaluation.reporting.comparison_tables import write_comparison_tables
from evaluation.reporting.i18n import translator
from evaluation.reporting.results import example_results, load_comparison_results
from evaluation.synthetic.filled_workbooks import filled_evaluation

PILOTS = ("Fokus", "Sataosaa")


def _folder(tmp_path: Path) -> Path:
    evs = [filled_evaluation(p, seed=4, lang="en") for p in PILOTS]
    example_results(tmp_path, pilots=PILOTS)  # effects and the other tables
    write_comparison_tables(tmp_path, evs, process=process_measures(evs))
    return tmp_path


def test_concept_rows_and_capped_intended_reach(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    res = load_comparison_results(folder)
    assert set(res.concepts["pilot"]) == set(PILOTS)
    assert len(res.concepts) == 2 * 14  # 7 + 3 + 4 concepts per pilot
    rep = build_comparison(folder, lang="fi")
    t = translator("fi")
    table = rep.concepts_table
    assert list(table[t("col.concept")][:7]) == [
        "Systemaattisuus",
        "Johdonmukaisuus",
        "Oikea-aikaisuus",
        "Osuvuus",
        "Tavoittavuus",
        "Tasapuolisuus",
        "Lähestyttävyys",
    ]
    assert set(PILOTS) <= set(table.columns)
    # the intended reach: (sum of each group's participants up to its plan) / plan
    reach = rep.reach_table.set_index(t("col.pilot"))[t("col.intended_reach")]
    for p in PILOTS:
        r = intended_reach(filled_evaluation(p, seed=4, lang="en"))
        assert reach[p] == t.num(100 * r.share, 1)
        assert r.share <= 1.0


def test_a_results_folder_without_the_new_tables_still_loads(tmp_path: Path) -> None:
    example_results(tmp_path, pilots=PILOTS)
    res = load_comparison_results(tmp_path)
    assert res.concepts.empty and res.intended_reach.empty
    rep = build_comparison(tmp_path, lang="en")
    assert rep.concepts_table.empty
    assert translator("en")("col.intended_reach") not in rep.reach_table.columns
    assert isinstance(rep.reach_table, pd.DataFrame)


def test_concept_rows_show_each_pilots_rating_in_words(tmp_path: Path) -> None:
    # Ratings set by hand: Fokus rates "Systemaattisuus" green, "Lähestyttävyys" (001
    # l.8722-8723) red and "Moniammatillisuus" (001 l.720-721) yellow; every other row and
    # all of Sataosaa's are left blank, which reads "ei tietoa" (not rated), never "ei koske".
    hand = {"systematic": "green", "approachable": "red", "multi_professional": "yellow"}
    evs = []
    for p in PILOTS:
        ev = filled_evaluation(p, seed=4, lang="en")
        rows = tuple(
            {**r, "rating": hand.get(str(r["row"])) if p == "Fokus" else None}
            for r in ev.records["quality_concepts"]
        )
        evs.append(dataclasses.replace(ev, records={**ev.records, "quality_concepts": rows}))
    example_results(tmp_path, pilots=PILOTS)
    write_comparison_tables(tmp_path, evs, process=process_measures(evs))
    t = translator("fi")
    table = build_comparison(tmp_path, lang="fi").concepts_table.set_index(t("col.concept"))
    assert table.loc["Systemaattisuus", "Fokus"] == "vihreä"
    assert table.loc["Lähestyttävyys", "Fokus"] == "punainen"
    moni = [c for c in table.index if c.startswith("Moniammatillisuus")]
    assert len(moni) == 1 and table.loc[moni[0], "Fokus"] == "keltainen"
    assert (table["Fokus"] == "ei tietoa").sum() == 14 - 3
    assert (table["Sataosaa"] == "ei tietoa").all()
