"""Aggregation weights for group-time effects (R ``did::aggte``).

Each aggregated parameter is a linear function ``c' (att, 0)`` of the group-time effects; its
influence function is ``A c`` where ``A = [Psi, Z]`` also holds the influence function of the
cohort shares, so that estimated weights are accounted for (the ``wif`` term in R ``did``).
This module only builds the coefficient vectors ``c``; variances and bootstrap draws follow
from the covariance ``A'A / n^2`` and the draws kept by the group-time result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from evaluation.estimators.did.errors import OptionError

FloatArray = npt.NDArray[np.float64]
Kind = Literal["simple", "group", "dynamic", "calendar"]


@dataclass(frozen=True)
class AggregationWeights:
    """Coefficient vectors over ``(att, cohort shares)`` for each element and the overall."""

    labels: FloatArray  # event time, cohort or period of each element
    elements: FloatArray  # (J, K + G)
    overall: FloatArray  # (K + G,)


def _weighted(
    idx: npt.NDArray[np.int64],
    att: FloatArray,
    group: npt.NDArray[np.int64],
    share: FloatArray,
    k_cells: int,
) -> FloatArray:
    """Share-weighted average of cells ``idx``, with the influence of the estimated shares."""
    c = np.zeros(k_cells + len(share))
    if len(idx) == 0:
        return np.full(k_cells + len(share), np.nan)
    pg = share[group[idx]]
    s = pg.sum()
    c[idx] = pg / s
    agg = float(pg @ att[idx]) / s
    np.add.at(c, k_cells + group[idx], (att[idx] - agg) / s)
    return c


def aggregation_weights(
    kind: Kind,
    *,
    att: FloatArray,
    cohort: FloatArray,
    time: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    share: FloatArray,
    cohorts: FloatArray,
    periods: npt.NDArray[np.int64],
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    usable: npt.NDArray[np.bool_] | None = None,
) -> AggregationWeights:
    """Coefficient vectors of the ``kind`` aggregation, following R ``did::aggte``.

    Cells not ``usable`` (not estimable: NA) are left out, as R ``aggte(na.rm = TRUE)``;
    ``att`` must be finite on the usable cells. Event times without a usable cell are
    dropped.
    """
    k_cells = len(att)
    n_g = len(cohorts)
    post = cohort <= time
    within = time <= cohort + max_e
    if usable is not None:
        post = post & usable
        within = within & usable
    if kind == "simple":
        keep = np.nonzero(post & within)[0]
        c = _weighted(keep, att, group, share, k_cells)
        return AggregationWeights(np.array([np.nan]), c[None, :], c)
    if kind == "group":
        rows = []
        for h in range(n_g):
            idx = np.nonzero((group == h) & post & within)[0]
            c = np.zeros(k_cells + n_g)
            if len(idx) == 0:
                c[:] = np.nan
            else:
                c[idx] = 1.0 / len(idx)
            rows.append(c)
        elements = np.vstack(rows)
        theta = elements[:, :k_cells] @ att
        ok = np.isfinite(theta)
        s = share[ok].sum()
        overall = (share[ok] / s) @ elements[ok]
        agg = float(share[ok] @ theta[ok]) / s
        overall[k_cells + np.nonzero(ok)[0]] += (theta[ok] - agg) / s
        return AggregationWeights(cohorts.astype(np.float64), elements, overall)
    if kind == "dynamic":
        event = time - cohort
        include = np.ones(k_cells, dtype=bool)
        eseq = np.unique(event)
        if balance_e is not None:
            include = (periods.max() - cohort) >= balance_e
            eseq = np.unique(event[include])
            lo = balance_e - periods.max() + periods.min()
            eseq = eseq[(eseq <= balance_e) & (eseq >= lo)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if len(eseq) == 0:
            raise OptionError(
                "no event times left after min_e/max_e/balance_e",
                where="aggregate('dynamic')",
                fix="widen min_e/max_e or lower balance_e",
            )
        if usable is not None:
            include = include & usable
            eseq = eseq[np.isin(eseq, event[include])]
        elements = np.vstack(
            [
                _weighted(np.nonzero((event == e) & include)[0], att, group, share, k_cells)
                for e in eseq
            ]
        ).reshape(len(eseq), k_cells + n_g)
        pos = eseq >= 0
        overall = elements[pos].mean(axis=0) if pos.any() else np.full(k_cells + n_g, np.nan)
        return AggregationWeights(eseq.astype(np.float64), elements, overall)
    if kind == "calendar":
        tseq = periods[periods >= cohorts.min()]
        elements = np.vstack(
            [
                _weighted(np.nonzero((time == t1) & post & within)[0], att, group, share, k_cells)
                for t1 in tseq
            ]
        )
        okt: npt.NDArray[np.bool_] = np.asarray(np.isfinite(elements).all(axis=1))
        overall = elements[okt].mean(axis=0)
        return AggregationWeights(tseq[okt].astype(np.float64), elements[okt], overall)
    raise OptionError(
        f"unknown aggregation {kind!r}",
        where="aggregate(kind)",
        fix="use one of 'simple', 'group', 'dynamic', 'calendar'",
    )
