"""Numerical kernels of the sensitivity analysis of Rambachan & Roth (2023), "A More Credible
Approach to Parallel Trends" (R package ``HonestDiD``).

The event-study coefficients ``beta = (beta_pre, beta_post)`` (reference period left out) are
``beta = delta + (0, tau_post)`` with ``delta`` the difference in trends. The target is
``theta = l' tau_post``. A restriction says ``delta`` lies in a polyhedron ``{A delta <= d}``
(or, for relative magnitudes, a finite union of such polyhedra):

* smoothness ``Delta^SD(M)``: every second difference of ``delta`` (with ``delta_0 = 0`` at the
  reference period) is at most ``M`` in absolute value;
* relative magnitudes ``Delta^RM(Mbar)``: every post-period first difference is at most
  ``Mbar`` times the largest pre-period first difference, in absolute value.

Confidence sets for ``theta`` are built in two ways:

* the fixed-length confidence interval (FLCI, ``Delta^SD`` only): the affine estimator
  ``v' beta_pre + l' beta_post`` that minimises the length ``cv_alpha(bias / sd) * sd`` over
  its worst-case bias in ``Delta^SD(M)`` and its standard deviation. For a standard deviation
  bound ``h`` the least worst-case bias is a second-order cone programme (solved with cvxpy);
  the best ``h`` is found by a bounded scalar search.
* test inversion over a grid of ``theta`` with the conditional moment-inequality test of
  Andrews, Roth & Pakes (ARP; ``"conditional"``), optionally the hybrid with a least-favourable
  first stage of size ``alpha / 10`` (``"C-LF"``). The test statistic is the value of the linear
  programme ``min_{eta, x} eta`` s.t. ``y - X x <= eta sd``. Its dual optimum is attained at a
  vertex of ``{lambda >= 0, lambda' sd = 1, X' lambda = 0}``; the vertices are enumerated once
  per polyhedron, after which the statistic, the optimal vertex and the truncation bounds of
  the conditional test follow for the whole grid by matrix products.

The grids, defaults and the least-favourable simulation follow HonestDiD so that results can
be compared with it (``tests/did/test_did_sensitivity.py``).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from evaluation.errors import EstimationError, OptionError

FloatArray = npt.NDArray[np.float64]
#: ``(rows, cols) -> standard normal matrix`` used for the least-favourable critical value.
NormalSource = Callable[[int, int], FloatArray]
Hybrid = Literal["LF", "ARP"]

#: Dual weights below this count as zero (HonestDiD's ``tol_lambda``).
_TOL_LAMBDA = 1e-6
#: Singular values below this fraction of the largest make a candidate basis singular.
_BASIS_RTOL = 1e-10
#: Most candidate bases enumerated for one polyhedron (C(rows, post periods)).
MAX_BASES = 400_000
#: Draws for the least-favourable critical value (HonestDiD: ``sims = 1000``).
LF_SIMS = 1000
#: Grid half-width in standard deviations of ``l' beta_post`` (HonestDiD: 20).
GRID_SDS = 20.0


@dataclass(frozen=True)
class EventStudy:
    """Event-study coefficients without the reference period, and the target weights.

    ``beta`` is ``(pre..., post...)`` in event-time order; ``l_vec`` weights the post
    coefficients (``theta = l_vec' beta_post`` without bias).
    """

    beta: FloatArray
    sigma: FloatArray
    n_pre: int
    n_post: int
    l_vec: FloatArray

    @property
    def sd_theta(self) -> float:
        """Standard deviation of ``l' beta_post``."""
        post = self.sigma[self.n_pre :, self.n_pre :]
        return float(np.sqrt(self.l_vec @ post @ self.l_vec))

    @property
    def theta_hat(self) -> float:
        """The unadjusted estimate ``l' beta_post``."""
        return float(self.l_vec @ self.beta[self.n_pre :])


@dataclass(frozen=True)
class Interval:
    """A confidence interval for ``theta`` and how it was found."""

    low: float
    high: float
    open_end: bool = False  # the accepted set reaches an end of the test grid


# --------------------------------------------------------------------------- restrictions


def _insert_reference(mat: FloatArray, n_pre: int) -> FloatArray:
    """Drop the column of the reference period (``delta_0 = 0``) from ``mat``."""
    return np.delete(mat, n_pre, axis=1)


def smoothness_matrix(n_pre: int, n_post: int) -> FloatArray:
    """``A`` of ``Delta^SD``: second differences of ``delta`` (both signs), ``d = M``."""
    tilde = _insert_reference(_differences(n_pre + n_post, 2), n_pre)
    return np.vstack([tilde, -tilde])


def _differences(t: int, order: int) -> FloatArray:
    """Rows of first (``order = 1``) or second differences of ``(delta, with delta_0)``."""
    stencil = (-1.0, 1.0) if order == 1 else (1.0, -2.0, 1.0)
    rows = t + 1 - len(stencil) + 1
    out = np.zeros((rows, t + 1))
    for r in range(rows):
        out[r, r : r + len(stencil)] = stencil
    return out


def relative_magnitude_matrix(
    n_pre: int, n_post: int, mbar: float, s: int, positive: bool, order: int = 1
) -> FloatArray:
    """``A`` of one piece of ``Delta^RM(Mbar)`` (``order = 1``) or ``Delta^SDRM(Mbar)``
    (``order = 2``, second differences); ``d = 0``.

    The piece where the largest pre-period difference is the one ending at event time ``s``
    (the one ending at the reference period for ``s = 0``) and has sign ``+`` (``positive``)
    or ``-``: every pre-period difference is at most it in absolute value, every post-period
    one at most ``Mbar`` times it.
    """
    diffs = _differences(n_pre + n_post, order)
    pick = np.zeros(n_pre + n_post + 1)
    end = n_pre + s
    pick[end - order : end + 1] = (-1.0, 1.0) if order == 1 else (1.0, -2.0, 1.0)
    if not positive:
        pick = -pick
    n_pre_rows = n_pre + 1 - order
    bound = np.vstack([np.tile(pick, (n_pre_rows, 1)), np.tile(mbar * pick, (n_post, 1))])
    full = np.vstack([diffs - bound, -diffs - bound])
    full = full[(full**2).sum(axis=1) > 1e-10]
    return _insert_reference(full, n_pre)


def relative_magnitude_pieces(n_pre: int, order: int = 1) -> list[tuple[int, bool]]:
    """The ``(s, positive)`` pieces whose union is ``Delta^RM`` (or ``Delta^SDRM``)."""
    return [(s, pos) for pos in (True, False) for s in range(-(n_pre - order), 1)]


def post_rows(a: FloatArray, n_pre: int) -> npt.NDArray[np.bool_]:
    """Rows of ``a`` that involve a post-period coefficient (HonestDiD's moments for ARP)."""
    return np.asarray((a[:, n_pre:] != 0).any(axis=1))


# --------------------------------------------------------------------------- FLCI


def folded_normal_quantile(p: float, mean: float, draws: FloatArray | None = None) -> float:
    """``p``-quantile of ``|N(mean, 1)|``; from standard normal ``draws`` when given (the
    simulated quantile of HonestDiD), otherwise exact."""
    if draws is not None:
        return float(np.quantile(np.abs(draws + mean), p))
    b = abs(mean)

    def gap(c: float) -> float:
        return float(stats.norm.cdf(c - b) - stats.norm.cdf(-c - b) - p)

    hi = b + stats.norm.ppf(p) + 10.0
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-14, rtol=1e-14))


