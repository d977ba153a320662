"""Stratified designs (pure kernels): exact, coarsened exact (CEM) and propensity subclasses.

Each returns a subclass code per unit (``-1``: not in the matched sample) and MatchIt's
weights follow from the subclasses (:func:`subclass_weights`, MatchIt's
``weights.subclass``). Definitions follow MatchIt 4.5.1:

* **exact**: a stratum is a distinct combination of the covariates' values; strata holding
  units of both groups are kept.
* **CEM** (``cem_matchit``): every numeric covariate is coarsened, then exact matching on
  the bins. Default bins: Sturges' rule, ``ceil(log2(n) + 1)`` equal-width bins over the
  covariate's range, the outer edges opened to -inf/inf; an integer gives that many
  equal-width bins; a sequence gives cut points (bins ``(-inf, c1), [c1, c2), ...,
  [ck, inf)``, R's ``findInterval``). Non-numeric covariates are matched exactly.
* **subclass** (``matchit2subclass``): cut points are quantiles (R type 7) of the distance
  in the focal group (ATT: treated, ATC: controls, ATE: all units) at ``0, 1/k, ..., 1``;
  unit ``i`` falls in ``findInterval(d_i, q, all.inside = TRUE)``. A subclass lacking one
  group is merged into its neighbour (MatchIt instead moves single units, ``subclass_scoot``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def sturges_bins(n: int) -> int:
    """R's ``nclass.Sturges``: ``ceil(log2(n) + 1)``."""
    return int(np.ceil(np.log2(n) + 1))


def coarsen(x: FloatArray, cut: int | Sequence[float] | None) -> IntArray:
    """Bin number of every value (MatchIt's CEM coarsening, see the module docstring)."""
    if cut is None:
        cut = sturges_bins(x.size)
    if isinstance(cut, int | np.integer):
        k = int(cut)
        breaks = np.linspace(float(x.min()), float(x.max()), k + 1)
        breaks[0], breaks[-1] = -np.inf, np.inf
    else:
        breaks = np.concatenate([[-np.inf], np.unique(np.asarray(cut, dtype=float)), [np.inf]])
    return np.searchsorted(breaks, x, side="right").astype(np.int64)


def strata_codes(columns: Sequence[npt.NDArray[np.generic]]) -> IntArray:
    """One integer per distinct combination of the columns' values (0, 1, ...)."""
    codes = np.zeros(columns[0].shape[0], dtype=np.int64)
    for col in columns:
        inv = pd.factorize(col)[0].astype(np.int64)  # hashing: linear time
        codes = codes * (int(inv.max()) + 1) + inv
        codes = pd.factorize(codes)[0].astype(np.int64)
    return codes


def common_strata(codes: IntArray, treat: BoolArray) -> IntArray:
    """Subclass 1, 2, ... for strata with both groups (numbered by first unit); -1 else."""
    k = int(codes.max()) + 1
    has_t = np.bincount(codes[treat], minlength=k) > 0
    has_c = np.bincount(codes[~treat], minlength=k) > 0
    keep = has_t & has_c
    first = np.full(k, codes.size, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(codes.size, dtype=np.int64))
    kept = np.flatnonzero(keep)
    number = np.full(k, -1, dtype=np.int64)
    number[kept[np.argsort(first[kept], kind="stable")]] = np.arange(1, kept.size + 1)
    out: IntArray = number[codes]
    return out


def ps_subclasses(
    distance: FloatArray, treat: BoolArray, n_subclasses: int, estimand: str
) -> IntArray:
    """Propensity score subclasses (1..k) by focal-group quantiles; see module docstring."""
    focal = {"ATT": treat, "ATC": ~treat}.get(estimand, np.ones_like(treat))
    probs = np.linspace(0.0, 1.0, n_subclasses + 1)
    q = np.quantile(distance[focal], probs)
    sub = np.searchsorted(q, distance, side="right")
    sub = np.clip(sub, 1, q.size - 1).astype(np.int64)
    return _merge_one_sided(sub, treat)


def _merge_one_sided(sub: IntArray, treat: BoolArray) -> IntArray:
    """Merge subclasses lacking treated or control units into the next (or previous) one."""
    labels = np.unique(sub)
    while labels.size > 1:
        t = np.array([np.any(treat[sub == s]) for s in labels])
        c = np.array([np.any(~treat[sub == s]) for s in labels])
        bad = np.flatnonzero(~(t & c))
        if bad.size == 0:
            break
        i = int(bad[0])
        target = labels[i + 1] if i + 1 < labels.size else labels[i - 1]
        sub = np.where(sub == labels[i], target, sub)
        labels = np.unique(sub)
    _, renum = np.unique(sub, return_inverse=True)
    out: IntArray = renum.astype(np.int64) + 1
    return out


def subclass_weights(subclass: IntArray, treat: BoolArray, estimand: str) -> FloatArray:
    """MatchIt's ``weights.subclass``: stratum weights of units with ``subclass > 0``.

    ATT: treated 1, controls ``n_T(s) / n_C(s)`` rescaled to sum to the number of matched
    controls. ATC mirrors it. ATE: ``n(s) / n_T(s)`` and ``n(s) / n_C(s)``, each group
    rescaled to sum to its matched count.
    """
    w = np.zeros(subclass.size)
    inside = subclass > 0
    k = int(subclass.max()) + 1 if inside.any() else 1
    i1, i0 = inside & treat, inside & ~treat
    n1 = np.bincount(subclass[i1], minlength=k).astype(np.float64)
    n0 = np.bincount(subclass[i0], minlength=k).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w[i1] = 1.0
            w[i0] = (n1 / n0)[subclass[i0]]
        elif estimand == "ATC":
            w[i0] = 1.0
            w[i1] = (n0 / n1)[subclass[i1]]
        else:
            w[i1] = ((n1 + n0) / n1)[subclass[i1]]
            w[i0] = ((n1 + n0) / n0)[subclass[i0]]
    for g in (i1, i0):
        if g.any() and w[g].sum() > 0:
            w[g] = w[g] * g.sum() / w[g].sum()
    return w


def cardinality_controls(
    x: FloatArray, treat: BoolArray, tol: float, sd: FloatArray, *, time_limit: float = 60.0
) -> tuple[BoolArray, bool]:
    """Cardinality matching for the ATT (Zubizarreta 2014; MatchIt's ``"cardinality"``).

    Keeps every treated unit and selects the largest set of controls whose means satisfy
    ``|mean_T(x_k) - mean_C(x_k)| <= tol * sd_k`` for every column ``k``: a mixed-integer
    programme with one binary per control, ``max sum z`` subject to
    ``-tol sd_k sum z <= sum z (x_jk - mean_T k) <= tol sd_k sum z``, solved by HiGHS through
    ``scipy.optimize.milp``. Returns the selected controls (all False if none is feasible)
    and whether HiGHS proved the selection optimal within ``time_limit`` seconds (else it is
    the best feasible selection found).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    xc = x[~treat]
    dev = xc - x[treat].mean(axis=0)
    band = tol * sd
    a = np.vstack([dev.T - band[:, None], -dev.T - band[:, None]])
    res = milp(
        c=-np.ones(xc.shape[0]),
        constraints=LinearConstraint(a, -np.inf, 0.0),
        integrality=np.ones(xc.shape[0]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit},
    )
    out = np.zeros(treat.size, dtype=bool)
    if res.x is not None:
        out[np.flatnonzero(~treat)[res.x > 0.5]] = True
    return out, bool(res.status == 0)
