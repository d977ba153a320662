"""Cell suppression that holds under an attacker's audit (pure numpy/scipy kernels).

A published count table is its cells with row and column totals: an array ``values`` of
shape ``(r + 1, c + 1)`` whose last row and column are the totals. The attacker knows every
shown cell, that a primary marker (``<5``) means ``1 .. threshold - 1`` and that a
secondary marker (``*``) means ``>= 0``; every row and column is an equation. A hidden
cell's *feasible range* is its minimum and maximum over all tables that fit what is shown,
found by linear programming (HiGHS through scipy). Two-way tables with margins have a
totally unimodular constraint matrix, so the linear range equals the integer range.

A primary cell is *protected* when its range is the whole ``[1, threshold - 1]``, or, where
the markers alone already narrow it (a small total with two small members: each is at most
``threshold - 2``), when it is as wide as if every other cell were hidden: the attacker then
learns nothing beyond the markers.

Approach (see ``docs/disclosure.md``): the hypercube idea of tau-Argus and sdcTable's
``"HYPERCUBE"`` method, made exact by the audit. A *rectangle* of hidden cells (two rows,
two columns, the cell a corner) along which counts can move to both ends of the required
range without leaving any cell's bounds is a witness that the cell is protected. Cells
without a witness are checked by linear programming, and only where that audit fails is
the cheapest rectangle hidden (cost: cells of at least ``threshold`` persons lost, then
their size; totals only when nothing else works; a grand total of at least ``threshold``
never). Hiding more cells only widens every feasible set, so one pass protects the cells
it widens, and the final audit proves it. sdcTable's optimal (Fischetti-Salazar) method
solves one integer program instead: it loses a little less, scales poorly, and still
needs an audit.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

#: Slack for floating-point LP bounds (counts are integers; ranges are rounded).
LP_TOLERANCE = 1e-6
#: Cost of hiding a cell of at least ``threshold`` persons (the loss that is measured).
_COST_LARGE = 1.0
#: Cost of hiding a zero: informative too, but not a group of persons.
_COST_ZERO = 0.25
#: Extra cost of hiding a margin (a total is the most read number of a table).
_COST_TOTAL = 2.0
#: Weight of a cell's size among cells of the same kind (a tie-breaker).
_COST_SIZE = 1e-3

Cell = tuple[int, int]


@dataclass(frozen=True)
class FeasibleRanges:
    """An attacker's feasible range of every cell (shown cells: their own value).

    Attributes
    ----------
    low, high:
        Integer arrays of the table's shape (``high`` is ``-1`` where unbounded).
    required_low, required_high:
        The range each primary cell must keep (``[1, threshold - 1]``, or what the markers
        alone allow); equal to ``low``/``high`` elsewhere.
    protected:
        Boolean array: primary cells whose range covers the required one (other cells
        are ``True``).
    """

    low: np.ndarray
    high: np.ndarray
    required_low: np.ndarray
    required_high: np.ndarray
    protected: np.ndarray

    @property
    def ok(self) -> bool:
        """Whether every primary cell is protected."""
        return bool(self.protected.all())


@dataclass(frozen=True)
class _Table:
    """The fixed facts of one audit: counts, primary cells, threshold and equations."""

    values: np.ndarray
    primary: np.ndarray
    threshold: int
    equations: sparse.csr_matrix

    @property
    def lower(self) -> np.ndarray:
        return np.where(self.primary, 1.0, 0.0)

    @property
    def upper(self) -> np.ndarray:
        return np.where(self.primary, float(self.threshold - 1), np.inf)


def _cells(mask: np.ndarray) -> list[Cell]:
    """The ``(row, column)`` of every true entry of ``mask``, in row-major order."""
    return [(int(i), int(j)) for i, j in np.argwhere(mask)]


def _coefficients(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row-equation coefficient per column, column-equation coefficient per row."""
    nr, nc = shape
    a = np.ones(nc)
    a[-1] = -1.0
    b = np.ones(nr)
    b[-1] = -1.0
    return a, b


