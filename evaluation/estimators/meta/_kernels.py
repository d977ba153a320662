"""Pure numerical kernels of the random-effects model (no validation, no pandas).

The model is metafor's ``rma.uni``: ``y_i = x_i' beta + u_i + e_i`` with
``u_i ~ N(0, tau^2)`` and ``e_i ~ N(0, v_i)``, ``v_i`` known. All functions take the
outcome vector ``y`` (k), the sampling variances ``v`` (k) and the design ``X`` (k x p).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from evaluation.errors import EstimationError

FloatArray = npt.NDArray[np.float64]
Method = Literal["REML", "DL", "PM", "FE"]
Test = Literal["z", "knha"]

# Root finding of tau^2 (PM and REML) is run to this absolute tolerance; results are
# reproducible to far better than the 1e-6 the reference tests demand.
_TAU2_XTOL = 1e-14
_MAX_DOUBLINGS = 200


@dataclass(frozen=True)
class RmaFit:
    """Raw fit of the (mixed-effects) meta-analytic model."""

    method: Method
    test: Test
    level: float
    k: int
    p: int
    beta: FloatArray
    vcov: FloatArray
    tau2: float
    qe: float
    qe_df: int
    s2_typical: float
    weights: FloatArray  # model weights 1 / (v + tau2) (FE: 1 / v)
    crit: float  # critical value of the intervals (z or t quantile)
    df_t: int | None  # degrees of freedom of the t tests (knha), else None
    s2_knha: float  # Knapp-Hartung scale factor (1.0 with test="z")


def _wls_parts(
    v: FloatArray, X: FloatArray, tau2: float, y: FloatArray
) -> tuple[FloatArray, FloatArray, float]:
    """Weights ``w``, ``P y = w * r`` (r = WLS residuals) and ``tr(P)`` in O(k p^2).

    ``P = W - W X (X'WX)^-1 X'W`` with ``W = diag(1 / (v + tau2))``; never formed.
    """
    w = 1.0 / (v + tau2)
    wx = X * w[:, None]
    xtwx = X.T @ wx
    beta = np.linalg.solve(xtwx, wx.T @ y)
    py = w * (y - X @ beta)
    tr_p = float(np.sum(w) - np.trace(np.linalg.solve(xtwx, wx.T @ wx)))
    return w, py, tr_p


def q_statistic(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float = 0.0) -> float:
    """Weighted residual sum of squares ``y' P(tau2) y`` (Cochran's Q at ``tau2 = 0``)."""
    w, py, _ = _wls_parts(v, X, tau2, y)
    return float(np.sum(py**2 / w))


def tau2_dl(y: FloatArray, v: FloatArray, X: FloatArray) -> float:
    """DerSimonian-Laird (method of moments) estimate, truncated at zero."""
    k, p = X.shape
    w, py, tr_p = _wls_parts(v, X, 0.0, y)
    qe = float(np.sum(py**2 / w))
    return float(max(0.0, (qe - (k - p)) / tr_p))


def _bracket_root(fun: Callable[[float], float], start: float) -> float:
    """Smallest doubling of ``start`` at which the decreasing function is negative."""
    hi = max(start, 1e-4)
    for _ in range(_MAX_DOUBLINGS):
        if fun(hi) < 0:
            return hi
        hi *= 2.0
    raise EstimationError(
        "could not bracket the root of the tau^2 estimating equation",
        where="meta-analysis",
        fix="check the effects and standard errors for extreme values or use method='DL'",
    )


def tau2_pm(y: FloatArray, v: FloatArray, X: FloatArray) -> float:
    """Paule-Mandel estimate: root of ``y' P(tau2) y = k - p`` (zero if Q(0) <= k - p)."""
    k, p = X.shape

    def gap(t: float) -> float:
        return float(q_statistic(y, v, X, t) - (k - p))

    if gap(0.0) <= 0:
        return 0.0
    hi = _bracket_root(gap, float(np.var(y)) + float(np.mean(v)))
    return float(optimize.brentq(gap, 0.0, hi, xtol=_TAU2_XTOL, rtol=4 * np.finfo(float).eps))


