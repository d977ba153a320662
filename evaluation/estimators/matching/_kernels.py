"""Pure numerical kernels of greedy nearest-neighbour matching.

Definitions (the brute-force reference in ``tests/matching`` implements exactly these):

* The *distance* between treated unit ``i`` and control ``j`` is ``|s_i - s_j|`` evaluated in
  double precision, where ``s`` is the matching score (the propensity score or its logit).
* A control is *eligible* for ``i`` when it is in the same exact-matching group, it is still
  available (without replacement), and, if a caliper is set, ``|c_i - c_j| <= caliper`` where
  ``c`` is the caliper score (the logit propensity score; any increasing function of ``s``).
* **Tie rule**: among eligible controls at the smallest distance, the one with the smallest
  *position* (0-based row number in the data given to :func:`evaluation.match`) wins.
* Without replacement, treated units are visited in the matching order; with ``ratio = k``
  every treated unit gets its first match before any gets its second (MatchIt's rounds).
  A treated unit with no eligible control in a round stays unmatched (or short of ``k``).
* With replacement, each treated unit gets its ``k`` smallest controls in the order
  ``(distance, position)`` among the eligible ones; the order of treated units is irrelevant.
* ``m_order = "closest"`` (without replacement): the globally closest eligible pair is
  matched first, then the next closest among what is left, and so on (eligible pairs taken
  in the order ``(distance, control position, treated position)``; a treated unit stops at
  ``k`` controls). MatchIt >= 4.6 has this order; 4.5.1 does not.

The fast kernel sorts controls by ``(score, position)`` and keeps two union-find "next
available" pointer arrays (left and right), so each search costs near-constant time.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Pairs:
    """Matched pairs, one row per (treated, control) link, in the order they were made.

    Attributes
    ----------
    treated, control:
        Positions (0-based row numbers) of the treated and control unit.
    rank:
        1 for a treated unit's first match, 2 for its second, ...
    distance:
        The matching distance of the pair.
    """

    treated: IntArray
    control: IntArray
    rank: IntArray
    distance: FloatArray


def _find(parent: list[int], i: int) -> int:
    """Union-find root with path compression (iterative)."""
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


class _SortedControls:
    """Controls of one exact group sorted by (score, position) with deletion support."""

    def __init__(self, score: FloatArray, position: IntArray) -> None:
        order = np.lexsort((position, score))
        self.s: list[float] = score[order].tolist()
        self.pos: list[int] = position[order].tolist()
        n = len(self.s)
        self.n = n
        # Block structure of equal scores: start and end (exclusive) of each index's block.
        s_arr = score[order]
        if n:
            new_block = np.empty(n, dtype=bool)
            new_block[0] = True
            new_block[1:] = s_arr[1:] != s_arr[:-1]
            block_id = np.cumsum(new_block) - 1
            starts = np.flatnonzero(new_block)
            ends = np.append(starts[1:], n)
            self.block_start: list[int] = starts[block_id].tolist()
            self.block_end: list[int] = ends[block_id].tolist()
        else:
            self.block_start = []
            self.block_end = []
        # right[i]: smallest available index >= i (n = none); left[i + 1]: largest <= i.
        self.right = list(range(n + 1))
        self.left = list(range(n + 1))

    def first_available_at_or_after(self, i: int) -> int:
        return _find(self.right, i)

    def last_available_at_or_before(self, i: int) -> int:
        return _find(self.left, i + 1) - 1

    def remove(self, i: int) -> None:
        self.right[i] = i + 1
        self.left[i + 1] = i


def _best_without_replacement(
    ctl: _SortedControls,
    x: float,
    cx: float,
    cal_score: list[float] | None,
    caliper: float | None,
) -> int:
    """Index (in ``ctl``'s sorted order) of the best available control for score ``x``; -1."""
    s, pos, right, left, n = ctl.s, ctl.pos, ctl.right, ctl.left, ctl.n
    use_cal = caliper is not None and cal_score is not None
    cal = cal_score if cal_score is not None else s
    width = caliper if caliper is not None else np.inf
    best, best_d, best_pos = -1, np.inf, -1
    p = bisect_left(s, x)
    # Right side: the first available unit of each distinct-score block (its lowest
    # position), walking right while the distance does not grow (floating-point ties).
    i = _find(right, p)
    first_d = -1.0
    while i < n:
        d = abs(x - s[i])
        if first_d >= 0 and d > first_d:
            break
        first_d = d
        if (not use_cal or abs(cx - cal[i]) <= width) and (
            d < best_d or (d == best_d and pos[i] < best_pos)
        ):
            best, best_d, best_pos = i, d, pos[i]
        i = _find(right, ctl.block_end[i])
    # Left side: the last available unit's block, then its lowest-position available unit.
    j = _find(left, p) - 1
    first_d = -1.0
    while j >= 0:
        b = ctl.block_start[j]
        k = _find(right, b)  # same block as j, lowest position
        d = abs(x - s[k])
        if first_d >= 0 and d > first_d:
            break
        first_d = d
        if (not use_cal or abs(cx - cal[k]) <= width) and (
            d < best_d or (d == best_d and pos[k] < best_pos)
        ):
            best, best_d, best_pos = k, d, pos[k]
        j = _find(left, b) - 1
    return best


def _k_nearest_with_replacement(
    ctl: _SortedControls,
    x: float,
    cx: float,
    cal_score: list[float] | None,
    caliper: float | None,
    k: int,
) -> list[tuple[float, int, int]]:
    """The ``k`` best (distance, position, index) controls for score ``x`` (with reuse)."""
    p = bisect_left(ctl.s, x)
    cand: list[tuple[float, int, int]] = []

    def add_block(b: int, e: int) -> None:
        # Within a block positions ascend; the first k cover every possible winner.
        for i in range(b, min(e, b + k)):
            if caliper is not None and cal_score is not None and abs(cx - cal_score[i]) > caliper:
                return
            cand.append((abs(x - ctl.s[i]), ctl.pos[i], i))

    for direction in (1, -1):
        taken = 0
        last_d = -1.0
        i = p if direction == 1 else p - 1
        while 0 <= i < ctl.n:
            b, e = ctl.block_start[i], ctl.block_end[i]
            d = abs(x - ctl.s[i])
            if taken >= k and d > last_d:
                break
            if caliper is not None and cal_score is not None and abs(cx - cal_score[i]) > caliper:
                break  # farther blocks on this side are farther on the caliper scale too
            add_block(b, e)
            taken += e - b
            last_d = d
            i = e if direction == 1 else b - 1
    cand.sort()
    return cand[:k]


def nearest_1d(
    score: FloatArray,
    treat: npt.NDArray[np.bool_],
    *,
    order: IntArray,
    ratio: int,
    replace: bool,
    group: IntArray | None = None,
    cal_score: FloatArray | None = None,
    caliper: float | None = None,
    closest: bool = False,
) -> Pairs:
    """Greedy nearest-neighbour matching on a one-dimensional score.

    Parameters
    ----------
    score:
        Matching score of every unit (length ``n``).
    treat:
        Boolean treatment indicator (length ``n``).
    order:
        Positions of the treated units in the order they choose (without replacement).
    ratio:
        Number of controls per treated unit.
    replace:
        Whether a control may be matched to several treated units.
    group:
        Exact-matching group code of every unit, or None for one group.
    cal_score, caliper:
        Caliper score (an increasing function of ``score``) and the absolute caliper width.
    closest:
        Match the globally closest pairs first (``m_order = "closest"``; ``order`` unused).

    Returns
    -------
    Pairs
        The links in the order they were made.
    """
    n = score.shape[0]
    positions = np.arange(n, dtype=np.int64)
    grp = np.zeros(n, dtype=np.int64) if group is None else group
    ctl_mask = ~treat
    structures: dict[int, tuple[_SortedControls, list[float] | None]] = {}
    ctl_pos_all = positions[ctl_mask]
    ctl_grp = grp[ctl_mask]
    # Split controls by exact group once (sorting by group keeps this linear-ish).
    g_order = np.argsort(ctl_grp, kind="stable")
    g_sorted = ctl_grp[g_order]
    cut = np.flatnonzero(np.diff(g_sorted)) + 1
    for chunk in np.split(g_order, cut):
        if chunk.size == 0:
            continue
        pos = ctl_pos_all[chunk]
        ctl = _SortedControls(score[pos], pos)
        cal_list = None
        if cal_score is not None:
            cal_list = cal_score[np.asarray(ctl.pos, dtype=np.int64)].tolist()
        structures[int(grp[pos[0]])] = (ctl, cal_list)

    out: tuple[list[int], list[int], list[int], list[float]] = ([], [], [], [])
    out_t, out_c, out_r, out_d = out
    s_list = score.tolist()
    c_list = cal_score.tolist() if cal_score is not None else s_list
    g_list = grp.tolist()
    order_list = order.tolist()
    if replace:
        for t in order_list:
            entry = structures.get(g_list[t])
            if entry is None:
                continue
            ctl, cal_list = entry
            best = _k_nearest_with_replacement(ctl, s_list[t], c_list[t], cal_list, caliper, ratio)
            for r, (d, cpos, _) in enumerate(best, start=1):
                out_t.append(t)
                out_c.append(cpos)
                out_r.append(r)
                out_d.append(d)
    elif closest:
        _closest_rounds(structures, s_list, c_list, g_list, order_list, caliper, ratio, out)
    else:
        active = order_list
        for r in range(1, ratio + 1):
            still: list[int] = []
            for t in active:
                entry = structures.get(g_list[t])
                if entry is None:
                    continue
                ctl, cal_list = entry
                i = _best_without_replacement(ctl, s_list[t], c_list[t], cal_list, caliper)
                if i < 0:
                    continue
                ctl.remove(i)
                out_t.append(t)
                out_c.append(ctl.pos[i])
                out_r.append(r)
                out_d.append(abs(s_list[t] - ctl.s[i]))
                still.append(t)
            active = still
    return Pairs(
        treated=np.asarray(out_t, dtype=np.int64),
        control=np.asarray(out_c, dtype=np.int64),
        rank=np.asarray(out_r, dtype=np.int64),
        distance=np.asarray(out_d, dtype=np.float64),
    )


def _closest_rounds(
    structures: dict[int, tuple[_SortedControls, list[float] | None]],
    s_list: list[float],
    c_list: list[float],
    g_list: list[int],
    treated: list[int],
    caliper: float | None,
    ratio: int,
    out: tuple[list[int], list[int], list[int], list[float]],
) -> None:
    """``m_order = "closest"``: repeatedly match the closest remaining eligible pair."""
    heap: list[tuple[float, int, int, int]] = []

    def push(t: int) -> None:
        entry = structures.get(g_list[t])
        if entry is None:
            return
        ctl, cal_list = entry
        i = _best_without_replacement(ctl, s_list[t], c_list[t], cal_list, caliper)
        if i >= 0:
            heapq.heappush(heap, (abs(s_list[t] - ctl.s[i]), ctl.pos[i], t, i))

    for t in treated:
        push(t)
    taken: dict[int, int] = {}
    used: set[int] = set()
    while heap:
        d, cpos, t, i = heapq.heappop(heap)
        if cpos in used:
            push(t)
            continue
        structures[g_list[t]][0].remove(i)
        used.add(cpos)
        taken[t] = taken.get(t, 0) + 1
        out[0].append(t)
        out[1].append(cpos)
        out[2].append(taken[t])
        out[3].append(d)
        if taken[t] < ratio:
            push(t)


def nearest_mahalanobis(
    z: FloatArray,
    treat: npt.NDArray[np.bool_],
    *,
    order: IntArray,
    ratio: int,
    replace: bool,
    group: IntArray | None = None,
    cal_score: FloatArray | None = None,
    caliper: float | FloatArray | None = None,
    closest: bool = False,
    anti: IntArray | None = None,
) -> Pairs:
    """Greedy nearest-neighbour matching on whitened covariates (Mahalanobis distance).

    ``z`` holds covariates already multiplied by the inverse Cholesky factor of the
    covariance, so the Euclidean distance of rows of ``z`` is the Mahalanobis distance; a
    1-D ``z`` is a score (absolute differences). ``cal_score`` may have several columns
    (``n x k``, covariate calipers) with one width each in ``caliper``. ``anti``: group codes
    on which a matched control must differ (MatchIt's ``antiexact``). Same order, rounds and
    tie rule as :func:`nearest_1d`; cost O(n_treated x n_controls).
    """
    n = z.shape[0]
    grp = np.zeros(n, dtype=np.int64) if group is None else group
    positions = np.arange(n, dtype=np.int64)
    available = ~treat.copy()
    cal = None if cal_score is None or caliper is None else cal_score.reshape(n, -1)
    width = None if caliper is None else np.atleast_1d(np.asarray(caliper, dtype=np.float64))
    ctl_by_group: dict[int, IntArray] = {}
    for g in np.unique(grp[~treat]).tolist():
        ctl_by_group[int(g)] = positions[~treat & (grp == g)]

    def eligible(t: int) -> tuple[IntArray, FloatArray]:
        cands = ctl_by_group.get(int(grp[t]), np.empty(0, dtype=np.int64))
        if not replace:
            cands = cands[available[cands]]
        if anti is not None:
            cands = cands[anti[cands] != anti[t]]
        if cal is not None and width is not None:
            cands = cands[np.all(np.abs(cal[cands] - cal[t]) <= width, axis=1)]
        if z.ndim == 1:
            return cands, np.abs(z[cands] - z[t])
        return cands, np.sqrt(np.sum((z[cands] - z[t]) ** 2, axis=1))

    links: list[tuple[int, int, int, float]] = []
    if replace:
        for t in order.tolist():
            cands, d = eligible(t)
            best = np.lexsort((cands, d))[:ratio]
            links.extend(
                (t, int(cands[b]), r, float(d[b])) for r, b in enumerate(best.tolist(), start=1)
            )
    elif closest:
        links = _closest_generic(order.tolist(), eligible, ratio)
    else:
        active = order.tolist()
        for r in range(1, ratio + 1):
            still: list[int] = []
            for t in active:
                cands, d = eligible(t)
                if cands.size == 0:
                    continue
                b = int(np.lexsort((cands, d))[0])
                available[cands[b]] = False
                links.append((t, int(cands[b]), r, float(d[b])))
                still.append(t)
            active = still
    return _as_pairs(links)


def _closest_generic(
    treated: list[int],
    eligible: Callable[[int], tuple[IntArray, FloatArray]],
    ratio: int,
) -> list[tuple[int, int, int, float]]:
    """``m_order = "closest"`` on any distance: eligible pairs by (distance, control, treated)."""
    cand = [(float(dd), int(c), t) for t in treated for c, dd in zip(*eligible(t), strict=True)]
    cand.sort()
    used: set[int] = set()
    taken: dict[int, int] = {}
    links: list[tuple[int, int, int, float]] = []
    for d, c, t in cand:
        if c in used or taken.get(t, 0) >= ratio:
            continue
        used.add(c)
        taken[t] = taken.get(t, 0) + 1
        links.append((t, c, taken[t], d))
    return links


def _as_pairs(links: list[tuple[int, int, int, float]]) -> Pairs:
    arr = np.asarray([(t, c, r) for t, c, r, _ in links], dtype=np.int64).reshape(-1, 3)
    return Pairs(
        treated=arr[:, 0].copy(),
        control=arr[:, 1].copy(),
        rank=arr[:, 2].copy(),
        distance=np.asarray([d for *_, d in links], dtype=np.float64),
    )


def matchit_weights(pairs: Pairs, n: int) -> tuple[FloatArray, IntArray]:
    """MatchIt's ATT weights and subclasses.

    Matched treated units get weight 1. A control gets ``sum over its treated units of
    1 / m_i``, rescaled so control weights sum to the number of distinct matched controls.
    Subclasses number matched treated units 1, 2, ... in matching order; a control takes the
    subclass of the first treated unit it was matched to.
    """
    w = np.zeros(n)
    m = np.bincount(pairs.treated, minlength=n).astype(np.float64)
    w[m > 0] = 1.0
    cw = np.bincount(pairs.control, weights=1.0 / m[pairs.treated], minlength=n)
    ctl = cw > 0
    w[ctl] = cw[ctl] * ctl.sum() / cw[ctl].sum()
    subclass = np.full(n, -1, dtype=np.int64)
    first_t, idx = np.unique(pairs.treated, return_index=True)
    rank_order = np.argsort(idx, kind="stable")
    subclass[first_t[rank_order]] = np.arange(1, first_t.size + 1)
    # First link of each control, in link order.
    first_c, cidx = np.unique(pairs.control, return_index=True)
    subclass[first_c] = subclass[pairs.treated[cidx]]
    return w, subclass