def _equations(shape: tuple[int, int]) -> sparse.csr_matrix:
    """One row per table equation (rows, then columns) over the flattened cells."""
    nr, nc = shape
    a, b = _coefficients(shape)
    idx = np.arange(nr * nc)
    rows = np.concatenate([idx // nc, nr + idx % nc])
    data = np.concatenate([np.tile(a, nr), np.repeat(b, nc)])
    return sparse.csr_matrix((data, (rows, np.concatenate([idx, idx]))), shape=(nr + nc, nr * nc))


def _table(values: np.ndarray, primary: np.ndarray, threshold: int) -> _Table:
    v = np.asarray(values, dtype=float)
    return _Table(v, np.asarray(primary, dtype=bool), int(threshold), _equations(v.shape))


def _signed_fit(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, sign: np.ndarray, moves: tuple[float, float]
) -> np.ndarray:
    ok = np.ones(np.shape(x), dtype=bool)
    for m in moves:
        y = x + sign * m
        ok &= (y >= lo - LP_TOLERANCE) & (y <= hi + LP_TOLERANCE)
    return ok


def _hiding_costs(t: _Table, hidden: np.ndarray) -> np.ndarray:
    v = t.values
    cost = np.where(v == 0, _COST_ZERO, _COST_LARGE) + v / (v.max() + 1.0) * _COST_SIZE
    margin = np.zeros(v.shape, dtype=bool)
    margin[-1, :] = margin[:, -1] = True
    cost = cost + np.where(margin, _COST_TOTAL, 0.0)
    if v[-1, -1] >= t.threshold:
        cost[-1, -1] = np.inf
    return np.where(hidden, 0.0, cost)


def _rectangle_costs(
    t: _Table, hidden: np.ndarray, cell: Cell, target: tuple[float, float]
) -> np.ndarray:
    """Cost of the rectangle ``cell, (i, l), (k, j), (k, l)`` for every ``(k, l)``.

    ``inf`` where moving along the rectangle cannot take ``cell`` to both ends of
    ``target`` within every cell's bounds.
    """
    i, j = cell
    a, b = _coefficients(t.values.shape)
    moves = (target[1] - t.values[cell], target[0] - t.values[cell])
    lo, hi, v = t.lower, t.upper, t.values
    fit_il = _signed_fit(v[i, :], lo[i, :], hi[i, :], -a[j] * a, moves)
    fit_kj = _signed_fit(v[:, j], lo[:, j], hi[:, j], -b[i] * b, moves)
    fit_kl = _signed_fit(v, lo, hi, np.outer(b[i] * b, a[j] * a), moves)
    cost = _hiding_costs(t, hidden)
    total = cost[i, :][None, :] + cost[:, j][:, None] + cost
    ok = fit_il[None, :] & fit_kj[:, None] & fit_kl
    ok[i, :] = False
    ok[:, j] = False
    return np.where(ok, total, np.inf)


def _has_witness(t: _Table, hidden: np.ndarray, cell: Cell, target: tuple[float, float]) -> bool:
    costs = _rectangle_costs(t, hidden, cell, target)
    return bool(costs.min() == 0.0)


@functools.cache
def _highs_banner_shown() -> bool:
    """Construct a first HiGHS instance with the C-level stdout muted: HiGHS prints its
    copyright banner once per process, which would end up in CLI output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


class _RangeSolver:
    """One HiGHS model of the hidden cells given the shown ones; each cell's minimum and
    maximum are two warm-started solves of it with another objective."""

    def __init__(self, t: _Table, hidden: np.ndarray) -> None:
        flat = hidden.ravel()
        self.position = np.cumsum(flat) - 1
        self.ncols = t.values.shape[1]
        equations = t.equations[:, flat].tocsc()
        rhs = -(t.equations[:, ~flat] @ t.values.ravel()[~flat])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(flat.sum()), equations.shape[0]
        lp.col_cost_ = np.zeros(lp.num_col_)
        lp.col_lower_ = t.lower.ravel()[flat]
        lp.col_upper_ = np.where(
            np.isinf(t.upper.ravel()[flat]), highspy.kHighsInf, t.upper.ravel()[flat]
        )
        lp.row_lower_ = lp.row_upper_ = rhs
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = equations.indptr
        lp.a_matrix_.index_ = equations.indices
        lp.a_matrix_.value_ = equations.data
        _highs_banner_shown()
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(lp)

    def range(self, cell: Cell) -> tuple[float, float]:
        """Minimum and maximum of ``cell``."""
        col = int(self.position[cell[0] * self.ncols + cell[1]])
        self.highs.changeColCost(col, 1.0)
        out = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.highs.changeObjectiveSense(sense)
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kUnbounded:
                out.append(np.inf)
            elif status != highspy.HighsModelStatus.kOptimal:  # the true table is feasible
                raise RuntimeError(f"disclosure audit LP failed: {status}")
            else:
                out.append(float(self.highs.getInfo().objective_function_value))
        self.highs.changeColCost(col, 0.0)
        return out[0], out[1]


def _marker_range(t: _Table, cell: Cell) -> tuple[float, float]:
    """The range of ``cell`` when every other cell but a large grand total is hidden."""
    everything = np.ones(t.values.shape, dtype=bool)
    everything[-1, -1] = bool(t.primary[-1, -1] or t.values[-1, -1] < t.threshold)
    return _RangeSolver(t, everything).range(cell)


def _audit_cell(
    t: _Table, hidden: np.ndarray, cell: Cell, solver: _RangeSolver
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(range, required range)`` of one hidden cell."""
    full = (1.0, float(t.threshold - 1))
    if not t.primary[cell]:
        rng = solver.range(cell)
        return rng, rng
    if _has_witness(t, hidden, cell, full):
        return full, full
    rng = solver.range(cell)
    if rng[0] <= full[0] + LP_TOLERANCE and rng[1] >= full[1] - LP_TOLERANCE:
        return rng, full
    return rng, _marker_range(t, cell)


def _audit(t: _Table, hidden: np.ndarray) -> FeasibleRanges:
    low, high = t.values.copy(), t.values.copy()
    req_low, req_high = low.copy(), high.copy()
    cells = _cells(hidden)
    if cells:
        solver = _RangeSolver(t, hidden)
        for cell in cells:
            (low[cell], high[cell]), (req_low[cell], req_high[cell]) = _audit_cell(
                t, hidden, cell, solver
            )
    protected = (low <= req_low + LP_TOLERANCE) & (high >= req_high - LP_TOLERANCE)

    def ints(x: np.ndarray) -> np.ndarray:
        return np.where(np.isinf(x), -1, np.round(x)).astype(np.int64)

    return FeasibleRanges(ints(low), ints(high), ints(req_low), ints(req_high), protected)


def feasible_ranges(
    values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, threshold: int
) -> FeasibleRanges:
    """The attacker's feasible range of every hidden cell, and whether it is protected.

    Parameters
    ----------
    values:
        Counts with totals in the last row and column, shape ``(r + 1, c + 1)``.
    hidden, primary:
        Boolean arrays of the same shape: hidden cells, and those hidden as small.
    threshold:
        The smallest count that may be shown.
    """
    return _audit(_table(values, primary, threshold), np.asarray(hidden, dtype=bool))


def _widen(t: _Table, hidden: np.ndarray, cell: Cell, target: tuple[float, float]) -> None:
    """Hide the cheapest rectangle that protects ``cell``; failing that, the cheapest
    visible cell of its row and column (or of the table)."""
    costs = _rectangle_costs(t, hidden, cell, target)
    i, j = cell
    if np.isfinite(costs).any():
        k, m = np.unravel_index(int(np.argmin(costs)), costs.shape)
        hidden[i, m] = hidden[k, j] = hidden[k, m] = True
        return
    cost = _hiding_costs(t, hidden)
    cost[hidden] = np.inf
    near = np.full(cost.shape, np.inf)
    near[i, :], near[:, j] = cost[i, :], cost[:, j]
    pick = near if np.isfinite(near).any() else cost
    if np.isfinite(pick).any():
        hidden[np.unravel_index(int(np.argmin(pick)), pick.shape)] = True


def protect(values: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary suppression that :func:`feasible_ranges` finds protected.

    Parameters
    ----------
    values:
        Counts with totals in the last row and column.
    threshold:
        Cells with ``0 < count < threshold`` are primary.

    Returns
    -------
    tuple of numpy.ndarray
        ``(primary, hidden)`` boolean arrays of ``values``' shape.
    """
    t = _table(values, (np.asarray(values) > 0) & (np.asarray(values) < threshold), threshold)
    hidden = t.primary.copy()
    for _ in range(t.values.size + 1):
        audit = _audit(t, hidden)
        failing = _cells(~audit.protected)
        if not failing:
            return t.primary.copy(), hidden
        for cell in failing:
            target = (float(audit.required_low[cell]), float(audit.required_high[cell]))
            if not _has_witness(t, hidden, cell, target):
                _widen(t, hidden, cell, target)
    raise RuntimeError("disclosure protection did not converge")  # pragma: no cover