def _trend(n_pre: int, n_post: int) -> FloatArray:
    """Event times of the coefficients (reference period 0 left out)."""
    return np.concatenate([np.arange(-n_pre, 0), np.arange(1, n_post + 1)]).astype(np.float64)


def _min_variance_pre_weights(es: EventStudy) -> FloatArray:
    """Pre weights ``v`` of the least-variance estimator with no bias from a linear trend."""
    n_pre = es.n_pre
    tau = _trend(n_pre, es.n_post)
    s_pp = es.sigma[:n_pre, :n_pre]
    rhs = -es.sigma[:n_pre, n_pre:] @ es.l_vec
    kkt = np.zeros((n_pre + 1, n_pre + 1))
    kkt[:n_pre, :n_pre] = s_pp
    kkt[:n_pre, n_pre] = -tau[:n_pre]
    kkt[n_pre, :n_pre] = tau[:n_pre]
    b = np.append(rhs, -tau[n_pre:] @ es.l_vec)
    return np.asarray(np.linalg.lstsq(kkt, b, rcond=None)[0][:n_pre], dtype=np.float64)


class BiasFrontier:
    """Least worst-case bias (per unit of ``M``) of an affine estimator with sd <= ``h``.

    The worst case of ``c' delta`` over ``Delta^SD(1) = {A delta <= 1}`` is, by LP duality,
    ``min 1' mu`` over ``mu >= 0`` with ``A' mu = c``; with ``c = (v, l)`` the pre weights
    ``v`` follow from ``mu``, so one second-order cone programme in ``mu`` gives the least
    bias under the variance bound. Compiled once (``h`` is a parameter), solved per ``h``.
    """

    def __init__(self, es: EventStudy, scale: float) -> None:
        import cvxpy as cp  # imported here: only the FLCI needs it
        from cvxpy.atoms.sum_squares import sum_squares

        self.n_pre = es.n_pre
        self.scale = scale
        self.a = smoothness_matrix(es.n_pre, es.n_post)
        sig = es.sigma / scale**2
        vals, vecs = np.linalg.eigh((sig + sig.T) / 2)
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        self.mu = cp.Variable(self.a.shape[0], nonneg=True)
        self.h2 = cp.Parameter(nonneg=True)
        coef = self.a.T @ self.mu
        cons = [coef[es.n_pre :] == es.l_vec, sum_squares(root.T @ coef) <= self.h2]
        objective = cp.Minimize(np.ones(self.a.shape[0]) @ self.mu)
        self.problem: Any = cp.Problem(objective, cons)  # cvxpy is untyped

    def solve(self, h: float) -> tuple[float, FloatArray]:
        """Least worst-case bias per unit ``M`` and the pre weights, for sd bound ``h``."""
        self.h2.value = (h / self.scale) ** 2
        with warnings.catch_warnings():  # "inaccurate" near the least variance: status checked
            warnings.simplefilter("ignore", UserWarning)
            self.problem.solve(solver="CLARABEL")
        ok = self.problem.status in ("optimal", "optimal_inaccurate")
        if self.mu.value is None or not ok:
            return math.inf, np.zeros(self.n_pre)
        weights = np.asarray(self.a.T @ self.mu.value, dtype=np.float64)
        return float(self.problem.value), weights[: self.n_pre]


