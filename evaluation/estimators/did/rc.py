"""Repeated cross-section 2x2 DiD with covariates (Sant'Anna & Zhao 2020), as R ``DRDID``.

:func:`rc_did` returns the ATT and its influence function of one cell from the rows observed
in its two periods: ``reg`` is ``DRDID::reg_did_rc``, ``ipw`` is ``std_ipw_did_rc`` and ``dr``
the locally efficient ``drdid_rc`` (R ``did``'s default with ``panel = FALSE``).
Covariates are standardised first (no result changes: every fit has an intercept).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evaluation.estimators.did.cells import CellPlan
from evaluation.estimators.did.kernels import (
    CellFailure,
    DenseCells,
    Method,
    logit_fit,
    standardise,
)

FloatArray = npt.NDArray[np.float64]

_PS_TRIM = 0.995  # comparison rows with a propensity score above this get weight 0 (DRDID)
_PS_CAP = 1 - 1e-6


def _wls(x: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted least squares on the rows with ``w > 0``: (fitted values for all rows,
    asymptotic linear representation ``w e x (X'WX/n)^-1``)."""
    n = len(y)
    gram = (x.T * w) @ x / n
    try:
        inv = np.linalg.inv(gram)
    except np.linalg.LinAlgError as exc:
        raise CellFailure("singular") from exc
    if not np.isfinite(inv).all() or np.linalg.cond(gram) > 1 / np.finfo(float).eps:
        raise CellFailure("singular")
    beta = inv @ ((x.T * w) @ y / n)
    fitted = x @ beta
    return fitted, ((w * (y - fitted))[:, None] * x) @ inv


def _mean(v: FloatArray) -> float:
    return float(v.mean())


def rc_did(
    y: FloatArray,
    post: FloatArray,
    d: FloatArray,
    x: FloatArray,
    w: FloatArray,
    method: Method,
) -> tuple[float, FloatArray]:
    """ATT and influence function (one entry per row) of a repeated cross-section cell.

    ``x`` holds an intercept in column 0; ``w`` are the rows' weights (any scale).
    Raises :class:`~evaluation.estimators.did.kernels.CellFailure` when the cell cannot be
    estimated (too few rows in a group-period, separation, singular fits).
    """
    for group, label in ((d == 1, "too few treated"), (d == 0, "too few controls")):
        if min(int((group & (post == 1)).sum()), int((group & (post == 0)).sum())) == 0:
            raise CellFailure(label)  # type: ignore[arg-type]
    x = standardise(x)
    w = w / w.mean()
    if method == "reg":
        return _reg(y, post, d, x, w)
    p, hinv = logit_fit(x, d, w)
    p = np.minimum(p, _PS_CAP)
    trim = np.where(d == 1, 1.0, (p < _PS_TRIM).astype(np.float64))
    if method == "ipw":
        return _ipw(y, post, d, x, w, p, hinv, trim)
    return _dr(y, post, d, x, w, p, hinv, trim)


