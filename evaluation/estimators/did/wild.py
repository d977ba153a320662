"""Few-cluster inference: the wild cluster bootstrap and randomisation inference.

Without covariates every group-time ATT, and so every aggregation ``theta = kappa' m``, is a
linear function of the weighted cohort x period means ``m`` of the outcome. Both procedures
work on per-(cluster, cohort) sums of the outcome (:class:`CellSums`), never on the units:

* :func:`wild_cluster_test` is the restricted wild cluster bootstrap-t (WCR; Cameron,
  Gelbach & Miller 2008; MacKinnon & Webb 2017). The null ``theta = 0`` is imposed by
  restricted least squares on ``m``; bootstrap outcomes ``y* = m_R + v_g (y - m_R)`` with one
  Rademacher or Webb weight ``v_g`` per cluster are re-estimated and studentised with their
  own cluster-robust standard error. The p-value is the share of ``|t*| >= |t|``. Each draw
  is closed-form in the sums, so 999 draws cost ``O(999 x clusters x cohorts)``.
* :func:`permutation_estimates` re-estimates an aggregation with the pilots' start dates
  (cohorts) permuted among clusters (or units), for staggered randomisation inference.

The aggregation weights (cohort shares) are held fixed in the bootstrap: the test is
conditional on the cohort composition, as the null concerns the outcomes only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from evaluation.estimators.did.cells import CellPlan

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BootstrapKind = Literal["multiplier", "wild_cluster"]
BootstrapWeights = Literal["rademacher", "mammen", "gaussian", "webb"]

#: Weights of the wild cluster bootstrap.
WILD_WEIGHTS = ("rademacher", "webb")
_DRAW_BLOCK = 4_000_000  # max entries of one block of cluster weights (memory bound)
_WEBB = np.sqrt(np.array([0.5, 1.0, 1.5]))  # Webb (2014) six-point weights: +-these


@dataclass(frozen=True)
class BootstrapSpec:
    """How to bootstrap: ``att_gt(..., bootstrap=BootstrapSpec(...))``.

    Attributes
    ----------
    kind:
        ``"multiplier"``: R ``did``'s multiplier bootstrap of the influence function
        (simultaneous bands; ``bootstrap=999`` is the same with Rademacher weights).
        ``"wild_cluster"``: the restricted wild cluster bootstrap-t for few clusters; every
        aggregation then reports wild p-values and intervals (``p_value_wild``,
        ``conf_low_wild``, ``conf_high_wild``) beside the analytic ones. Needs no
        covariates and a balanced panel.
    weights:
        Per-cluster (or per-unit) weights: ``"rademacher"`` or ``"webb"`` (six-point, for
        fewer than about 12 clusters, where Rademacher has only ``2**G`` distinct draws);
        ``"mammen"`` and ``"gaussian"`` for the multiplier bootstrap.
    reps:
        Number of bootstrap draws.
    seed:
        Seed of the draws (``None``: the ``seed`` given to ``att_gt``).
    """

    kind: BootstrapKind = "multiplier"
    weights: BootstrapWeights = "rademacher"
    reps: int = 999
    seed: int | None = None


_WEIGHT_VALUES = {
    "rademacher": np.array([-1.0, 1.0]),
    "webb": np.concatenate([-_WEBB, _WEBB]),  # Webb (2014): six points, equal mass
}


def _uniform_bytes(
    rng: np.random.Generator, shape: tuple[int, int], k: int
) -> npt.NDArray[np.uint8]:
    """Random bytes below the largest multiple of ``k`` (so ``byte % k`` is exactly uniform
    on ``0..k-1``; bytes above it are redrawn): one byte per weight, fast."""
    size = shape[0] * shape[1]
    limit = 256 - 256 % k
    raw = np.frombuffer(rng.bytes(size), dtype=np.uint8)
    if limit < 256:
        raw = raw.copy()
        bad = np.flatnonzero(raw >= limit)
        while len(bad):
            redraw = np.frombuffer(rng.bytes(len(bad)), dtype=np.uint8)
            raw[bad] = redraw
            bad = bad[redraw >= limit]
    return raw.reshape(shape)


def cluster_weights(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> FloatArray:
    """Bootstrap weights with mean 0 and variance 1 (Rademacher, Webb, Mammen, Gaussian)."""
    if kind in _WEIGHT_VALUES:
        values = _WEIGHT_VALUES[kind]
        by_byte = values[np.arange(256) % len(values)]  # byte -> weight, one lookup
        return np.asarray(by_byte[_uniform_bytes(rng, shape, len(values))], dtype=np.float64)
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        low = rng.random(shape) < (s5 + 1) / (2 * s5)
        return np.asarray(np.where(low, (1 - s5) / 2, (1 + s5) / 2), dtype=np.float64)
    return np.asarray(rng.standard_normal(shape), dtype=np.float64)


@dataclass(frozen=True)
class CellSums:
    """Weighted outcome sums per (cluster, cohort) pair, with the cell plan.

    Attributes
    ----------
    ysum:
        Weighted outcome sums, shape ``(P, T)``, one row per pair present in the data.
    wsum:
        Weighted unit counts of each pair, ``(P,)``.
    pair_code, pair_cluster:
        Cohort code (``0..G``, never-treated last) and cluster of each pair.
    n_clusters:
        Number of clusters (units when not clustering).
    plan:
        The cells estimated.
    cluster_level:
        True when clusters were given, False when each unit is its own cluster.
    """

    ysum: FloatArray
    wsum: FloatArray
    pair_code: IntArray
    pair_cluster: IntArray
    n_clusters: int
    plan: CellPlan
    cluster_level: bool

    @classmethod
    def from_units(
        cls,
        y: FloatArray,
        code: IntArray,
        weight: FloatArray,
        cluster: IntArray | None,
        plan: CellPlan,
    ) -> CellSums:
        """Sum a balanced wide panel (``y``: units x periods) by cluster and cohort."""
        n_codes = len(plan.cohorts) + 1
        if cluster is None:
            return cls(
                y * weight[:, None],
                weight.astype(np.float64),
                code,
                np.arange(len(code), dtype=np.int64),
                len(code),
                plan,
                False,
            )
        n_cl = int(cluster.max()) + 1
        key = cluster * n_codes + code
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        uniq = sorted_key[starts]
        ysum = np.add.reduceat(y[order] * weight[order, None], starts, axis=0)
        wsum = np.add.reduceat(weight[order], starts)
        return cls(ysum, wsum, uniq % n_codes, uniq // n_codes, n_cl, plan, True)

    @property
    def n_codes(self) -> int:
        """Cohort codes, never-treated included (``G + 1``)."""
        return len(self.plan.cohorts) + 1

    def cohort_weight(self, code: IntArray | None = None) -> FloatArray:
        """Weighted count of each cohort code (for an alternative pair -> cohort coding)."""
        c = self.pair_code if code is None else code
        return np.asarray(np.bincount(c, weights=self.wsum, minlength=self.n_codes), np.float64)

    def cohort_means(self, code: IntArray | None = None) -> FloatArray:
        """Weighted cohort x period means ``m`` (``G + 1`` x ``T``)."""
        c = self.pair_code if code is None else code
        sums = np.column_stack(
            [
                np.bincount(c, weights=self.ysum[:, t], minlength=self.n_codes)
                for t in range(self.ysum.shape[1])
            ]
        )
        wc = self.cohort_weight(c)
        return sums / np.where(wc > 0, wc, 1.0)[:, None]

    def cell_tensor(self, wc: FloatArray) -> FloatArray:
        """``K[k] `` with ``ATT_k = sum(K[k] * m)``, shape ``(cells, G + 1, T)``."""
        plan = self.plan
        out = np.zeros((plan.n_cells, self.n_codes, self.ysum.shape[1]))
        for k in range(plan.n_cells):
            if plan.reference[k]:
                continue
            g, t, b = int(plan.group[k]), int(plan.t_idx[k]), int(plan.b_idx[k])
            out[k, g, t] += 1.0
            out[k, g, b] -= 1.0
            ctrl = wc * plan.controls[k]
            share = ctrl / ctrl.sum()
            out[k, :, t] -= share
            out[k, :, b] += share
        return out


@dataclass(frozen=True)
class WildTest:
    """Wild cluster bootstrap-t results for a set of linear combinations (one per row).

    Attributes
    ----------
    estimate:
        The combinations' estimates.
    std_error:
        Their cluster-robust standard errors from the outcome (the studentisation).
    p_value:
        Symmetric bootstrap p-value of ``estimate = 0``, ``P*(|t*| >= |t|)``.
    crit:
        The ``1 - alpha`` quantile of ``|t*|``: the interval is ``estimate +- crit * se``.
    conf_low, conf_high:
        That interval.
    reps, n_clusters, weights:
        Draws, clusters and weight distribution.
    """

    estimate: FloatArray
    std_error: FloatArray
    p_value: FloatArray
    crit: FloatArray
    conf_low: FloatArray
    conf_high: FloatArray
    reps: int
    n_clusters: int
    weights: str


@dataclass(frozen=True)
class _Element:
    """One combination prepared for the bootstrap (all arrays over clusters or cohorts)."""

    theta: float
    se: float
    a: FloatArray  # (G,) restricted-residual scores per cluster
    ecg: FloatArray  # (C, G) the same split by cohort
    ok: bool


def _prepare(sums: CellSums, kappa: FloatArray, m_hat: FloatArray, wc: FloatArray) -> _Element:
    """Restricted and unrestricted scores of ``theta = sum(kappa * m)``."""
    inv_w = 1.0 / np.where(wc > 0, wc, np.inf)
    theta = float((kappa * m_hat).sum())
    denom = float((kappa**2 * inv_w[:, None]).sum())
    n_cl, n_c = sums.n_clusters, sums.n_codes
    if denom <= 0:
        zeros = np.zeros(n_cl)
        return _Element(np.nan, np.nan, zeros, np.zeros((n_c, n_cl)), False)
    m_r = m_hat - kappa * inv_w[:, None] * (theta / denom)
    k_p = kappa * inv_w[:, None]
    # per pair: sum_t k_t (ysum_t - wsum m_t) = ysum @ k - wsum (m @ k) by cohort
    yk = np.einsum("pt,pt->p", sums.ysum, k_p[sums.pair_code])
    e_p = yk - sums.wsum * (m_r * k_p).sum(axis=1)[sums.pair_code]
    u_p = yk - sums.wsum * (m_hat * k_p).sum(axis=1)[sums.pair_code]
    a = np.asarray(np.bincount(sums.pair_cluster, weights=e_p, minlength=n_cl), np.float64)
    ecg = np.asarray(
        np.bincount(sums.pair_code * n_cl + sums.pair_cluster, weights=e_p, minlength=n_c * n_cl),
        np.float64,
    ).reshape(n_c, n_cl)
    s_obs = np.bincount(sums.pair_cluster, weights=u_p, minlength=n_cl)
    se = float(np.sqrt(s_obs @ s_obs))
    return _Element(theta, se, a, ecg, se > 0)


def _blocks(rng: np.random.Generator, reps: int, n_cl: int, weights: str) -> Iterator[FloatArray]:
    step = max(1, _DRAW_BLOCK // max(n_cl, 1))
    for start in range(0, reps, step):
        yield cluster_weights(rng, (min(step, reps - start), n_cl), weights)


def _abs_t_draws(
    elements: list[_Element],
    pm: FloatArray,
    *,
    rng: np.random.Generator,
    reps: int,
    weights: str,
) -> Iterator[FloatArray]:
    """Blocks of ``|t*|`` (draws x combinations), all combinations from the same draws.

    For cluster weights ``v``, the bootstrap scores are ``S* = v * A - (v E') Pm``, so
    ``theta* = v A`` and ``|S*|^2 = v^2 A^2 - 2 sum_c (v E')_c (v (A Pm_c)) + (v E') Pm Pm'
    (v E')'``: a few matrix products of the draws with (clusters x cohorts) matrices, for
    every combination at once.
    """
    n_j, n_c = len(elements), pm.shape[0]
    a = np.column_stack([e.a for e in elements])  # (G, J)
    e_t = np.concatenate([e.ecg.T for e in elements], axis=1)  # (G, J*C)
    a_pm = np.concatenate([e.a[:, None] * pm.T for e in elements], axis=1)  # (G, J*C)
    stacked = np.concatenate([a, e_t, a_pm], axis=1)
    a2 = a**2
    gram = pm @ pm.T
    ok = np.array([e.ok for e in elements])
    for v in _blocks(rng, reps, len(a), weights):
        prod = v @ stacked
        num = prod[:, :n_j]
        r = prod[:, n_j : n_j + n_j * n_c].reshape(-1, n_j, n_c)
        x = prod[:, n_j + n_j * n_c :].reshape(-1, n_j, n_c)
        var = (v * v) @ a2 - 2 * (r * x).sum(axis=2) + np.einsum("bjc,cd,bjd->bj", r, gram, r)
        se = np.sqrt(np.clip(var, 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            yield np.where(ok & (se > 0), np.abs(num) / se, 0.0)


def _abs_t_segments(
    elements: list[_Element],
    pm: FloatArray,
    *,
    rng: np.random.Generator,
    reps: int,
    weights: str,
) -> Iterator[FloatArray]:
    """As :func:`_abs_t_draws` when every cluster holds one cohort (units as clusters,
    pilots by region): ``E`` and ``Pm`` then have one non-zero per cluster, and each
    draw needs only products of the draws with the clusters of each cohort."""
    code = np.argmax(pm > 0, axis=0)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(pm.shape[0] + 1))
    a = np.column_stack([e.a for e in elements])[order]  # (G, J), clusters by cohort
    share = pm[code[order], order]  # w_h / W_c of each cluster
    ab = np.concatenate([a, a * share[:, None]], axis=1)
    a2 = a**2
    gram = np.bincount(code[order], weights=share**2, minlength=pm.shape[0])
    n_j = a.shape[1]
    ok = np.array([e.ok for e in elements])
    for v in _blocks(rng, reps, len(a), weights):
        num = np.zeros((len(v), n_j))
        var = (v * v) @ a2
        for c in range(pm.shape[0]):
            lo, hi = bounds[c], bounds[c + 1]
            if hi == lo:
                continue
            prod = v[:, lo:hi] @ ab[lo:hi]
            r, x = prod[:, :n_j], prod[:, n_j:]
            num += r
            var += gram[c] * r**2 - 2 * r * x
        se = np.sqrt(np.clip(var, 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            yield np.where(ok & (se > 0), np.abs(num) / se, 0.0)


def wild_cluster_test(
    sums: CellSums,
    coefs: FloatArray,
    *,
    reps: int,
    weights: str,
    alpha: float,
    rng: np.random.Generator,
) -> WildTest:
    """Restricted wild cluster bootstrap-t of each combination ``coefs[j] @ ATT = 0``.

    ``coefs`` has one row per combination over the cells (extra columns, such as the
    cohort-share part of aggregation weights, are ignored: shares are held fixed).
    """
    k_cells = sums.plan.n_cells
    c = np.nan_to_num(np.atleast_2d(coefs)[:, :k_cells])
    finite = np.isfinite(np.atleast_2d(coefs)[:, :k_cells]).all(axis=1)
    wc = sums.cohort_weight()
    kappa = np.einsum("jk,kct->jct", c, sums.cell_tensor(wc))
    n_cl, n_c = sums.n_clusters, sums.n_codes
    pm = (
        np.bincount(
            sums.pair_code * n_cl + sums.pair_cluster, weights=sums.wsum, minlength=n_c * n_cl
        ).reshape(n_c, n_cl)
        / np.where(wc > 0, wc, 1.0)[:, None]
    )
    m_hat = sums.cohort_means()
    elements = [_prepare(sums, kap, m_hat, wc) for kap in kappa]
    t_obs = np.array([e.theta / e.se if e.ok else np.nan for e in elements])
    one_cohort = bool((np.bincount(sums.pair_cluster, minlength=n_cl) == 1).all())
    draws = _abs_t_segments if one_cohort else _abs_t_draws
    abs_t = np.concatenate(list(draws(elements, pm, rng=rng, reps=reps, weights=weights)), axis=0)
    exceed = (abs_t >= (np.abs(t_obs) * (1 - 1e-12))[None, :]).sum(axis=0)
    crit = np.quantile(abs_t, 1 - alpha, axis=0)
    ok = finite & np.array([e.ok for e in elements])
    est = np.where(finite, [e.theta for e in elements], np.nan)
    se_all = np.where(ok, [e.se for e in elements], np.nan)
    p = np.where(ok, exceed / reps, np.nan)
    return WildTest(
        estimate=est,
        std_error=se_all,
        p_value=p,
        crit=np.where(ok, crit, np.nan),
        conf_low=est - crit * se_all,
        conf_high=est + crit * se_all,
        reps=reps,
        n_clusters=n_cl,
        weights=weights,
    )


def permutation_estimates(
    sums: CellSums,
    aggregate: Callable[[FloatArray, FloatArray], float],
    *,
    reps: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, str]:
    """Estimates of an aggregation with cohorts permuted among clusters (or units).

    ``aggregate(att, share)`` maps cell ATTs and treated-cohort shares to the statistic.
    Cohorts are permuted among the pairs of ``sums``: clusters (the caller checks that
    each has one cohort) or units. Returns the ``reps`` permuted statistics and the level.
    """
    codes = sums.pair_code
    level = "clusters" if sums.cluster_level else "units"
    n_g = len(sums.plan.cohorts)
    out = np.empty(reps)
    for r in range(reps):
        code = codes[rng.permutation(len(codes))]
        wc = sums.cohort_weight(code)
        att = np.einsum("kct,ct->k", sums.cell_tensor(wc), sums.cohort_means(code))
        out[r] = aggregate(att, wc[:n_g] / wc.sum())
    return out, level


@dataclass(frozen=True)
class FewClusterData:
    """What an :class:`~evaluation.estimators.did.AttGtResult` keeps for few-cluster
    inference (no covariates, balanced panel): the estimation sample and the plan.

    Attributes
    ----------
    y, code, weight, cluster:
        Outcomes (units x periods), cohort codes, weights and cluster codes of the units.
    plan:
        The cells estimated.
    spec:
        The wild cluster bootstrap requested, or ``None``.
    seed:
        Seed of the draws when ``spec.seed`` is not given.
    """

    y: FloatArray
    code: IntArray
    weight: FloatArray
    cluster: IntArray | None
    plan: CellPlan
    spec: BootstrapSpec | None
    seed: int | None

    @functools.cached_property
    def sums(self) -> CellSums:
        """The per-(cluster, cohort) sums."""
        return CellSums.from_units(self.y, self.code, self.weight, self.cluster, self.plan)

    def rng(self, seed: int | None = None) -> np.random.Generator:
        """A fresh generator: ``seed``, else the spec's seed, else the result's (0 if none)."""
        spec_seed = None if self.spec is None else self.spec.seed
        chosen = next((s for s in (seed, spec_seed, self.seed) if s is not None), 0)
        return np.random.default_rng(chosen)

    def wild(self, coefs: FloatArray, alpha: float) -> WildTest | None:
        """The wild cluster bootstrap of the rows of ``coefs`` (``None`` if not requested)."""
        if self.spec is None or self.spec.kind != "wild_cluster":
            return None
        return wild_cluster_test(
            self.sums,
            coefs,
            reps=self.spec.reps,
            weights=self.spec.weights,
            alpha=alpha,
            rng=self.rng(),
        )
