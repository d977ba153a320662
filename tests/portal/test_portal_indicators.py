"""A pilot's indicator series: the toolkit's own indicator values, small cells hidden."""

from __future__ import annotations

import math

import pandas as pd

from evaluation.portal import pilot_series
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.store import SubmissionStore
from evaluation.workbook.reader import read_workbook

from .conftest import PILOT_A, PILOT_B, PortalEnv

#: Values recomputed from the stored tables equal those of the workbook up to float noise.
TOL = 1e-9


def test_series_equals_the_workbooks_indicators(portal_env: PortalEnv) -> None:
    store = SubmissionStore(portal_env.config.store)
    series = pilot_series(store, PILOT_B, lang="en").tidy()
    # reference: the indicators of the submitted workbook itself, read by the toolkit
    ref = read_workbook(portal_env.root / "in" / "fokus.xlsx").indicators().tidy()
    ref = ref[ref["group_var"] == "all"].set_index("indicator")
    assert set(series["indicator"]) == set(ref.index)
    for r in series.itertuples(index=False):
        expected = ref.loc[r.indicator]
        if r.hidden:
            assert math.isnan(r.value) and math.isnan(r.numerator)
            counts = [expected["numerator"]]
            if r.unit == "percent":
                counts.append(expected["denominator"] - expected["numerator"])
            assert any(0 < c < DEFAULT_THRESHOLD for c in counts)
        else:
            assert r.numerator == expected["numerator"]
            assert (math.isnan(r.value) and pd.isna(expected["value"])) or abs(
                r.value - expected["value"]
            ) < TOL


def test_no_shown_value_rests_on_fewer_than_five(portal_env: PortalEnv) -> None:
    series = pilot_series(SubmissionStore(portal_env.config.store), PILOT_B, lang="fi").tidy()
    shown = series[~series["hidden"]]
    assert not ((shown["numerator"] > 0) & (shown["numerator"] < DEFAULT_THRESHOLD)).any()
    pct = shown[shown["unit"] == "percent"]
    rest = pct["denominator"] - pct["numerator"]
    assert not ((rest > 0) & (rest < DEFAULT_THRESHOLD)).any()
    assert series["label"].str.len().gt(0).all()  # Finnish labels from the schema


def test_rejected_submissions_give_no_series(portal_env: PortalEnv) -> None:
    store = SubmissionStore(portal_env.config.store)
    frame = store.submissions()
    if (frame[frame["pilot"] == PILOT_A]["status"] == "accepted").any():
        return  # the browser test has already added accepted versions
    assert pilot_series(store, PILOT_A, lang="fi").table.empty
