"""The OTE 4 pilot table: seed facts and synthetic assumptions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.synthetic import (
    OTE4_PILOTS,
    PILOT_NAMES,
    REGIONS,
    TARGET_GROUP_LABELS,
    TARGET_GROUPS,
    get_pilot,
    pilots_frame,
)
from evaluation.synthetic.ote4 import PILOT_COLUMNS

# Facts from the seed report 002 (DIGEST.md, "The pilots").
SEED_FACTS = {
    "Yhdessä hyvä Ote": ("Lappeenranta", {"Etelä-Karjala", "Kymenlaakso"}, "general"),
    "Sataosaa": ("Pori", {"Satakunta"}, "general"),
    "KP Ote": ("Kokkola", {"Keski-Pohjanmaa"}, "general"),
    "Pähee Ote": ("Lahti", {"Päijät-Häme"}, "targeted"),
    "Savon Ote": ("Vaalijala", {"Etelä-Savo", "Pohjois-Savo"}, "targeted"),
    "Fokus": ("Järvenpää", {"Uusimaa"}, "targeted"),
}


def test_six_pilots_with_the_contract_names() -> None:
    assert set(PILOT_NAMES) == set(SEED_FACTS)
    assert len(OTE4_PILOTS) == 6


@pytest.mark.parametrize("name", list(SEED_FACTS))
def test_pilot_facts_match_the_seeds(name: str) -> None:
    town, regions, kind = SEED_FACTS[name]
    p = get_pilot(name)
    assert p.town == town
    assert set(p.regions) == regions
    assert set(p.regions) <= set(REGIONS)
    assert p.kind == kind
    assert set(p.target_groups) <= set(TARGET_GROUPS)
    if kind == "general":
        assert set(p.target_groups) == set(TARGET_GROUPS)
    else:
        assert len(p.target_groups) == 1


def test_target_groups_have_labels() -> None:
    assert set(TARGET_GROUP_LABELS) == set(TARGET_GROUPS)


def test_start_months_are_staggered_within_2016_09_to_2017_09() -> None:
    starts = [p.start for p in OTE4_PILOTS]
    assert len(set(starts)) == 6
    assert min(starts) >= pd.Timestamp("2016-09-01")
    assert max(starts) <= pd.Timestamp("2017-09-01")
    assert starts == sorted(starts)
    assert [p.start_month_index for p in OTE4_PILOTS] == [s.year * 12 + s.month - 1 for s in starts]


def test_true_effects_grow_saturate_and_differ_by_pilot() -> None:
    k = np.arange(-3, 36)
    long_run = set()
    for p in OTE4_PILOTS:
        eff = p.true_effect(k)
        assert (eff[k < 0] == 0).all()
        assert (np.diff(eff[k >= 0]) > 0).all()
        assert (eff < p.effect_max).all()
        assert eff[-1] > 0.9 * p.effect_max
        long_run.add(p.effect_max)
    assert len(long_run) == 6


def test_pilot_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        OTE4_PILOTS[0].effect_max = 1.0  # type: ignore[misc]


def test_unknown_pilot_names_the_known_ones() -> None:
    with pytest.raises(OptionError, match="Sataosaa"):
        get_pilot("Sata osaa")


def test_pilots_frame_has_one_row_per_pilot() -> None:
    frame = pilots_frame()
    assert list(frame.columns) == list(PILOT_COLUMNS)
    assert list(frame["pilot"]) == list(PILOT_NAMES)
    assert str(frame["start_month"].dtype).startswith("datetime64")
    assert frame.loc[frame["pilot"] == "Savon Ote", "regions"].item() == "Etelä-Savo; Pohjois-Savo"
