"""Balance statistics with MatchIt's ``summary()`` definitions (cobalt's, with two notes).

For covariate ``x``, treated group ``T`` and control group ``C`` with weights ``w``
(all 1 before matching; the matching weights after, zero for unmatched units):

* weighted mean ``m_g = sum(w x) / sum(w)`` over group ``g``;
* weighted variance (cobalt's ``col_w_var``, MatchIt's ``wvar``, reliability weights)
  ``v_g = sum(w) / (sum(w)^2 - sum(w^2)) * sum(w (x - m_g)^2)``; with all weights 1 this is
  the usual ``n - 1`` sample variance; for a binary covariate ``p (1 - p)``;
* standardised mean difference ``smd = (m_T - m_C) / s`` with the *unweighted* full-sample
  standard deviation ``s``, the same before and after matching. ``s`` follows the estimand
  (cobalt's ``s.d.denom``): ATT the treated SD, ATC the control SD, ATE
  ``sqrt((v_T + v_C) / 2)``. Binary covariates use ``sqrt(p (1 - p))`` and are standardised
  too, as MatchIt's ``summary()`` does; cobalt's ``bal.tab`` default (``binary = "raw"``)
  reports the raw difference instead, which is in ``diff_before`` / ``diff_after``;
* variance ratio ``v_T / v_C`` (not reported for binary covariates, as MatchIt and cobalt);
* eCDF statistics on **MatchIt's grid**: with weighted empirical CDFs ``F_T`` and ``F_C``
  (weights normalised within group) evaluated at every distinct value of ``x`` among *all*
  units, matched or not (zero-weight units stay on the grid, as in MatchIt's ``qqsum``),
  ``ecdf_mean`` is the mean and ``ecdf_max`` the maximum (Kolmogorov-Smirnov) of
  ``|F_T - F_C|``; for a binary covariate both are ``|m_T - m_C|``;
* effective sample size of a group ``(sum w)^2 / sum(w^2)`` (Kish; MatchIt's ``ESS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

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
    """Balance statistics of one covariate (zero-weight units stay on the eCDF grid)."""
    t = treat
    c = ~treat
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
    """Unweighted SD of one group: ``sqrt(p (1 - p))`` if binary, else ``n - 1``."""
    if binary:
        p = float(np.mean(x_treated))
        return float(np.sqrt(p * (1 - p)))
    return float(np.std(x_treated, ddof=1))


def estimand_sd(
    x: FloatArray, treat: npt.NDArray[np.bool_], *, binary: bool, estimand: str
) -> float:
    """The SMD denominator of ``estimand``: treated (ATT), control (ATC) or pooled (ATE) SD.

    The pooled SD is ``sqrt((v_T + v_C) / 2)`` (MatchIt's ``pooled_sd`` with equal
    contributions). A zero SD falls back to the pooled one, as MatchIt's ``bal1var``.
    """
    s_t = sd_denominator(x[treat], binary=binary)
    s_c = sd_denominator(x[~treat], binary=binary)
    pooled = float(np.sqrt((s_t**2 + s_c**2) / 2))
    s = {"ATT": s_t, "ATC": s_c}.get(estimand, pooled)
    return s if np.isfinite(s) and s > np.sqrt(np.finfo(float).eps) else pooled


def effective_sample_size(w: FloatArray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)`` over positive weights."""
    w = w[w > 0]
    if w.size == 0:
        return 0.0
    return float(np.sum(w) ** 2 / np.sum(w**2))


#: cobalt / Austin (2009) rule of thumb for an acceptable |standardised mean difference|.
SMD_THRESHOLD = 0.1
#: Variance ratios outside [1 / 2, 2] flag imbalance in spread (Rubin 2001).
VAR_RATIO_THRESHOLD = 2.0


def balance_frame(
    columns: list[tuple[str, bool, FloatArray]],
    treat: npt.NDArray[np.bool_],
    weights: FloatArray,
    *,
    estimand: str = "ATT",
    threshold_smd: float = SMD_THRESHOLD,
    threshold_var_ratio: float = VAR_RATIO_THRESHOLD,
) -> pd.DataFrame:
    """Balance table of ``(name, binary, values)`` columns before and after weighting.

    One row per column: covariate, type (binary/contin), mean_treated_before,
    mean_control_before, mean_treated_after, mean_control_after, diff_before, diff_after,
    smd_before, smd_after, var_ratio_before, var_ratio_after, ecdf_mean_before,
    ecdf_mean_after, ecdf_max_before, ecdf_max_after, balanced (|smd_after| <= threshold
    and, for continuous columns, 1/threshold <= var_ratio_after <= threshold).
    """
    ones = np.ones(treat.size)
    rows = []
    for name, is_bin, col in columns:
        sd = estimand_sd(col, treat, binary=is_bin, estimand=estimand)
        b = covariate_balance(col, treat, ones, sd, binary=is_bin)
        a = covariate_balance(col, treat, weights, sd, binary=is_bin)
        vr_ok = is_bin or (
            np.isfinite(a.var_ratio)
            and 1 / threshold_var_ratio <= a.var_ratio <= threshold_var_ratio
        )
        rows.append(
            {
                "covariate": name,
                "type": "binary" if is_bin else "contin",
                "mean_treated_before": b.mean_treated,
                "mean_control_before": b.mean_control,
                "mean_treated_after": a.mean_treated,
                "mean_control_after": a.mean_control,
                "diff_before": b.mean_treated - b.mean_control,
                "diff_after": a.mean_treated - a.mean_control,
                "smd_before": b.smd,
                "smd_after": a.smd,
                "var_ratio_before": b.var_ratio,
                "var_ratio_after": a.var_ratio,
                "ecdf_mean_before": b.ecdf_mean,
                "ecdf_mean_after": a.ecdf_mean,
                "ecdf_max_before": b.ecdf_max,
                "ecdf_max_after": a.ecdf_max,
                "balanced": bool(abs(a.smd) <= threshold_smd and vr_ok),
            }
        )
    return pd.DataFrame(rows)


def table_one(
    columns: list[tuple[str, bool, FloatArray]],
    treat: npt.NDArray[np.bool_],
    weights: FloatArray,
) -> pd.DataFrame:
    """A weighted "Table 1": per term and group, mean and SD before and after weighting.

    Binary terms show the share (mean) and ``sqrt(p (1 - p))``; continuous terms the
    weighted mean and the square root of cobalt's weighted variance. A first row ``n``
    gives the group sizes before and Kish's effective sample sizes after.
    """
    ones = np.ones(treat.size)
    first: dict[str, object] = {"term": "n", "type": "count"}
    for sample, w in (("before", ones), ("after", weights)):
        for group, g in (("treated", treat), ("control", ~treat)):
            first[f"mean_{group}_{sample}"] = effective_sample_size(w[g])
            first[f"sd_{group}_{sample}"] = float("nan")
    rows = [first]
    for name, is_bin, col in columns:
        row: dict[str, object] = {"term": name, "type": "binary" if is_bin else "contin"}
        for sample, w in (("before", ones), ("after", weights)):
            for group, g in (("treated", treat), ("control", ~treat)):
                m = weighted_mean(col[g], w[g])
                sd = np.sqrt(m * (1 - m)) if is_bin else np.sqrt(weighted_var(col[g], w[g]))
                row[f"mean_{group}_{sample}"] = m
                row[f"sd_{group}_{sample}"] = float(sd)
        rows.append(row)
    return pd.DataFrame(rows)
