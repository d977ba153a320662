"""Small-cell suppression and the identifier guard, on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.errors import InputDataError, OptionError
from evaluation.privacy import CODE_SHAPE, find_identity_codes
from evaluation.reporting.disclosure import (
    IdentifierLeakError,
    assert_no_identifiers,
    audit_suppression,
    suppress_count_column,
    suppress_counts,
)


def _table(rows: dict[str, list[int]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols)


def _recoverable(status: pd.DataFrame) -> list[str]:
    """Equations (rows/columns incl. totals) with exactly one hidden member."""
    bad = [f"row {i}" for i, r in status.iterrows() if (r != "").sum() == 1]
    bad += [f"col {c}" for c in status.columns if (status[c] != "").sum() == 1]
    return bad


def test_no_small_cells_nothing_suppressed() -> None:
    t = _table({"A": [10, 20], "B": [30, 40]}, ["x", "y"])
    res = suppress_counts(t)
    assert res.n_primary == 0 and res.n_secondary == 0
    shown = res.display()
    assert shown.loc["Total", "Total"] == "100"
    assert shown.loc["A", "x"] == "10"


def test_primary_and_secondary_suppression() -> None:
    t = _table({"A": [3, 20, 30], "B": [10, 12, 40], "C": [25, 26, 27]}, ["x", "y", "z"])
    res = suppress_counts(t)
    st = res.status
    assert st.loc["A", "x"] == "primary"
    # Row A and column x each need a second hidden cell: the smallest other ones.
    assert st.loc["A", "y"] == "secondary"
    assert st.loc["B", "x"] == "secondary"
    # ... which in turn forces one more hidden cell in row B and column y.
    assert st.loc["B", "y"] == "secondary"
    assert _recoverable(st) == []
    shown = res.display()
    assert shown.loc["A", "x"] == "<5"
    assert shown.loc["A", "y"] == "*"
    # Totals stay visible and the true counts are kept in .counts.
    assert shown.loc["A", "Total"] == "53"
    assert int(res.counts.loc["A", "x"]) == 3


def test_zeros_are_shown_and_not_used_for_secondary() -> None:
    t = _table({"A": [2, 0, 40], "B": [9, 8, 7], "C": [6, 0, 50]}, ["x", "y", "z"])
    res = suppress_counts(t)
    st = res.status
    assert res.display().loc["A", "y"] == "0"
    assert st.loc["A", "y"] == ""  # a zero does not protect a hidden cell
    assert st.loc["A", "z"] == "secondary"
    assert _recoverable(st) == []


def test_small_total_is_suppressed_and_protected() -> None:
    t = _table({"A": [1, 2], "B": [30, 40], "C": [20, 25]}, ["x", "y"])
    res = suppress_counts(t)
    st = res.status
    assert st.loc["A", "Total"] == "primary"  # 3 persons in row A
    assert _recoverable(st) == []


def test_threshold_is_configurable() -> None:
    t = _table({"A": [7, 20], "B": [30, 40]}, ["x", "y"])
    assert suppress_counts(t).n_primary == 0
    strict = suppress_counts(t, threshold=10)
    assert strict.status.loc["A", "x"] == "primary"
    assert strict.display().loc["A", "x"] == "<10"
    assert _recoverable(strict.status) == []


def test_invariant_to_row_order_and_input_not_mutated() -> None:
    t = _table({"A": [3, 20, 30], "B": [10, 12, 40], "C": [25, 26, 27]}, ["x", "y", "z"])
    before = t.copy()
    a = suppress_counts(t).status
    b = suppress_counts(t.loc[["C", "A", "B"]]).status
    pd.testing.assert_frame_equal(a.loc[b.index], b)
    pd.testing.assert_frame_equal(t, before)


def test_count_column_with_total_row() -> None:
    df = pd.DataFrame({"pilot": ["a", "b", "c"], "n": [2, 50, 60]})
    out = suppress_count_column(df, "n", label="pilot")
    assert out["n"].tolist() == ["<5", "*", "60", "112"]
    assert out["pilot"].tolist() == ["a", "b", "c", "Total"]


@pytest.mark.parametrize(
    "bad",
    [
        _table({"A": [-1, 2]}, ["x", "y"]),
        _table({"A": [1, 2]}, ["x", "y"]).astype(float).assign(y=2.5),
        pd.DataFrame({"x": ["a"], "y": [2]}),
    ],
)
def test_invalid_counts_raise(bad: pd.DataFrame) -> None:
    with pytest.raises(InputDataError):
        suppress_counts(bad)


def test_invalid_threshold_raises() -> None:
    with pytest.raises(OptionError):
        suppress_counts(_table({"A": [1, 2]}, ["x", "y"]), threshold=0)


STORE_PSEUDONYM = "PS" + "0123456789ABCDEF" * 2


@pytest.mark.parametrize(
    "text",
    [
        f"Participant {STORE_PSEUDONYM} moved",
        "hetu 010203-987V in a note",
        "born 311299+9872",
        "new format 010105B123P",
        "century mark A: 121212A899H",
        "no separator 131052308T, lower case 131052-308t",
    ],
)
def test_identifier_patterns_found(text: str) -> None:
    assert find_identity_codes(text)
    with pytest.raises(IdentifierLeakError) as exc:
        assert_no_identifiers(text, where="test")
    # The message never repeats the identifier itself, only its shape.
    message = str(exc.value)
    assert "987V" not in message and "0123456789" not in message and "308T" not in message
    assert CODE_SHAPE in message or "PS#" in message


@pytest.mark.parametrize(
    "text",
    [
        "Employment rose by 12.3 percentage points",
        "P123456 is too short",
        "2024-01-01",
        "AP12345678",
        "010203-1231 has a wrong check character",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert_no_identifiers(text)


def test_identifier_guard_on_frames() -> None:
    with pytest.raises(IdentifierLeakError):
        assert_no_identifiers(pd.DataFrame({"person_id": [1, 2], "n": [3, 4]}))
    with pytest.raises(IdentifierLeakError):
        assert_no_identifiers(pd.DataFrame({"who": [STORE_PSEUDONYM], "n": [3]}))
    with pytest.raises(IdentifierLeakError):
        assert_no_identifiers(pd.DataFrame({"n": [3]}, index=["131052-308T"]))
    # Two cells never make one code across their border.
    assert_no_identifiers(pd.DataFrame({"a": ["131052", "x"], "b": ["308T", "y"]}))
    assert_no_identifiers(pd.DataFrame({"pilot": ["Fokus"], "n": [3]}))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda nc: st.lists(
            st.lists(st.integers(0, 40), min_size=nc, max_size=nc), min_size=1, max_size=6
        )
    ),
    st.integers(2, 10),
)
def test_suppression_properties(rows: list[list[int]], threshold: int) -> None:
    t = pd.DataFrame(rows, index=[f"r{i}" for i in range(len(rows))])
    t.columns = [f"c{j}" for j in range(t.shape[1])]
    res = suppress_counts(t, threshold=threshold)
    counts, st_ = res.counts, res.status
    small = (counts > 0) & (counts < threshold)
    # every small cell (totals included) is hidden as primary, nothing else is primary
    assert ((st_ == "primary") == small).to_numpy().all()
    # the LP attacker learns nothing beyond the markers
    audit = audit_suppression(res)
    assert audit.ok
    # no equation (row or column, totals included) reveals exactly one hidden cell,
    # unless every other member is a zero (nothing left to hide that would help) or the
    # markers alone already pin it ("<2" is 1; a "<3" total of two "<3" cells is 2)
    status, values = st_.to_numpy(), counts.to_numpy()
    pinned = audit.required_low == audit.required_high
    for srows, vrows, prows in ((status, values, pinned), (status.T, values.T, pinned.T)):
        for srow, vrow, prow in zip(srows, vrows, prows, strict=True):
            hidden = srow != ""
            if hidden.sum() == 1:
                assert (vrow[~hidden] == 0).all() or prow[hidden].all()
    # the shown counts equal the input where visible, and the grand total adds up
    shown = res.display().to_numpy()
    same = shown == counts.astype(str).to_numpy()
    assert np.where(status == "", same, True).all()
    assert int(counts.iloc[-1, -1]) == int(t.to_numpy().sum())
