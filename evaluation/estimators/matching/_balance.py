"""Balance statistics with cobalt's (ATT) definitions.

For covariate ``x``, treated group ``T`` and control group ``C`` with weights ``w``
(all 1 before matching; the matching weights after):

* weighted mean ``m_g = sum(w x) / sum(w)`` over group ``g``;
* weighted variance (cobalt's ``col_w_var``, reliability weights)
  ``v_g = sum(w) / (sum(w)^2 - sum(w^2)) * sum(w (x - m_g)^2)``; with all weights 1 this is
  the usual ``n - 1`` sample variance;
* standardised mean difference ``smd = (m_T - m_C) / sd_T``, where ``sd_T`` is the
  *unweighted* standard deviation of the treated group in the full (unmatched) sample, the
  same denominator before and after matching (cobalt's ``s.d.denom = "treated"`` for the
  ATT): ``sqrt(v_T)`` for continuous covariates and ``sqrt(p_T (1 - p_T))`` for binary ones
  (cobalt and MatchIt). Binary covariates are standardised too (cobalt's
  ``binary = "std"``); the raw difference is in ``diff_before`` / ``diff_after``;
* variance ratio ``v_T / v_C`` (not reported for binary covariates, as in cobalt);
* eCDF statistics: with weighted empirical CDFs ``F_T`` and ``F_C`` evaluated at the sorted
  distinct values of ``x`` in both groups, ``ecdf_mean`` is the mean and ``ecdf_max`` the
  maximum (the Kolmogorov-Smirnov statistic) of ``|F_T - F_C|`` (MatchIt's ``eCDF Mean`` /
  ``eCDF Max``); for a binary covariate both are ``|m_T - m_C|`` (as MatchIt reports);
* effective sample size of a group ``(sum w)^2 / sum(w^2)`` (Kish).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CovariateBalance:
    """Balance of one covariate in one sample (before or after)."""

    mean_treated: float
    mean_control: float
    smd: float
    var_ratio: float
    ecdf_mean: float
    ecdf_max: float


def weighted_mean(x: FloatArray, w: FloatArray) -> float:
    """``sum(w x) / sum(w)``."""
    return float(np.sum(w * x) / np.sum(w))


def weighted_var(x: FloatArray, w: FloatArray) -> float:
    """cobalt's weighted variance with reliability weights (NaN with < 2 effective units)."""
    sw = float(np.sum(w))
    sw2 = float(np.sum(w**2))
    denom = sw**2 - sw2
    if denom <= 0:
        return float("nan")
    m = float(np.sum(w * x) / sw)
    return float(sw / denom * np.sum(w * (x - m) ** 2))


def ecdf_stats(
    x_t: FloatArray, w_t: FloatArray, x_c: FloatArray, w_c: FloatArray
) -> tuple[float, float]:
    """Mean and max absolute difference of the weighted eCDFs at the pooled distinct values."""
    values = np.unique(np.concatenate([x_t, x_c]))
    if values.size == 0:
        return float("nan"), float("nan")

    def cdf(x: FloatArray, w: FloatArray) -> FloatArray:
        o = np.argsort(x, kind="stable")
        cw = np.cumsum(w[o]) / np.sum(w)
        idx = np.searchsorted(x[o], values, side="right")
        out = np.zeros(values.size)
        nz = idx > 0
        out[nz] = cw[idx[nz] - 1]
        return out

    diff = np.abs(cdf(x_t, w_t) - cdf(x_c, w_c))
    return float(np.mean(diff)), float(np.max(diff))


def covariate_balance(
    x: FloatArray,
    treat: npt.NDArray[np.bool_],
    w: FloatArray,
    sd_denominator: float,
    *,
    binary: bool,
) -> CovariateBalance:
    """Balance statistics of one covariate for units with positive weight."""
    keep = w > 0
    t = treat & keep
    c = ~treat & keep
    m_t = weighted_mean(x[t], w[t])
    m_c = weighted_mean(x[c], w[c])
    smd = (m_t - m_c) / sd_denominator if sd_denominator > 0 else float("nan")
    if binary:
        vr = float("nan")
    else:
        v_c = weighted_var(x[c], w[c])
        vr = weighted_var(x[t], w[t]) / v_c if v_c > 0 else float("nan")
    if binary:
        e_mean = e_max = abs(m_t - m_c)
    else:
        e_mean, e_max = ecdf_stats(x[t], w[t], x[c], w[c])
    return CovariateBalance(m_t, m_c, smd, vr, e_mean, e_max)


def sd_denominator(x_treated: FloatArray, *, binary: bool) -> float:
    """Unweighted SD of the treated group: ``sqrt(p (1 - p))`` if binary, else ``n - 1``."""
    if binary:
        p = float(np.mean(x_treated))
        return float(np.sqrt(p * (1 - p)))
    return float(np.std(x_treated, ddof=1))


def effective_sample_size(w: FloatArray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)`` over positive weights."""
    w = w[w > 0]
    if w.size == 0:
        return 0.0
    return float(np.sum(w) ** 2 / np.sum(w**2))
