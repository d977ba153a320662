"""Public entry points: :func:`meta_analysis`, :func:`meta_regression`, :func:`from_tidy`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from evaluation.contract import interval_alpha
from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.estimators.meta._kernels import (
    FloatArray,
    Method,
    Test,
    fit_rma,
    heterogeneity,
    wald_test,
)
from evaluation.estimators.meta.results import MetaAnalysisResult, MetaRegressionResult

ArrayLike = Sequence[float] | npt.NDArray[Any] | pd.Series


def _check_options(method: str, test: str) -> None:
    if method not in get_args(Method):
        raise OptionError(
            f"unknown method {method!r}",
            where="meta_analysis(method=...)",
            fix=f"use one of {', '.join(get_args(Method))}",
        )
    if test not in get_args(Test):
        raise OptionError(
            f"unknown test {test!r}", where="meta_analysis(test=...)", fix="use 'z' or 'knha'"
        )


def _as_inputs(
    effects: ArrayLike, std_errors: ArrayLike, labels: Sequence[str] | None, where: str
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    try:
        y = np.asarray(effects, dtype=float).reshape(-1)
        se = np.asarray(std_errors, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            f"effects and standard errors must be numbers ({exc})",
            where=where,
            fix="pass numeric sequences of equal length",
        ) from exc
    if y.size != se.size:
        raise InputDataError(
            f"{y.size} effects but {se.size} standard errors",
            where=where,
            fix="give one standard error per effect",
        )
    if labels is None:
        labs = tuple(str(i + 1) for i in range(y.size))
    else:
        labs = tuple(str(lab) for lab in labels)
        if len(labs) != y.size:
            raise InputDataError(
                f"{len(labs)} labels for {y.size} effects",
                where=where,
                fix="give one label per effect or none",
            )
    bad = [
        f"{labs[i]} (effect {y[i]}, se {se[i]})"
        for i in range(y.size)
        if not (math.isfinite(y[i]) and math.isfinite(se[i]) and se[i] > 0)
    ]
    if bad:
        raise InputDataError(
            f"non-finite effect or non-positive standard error for {', '.join(bad)}",
            where=where,
            fix="drop or correct these studies before pooling; every standard error must be > 0",
        )
    return y, se, labs


def meta_analysis(
    effects: ArrayLike,
    std_errors: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    method: Method = "REML",
    test: Test = "z",
    alpha: float = 0.05,
    level: float | None = None,
) -> MetaAnalysisResult:
    """Pool effects with a random-effects (or fixed-effect) model.

    Parameters
    ----------
    effects, std_errors:
        Study (pilot) effect estimates and their standard errors (all > 0).
    labels:
        Study names used in tables and the forest plot; default ``"1".."k"``.
    method:
        Estimator of tau^2: ``"REML"`` (default, as metafor), ``"DL"``
        (DerSimonian-Laird), ``"PM"`` (Paule-Mandel) or ``"FE"`` (fixed effect, tau^2 = 0).
    test:
        ``"z"`` (normal quantiles, metafor's default) or ``"knha"`` (Knapp-Hartung
        adjusted standard error with t(k - 1) quantiles).
    alpha:
        Significance level: the confidence and prediction intervals cover ``1 - alpha``.
    level:
        Deprecated: the coverage; use ``alpha``.

    Returns
    -------
    MetaAnalysisResult
        Frozen result with the pooled estimate, its interval, the prediction interval,
        tau^2, I^2, H^2, Q and the per-study weights.
    """
    _check_options(method, test)
    level = 1.0 - interval_alpha(alpha, level, where="meta_analysis()")
    y, se, labs = _as_inputs(effects, std_errors, labels, "meta_analysis(effects, std_errors)")
    if y.size < 2:
        raise InputDataError(
            f"{y.size} effect(s) given",
            where="meta_analysis(effects, std_errors)",
            fix="a meta-analysis needs at least two studies",
        )
    v = se**2
    x = np.ones((y.size, 1))
    fit = fit_rma(y, v, x, method=method, test=test, level=level)
    i2, h2 = heterogeneity(fit)
    est = float(fit.beta[0])
    sd = float(math.sqrt(fit.vcov[0, 0]))
    stat = est / sd
    if fit.df_t is None:
        pval = float(2 * stats.norm.sf(abs(stat)))
    else:
        pval = float(2 * stats.t.sf(abs(stat), fit.df_t))
    # metafor's predict.rma: pred +/- crit * sqrt(se^2 + tau^2), crit as for the CI.
    pi_half = fit.crit * math.sqrt(sd**2 + fit.tau2)
    w = fit.weights
    return MetaAnalysisResult(
        method=method,
        test=test,
        level=level,
        k=int(y.size),
        labels=labs,
        effects=tuple(float(a) for a in y),
        std_errors=tuple(float(a) for a in se),
        weights=tuple(float(a) for a in 100.0 * w / w.sum()),
        estimate=est,
        std_error=sd,
        statistic=stat,
        p_value=pval,
        conf_low=est - fit.crit * sd,
        conf_high=est + fit.crit * sd,
        pred_low=est - pi_half,
        pred_high=est + pi_half,
        tau2=fit.tau2,
        tau=math.sqrt(fit.tau2),
        i2=i2,
        h2=h2,
        q=fit.qe,
        q_df=fit.qe_df,
        q_p_value=float(stats.chi2.sf(fit.qe, fit.qe_df)),
        df=fit.df_t,
    )


def meta_regression(
    effects: ArrayLike,
    std_errors: ArrayLike,
    *,
    moderators: pd.DataFrame,
    labels: Sequence[str] | None = None,
    method: Method = "REML",
    test: Test = "z",
    alpha: float = 0.05,
    level: float | None = None,
    intercept: bool = True,
) -> MetaRegressionResult:
    """Regress effects on study-level moderators (mixed-effects meta-regression).

    Parameters
    ----------
    effects, std_errors:
        Study effect estimates and standard errors.
    moderators:
        One row per study (same order as ``effects``), numeric columns only; each column
        becomes a term (e.g. ``fidelity``, ``dose``, ``reach``).
    labels, method, test, alpha, level:
        As in :func:`meta_analysis` (``level`` deprecated).
    intercept:
        Include an intercept (term ``"intercept"``).

    Returns
    -------
    MetaRegressionResult
        Coefficient table, residual tau^2 and I^2, QE (residual heterogeneity), QM
        (omnibus test of the moderators) and R^2 (percent of tau^2 explained).
    """
    _check_options(method, test)
    level = 1.0 - interval_alpha(alpha, level, where="meta_regression()")
    where = "meta_regression(moderators=...)"
    y, se, labs = _as_inputs(effects, std_errors, labels, "meta_regression(effects, std_errors)")
    if not isinstance(moderators, pd.DataFrame) or moderators.shape[1] == 0:
        raise InputDataError(
            "moderators must be a DataFrame with at least one column",
            where=where,
            fix="pass e.g. pd.DataFrame({'fidelity': [...], 'dose': [...]})",
        )
    if len(moderators) != y.size:
        raise InputDataError(
            f"{len(moderators)} moderator rows for {y.size} effects",
            where=where,
            fix="give one moderator row per effect, in the same order",
        )
    non_numeric = [
        str(c) for c in moderators.columns if not pd.api.types.is_numeric_dtype(moderators[c])
    ]
    if non_numeric:
        raise InputDataError(
            f"non-numeric moderator column(s) {', '.join(non_numeric)}",
            where=where,
            fix="code categorical moderators as 0/1 indicator columns",
        )
    mods = moderators.reset_index(drop=True).astype(float)
    if not np.isfinite(mods.to_numpy()).all():
        rows = [str(i + 1) for i in np.where(~np.isfinite(mods.to_numpy()).all(axis=1))[0]]
        raise InputDataError(
            f"missing or non-finite moderator values in row(s) {', '.join(rows)}",
            where=where,
            fix="fill in the moderators or leave those studies out",
        )
    terms = (["intercept"] if intercept else []) + [str(c) for c in mods.columns]
    cols = ([np.ones(y.size)] if intercept else []) + [mods[c].to_numpy() for c in mods.columns]
    x = np.column_stack(cols)
    p = x.shape[1]
    if y.size <= p:
        raise InputDataError(
            f"{y.size} studies for {p} coefficients",
            where=where,
            fix="use fewer moderators than studies minus one",
        )
    if np.linalg.matrix_rank(x) < p:
        raise InputDataError(
            "the moderators are collinear (or constant)",
            where=where,
            fix="drop a moderator that is a combination of the others",
        )
    v = se**2
    fit = fit_rma(y, v, x, method=method, test=test, level=level)
    i2, h2 = heterogeneity(fit)
    b = fit.beta
    sd = np.sqrt(np.diag(fit.vcov))
    z = b / sd
    dist = stats.norm() if fit.df_t is None else stats.t(fit.df_t)
    pv = 2 * dist.sf(np.abs(z))
    btt = np.arange(1 if intercept else 0, p)
    qm, qm_df, qm_p = wald_test(fit, btt)
    r2 = float("nan")
    if intercept and method != "FE":
        base = fit_rma(y, v, np.ones((y.size, 1)), method=method, test=test, level=level)
        if base.tau2 > 0:
            r2 = 100.0 * max(0.0, (base.tau2 - fit.tau2) / base.tau2)
    return MetaRegressionResult(
        method=method,
        test=test,
        level=level,
        k=int(y.size),
        terms=tuple(terms),
        estimates=tuple(float(a) for a in b),
        std_errors=tuple(float(a) for a in sd),
        statistics=tuple(float(a) for a in z),
        p_values=tuple(float(a) for a in pv),
        conf_lows=tuple(float(a) for a in b - fit.crit * sd),
        conf_highs=tuple(float(a) for a in b + fit.crit * sd),
        tau2=fit.tau2,
        tau=math.sqrt(fit.tau2),
        i2=i2,
        h2=h2,
        r2=r2,
        qe=fit.qe,
        qe_df=fit.qe_df,
        qe_p_value=float(stats.chi2.sf(fit.qe, fit.qe_df)),
        qm=qm,
        qm_df=qm_df,
        qm_p_value=qm_p,
        df=fit.df_t,
        labels=labs,
        effects=tuple(float(a) for a in y),
        effect_std_errors=tuple(float(a) for a in se),
        moderators=mods,
    )


def from_tidy(
    data: pd.DataFrame,
    *,
    estimate: str = "estimate",
    std_error: str = "std_error",
    label: str = "pilot",
    method: Method = "REML",
    test: Test = "z",
    alpha: float = 0.05,
    level: float | None = None,
) -> MetaAnalysisResult:
    """Meta-analysis of a tidy effects table (one row per pilot or study); options as
    :func:`meta_analysis` (``level`` deprecated, use ``alpha``)."""
    missing = [c for c in (estimate, std_error, label) if c not in data.columns]
    if missing:
        raise MissingColumnError(
            missing, where="meta-analysis input table", available=[str(c) for c in data.columns]
        )
    return meta_analysis(
        data[estimate].to_numpy(dtype=float),
        data[std_error].to_numpy(dtype=float),
        labels=[str(x) for x in data[label]],
        method=method,
        test=test,
        alpha=interval_alpha(alpha, level, where="from_tidy()"),
    )
