"""Effect estimators on a matched sample and their standard errors (pure kernels).

* Without replacement (and for weighting): weighted least squares of the outcome on the
  treatment dummy (plus covariates when ``adjust``), with cluster-robust (CR1, the same
  small-sample factor as R's ``sandwich::vcovCL``) standard errors clustered by matched
  subclass; for weighting, heteroskedasticity-robust HC1 errors.
* With replacement: the matching estimator of the ATT with the Abadie-Imbens (2006)
  variance (the formula of Stata's ``nnmatch`` / ``teffects nnmatch`` for the population ATT),

  ``V = 1/N1^2 [ sum_{i treated} (Y_i - Yhat_i(0) - tau)^2
                 + sum_{j control} (w_j^2 - sum_{i: j in J(i)} 1/m_i^2) sigma2_j ]``

  where ``m_i`` is the number of controls matched to ``i``, ``w_j = sum_{i: j in J(i)}
  1/m_i`` and ``sigma2_j = (Y_j - Y_l)^2 / 2`` with ``l`` the nearest other control on the
  matching score (one within-group match). With ``m_i = M`` for all ``i`` the second weight
  is ``K_j (K_j - 1) / M^2``. The variance ignores estimation of the propensity score
  (Abadie and Imbens 2016 show this is conservative for the ATE but not always for the ATT).
  With ``adjust`` the bias-corrected estimator of Abadie and Imbens (2011) is used: each
  imputed ``Yhat_i(0)`` is corrected by ``mu0(X_i) - mu0(X_j)``, with ``mu0`` a linear
  regression fitted on the matched controls (weighted by ``w_j``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class EffectFit:
    """Point estimate and standard error of an ATT."""

    estimate: float
    std_error: float
    df: float  # degrees of freedom for t intervals (inf means normal)
    se_type: str


def wls_att(
    y: FloatArray,
    d: FloatArray,
    w: FloatArray,
    x: FloatArray | None,
    cluster: IntArray | None,
    *,
    centre: npt.NDArray[np.bool_] | None = None,
    interact: bool = False,
) -> EffectFit:
    """Coefficient on ``d`` in WLS of ``y`` on (1, d, x[, d * x]) with CR1 or HC1 errors.

    Covariates are centred at their weighted mean over the ``centre`` rows (all rows if
    None). With ``interact`` (g-computation, ``y ~ d * x``) the coefficient on ``d`` is then
    the average effect over the ``centre`` rows.
    """
    n = y.shape[0]
    cols = [np.ones(n), d]
    if x is not None and x.shape[1]:
        rows = np.ones(n, dtype=bool) if centre is None else centre
        xc = x - np.average(x[rows], axis=0, weights=w[rows])
        cols.extend(xc.T)
        if interact:
            cols.extend((xc * d[:, None]).T)
    z = np.column_stack(cols)
    sw = np.sqrt(w)
    zw = z * sw[:, None]
    yw = y * sw
    beta, *_ = np.linalg.lstsq(zw, yw, rcond=None)
    resid = yw - zw @ beta
    bread = np.linalg.pinv(zw.T @ zw)
    k = z.shape[1]
    scores = zw * resid[:, None]
    if cluster is not None:
        codes, inv = np.unique(cluster, return_inverse=True)
        g = codes.size
        meat_rows = np.zeros((g, k))
        np.add.at(meat_rows, inv, scores)
        meat = meat_rows.T @ meat_rows
        factor = g / (g - 1) * (n - 1) / (n - k) if g > 1 else float("nan")
        df = float(g - 1)
        se_type = "cluster-robust (CR1) by subclass"
    else:
        meat = scores.T @ scores
        factor = n / (n - k) if n > k else float("nan")
        df = float(n - k)
        se_type = "heteroskedasticity-robust (HC1)"
    vcov = factor * bread @ meat @ bread
    return EffectFit(float(beta[1]), float(np.sqrt(vcov[1, 1])), df, se_type)


def nearest_other(score: FloatArray) -> IntArray:
    """For each unit, the index of its nearest other unit on ``score`` (ties: lower index)."""
    n = score.shape[0]
    o = np.lexsort((np.arange(n), score))
    s = score[o]
    left = np.full(n, np.inf)
    right = np.full(n, np.inf)
    left[1:] = s[1:] - s[:-1]
    right[:-1] = s[1:] - s[:-1]
    pick_left = left <= right
    nb_sorted = np.where(pick_left, np.arange(n) - 1, np.arange(n) + 1)
    out = np.empty(n, dtype=np.int64)
    out[o] = o[nb_sorted]
    return out


def abadie_imbens_att(
    y: FloatArray,
    treated: IntArray,
    control: IntArray,
    ctl_score: FloatArray,
    ctl_y: FloatArray,
    ctl_pos: IntArray,
    x: FloatArray | None = None,
) -> EffectFit:
    """Matching estimator of the ATT (with replacement) and its Abadie-Imbens variance.

    Parameters
    ----------
    y:
        Outcome of every unit (indexed by position).
    treated, control:
        One row per matched pair (positions).
    ctl_score, ctl_y, ctl_pos:
        Matching score, outcome and position of *all* controls, used to estimate the
        conditional variance by one within-group nearest neighbour.
    x:
        Covariates of every unit (by position) for the bias correction, or None.
    """
    t_codes, t_inv = np.unique(treated, return_inverse=True)
    m = np.bincount(t_inv).astype(np.float64)  # controls per treated unit
    inv_m = 1.0 / m[t_inv]
    c_codes, c_inv = np.unique(control, return_inverse=True)
    w_c = np.bincount(c_inv, weights=inv_m)
    w2_c = np.bincount(c_inv, weights=inv_m**2)
    n1 = t_codes.size
    y0_link = y[control].astype(np.float64)
    if x is not None and x.shape[1]:
        xc = x[c_codes]
        z = np.column_stack([np.ones(c_codes.size), xc])
        sw = np.sqrt(w_c)
        beta, *_ = np.linalg.lstsq(z * sw[:, None], y[c_codes] * sw, rcond=None)
        mu0 = x @ beta[1:]
        y0_link = y0_link + mu0[treated] - mu0[control]
    y0_hat = np.bincount(t_inv, weights=y0_link * inv_m)
    effects = y[t_codes] - y0_hat
    tau = float(np.mean(effects))
    nb = nearest_other(ctl_score)
    sigma2_all = 0.5 * (ctl_y - ctl_y[nb]) ** 2
    sigma2 = np.zeros(y.shape[0])
    sigma2[ctl_pos] = sigma2_all
    var = (np.sum((effects - tau) ** 2) + np.sum((w_c**2 - w2_c) * sigma2[c_codes])) / n1**2
    return EffectFit(
        tau, float(np.sqrt(var)), float("inf"), "Abadie-Imbens (matching with replacement)"
    )


@dataclass(frozen=True)
class RosenbaumRow:
    """Bounds on the one-sided p-value of Wilcoxon's signed-rank test at one Gamma."""

    gamma: float
    p_lower: float
    p_upper: float