def _estimator_sd(es: EventStudy, pre: FloatArray) -> float:
    c = np.concatenate([pre, es.l_vec])
    return float(np.sqrt(max(c @ es.sigma @ c, 0.0)))


@dataclass(frozen=True)
class _FlciSearch:
    """The half-length ``cv(M b(h) / h) h`` as a function of the sd bound ``h``."""

    frontier: BiasFrontier
    cache: dict[float, tuple[float, FloatArray]]
    alpha: float
    draws: FloatArray | None

    def bias(self, h: float) -> tuple[float, FloatArray]:
        if h not in self.cache:
            self.cache[h] = self.frontier.solve(h)
        return self.cache[h]

    def half_length(self, h: float, m: float) -> float:
        b = self.bias(h)[0]
        if not np.isfinite(b):
            return math.inf
        return folded_normal_quantile(1 - self.alpha, m * b / h, self.draws) * h

    def best(self, m: float, h_min: float, h_max: float) -> tuple[float, FloatArray]:
        """Least half-length over ``h`` in ``(h_min, h_max]`` and the estimator's weights."""
        lo = h_min * (1 + 1e-7)
        found = optimize.minimize_scalar(
            lambda h: self.half_length(h, m),
            bounds=(lo, h_max),
            method="bounded",
            options={"xatol": 1e-10 * h_max},
        )
        hstar = min((float(found.x), lo, h_max), key=lambda h: self.half_length(h, m))
        return self.half_length(hstar, m), self.bias(hstar)[1]


