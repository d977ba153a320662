"""Evidence rating (Maryland SMS) on crafted diagnostics: level and reasons."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation.plans.evidence import (
    MAX_ATTRITION,
    TINY_TREATED,
    Diagnostics,
    rate_evidence,
)

GOOD_DID = Diagnostics(design="staggered_did", n_treated=500, n_control=10_000, pretrend_p=0.4)
GOOD_MATCH = Diagnostics(
    design="matching",
    n_treated=400,
    n_control=400,
    balance_ok=True,
    matched_share=0.98,
    attrition=0.05,
    sensitivity_passed=True,
)


def test_good_did_is_level_4() -> None:
    rating = rate_evidence(GOOD_DID)
    assert rating.level == 4
    assert rating.start_level == 4
    assert rating.reasons[0] == "design staggered_did: start at level 4"
    assert any("pre-trend test passed" in r for r in rating.reasons)
    assert rating.tidy()["change"].tolist() == [0, 0, 0]
    assert rating.label.startswith("Level 4")


def test_failed_pretrends_cap_did_at_level_3() -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_DID, pretrend_p=0.001))
    assert rating.level == 3
    assert any("pre-trend test failed (p = 0.0010 < 0.05)" in r for r in rating.reasons)


def test_untestable_pretrends_cap_did_at_level_3() -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_DID, pretrend_p=None))
    assert rating.level == 3
    assert any("no pre-entry periods" in r for r in rating.reasons)


def test_good_matching_is_level_3() -> None:
    rating = rate_evidence(GOOD_MATCH)
    assert rating.level == 3
    assert set(rating.tidy()["criterion"]) == {
        "design", "balance", "overlap", "sample_size", "attrition", "sensitivity",
    }  # fmt: skip


def test_poor_balance_downgrades_matching() -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_MATCH, balance_ok=False))
    assert rating.level == 2
    assert "poor covariate balance after matching: one level down" in rating.reasons


def test_tiny_sample_downgrades_two_levels() -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_DID, n_treated=TINY_TREATED - 1))
    assert rating.level == 2
    assert any(r.startswith("tiny sample: 29 participants") for r in rating.reasons)


def test_small_sample_downgrades_one_level() -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_DID, n_treated=60))
    assert rating.level == 3
    assert any("small sample: 60 participants (< 100)" in r for r in rating.reasons)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"matched_share": 0.5}, "only 50% of participants matched"),
        ({"attrition": MAX_ATTRITION + 0.1}, "lost to follow-up"),
        ({"sensitivity_passed": False}, "a sensitivity analysis failed"),
    ],
)
def test_other_downgrades(change: dict[str, object], reason: str) -> None:
    rating = rate_evidence(dataclasses.replace(GOOD_MATCH, **change))  # type: ignore[arg-type]
    assert rating.level == 2
    assert any(reason in r for r in rating.reasons)


def test_level_never_below_1_and_changes_add_up() -> None:
    worst = Diagnostics(
        design="matching",
        n_treated=10,
        n_control=10,
        balance_ok=False,
        matched_share=0.3,
        attrition=0.5,
        sensitivity_passed=False,
    )
    rating = rate_evidence(worst)
    assert rating.level == 1
    assert rating.start_level + int(rating.tidy()["change"].sum()) == rating.level
    assert "Level 1" in rating.summary()