def rosenbaum_bounds(diff: FloatArray, gammas: FloatArray) -> list[RosenbaumRow]:
    """Rosenbaum's sensitivity bounds for matched-pair differences (Wilcoxon signed rank).

    Zero differences are dropped (as in R's ``rbounds::psens``); ties in ``|diff|`` get
    average ranks. For each Gamma, the statistic ``T+`` (sum of ranks of positive
    differences) is compared with its normal approximation under the most (``p_upper``)
    and least (``p_lower``) favourable assignment: ``E = p+ sum r``, ``V = p+(1-p+) sum r^2``
    with ``p+ = Gamma / (1 + Gamma)`` for the upper bound and ``1 / (1 + Gamma)`` for the
    lower bound.
    """
    d = diff[diff != 0]
    r = stats.rankdata(np.abs(d))
    t_plus = float(np.sum(r[d > 0]))
    s1 = float(np.sum(r))
    s2 = float(np.sum(r**2))
    out: list[RosenbaumRow] = []
    for g in gammas.tolist():
        rows = []
        for p in (g / (1 + g), 1 / (1 + g)):
            e = p * s1
            v = p * (1 - p) * s2
            rows.append(float(stats.norm.sf((t_plus - e) / np.sqrt(v))) if v > 0 else np.nan)
        out.append(RosenbaumRow(float(g), rows[1], rows[0]))
    return out