def flci(
    es: EventStudy, m_values: FloatArray, alpha: float, draws: FloatArray | None = None
) -> list[Interval]:
    """Optimal fixed-length confidence intervals over ``Delta^SD(M)`` for each ``M``.

    ``draws``: standard normal draws for a simulated folded-normal quantile (exact if ``None``).
    With ``M = 0`` (or when no estimator trades bias for variance) the interval is the
    least-variance estimator without bias from a linear trend, ``+- z sd``.
    """
    scale = es.sd_theta if es.sd_theta > 0 else 1.0
    v_min = _min_variance_pre_weights(es)
    h_min = _estimator_sd(es, v_min)
    v_bias = np.zeros(es.n_pre)
    v_bias[-1] = _trend(es.n_pre, es.n_post)[es.n_pre :] @ es.l_vec
    h_max = _estimator_sd(es, v_bias)
    search = _FlciSearch(BiasFrontier(es, scale), {}, alpha, draws)
    out = []
    for m in m_values:
        if m == 0 or h_max <= h_min * (1 + 1e-7):
            pre = v_min
            half = folded_normal_quantile(1 - alpha, 0.0, draws) * h_min
            if m > 0:
                half = search.half_length(h_max, float(m))
        else:
            half, pre = search.best(float(m), h_min, h_max)
        centre = float(pre @ es.beta[: es.n_pre]) + es.theta_hat
        out.append(Interval(centre - half, centre + half))
    return out


# --------------------------------------------------------------------------- ARP test


def dual_vertices(w: FloatArray) -> FloatArray:
    """Vertices of ``{lambda >= 0, w' lambda = e_1}`` as rows (``w`` is ``m x q``)."""
    m, q = w.shape
    n_bases = math.comb(m, q)
    if n_bases > MAX_BASES:
        raise OptionError(
            f"the conditional test would enumerate {n_bases:,} bases ({m} moments, "
            f"{q - 1} nuisance parameters)",
            where="sensitivity(method=...)",
            fix="use method='FLCI' (smoothness) or fewer post-period event times (max_e)",
        )
    combos = np.array(list(itertools.combinations(range(m), q)), dtype=np.int64)
    blocks = np.transpose(w[combos], (0, 2, 1))  # w_B' for every basis
    sv = np.linalg.svd(blocks, compute_uv=False)
    regular = sv[:, -1] > _BASIS_RTOL * np.maximum(sv[:, 0], 1e-300)
    e1 = np.zeros(q)
    e1[0] = 1.0
    lam = np.linalg.solve(blocks[regular], np.broadcast_to(e1, (int(regular.sum()), q))[..., None])
    lam = lam[..., 0]
    feasible = (lam >= -1e-9).all(axis=1)
    verts = np.zeros((int(feasible.sum()), m))
    rows = np.arange(len(verts))[:, None]
    verts[rows, combos[regular][feasible]] = np.clip(lam[feasible], 0, None)
    return np.unique(np.round(verts, 12), axis=0)


@dataclass(frozen=True)
class Moments:
    """The moments ``y(theta) = y0 - a1 theta`` with nuisance loadings ``x`` of one polyhedron."""

    y0: FloatArray
    a1: FloatArray
    x: FloatArray
    sigma: FloatArray


def moments(es: EventStudy, a: FloatArray, d: FloatArray, rows: npt.NDArray[np.bool_]) -> Moments:
    """Reparametrise ``A delta <= d`` around ``theta`` (``Gamma`` with first row ``l``)."""
    n_pre, n_post = es.n_pre, es.n_post
    basis = [es.l_vec]
    for j in range(n_post):  # greedy completion by unit vectors, as a row-echelon pivot
        cand = np.zeros(n_post)
        cand[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([*basis, cand])) == len(basis) + 1:
            basis.append(cand)
        if len(basis) == n_post:
            break
    gamma_inv = np.linalg.inv(np.vstack(basis))
    loads = a[:, n_pre:] @ gamma_inv
    sig = a @ es.sigma @ a.T
    y0 = a @ es.beta - d
    return Moments(y0[rows], loads[rows, 0], loads[rows, 1:], sig[np.ix_(rows, rows)])