def _reg(
    y: FloatArray, post: FloatArray, d: FloatArray, x: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    out_pre, lin_pre = _wls(x, y, w * (1 - d) * (1 - post))
    out_post, lin_post = _wls(x, y, w * (1 - d) * post)
    w_tp, w_tq, w_c = w * d * (1 - post), w * d * post, w * d
    eta_tp = _mean(w_tp * y) / _mean(w_tp)
    eta_tq = _mean(w_tq * y) / _mean(w_tq)
    reg_cont = w_c * (out_post - out_pre)
    eta_c = _mean(reg_cont) / _mean(w_c)
    inf_tp = (w_tp * y - w_tp * eta_tp) / _mean(w_tp)
    inf_tq = (w_tq * y - w_tq * eta_tq) / _mean(w_tq)
    m1 = (w_c[:, None] * x).mean(axis=0)
    inf_c = (reg_cont - w_c * eta_c + lin_post @ m1 - lin_pre @ m1) / _mean(w_c)
    return (eta_tq - eta_tp) - eta_c, (inf_tq - inf_tp) - inf_c


def _ipw(
    y: FloatArray,
    post: FloatArray,
    d: FloatArray,
    x: FloatArray,
    w: FloatArray,
    p: FloatArray,
    hinv: FloatArray,
    trim: FloatArray,
) -> tuple[float, FloatArray]:
    odds = p / (1 - p)
    weights = (
        trim * w * d * (1 - post),
        trim * w * d * post,
        trim * w * odds * (1 - d) * (1 - post),
        trim * w * odds * (1 - d) * post,
    )
    eta = [wk * y / _mean(wk) for wk in weights]
    att = [_mean(e) for e in eta]
    inf = [e - wk * a / _mean(wk) for e, wk, a in zip(eta, weights, att, strict=True)]
    lin_ps = ((w * (d - p))[:, None] * x) @ hinv
    m2 = [
        ((wk * (y - a))[:, None] * x).mean(axis=0) / _mean(wk)
        for wk, a in zip(weights[2:], att[2:], strict=True)
    ]
    inf_treat = inf[1] - inf[0]
    inf_cont = inf[3] - inf[2] + lin_ps @ (m2[1] - m2[0])
    return (att[1] - att[0]) - (att[3] - att[2]), inf_treat - inf_cont


def _dr(
    y: FloatArray,
    post: FloatArray,
    d: FloatArray,
    x: FloatArray,
    w: FloatArray,
    p: FloatArray,
    hinv: FloatArray,
    trim: FloatArray,
) -> tuple[float, FloatArray]:
    c_pre, lin_c_pre = _wls(x, y, w * (1 - d) * (1 - post))
    c_post, lin_c_post = _wls(x, y, w * (1 - d) * post)
    t_pre, lin_t_pre = _wls(x, y, w * d * (1 - post))
    t_post, lin_t_post = _wls(x, y, w * d * post)
    out_c = post * c_post + (1 - post) * c_pre
    odds = p / (1 - p)
    w_tp, w_tq = trim * w * d * (1 - post), trim * w * d * post
    w_cp, w_cq = trim * w * odds * (1 - d) * (1 - post), trim * w * odds * (1 - d) * post
    w_d, w_d1, w_d0 = trim * w * d, trim * w * d * post, trim * w * d * (1 - post)
    res = y - out_c
    eta = {
        "tp": w_tp * res / _mean(w_tp),
        "tq": w_tq * res / _mean(w_tq),
        "cp": w_cp * res / _mean(w_cp),
        "cq": w_cq * res / _mean(w_cq),
        "d_post": w_d * (t_post - c_post) / _mean(w_d),
        "d1_post": w_d1 * (t_post - c_post) / _mean(w_d1),
        "d_pre": w_d * (t_pre - c_pre) / _mean(w_d),
        "d0_pre": w_d0 * (t_pre - c_pre) / _mean(w_d0),
    }
    att = {k: _mean(v) for k, v in eta.items()}
    dr_att = (
        (att["tq"] - att["tp"])
        - (att["cq"] - att["cp"])
        + (att["d_post"] - att["d1_post"])
        - (att["d_pre"] - att["d0_pre"])
    )
    lin_ps = ((w * (d - p))[:, None] * x) @ hinv

    def centred(key: str, wk: FloatArray) -> FloatArray:
        return eta[key] - wk * att[key] / _mean(wk)

    def moment(v: FloatArray) -> FloatArray:
        return np.asarray((v[:, None] * x).mean(axis=0), dtype=np.float64)

    inf_treat = (
        centred("tq", w_tq)
        - centred("tp", w_tp)
        + lin_c_post @ (-moment(w_tq * post) / _mean(w_tq))
        + lin_c_pre @ (-moment(w_tp * (1 - post)) / _mean(w_tp))
    )
    m_cp = moment(w_cp * (res - att["cp"])) / _mean(w_cp)
    m_cq = moment(w_cq * (res - att["cq"])) / _mean(w_cq)
    inf_cont = (
        centred("cq", w_cq)
        - centred("cp", w_cp)
        + lin_ps @ (m_cq - m_cp)
        + lin_c_post @ (-moment(w_cq * post) / _mean(w_cq))
        + lin_c_pre @ (-moment(w_cp * (1 - post)) / _mean(w_cp))
    )
    inf_eff = (centred("d_post", w_d) - centred("d1_post", w_d1)) - (
        centred("d_pre", w_d) - centred("d0_pre", w_d0)
    )
    mom_post = moment(w_d / _mean(w_d) - w_d1 / _mean(w_d1))
    mom_pre = moment(w_d / _mean(w_d) - w_d0 / _mean(w_d0))
    inf_or = (lin_t_post - lin_c_post) @ mom_post - (lin_t_pre - lin_c_pre) @ mom_pre
    return dr_att, inf_treat - inf_cont + inf_eff + inf_or


def rc_cells(
    y: FloatArray,
    x: FloatArray,
    code: npt.NDArray[np.int64],
    weight: FloatArray,
    plan: CellPlan,
    method: Method,
) -> DenseCells:
    """Per-cell repeated cross-section estimates; every row of ``y`` is one observation.

    ``y`` (rows x periods) is ``nan`` except in each row's own period, ``x`` (rows x
    periods x covariates) holds the row's covariates there. The influence function of cell
    ``k`` is ``n / n_k`` times the DRDID one on its ``n_k`` rows, as R ``did``.
    """
    n = len(code)
    seen = np.isfinite(y)
    period = np.argmax(seen, axis=1)
    rows = np.arange(n)
    yv, xv = y[rows, period], x[rows, period, :]
    n_g = len(plan.cohorts)
    a = np.zeros((n, plan.n_cells + n_g))
    att = np.zeros(plan.n_cells)
    reason = [""] * plan.n_cells
    for k in range(plan.n_cells):
        if plan.reference[k]:
            continue
        g, t, b = int(plan.group[k]), int(plan.t_idx[k]), int(plan.b_idx[k])
        sub = np.nonzero(((code == g) | plan.controls[k][code]) & np.isin(period, (t, b)))[0]
        d = (code[sub] == g).astype(np.float64)
        post = (period[sub] == t).astype(np.float64)
        xs = np.column_stack([np.ones(len(sub)), xv[sub]])
        try:
            att[k], phi = rc_did(yv[sub], post, d, xs, weight[sub], method)
        except CellFailure as failure:
            att[k], reason[k] = np.nan, failure.reason
            continue
        a[sub, k] = phi * (n / len(sub))
    share = np.array([weight[code == h].sum() / n for h in range(n_g)])
    for h in range(n_g):
        a[:, plan.n_cells + h] = weight * (code == h) - share[h]
    return DenseCells(att, a, share, tuple(reason))
