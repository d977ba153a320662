"""Optimal pair and optimal full matching (pure kernels).

**Optimal pair matching** (MatchIt's ``method = "optimal"``, optmatch's ``pairmatch``):
every focal unit gets ``ratio`` controls without replacement so that the *total* distance
is minimal. Solved as a rectangular assignment: focal units repeated ``ratio`` times against
the pool. On a one-dimensional score with a large pool only candidate edges are kept: each
focal unit's ``ratio * n_focal`` nearest controls on either side. This loses nothing: in an
optimal matching a focal unit never skips a free control that is closer (swapping would
lower the total), and the other focal units hold at most ``ratio * n_focal - 1`` controls,
so some optimal matching uses candidate edges only. The sparse problem is solved with
scipy's ``min_weight_full_bipartite_matching`` (LAPJVsp), the dense one with
``linear_sum_assignment``.

**Optimal full matching** (``method = "full"``, Hansen 2004, without ratio limits): every
unit ends in a matched set of one treated and several controls or one control and several
treated, minimising the sum of within-set treated-control distances. Such a partition is a
minimum-weight *edge cover* of the complete bipartite graph (every minimum edge cover is a
union of stars), found by the classic reduction to an assignment: with ``m(v)`` the cheapest
edge at ``v``, ``cover = sum_v m(v) + min_M sum_{(u, v) in M} min(0, c(u, v) - m(u) - m(v))``
over matchings ``M``; vertices left uncovered by ``M`` take their cheapest edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Dense assignment up to this many cells; beyond it candidate edges (1-D scores).
DENSE_CELLS = 4_000_000


@dataclass(frozen=True)
class Assignment:
    """Matched (focal, control) position pairs and their distances."""

    focal: IntArray
    control: IntArray
    distance: FloatArray


def pair_cost(points: FloatArray, rows: IntArray, cols: IntArray) -> FloatArray:
    """Distance matrix between ``rows`` and ``cols`` (1-D: absolute; 2-D: Euclidean)."""
    if points.ndim == 1:
        out: FloatArray = np.abs(points[rows][:, None] - points[cols][None, :])
        return out
    diff = points[rows][:, None, :] - points[cols][None, :, :]
    dist: FloatArray = np.sqrt(np.sum(diff**2, axis=2))
    return dist


def optimal_pairs(points: FloatArray, focal: IntArray, pool: IntArray, ratio: int) -> Assignment:
    """Minimum-total-distance matching of each focal unit to ``ratio`` pool units."""
    need = ratio * focal.size
    if points.ndim == 1 and focal.size * pool.size > DENSE_CELLS and need < pool.size:
        return _sparse_pairs(points, focal, pool, ratio)
    cost = pair_cost(points, focal, pool)
    rows, cols = linear_sum_assignment(np.repeat(cost, ratio, axis=0))
    f = focal[rows // ratio]
    return Assignment(f, pool[cols], cost[rows // ratio, cols])


def _sparse_pairs(points: FloatArray, focal: IntArray, pool: IntArray, ratio: int) -> Assignment:
    k = ratio * focal.size
    o = np.argsort(points[pool], kind="stable")
    sorted_pool = pool[o]
    s = points[sorted_pool]
    at = np.searchsorted(s, points[focal])
    lo = np.clip(at - k, 0, pool.size)
    hi = np.clip(at + k, 0, pool.size)
    counts = (hi - lo).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cand = np.arange(int(indptr[-1])) - np.repeat(indptr[:-1] - lo, counts)
    row_of = np.repeat(np.arange(focal.size), counts)
    # +1 keeps zero distances as stored edges (every row has `ratio` edges in any full
    # matching, so the shift does not change the optimum).
    weight = np.abs(points[focal][row_of] - s[cand]) + 1.0
    base = csr_matrix((weight, cand, indptr), shape=(focal.size, pool.size))
    graph = base[np.repeat(np.arange(focal.size), ratio)] if ratio > 1 else base
    try:
        m_rows, m_cols = min_weight_full_bipartite_matching(graph)
    except ValueError:  # no full matching on the candidate edges (cannot happen in theory)
        cost = pair_cost(points, focal, pool)
        rows, cols = linear_sum_assignment(np.repeat(cost, ratio, axis=0))
        return Assignment(focal[rows // ratio], pool[cols], cost[rows // ratio, cols])
    f_idx = np.asarray(m_rows) // ratio
    ctl = sorted_pool[np.asarray(m_cols)]
    return Assignment(focal[f_idx], ctl, np.abs(points[focal[f_idx]] - points[ctl]))


def full_matching(points: FloatArray, treated: IntArray, control: IntArray) -> Assignment:
    """Optimal full matching as a minimum-weight edge cover (see the module docstring).

    Returns the cover's edges as (treated, control) pairs; matched sets are its connected
    components (stars).
    """
    cost = pair_cost(points, treated, control)
    m_t = cost.min(axis=1)
    m_c = cost.min(axis=0)
    saving = np.minimum(0.0, cost - m_t[:, None] - m_c[None, :])
    flip = treated.size > control.size
    rows, cols = linear_sum_assignment(saving.T if flip else saving)
    if flip:
        rows, cols = cols, rows
    useful = saving[rows, cols] < 0
    ti, ci = rows[useful], cols[useful]
    cov_t = np.zeros(treated.size, dtype=bool)
    cov_c = np.zeros(control.size, dtype=bool)
    cov_t[ti] = True
    cov_c[ci] = True
    extra_t = np.flatnonzero(~cov_t)
    extra_c = np.flatnonzero(~cov_c)
    all_t = np.concatenate([ti, extra_t, np.argmin(cost[:, extra_c], axis=0)])
    all_c = np.concatenate([ci, np.argmin(cost[extra_t], axis=1), extra_c])
    pairs = np.unique(np.column_stack([all_t, all_c]), axis=0)
    pairs = _drop_redundant(pairs, treated.size, control.size)
    t_idx, c_idx = pairs[:, 0], pairs[:, 1]
    return Assignment(treated[t_idx], control[c_idx], cost[t_idx, c_idx])


def _drop_redundant(pairs: IntArray, n_t: int, n_c: int) -> IntArray:
    """Remove edges whose both ends are covered twice (zero-saving ties) so sets are stars."""
    deg_t = np.bincount(pairs[:, 0], minlength=n_t)
    deg_c = np.bincount(pairs[:, 1], minlength=n_c)
    keep = np.ones(len(pairs), dtype=bool)
    for e in np.flatnonzero((deg_t[pairs[:, 0]] > 1) & (deg_c[pairs[:, 1]] > 1)).tolist():
        t, c = int(pairs[e, 0]), int(pairs[e, 1])
        if deg_t[t] > 1 and deg_c[c] > 1:
            keep[e] = False
            deg_t[t] -= 1
            deg_c[c] -= 1
    out: IntArray = pairs[keep]
    return out


def set_numbers(assign: Assignment, n: int) -> IntArray:
    """Matched-set number (1, 2, ...) of every unit from the cover's components; -1 else."""
    nodes = np.unique(np.concatenate([assign.focal, assign.control]))
    index = np.full(n, -1, dtype=np.int64)
    index[nodes] = np.arange(nodes.size)
    graph = csr_matrix(
        (np.ones(assign.focal.size), (index[assign.focal], index[assign.control])),
        shape=(nodes.size, nodes.size),
    )
    _, labels = connected_components(graph, directed=False)
    sub = np.full(n, -1, dtype=np.int64)
    sub[nodes] = labels.astype(np.int64) + 1
    return sub