def reml_score(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> float:
    """Derivative (times 2) of the restricted log-likelihood: ``y'PPy - tr(P)``."""
    _, py, tr_p = _wls_parts(v, X, tau2, y)
    return float(py @ py - tr_p)


def reml_loglik(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> float:
    """Restricted log-likelihood (up to a constant) of ``tau2``."""
    w = 1.0 / (v + tau2)
    xtwx = X.T @ (X * w[:, None])
    _, logdet = np.linalg.slogdet(xtwx)
    return float(-0.5 * (np.sum(np.log(v + tau2)) + logdet + q_statistic(y, v, X, tau2)))


def tau2_reml(y: FloatArray, v: FloatArray, X: FloatArray) -> float:
    """REML estimate: root of the score equation, or zero when the score at zero is <= 0."""

    def score(t: float) -> float:
        return reml_score(y, v, X, t)

    if score(0.0) <= 0:
        return 0.0
    hi = _bracket_root(score, max(tau2_dl(y, v, X), float(np.var(y))))
    return float(optimize.brentq(score, 0.0, hi, xtol=_TAU2_XTOL, rtol=4 * np.finfo(float).eps))


def fit_rma(
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    *,
    method: Method,
    test: Test,
    level: float,
) -> RmaFit:
    """Fit the model: tau^2 by ``method``, then weighted least squares for ``beta``."""
    k, p = X.shape
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = tau2_dl(y, v, X)
    elif method == "PM":
        tau2 = tau2_pm(y, v, X)
    else:
        tau2 = tau2_reml(y, v, X)
    w = 1.0 / (v + tau2)
    wx = X * w[:, None]
    vcov: FloatArray = np.linalg.inv(X.T @ wx).astype(np.float64)
    beta = vcov @ (wx.T @ y)
    w0, py0, tr_p0 = _wls_parts(v, X, 0.0, y)
    qe = float(np.sum(py0**2 / w0))
    s2_typical = (k - p) / tr_p0 if k > p else float("nan")
    s2_knha = 1.0
    df_t: int | None = None
    alpha = 1.0 - level
    if test == "knha":
        resid = y - X @ beta
        s2_knha = float(np.sum(w * resid**2) / (k - p))
        vcov = vcov * s2_knha
        df_t = k - p
        crit = float(stats.t.ppf(1 - alpha / 2, df_t))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
    return RmaFit(
        method=method,
        test=test,
        level=level,
        k=k,
        p=p,
        beta=beta,
        vcov=vcov,
        tau2=tau2,
        qe=qe,
        qe_df=k - p,
        s2_typical=s2_typical,
        weights=w,
        crit=crit,
        df_t=df_t,
        s2_knha=s2_knha,
    )


def heterogeneity(fit: RmaFit) -> tuple[float, float]:
    """Return ``(I2 in percent, H2)`` following metafor's conventions.

    Random-effects models: ``I2 = 100 tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2``
    with the "typical" within-study variance ``s2 = (k - p) / tr(P0)``. Fixed-effect
    models: ``I2 = 100 max(0, (Q - df) / Q)`` and ``H2 = Q / df``.
    """
    df = fit.qe_df
    if df <= 0:
        return float("nan"), float("nan")
    if fit.method == "FE":
        i2 = 100.0 * max(0.0, (fit.qe - df) / fit.qe) if fit.qe > 0 else 0.0
        return i2, fit.qe / df
    s2 = fit.s2_typical
    return 100.0 * fit.tau2 / (fit.tau2 + s2), (fit.tau2 + s2) / s2


def wald_test(fit: RmaFit, terms: npt.NDArray[np.intp]) -> tuple[float, int, float]:
    """Omnibus test of ``beta[terms] = 0``: ``(statistic, df, p-value)``.

    Chi-square (QM) with ``test="z"``; F with ``(m, k - p)`` degrees of freedom with
    ``test="knha"`` (the Wald statistic divided by ``m``), as in metafor.
    """
    m = int(terms.size)
    if m == 0:
        return float("nan"), 0, float("nan")
    b = fit.beta[terms]
    vb = fit.vcov[np.ix_(terms, terms)]
    stat = float(b @ np.linalg.solve(vb, b))
    if fit.df_t is not None:
        stat /= m
        return stat, m, float(stats.f.sf(stat, m, fit.df_t))
    return stat, m, float(stats.chi2.sf(stat, m))
