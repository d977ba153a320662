"""The attacker's audit of several published tables at once (linked tables).

Tables that share cells (the same count printed in two outputs) or margins give the
attacker more equations together than each does alone. Here every cell has an id; a
cell printed in two tables is one variable, and every row and column of every table is an
equation. A hidden cell's feasible range is its minimum and maximum over all
non-negative solutions (a primary cell between 1 and ``threshold - 1``), found by linear
programming (HiGHS through scipy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog


@dataclass(frozen=True)
class LinkedTable:
    """One published count table: cell ids, true counts and which cells are hidden.

    Attributes
    ----------
    cells:
        Object array of cell ids; the last row and, when there are two or more columns,
        the last column hold the totals. A one-column table has a total row only.
    values:
        The true counts, same shape.
    hidden, primary:
        Boolean arrays, same shape: hidden cells and those hidden as small.
    """

    cells: np.ndarray
    values: np.ndarray
    hidden: np.ndarray
    primary: np.ndarray


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Each equation as its members, the total last."""
    nr, nc = shape
    cols = [[(i, j) for i in range(nr)] for j in range(nc)]
    if nc == 1:
        return cols
    return [[(i, j) for j in range(nc)] for i in range(nr)] + cols


def joint_ranges(tables: Sequence[LinkedTable], threshold: int) -> dict[str, tuple[float, float]]:
    """Feasible range of every hidden primary cell given everything the tables show.

    Parameters
    ----------
    tables:
        The linked tables (cells with the same id are the same count).
    threshold:
        A primary marker means ``1 .. threshold - 1``; other hidden cells ``>= 0``.

    Returns
    -------
    dict
        ``{cell id: (low, high)}`` of each hidden primary cell (``high`` may be ``inf``).
    """
    hidden_ids: list[str] = []
    primary_ids: set[str] = set()
    known: dict[str, float] = {}
    for tab in tables:
        for idx in np.ndindex(tab.cells.shape):
            cid = str(tab.cells[idx])
            if tab.hidden[idx]:
                if cid not in hidden_ids:
                    hidden_ids.append(cid)
                if tab.primary[idx]:
                    primary_ids.add(cid)
            else:
                known[cid] = float(tab.values[idx])
    hidden_ids = [c for c in hidden_ids if c not in known]  # shown anywhere: known
    col = {c: k for k, c in enumerate(hidden_ids)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for tab in tables:
        for line in _lines(tab.cells.shape):
            coef = np.zeros(len(hidden_ids))
            const = 0.0
            for k, cell in enumerate(line):
                sign = -1.0 if k == len(line) - 1 else 1.0
                cid = str(tab.cells[cell])
                if cid in col:
                    coef[col[cid]] += sign
                else:
                    const += sign * known[cid]
            if coef.any():
                rows.append(coef)
                rhs.append(-const)
    bounds = [(1.0, threshold - 1.0) if c in primary_ids else (0.0, None) for c in hidden_ids]
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    out: dict[str, tuple[float, float]] = {}
    for cid in hidden_ids:
        if cid not in primary_ids:
            continue
        obj = np.zeros(len(hidden_ids))
        obj[col[cid]] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if lo.status != 0 or hi.status not in (0, 3):
            raise RuntimeError(f"linked-table audit LP failed for {cid}: {lo.message}")
        out[cid] = (float(lo.fun), np.inf if hi.status == 3 else float(-hi.fun))
    return out


__all__ = ["LinkedTable", "joint_ranges"]
