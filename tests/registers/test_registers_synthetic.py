"""Contract test: the panel reproduces the synthetic generator's own monthly employment."""

from __future__ import annotations

import pandas as pd

from evaluation.registers import build_person_month_panel, build_person_year_panel
from evaluation.synthetic import generate_registers


def test_panel_matches_generator_truth() -> None:
    reg = generate_registers(persons=2000, seed=3)
    months = reg.months
    panel = build_person_month_panel(
        reg.spells,
        start=months[0],
        end=months[-1],
        participants=reg.participants,
        persons=reg.persons,
    )
    got = panel.to_pandas(columns=["person_id", "month_index", "employed"])
    truth = reg.employment_panel()[["person_id", "month_index", "employed"]]
    merged = truth.merge(got, on=["person_id", "month_index"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()  # same persons x months, none lost or added
    assert (merged["employed_x"] == merged["employed_y"]).all()
    # every participant is marked, with their pilot
    marked = panel.to_pandas(columns=["person_id", "pilot"]).dropna().drop_duplicates()
    expected = reg.participants[["person_id", "pilot"]].sort_values("person_id")
    pd.testing.assert_frame_equal(
        marked.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    years = build_person_year_panel(panel).to_pandas()
    assert years["months_employed"].sum() == truth["employed"].sum()
