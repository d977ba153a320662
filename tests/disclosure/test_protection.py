"""Suppression that holds under audit: an independent LP attacker (scipy's linprog, not
the HiGHS model the toolkit builds) recovers nothing beyond the markers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from evaluation.disclosure import feasible_ranges, protect

THRESHOLD = 5
#: Random tables of the acceptance list: up to 15 x 7, 10-40% small cells.
N_TABLES = 60
#: Acceptance bound on the mean share of cells >= threshold hidden as secondary.
MAX_SECONDARY_SHARE = 0.35


def random_table(rng: np.random.Generator) -> np.ndarray:
    """Counts with totals (last row and column) of a random table."""
    r, c = int(rng.integers(2, 16)), int(rng.integers(2, 8))
    x = rng.integers(THRESHOLD, 60, size=(r, c))
    small = rng.random((r, c)) < rng.uniform(0.10, 0.40)
    x[small] = rng.integers(0, THRESHOLD, size=int(small.sum()))
    return with_totals(x)


def with_totals(x: np.ndarray) -> np.ndarray:
    full = np.zeros((x.shape[0] + 1, x.shape[1] + 1), dtype=np.int64)
    full[:-1, :-1] = x
    full[:-1, -1] = x.sum(axis=1)
    full[-1, :-1] = x.sum(axis=0)
    full[-1, -1] = x.sum()
    return full


def attack(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray) -> dict:
    """Min and max of every hidden primary cell given the shown cells and the markers."""
    nr, nc = values.shape
    cells = [tuple(c) for c in np.argwhere(hidden)]
    col = {cell: k for k, cell in enumerate(cells)}
    rows, rhs = [], []
    for line in [[(i, j) for j in range(nc)] for i in range(nr)] + [
        [(i, j) for i in range(nr)] for j in range(nc)
    ]:
        coef = np.zeros(len(cells))
        known = 0.0
        for k, cell in enumerate(line):
            sign = -1.0 if k == len(line) - 1 else 1.0  # the last member is the total
            if cell in col:
                coef[col[cell]] += sign
            else:
                known += sign * values[cell]
        rows.append(coef)
        rhs.append(-known)
    bounds = [(1, THRESHOLD - 1) if primary[c] else (0, None) for c in cells]
    out = {}
    for cell in cells:
        if not primary[cell]:
            continue
        obj = np.zeros(len(cells))
        obj[col[cell]] = 1.0
        lo = linprog(obj, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
        out[cell] = (round(lo.fun), round(-hi.fun))
    return out


def marker_only(values: np.ndarray, primary: np.ndarray) -> dict:
    """What the markers alone reveal: every other cell hidden but a large grand total."""
    hidden = np.ones(values.shape, dtype=bool)
    hidden[-1, -1] = bool(values[-1, -1] < THRESHOLD)
    return attack(values, hidden, primary)


def recovered(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray) -> list:
    """Primary cells the attacker narrows beyond what the markers alone allow."""
    ranges = attack(values, hidden, primary)
    floor = marker_only(values, primary)
    return [
        cell
        for cell, (lo, hi) in ranges.items()
        if (lo, hi) != (1, THRESHOLD - 1) and (lo > floor[cell][0] or hi < floor[cell][1])
    ]


def test_random_tables_hold_under_attack() -> None:
    rng = np.random.default_rng(20261202)
    shares = []
    for _ in range(N_TABLES):
        values = random_table(rng)
        primary, hidden = protect(values, THRESHOLD)
        assert recovered(values, hidden, primary) == []
        assert feasible_ranges(values, hidden, primary, THRESHOLD).ok
        assert not (values[-1, -1] >= THRESHOLD and hidden[-1, -1])
        large = values >= THRESHOLD
        shares.append((hidden & ~primary & large).sum() / large.sum())
    assert np.mean(shares) <= MAX_SECONDARY_SHARE


def test_chains_that_pinned_cells_are_protected() -> None:
    """Two small cells of a row whose total shows, with a chain through a second row:
    hiding one more cell per equation left 4, 4 and 1 exactly recoverable."""
    values = with_totals(np.array([[4, 4, 30], [6, 1, 40], [20, 30, 50]]))
    primary = (values > 0) & (values < THRESHOLD)
    # One extra cell per equation: rows 0 and 1 have two hidden members each already.
    naive = primary.copy()
    naive[1, 0] = True
    assert recovered(values, naive, primary)  # the attack has teeth
    primary, hidden = protect(values, THRESHOLD)
    assert recovered(values, hidden, primary) == []


def test_small_total_limits_are_only_what_markers_say() -> None:
    """A total of 2 with two small members: each is at most 3 whatever is hidden."""
    values = with_totals(np.array([[1, 0, 1], [17, 13, 39], [55, 13, 8]]))
    primary, hidden = protect(values, THRESHOLD)
    ranges = feasible_ranges(values, hidden, primary, THRESHOLD)
    assert ranges.ok
    assert (ranges.low[0, 0], ranges.high[0, 0]) == (1, 3)
    assert recovered(values, hidden, primary) == []


def test_nothing_small_nothing_hidden() -> None:
    values = with_totals(np.array([[10, 20], [30, 0]]))
    primary, hidden = protect(values, THRESHOLD)
    assert not hidden.any()
    assert not primary.any()


@pytest.mark.parametrize("seed", range(3))
def test_row_order_does_not_weaken_protection(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = random_table(rng)
    order = rng.permutation(values.shape[0] - 1)
    permuted = with_totals(values[:-1, :-1][order])
    for v in (values, permuted):
        primary, hidden = protect(v, THRESHOLD)
        assert recovered(v, hidden, primary) == []


def test_suppress_counts_holds_under_audit() -> None:
    """The report-facing ``suppress_counts`` uses the audited protection."""
    import pandas as pd

    from evaluation.reporting import audit_suppression, suppress_counts

    rng = np.random.default_rng(7)
    for _ in range(10):
        values = random_table(rng)[:-1, :-1]
        table = suppress_counts(pd.DataFrame(values))
        audit = audit_suppression(table)
        assert audit.ok
        status = table.status.to_numpy()
        full = table.counts.to_numpy()
        assert recovered(full, status != "", status == "primary") == []