def _sym_sqrt(mat: FloatArray) -> FloatArray:
    vals, vecs = np.linalg.eigh((mat + mat.T) / 2)
    return np.asarray((vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T, dtype=np.float64)


def least_favourable_cv(
    verts: FloatArray, sigma: FloatArray, kappa: float, normals: NormalSource
) -> float:
    """``1 - kappa`` quantile of the statistic when every moment binds (``y ~ N(0, sigma)``)."""
    z = normals(LF_SIMS, sigma.shape[0])
    draws = z @ _sym_sqrt(sigma)
    eta = (verts @ draws.T).max(axis=0)
    return float(np.quantile(eta, 1 - kappa))


def arp_accept(
    mom: Moments,
    grid: FloatArray,
    alpha: float,
    hybrid: Hybrid,
    normals: NormalSource,
) -> npt.NDArray[np.bool_]:
    """Acceptance of ``theta`` on ``grid`` by the conditional (or C-LF hybrid) ARP test."""
    sd = np.sqrt(np.clip(np.diag(mom.sigma), 0, None))
    if not (sd > 0).all():
        raise EstimationError(
            "a moment of the restriction has zero variance",
            where="sensitivity()",
            fix="check that the event-study covariance is positive definite",
        )
    verts = dual_vertices(np.column_stack([sd, mom.x]))
    kappa = alpha / 10
    lf_cv = least_favourable_cv(verts, mom.sigma, kappa, normals) if hybrid == "LF" else np.inf
    size = (alpha - kappa) / (1 - kappa) if hybrid == "LF" else alpha
    y = mom.y0[:, None] - mom.a1[:, None] * grid[None, :]  # (m, G)
    vy = verts @ y
    best = vy.argmax(axis=0)
    eta = vy[best, np.arange(len(grid))]
    gam = verts[best]  # (G, m)
    sgam = gam @ mom.sigma  # (G, m) = (sigma gamma)'
    var_b = np.einsum("gm,gm->g", sgam, gam)
    degenerate = var_b < np.finfo(float).eps
    b = sgam / np.where(degenerate, 1.0, var_b)[:, None]  # (G, m)
    s = y.T - b * eta[:, None]  # (G, m)
    vs = s @ verts.T  # (G, V)
    den = 1.0 - b @ verts.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = vs / den
    vlo = np.where(den > 1e-10, ratio, -np.inf).max(axis=1)
    vup = np.where(den < -1e-10, ratio, np.inf).min(axis=1)
    sd_b = np.sqrt(np.where(degenerate, 1.0, var_b))
    stat = eta / sd_b
    zlo, zup = vlo / sd_b, np.minimum(vup, lf_cv) / sd_b
    inside = (zlo <= stat) & (stat <= zup)
    cval = np.zeros(len(grid))
    idx = np.nonzero(inside & ~degenerate)[0]
    if len(idx):
        cval[idx] = np.maximum(0.0, _truncnorm_ppf(1 - size, zlo[idx], zup[idx]))
    reject = inside & (stat > cval)
    reject |= eta > lf_cv
    reject = np.where(degenerate, eta > 0, reject)
    return np.asarray(~reject)


def _truncnorm_ppf(p: float, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """``p``-quantile of the standard normal truncated to ``[lo, hi]``."""
    return np.asarray(stats.truncnorm.ppf(p, lo, hi), dtype=np.float64)


def test_grid(lo: float, hi: float, points: int) -> FloatArray:
    """The ``theta`` grid of the test inversion (HonestDiD's ``seq(lb, ub, length.out)``)."""
    return np.linspace(lo, hi, points)


def accepted_interval(grid: FloatArray, accept: npt.NDArray[np.bool_]) -> Interval:
    """Hull of the accepted grid points (``nan`` when none is accepted)."""
    if not accept.any():
        return Interval(np.nan, np.nan)
    inside = grid[accept]
    return Interval(float(inside.min()), float(inside.max()), bool(accept[0] | accept[-1]))


def smoothness_bias_bound(es: EventStudy, m: float) -> float:
    """Largest ``|l' delta_post|`` over ``Delta^SD(M)`` with ``delta_pre = 0`` (identified set
    half-width at ``beta = 0``), by linear programming."""
    if m == 0:
        return 0.0
    a = smoothness_matrix(es.n_pre, es.n_post)
    t = es.n_pre + es.n_post
    eq = np.hstack([np.eye(es.n_pre), np.zeros((es.n_pre, es.n_post))])
    c = np.concatenate([np.zeros(es.n_pre), es.l_vec])
    res = optimize.linprog(
        -c,
        A_ub=a,
        b_ub=np.full(a.shape[0], m),
        A_eq=eq,
        b_eq=np.zeros(es.n_pre),
        bounds=[(None, None)] * t,
        method="highs",
    )
    if res.status != 0:
        raise EstimationError(
            f"the smoothness identified-set programme failed ({res.message})",
            where="sensitivity(restriction='smoothness')",
            fix="check the event-study estimates for non-finite values",
        )
    return float(-res.fun)


def smoothness_grid(es: EventStudy, m: float, points: int) -> FloatArray:
    """HonestDiD's default grid for smoothness: the identified set at ``beta = 0``
    (``+- max bias``) widened by ``20 sd(l' beta_post)``."""
    half = smoothness_bias_bound(es, m) + GRID_SDS * es.sd_theta
    return test_grid(-half, half, points)


def conditional_smoothness(
    es: EventStudy,
    m: float,
    alpha: float,
    hybrid: Hybrid,
    grid: FloatArray,
    normals: NormalSource,
    post_moments_only: bool = False,
) -> Interval:
    """Conditional / C-LF confidence interval over ``Delta^SD(M)``. The moments that involve
    post-period coefficients only, as HonestDiD, except with one post period (then all of
    them, also as HonestDiD, unless ``post_moments_only``)."""
    a = smoothness_matrix(es.n_pre, es.n_post)
    d = np.full(a.shape[0], m)
    only_post = post_moments_only or es.n_post > 1
    rows = post_rows(a, es.n_pre) if only_post else np.ones(a.shape[0], dtype=bool)
    accept = arp_accept(moments(es, a, d, rows), grid, alpha, hybrid, normals)
    return accepted_interval(grid, accept)


def conditional_relative_magnitude(
    es: EventStudy,
    mbar: float,
    alpha: float,
    hybrid: Hybrid,
    grid: FloatArray,
    normals: NormalSource,
    order: int = 1,
) -> Interval:
    """Conditional / C-LF confidence interval over ``Delta^RM(Mbar)`` (``order = 1``) or
    ``Delta^SDRM(Mbar)`` (``order = 2``): the union of the pieces' confidence sets."""
    accept = np.zeros(len(grid), dtype=bool)
    for s, positive in relative_magnitude_pieces(es.n_pre, order):
        a = relative_magnitude_matrix(es.n_pre, es.n_post, mbar, s, positive, order)
        rows = post_rows(a, es.n_pre)
        if es.n_post == 1:
            a = a[rows]
            rows = np.ones(a.shape[0], dtype=bool)
        mom = moments(es, a, np.zeros(a.shape[0]), rows)
        accept |= arp_accept(mom, grid, alpha, hybrid, normals)
    return accepted_interval(grid, accept)


def relative_magnitude_grid(es: EventStudy, points: int) -> FloatArray:
    """HonestDiD's default grid for relative magnitudes: ``0 +- 20 sd(l' beta_post)``."""
    return test_grid(-GRID_SDS * es.sd_theta, GRID_SDS * es.sd_theta, points)
