"""Numerical kernels: group-time ATTs and their influence functions.

Two kernels produce the same thing, the estimates ``att`` (K,) and the covariance of the
*augmented* influence function ``A = [Psi, Z]`` where ``Psi`` (n x K) is the influence function
of the K group-time ATTs (scaled as in R ``did``: column k is ``n / n_k`` times the DRDID
influence function on the n_k units of cell k, zero elsewhere) and ``Z`` (n x G) is the
influence function of the cohort shares ``w_i 1{G_i = g} - p_g`` used by the aggregations.
Then ``Var(estimate) = A'A / n^2`` and a multiplier-bootstrap draw is ``v'A / n``.

* :func:`moment_kernel` handles the no-covariate case from per-cohort sufficient statistics.
  Every unit's influence row is linear in ``f_i = (w_i y_i, w_i, 1)``, so ``A'A`` follows
  from the per-cohort Gram matrices of ``f`` (a streaming one-pass computation that also runs
  on chunks fetched from DuckDB) and cluster sums follow from per-(cluster, cohort) sums of f.
* :func:`dense_kernel` handles covariates (outcome regression, IPW, doubly robust) with the
  panel estimators of Sant'Anna & Zhao (2020) as in R ``DRDID`` and materialises ``A``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from evaluation.estimators.did.cells import CellPlan
from evaluation.estimators.did.errors import NoComparisonUnitsError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["dr", "ipw", "reg"]
Multiplier = Literal["rademacher", "mammen", "gaussian"]

_PS_TRIM = 0.995  # comparison units with a propensity score above this get weight 0 (DRDID)
_PS_CAP = 1 - 1e-6  # propensity scores are capped below 1, as in DRDID
_DRAW_BLOCK = 2_000_000  # max entries of one block of multiplier draws (memory bound)


@dataclass(frozen=True)
class Chunk:
    """A block of units: cohort code, raw weight, outcome (centred), cluster code."""

    code: IntArray
    weight: FloatArray
    y: FloatArray
    cluster: IntArray | None


@dataclass(frozen=True)
class KernelResult:
    """Estimates and influence-function summaries of the group-time ATTs.

    Attributes
    ----------
    att:
        ATT(g, t), shape ``(K,)``.
    vcov:
        Covariance of ``(att, cohort shares)``, shape ``(K + G, K + G)``.
    draws:
        Multiplier-bootstrap draws of the same vector minus its estimate, ``(B, K + G)``.
    n_treated, n_control:
        Units in the treated and comparison cohorts of each cell.
    cohort_share:
        Weighted share of units in each treated cohort, ``p_g`` (G,).
    n_units, n_clusters:
        Units and clusters (``n_clusters == n_units`` when not clustering).
    reason:
        Per cell, why it could not be estimated (``""`` if it was); empty when all were.
    """

    att: FloatArray
    vcov: FloatArray
    draws: FloatArray | None
    n_treated: IntArray
    n_control: IntArray
    cohort_share: FloatArray
    n_units: int
    n_clusters: int
    reason: tuple[str, ...] = ()


def multipliers(rng: np.random.Generator, shape: tuple[int, int], kind: Multiplier) -> FloatArray:
    """Draw multiplier weights with mean 0 and variance 1."""
    if kind == "rademacher":
        signs: FloatArray = rng.integers(0, 2, size=shape).astype(np.float64)
        return np.asarray(signs * 2.0 - 1.0, dtype=np.float64)
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        low = rng.random(shape) < (s5 + 1) / (2 * s5)
        return np.asarray(np.where(low, (1 - s5) / 2, (1 + s5) / 2), dtype=np.float64)
    return np.asarray(rng.standard_normal(shape), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# No covariates: sufficient statistics
# --------------------------------------------------------------------------------------------


class MomentAccumulator:
    """Accumulates per-cohort Gram matrices (and cluster sums) of ``f = (w y, w, 1)``."""

    def __init__(self, n_periods: int, n_codes: int, n_clusters: int | None) -> None:
        self.n_periods = n_periods
        self.n_codes = n_codes
        self.n_clusters = n_clusters
        m = n_periods + 2
        self.gram = np.zeros((n_codes, m, m))
        self.csum = None if n_clusters is None else np.zeros((n_clusters * n_codes, m))
        self.shift: FloatArray | None = None

    def features(self, chunk: Chunk) -> FloatArray:
        """Return ``f`` for a chunk, outcome centred by the shift fixed at the first chunk."""
        if self.shift is None:
            self.shift = chunk.y.mean(axis=0)
        f = np.empty((len(chunk.code), self.n_periods + 2))
        np.subtract(chunk.y, self.shift, out=f[:, : self.n_periods])
        f[:, : self.n_periods] *= chunk.weight[:, None]
        f[:, self.n_periods] = chunk.weight
        f[:, self.n_periods + 1] = 1.0
        return f

    def add(self, chunk: Chunk) -> None:
        """Add one chunk of units."""
        f = self.features(chunk)
        order = np.argsort(chunk.code, kind="stable")
        bounds = np.searchsorted(chunk.code[order], np.arange(self.n_codes + 1))
        for c in range(self.n_codes):
            rows = order[bounds[c] : bounds[c + 1]]
            if len(rows):
                fc = f[rows]
                self.gram[c] += fc.T @ fc
        if self.csum is not None and chunk.cluster is not None:
            idx = chunk.cluster * self.n_codes + chunk.code
            size = self.csum.shape[0]
            for j in range(f.shape[1]):
                self.csum[:, j] += np.bincount(idx, weights=f[:, j], minlength=size)


def _scale(acc: MomentAccumulator) -> tuple[FloatArray, float]:
    """Scaling of f that normalises weights to mean one: returns (d, n)."""
    counts = acc.gram[:, -1, -1]
    n = float(counts.sum())
    wbar = float(acc.gram[:, -1, -2].sum()) / n
    d = np.full(acc.n_periods + 2, 1.0 / wbar)
    d[-1] = 1.0
    return d, n


def moment_kernel(
    acc: MomentAccumulator,
    plan: CellPlan,
    *,
    bootstrap: int | None,
    rng: np.random.Generator | None,
    multiplier: Multiplier,
    second_pass: Callable[[], Iterable[Chunk]] | None,
) -> KernelResult:
    """Group-time ATTs without covariates from accumulated moments.

    ``second_pass`` re-yields the unit chunks; it is only used for a unit-level bootstrap with
    non-Gaussian multipliers (a Gaussian multiplier bootstrap is exactly ``N(0, vcov)`` and is
    drawn from the covariance).
    """
    n_t = acc.n_periods
    d, n = _scale(acc)
    gram = acc.gram * d[None, :, None] * d[None, None, :]
    sy = gram[:, -1, :n_t]  # (C, T) weighted sums of centred y
    sw = gram[:, -1, n_t]  # (C,) weighted counts
    cnt = acc.gram[:, -1, -1]
    n_g = len(plan.cohorts)
    k_cells = plan.n_cells
    m = np.zeros((acc.n_codes, n_t + 2, k_cells + n_g))
    att = np.zeros(k_cells)
    n_tr = np.zeros(k_cells, dtype=np.int64)
    n_co = np.zeros(k_cells, dtype=np.int64)
    for k in range(k_cells):
        g, t, b = int(plan.group[k]), int(plan.t_idx[k]), int(plan.b_idx[k])
        ctrl = plan.controls[k]
        n_tr[k] = int(cnt[g])
        n_co[k] = int(cnt[ctrl].sum())
        if plan.reference[k]:
            continue
        w_t, w_c = sw[g], sw[ctrl].sum()
        mu_t = (sy[g, t] - sy[g, b]) / w_t
        mu_c = (sy[ctrl, t] - sy[ctrl, b]).sum() / w_c
        att[k] = mu_t - mu_c
        m[g, t, k] += n / w_t
        m[g, b, k] -= n / w_t
        m[g, n_t, k] -= n * mu_t / w_t
        for c in np.nonzero(ctrl)[0]:
            m[c, t, k] -= n / w_c
            m[c, b, k] += n / w_c
            m[c, n_t, k] += n * mu_c / w_c
    share = sw[:n_g] / n
    for h in range(n_g):
        m[h, n_t, k_cells + h] = 1.0
        m[:, n_t + 1, k_cells + h] = -share[h]

    if acc.csum is not None and acc.n_clusters is not None:
        csum = acc.csum.reshape(acc.n_clusters, acc.n_codes, n_t + 2) * d
        s = sum(csum[:, c, :] @ m[c] for c in range(acc.n_codes))
        vcov = s.T @ s / n**2
        n_cl = acc.n_clusters
    else:
        vcov = sum(m[c].T @ gram[c] @ m[c] for c in range(acc.n_codes)) / n**2
        s = None
        n_cl = int(n)

    draws = None
    if bootstrap is not None:
        assert rng is not None  # set by the caller whenever bootstrap is requested
        if s is not None:
            draws = _draw_rows(s, bootstrap, rng, multiplier) / n
        elif multiplier == "gaussian" or second_pass is None:
            draws = _gaussian_draws(vcov, bootstrap, rng)
        else:
            draws = np.zeros((bootstrap, k_cells + n_g))
            for chunk in second_pass():
                a = acc.features(chunk) * d
                rows = np.einsum("ij,ijk->ik", a, m[chunk.code])
                draws += _draw_rows(rows, bootstrap, rng, multiplier)
            draws /= n
    return KernelResult(
        att=att,
        vcov=vcov,
        draws=draws,
        n_treated=n_tr,
        n_control=n_co,
        cohort_share=share,
        n_units=int(n),
        n_clusters=n_cl,
    )


def _gaussian_draws(vcov: FloatArray, b: int, rng: np.random.Generator) -> FloatArray:
    """Exact Gaussian-multiplier draws: ``N(0, vcov)`` via an eigen square root."""
    vals, vecs = np.linalg.eigh((vcov + vcov.T) / 2)
    # the symmetric square root is unique, so draws do not depend on eigenvector signs
    root = (vecs * np.sqrt(np.where(vals > vals.max() * 1e-10, vals, 0.0))) @ vecs.T
    return np.asarray(rng.standard_normal((b, len(vals))) @ root, dtype=np.float64)


def _draw_rows(
    rows: FloatArray, b: int, rng: np.random.Generator, multiplier: Multiplier
) -> FloatArray:
    """Return ``V' rows`` for multipliers V (len(rows) x b), in memory-bounded blocks."""
    out = np.zeros((b, rows.shape[1]))
    step = max(1, _DRAW_BLOCK // b)
    for start in range(0, len(rows), step):
        block = rows[start : start + step]
        v = multipliers(rng, (len(block), b), multiplier)
        out += v.T @ block
    return out


# --------------------------------------------------------------------------------------------
# Covariates: DRDID panel estimators on each cell, dense influence functions
# --------------------------------------------------------------------------------------------


#: Why a group-time cell could not be estimated (the cell is then NA, the rest goes on).
CellReason = Literal["too few treated", "too few controls", "separation", "singular"]

#: Fitted probabilities this close to 0 or 1 count as numerically perfect predictions.
_PROB_EPS = 1e-10
#: Relative tolerance for the numerical rank of the standardised covariate matrix.
_RANK_TOL = 1e-10
_NEWTON_STEPS = 100  # Newton-Raphson iterations of the logit (converges in < 15 normally)


class CellFailure(Exception):
    """Raised inside a kernel when one cell cannot be estimated; caught per cell."""

    def __init__(self, reason: CellReason) -> None:
        super().__init__(reason)
        self.reason: CellReason = reason


def standardise(x: FloatArray) -> FloatArray:
    """Intercept plus centred, scaled and linearly independent covariate columns.

    ``x`` holds an intercept in column 0. Every fit of a design (logit, least squares) is
    invariant to an invertible affine change of the covariates, so this changes no result,
    but it keeps the Newton iterations and normal equations well scaled whatever the units
    of a covariate (``lpop + 1000``). Columns constant within the design, or collinear with
    earlier ones, carry no information beyond the intercept and are dropped (as R's ``lm``
    aliases them).
    """
    z = x[:, 1:]
    if z.shape[1] == 0:
        return x
    sd = z.std(axis=0)
    scale = np.maximum(np.abs(z).max(axis=0), 1.0)
    live = sd > _RANK_TOL * scale
    z = (z[:, live] - z[:, live].mean(axis=0)) / sd[live]
    if z.shape[1] > 1:
        _, r = np.linalg.qr(z)
        diag = np.abs(np.diag(r))
        z = z[:, diag > _RANK_TOL * max(float(diag.max()), 1.0) * np.sqrt(len(z))]
    return np.column_stack([np.ones(len(x)), z])


def logit_fit(x: FloatArray, d: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted logistic regression by Newton-Raphson; returns (p, inverse Hessian / n).

    Separation is judged on the fitted probabilities, not on the coefficients: the data
    are separated when the fit orders every treated unit above every comparison unit
    (then no maximum-likelihood estimate exists), or when the iterations do not converge
    and some units are predicted numerically perfectly (quasi-complete separation).
    Raises :class:`CellFailure` (``"separation"`` or ``"singular"``).
    """
    beta = np.zeros(x.shape[1])
    converged = False
    for _ in range(_NEWTON_STEPS):
        p = expit(x @ beta)
        grad = x.T @ (w * (d - p))
        hess = (x.T * (w * p * (1 - p))) @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if not np.isfinite(beta).all():
            break
        if np.max(np.abs(step)) < 1e-11:
            converged = True
            break
    p = expit(x @ beta) if np.isfinite(beta).all() else np.where(d == 1, 1.0, 0.0)
    treated, control = (d == 1) & (w > 0), (d == 0) & (w > 0)
    if treated.any() and control.any() and p[treated].min() > p[control].max():
        raise CellFailure("separation")
    perfect = (np.minimum(p, 1 - p) < _PROB_EPS).any()
    if not converged:
        raise CellFailure("separation" if perfect else "singular")
    hess = (x.T * (w * p * (1 - p))) @ x
    try:
        hinv = np.linalg.inv(hess / len(d))
    except np.linalg.LinAlgError as exc:
        raise CellFailure("singular") from exc
    return p, hinv


class PanelDesign:
    """The parts of a 2x2 panel DiD that do not depend on the outcome (Sant'Anna & Zhao 2020).

    One design serves every cell with the same treated cohort, comparison cohorts and
    covariate values, so the propensity score and the regression projections are computed
    once per design instead of once per cell. :meth:`estimate` then returns the ATT and its
    influence function as R ``DRDID::reg_did_panel`` (``reg``), ``std_ipw_did_panel``
    (``ipw``) and ``drdid_panel`` (``dr``).
    """

    def __init__(self, d: FloatArray, x: FloatArray, w: FloatArray, method: Method) -> None:
        n = len(d)
        x = standardise(x)
        if not (d == 1).any():
            raise CellFailure("too few treated")
        if int((d == 0).sum()) < x.shape[1]:
            raise CellFailure("too few controls")
        self.method = method
        self.x = x
        self.d = d
        self.w = w / w.mean()
        self.wt = self.w * d
        self.mwt = float(self.wt.mean())
        self.wols = self.w * (1 - d)
        xpx_inv = np.linalg.pinv((x.T * self.wols) @ x / n)
        self.proj = xpx_inv @ (x.T * self.wols) / n  # beta = proj @ dy (controls' WLS)
        m1 = (self.wt[:, None] * x).mean(axis=0)
        self.xm1 = x @ (xpx_inv @ m1)  # lin_ols @ m1 = wols * resid * xm1
        if method == "reg":
            return
        p, hinv = logit_fit(x, d, w / w.mean())
        p = np.minimum(p, _PS_CAP)
        keep = np.where(d == 1, 1.0, (p < _PS_TRIM).astype(np.float64))
        self.wc = keep * self.w * p * (1 - d) / (1 - p)
        self.mwc = float(self.wc.mean())
        self.lin_ps = ((self.w * (d - p))[:, None] * x) @ hinv
        m3 = (self.wc[:, None] * x).mean(axis=0)
        self.xm3 = x @ (xpx_inv @ m3)

    def estimate(self, dy: FloatArray) -> tuple[float, FloatArray]:
        """ATT and its influence function (one entry per unit of the design)."""
        x, wt, mwt = self.x, self.wt, self.mwt
        if self.method == "ipw":
            eta_t = float((wt * dy).mean()) / mwt
            eta_c = float((self.wc * dy).mean()) / self.mwc
            inf_treat = wt * (dy - eta_t) / mwt
            m2 = ((self.wc * (dy - eta_c))[:, None] * x).mean(axis=0)
            inf_c = (self.wc * (dy - eta_c) + self.lin_ps @ m2) / self.mwc
            return eta_t - eta_c, inf_treat - inf_c
        out = x @ (self.proj @ dy)
        ols_part = self.wols * (dy - out)  # lin_ols @ m = ols_part * (x @ xpx_inv @ m)
        if self.method == "reg":
            eta_t = float((wt * dy).mean()) / mwt
            eta_c = float((wt * out).mean()) / mwt
            inf_treat = wt * (dy - eta_t) / mwt
            inf_c = (wt * (out - eta_c) + ols_part * self.xm1) / mwt
            return eta_t - eta_c, inf_treat - inf_c
        res = dy - out
        eta_t = float((wt * res).mean()) / mwt
        eta_c = float((self.wc * res).mean()) / self.mwc
        inf_treat = (wt * (res - eta_t) - ols_part * self.xm1) / mwt
        m2 = ((self.wc * (res - eta_c))[:, None] * x).mean(axis=0)
        inf_c = (self.wc * (res - eta_c) + self.lin_ps @ m2 - ols_part * self.xm3) / self.mwc
        return eta_t - eta_c, inf_treat - inf_c


def drdid_panel(
    dy: FloatArray, d: FloatArray, x: FloatArray, w: FloatArray, method: Method
) -> tuple[float, FloatArray]:
    """ATT and influence function of one 2x2 panel cell (see :class:`PanelDesign`)."""
    return PanelDesign(d, x, w, method).estimate(dy)


def dense_influence(
    y: FloatArray,
    x: FloatArray,
    code: IntArray,
    weight: FloatArray,
    plan: CellPlan,
    method: Method,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-cell DRDID estimates, dense influence matrix ``A = [Psi, Z]`` and cohort shares.

    As :func:`dense_cells`, for callers that need no per-cell reasons.
    """
    cells = dense_cells(y, x, code, weight, plan, method)
    return cells.att, cells.influence, cells.share


@dataclass(frozen=True)
class DenseCells:
    """Per-cell estimates of :func:`dense_cells`.

    Attributes
    ----------
    att:
        ATT(g, t), ``nan`` where the cell could not be estimated.
    influence:
        ``A = [Psi, Z]`` (n x (K + G)); the column of a failed cell is zero.
    share:
        Weighted cohort shares ``p_g``.
    reason:
        Per cell, why it could not be estimated (``""`` when it was).
    """

    att: FloatArray
    influence: FloatArray
    share: FloatArray
    reason: tuple[str, ...]


def dense_cells(
    y: FloatArray,
    x: FloatArray,
    code: IntArray,
    weight: FloatArray,
    plan: CellPlan,
    method: Method,
) -> DenseCells:
    """Per-cell DRDID estimates; a cell that cannot be estimated is NA with a reason.

    ``weight`` must already be normalised to mean one over all units. Covariates are taken
    at the earlier period of each cell; when they do not change over time, cells that share
    treated and comparison cohorts share one :class:`PanelDesign`.
    """
    n = len(code)
    n_g = len(plan.cohorts)
    k_cells = plan.n_cells
    a = np.zeros((n, k_cells + n_g))
    att = np.zeros(k_cells)
    reason = [""] * k_cells
    invariant = bool(np.all(x == x[:, :1, :]))
    designs: dict[tuple[int, bytes, int], tuple[IntArray, PanelDesign | CellReason]] = {}
    for k in range(k_cells):
        if plan.reference[k]:
            continue
        g, t, b = int(plan.group[k]), int(plan.t_idx[k]), int(plan.b_idx[k])
        xt = 0 if invariant else min(t, b)
        key = (g, plan.controls[k].tobytes(), xt)
        if key not in designs:
            sub = np.nonzero((code == g) | plan.controls[k][code])[0]
            xs = np.column_stack([np.ones(len(sub)), x[sub, xt, :]])
            d = (code[sub] == g).astype(np.float64)
            try:
                designs[key] = (sub, PanelDesign(d, xs, weight[sub], method))
            except CellFailure as failure:
                designs[key] = (sub, failure.reason)
        sub, design = designs[key]
        if isinstance(design, str):
            att[k], reason[k] = np.nan, design
            continue
        att[k], phi = design.estimate(y[sub, t] - y[sub, b])
        a[sub, k] = phi * (n / len(sub))
    share = np.array([weight[code == h].sum() / n for h in range(n_g)])
    for h in range(n_g):
        a[:, k_cells + h] = weight * (code == h) - share[h]
    return DenseCells(att, a, share, tuple(reason))


def unbalanced_influence(
    y: FloatArray, code: IntArray, weight: FloatArray, plan: CellPlan
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Group-time ATTs of an unbalanced panel (no covariates), dense ``A = [Psi, Z]``.

    Each cell is the repeated-cross-section DiD of four weighted means over the units observed
    in the current and base period (R ``DRDID::reg_did_rc`` with an intercept only); the
    observation-level influence function is summed within units, as R ``did`` does with
    ``allow_unbalanced_panel = TRUE``, so standard errors allow for the correlation of a
    unit's outcomes. On a balanced panel this equals the panel estimator exactly.
    ``weight`` must be normalised to mean one over all units; ``y`` is ``nan`` where missing.
    """
    n = len(code)
    n_g = len(plan.cohorts)
    k_cells = plan.n_cells
    a = np.zeros((n, k_cells + n_g))
    att = np.zeros(k_cells)
    seen = np.isfinite(y)
    for k in range(k_cells):
        if plan.reference[k]:
            continue
        g, t, b = int(plan.group[k]), int(plan.t_idx[k]), int(plan.b_idx[k])
        treated = code == g
        control = plan.controls[k][code]
        psi = np.zeros(n)
        parts = []
        for members, sign in ((treated, 1.0), (control, -1.0)):
            for j, s_j in ((t, 1.0), (b, -1.0)):
                obs = members & seen[:, j]
                w_sum = float(weight[obs].sum())
                if w_sum <= 0:
                    who = "treated" if sign > 0 else "comparison"
                    raise NoComparisonUnitsError(
                        f"no {who} units are observed in period {plan.periods[j]} for cohort "
                        f"{plan.cohorts[g]:g}",
                        where="att_gt(allow_unbalanced_panel=True)",
                        fix="check the panel's coverage of that period or drop the period",
                    )
                mean = float(weight[obs] @ y[obs, j]) / w_sum
                parts.append(sign * s_j * mean)
                psi[obs] += sign * s_j * n * weight[obs] * (y[obs, j] - mean) / w_sum
        att[k] = sum(parts)
        a[:, k] = psi
    share = np.array([weight[code == h].sum() / n for h in range(n_g)])
    for h in range(n_g):
        a[:, k_cells + h] = weight * (code == h) - share[h]
    return att, a, share


def dense_kernel(
    a: FloatArray,
    att: FloatArray,
    share: FloatArray,
    code: IntArray,
    plan: CellPlan,
    cluster: IntArray | None,
    *,
    bootstrap: int | None,
    rng: np.random.Generator | None,
    multiplier: Multiplier,
) -> KernelResult:
    """Covariance and bootstrap draws from a dense influence matrix ``A``."""
    n = a.shape[0]
    n_g = len(plan.cohorts)
    rows = a
    n_cl = n
    if cluster is not None:
        n_cl = int(cluster.max()) + 1
        rows = np.zeros((n_cl, a.shape[1]))
        np.add.at(rows, cluster, a)
    vcov = rows.T @ rows / n**2
    draws = None
    if bootstrap is not None:
        assert rng is not None
        draws = _draw_rows(rows, bootstrap, rng, multiplier) / n
    counts = np.bincount(code, minlength=n_g + 1)
    n_tr = counts[plan.group]
    n_co = (plan.controls * counts[None, :]).sum(axis=1)
    return KernelResult(
        att=att,
        vcov=vcov,
        draws=draws,
        n_treated=n_tr.astype(np.int64),
        n_control=n_co.astype(np.int64),
        cohort_share=share,
        n_units=n,
        n_clusters=n_cl,
    )


def iter_chunks(
    code: IntArray,
    weight: FloatArray,
    y: FloatArray,
    cluster: IntArray | None,
    size: int = 500_000,
) -> Iterator[Chunk]:
    """Yield in-memory arrays as chunks of units."""
    for s in range(0, len(code), size):
        sl = slice(s, s + size)
        yield Chunk(code[sl], weight[sl], y[sl], None if cluster is None else cluster[sl])
