"""The public entry point :func:`match`: validate once, fit the score, call the kernels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import NoComparisonUnitsError, OptionError, OverlapError
from evaluation.estimators.matching._kernels import (
    Pairs,
    matchit_weights,
    nearest_1d,
    nearest_mahalanobis,
)
from evaluation.estimators.matching._propensity import (
    ProbabilisticClassifier,
    PropensityFit,
    fit_classifier,
    fit_logit,
)
from evaluation.estimators.matching._results import MatchResult
from evaluation.estimators.matching._validate import (
    WHERE,
    MatchWarning,
    as_names,
    check_columns,
    check_no_missing,
    check_unique_index,
    covariate_matrix,
    treatment_vector,
)

Method = Literal["nearest", "ipw"]
Distance = Literal["logit", "linear.logit", "mahalanobis"]
Order = Literal["largest", "smallest", "data", "random"]

_METHODS = ("nearest", "ipw")
_DISTANCES = ("logit", "linear.logit", "mahalanobis")
_ORDERS = ("largest", "smallest", "data", "random")


@dataclass(frozen=True)
class MatchSpec:
    """The options of one call of :func:`match` (kept so refuters can rerun the design)."""

    treatment: str
    covariates: tuple[str, ...]
    method: Method
    distance: Distance | ProbabilisticClassifier
    ratio: int
    replace: bool
    caliper: float | None
    exact: tuple[str, ...]
    order: Order
    seed: int | None

    @property
    def distance_label(self) -> str:
        """Readable name of the distance."""
        return self.distance if isinstance(self.distance, str) else type(self.distance).__name__


def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    method: Method = "nearest",
    distance: Distance | ProbabilisticClassifier = "logit",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    exact: str | Sequence[str] = (),
    order: Order = "largest",
    seed: int | None = None,
) -> MatchResult:
    """Match participants with non-participants (or weight them) on the propensity score.

    Options have MatchIt's meaning (``matchit(method = "nearest", ...)``).

    Parameters
    ----------
    data:
        One row per unit; the index identifies units (it must be unique) and is kept in
        :attr:`MatchResult.matched`.
    treatment:
        0/1 column, 1 = participant.
    covariates:
        Columns the propensity score (and balance table) uses. Numeric and boolean columns
        enter as they are; other columns become dummies (first category is the reference).
        Missing values raise :class:`MissingValueError`.
    method:
        ``"nearest"``: greedy nearest-neighbour matching. ``"ipw"``: no matching; inverse
        probability (odds) weights for the ATT, 1 for participants and ``ps / (1 - ps)`` for
        non-participants.
    distance:
        ``"logit"``: logistic regression (unpenalised ML, statsmodels), matching on the
        propensity score (MatchIt's ``distance = "glm"``); ``"linear.logit"``: the same
        model, matching on the linear predictor (MatchIt's ``link = "linear.logit"``);
        ``"mahalanobis"``: Mahalanobis distance on the covariates with the pooled
        within-group covariance; the logistic propensity score still sets the matching order
        and the caliper (MatchIt's ``distance = "glm", mahvars = ...``); or a scikit-learn
        classifier with ``predict_proba`` (e.g. ``GradientBoostingClassifier()``, cloned
        before fitting), matching on its predicted probability.
    ratio:
        Controls per treated unit (``k`` in 1:k matching).
    replace:
        Whether a control can be matched to several treated units.
    caliper:
        Maximum distance in standard deviations (``n - 1``, all units) of the *logit*
        propensity score; treated units without a control within it stay unmatched (with a
        :class:`MatchWarning` giving the count). Note: MatchIt measures the caliper on the
        distance scale, which equals ours for ``distance="linear.logit"``.
    exact:
        Columns on which matched units must agree exactly (e.g. region, month of entry).
    order:
        Order in which treated units choose (without replacement): ``"largest"`` or
        ``"smallest"`` propensity score first, ``"data"`` order, or ``"random"`` (uses
        ``seed``). Ties in the score keep data order.
    seed:
        Seed of the random order (``numpy.random.default_rng``).

    Returns
    -------
    MatchResult
        ``.matched`` (matched rows plus ``subclass`` and ``weight``), ``.balance()``,
        ``.att(outcome)``, ``.did(post, pre)``, ``.rosenbaum(outcome)``, ``.refute(outcome)``,
        ``.by_subgroup(outcome, subgroup)``, ``.tidy()``, ``.summary()``, ``.plot()``.

    Notes
    -----
    Tie rule: among eligible controls at the same distance the one earlier in ``data``
    (smallest row position) is chosen; see ``evaluation.estimators.matching._kernels``.
    """
    spec = _validate_options(
        data, treatment, covariates, method, distance, ratio, replace, caliper, exact, order, seed
    )
    dup_note = check_unique_index(data)
    d = treatment_vector(data, spec.treatment)
    check_no_missing(data, list(spec.covariates), "covariate")
    if spec.exact:
        check_no_missing(data, list(spec.exact), "exact-matching")
    x, names, binary = covariate_matrix(data, spec.covariates)
    fit = _fit_score(spec, x, d, names)
    diagnostics = _check_overlap(fit, d)
    if dup_note:
        diagnostics = (dup_note, *diagnostics)

    n = d.size
    if spec.method == "ipw":
        weights = np.where(d, 1.0, fit.ps / (1.0 - fit.ps))
        empty = np.empty(0, dtype=np.int64)
        pairs = Pairs(empty, empty, empty, np.empty(0))
        subclass = np.full(n, -1, dtype=np.int64)
        return MatchResult.build(
            data, spec, d, x, names, binary, fit, pairs, weights, subclass, diagnostics
        )

    order_pos = _order(spec, fit, d)
    group = _exact_groups(data, spec.exact) if spec.exact else None
    cal_width = None
    if spec.caliper is not None:
        cal_width = float(spec.caliper * np.std(fit.logit, ddof=1))
    if spec.distance == "mahalanobis":
        pairs = nearest_mahalanobis(
            _whiten(x, d),
            d,
            order=order_pos,
            ratio=spec.ratio,
            replace=spec.replace,
            group=group,
            cal_score=fit.logit,
            caliper=cal_width,
        )
    else:
        score = fit.logit if spec.distance == "linear.logit" else fit.ps
        pairs = nearest_1d(
            score,
            d,
            order=order_pos,
            ratio=spec.ratio,
            replace=spec.replace,
            group=group,
            cal_score=fit.logit,
            caliper=cal_width,
        )
    if pairs.treated.size == 0:
        reason = "the caliper" if spec.caliper is not None else "exact matching"
        raise NoComparisonUnitsError(
            f"no treated unit found a control ({reason} excluded all candidates)",
            where=WHERE,
            fix="widen the caliper or drop exact-matching columns",
        )
    weights, subclass = matchit_weights(pairs, n)
    n_unmatched = int(d.sum()) - int(np.unique(pairs.treated).size)
    if n_unmatched:
        msg = (
            f"{n_unmatched} of {int(d.sum())} treated units found no eligible control "
            f"(caliper={spec.caliper}, exact={list(spec.exact)}); the ATT refers to the "
            "matched treated units only (see MatchResult.unmatched)"
        )
        warnings.warn(msg, MatchWarning, stacklevel=2)
        diagnostics = (*diagnostics, msg)
    short = int(np.sum(np.bincount(pairs.treated, minlength=n)[d] < spec.ratio)) - n_unmatched
    if short > 0:
        msg = f"{short} treated units received fewer than {spec.ratio} controls"
        warnings.warn(msg, MatchWarning, stacklevel=2)
        diagnostics = (*diagnostics, msg)
    return MatchResult.build(
        data, spec, d, x, names, binary, fit, pairs, weights, subclass, diagnostics
    )


def _validate_options(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    method: str,
    distance: object,
    ratio: int,
    replace: bool,
    caliper: float | None,
    exact: str | Sequence[str],
    order: str,
    seed: int | None,
) -> MatchSpec:
    if not isinstance(data, pd.DataFrame):
        raise OptionError(
            f"`data` must be a pandas DataFrame, got {type(data).__name__}",
            where=WHERE,
            fix="pass a pandas DataFrame",
        )
    if method not in _METHODS:
        raise OptionError(
            f"`method` must be one of {_METHODS}, got {method!r}",
            where=WHERE,
            fix="choose an allowed method",
        )
    if isinstance(distance, str):
        if distance not in _DISTANCES:
            raise OptionError(
                f"`distance` must be one of {_DISTANCES} or a classifier, got {distance!r}",
                where=WHERE,
                fix="choose an allowed distance",
            )
    elif not isinstance(distance, ProbabilisticClassifier):
        raise OptionError(
            f"`distance` object {type(distance).__name__} has no fit/predict_proba",
            where=WHERE,
            fix="pass a scikit-learn classifier such as GradientBoostingClassifier()",
        )
    if method == "ipw" and distance == "mahalanobis":
        raise OptionError(
            "`method='ipw'` needs a propensity score, not Mahalanobis distance",
            where=WHERE,
            fix="use distance='logit' or a classifier",
        )
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise OptionError(
            f"`ratio` must be a positive integer, got {ratio!r}",
            where=WHERE,
            fix="use e.g. ratio=1 or ratio=3",
        )
    if caliper is not None and (
        isinstance(caliper, bool) or not isinstance(caliper, int | float) or not caliper > 0
    ):
        raise OptionError(
            f"`caliper` must be a positive number or None, got {caliper!r}",
            where=WHERE,
            fix="use e.g. caliper=0.2 (SD of the logit score)",
        )
    if order not in _ORDERS:
        raise OptionError(
            f"`order` must be one of {_ORDERS}, got {order!r}",
            where=WHERE,
            fix="choose an allowed order",
        )
    cov = as_names(covariates, "covariates")
    if not cov:
        raise OptionError("`covariates` is empty", where=WHERE, fix="name at least one covariate")
    ex = as_names(exact, "exact")
    check_columns(data, [treatment, *cov, *ex])
    if treatment in cov:
        raise OptionError(
            f"treatment {treatment!r} is also listed as a covariate",
            where=WHERE,
            fix="remove it from `covariates`",
        )
    return MatchSpec(
        treatment=treatment,
        covariates=tuple(cov),
        method=method,  # type: ignore[arg-type]
        distance=distance,  # type: ignore[arg-type]
        ratio=int(ratio),
        replace=bool(replace),
        caliper=None if caliper is None else float(caliper),
        exact=tuple(ex),
        order=order,  # type: ignore[arg-type]
        seed=seed,
    )


def _fit_score(
    spec: MatchSpec, x: npt.NDArray[np.float64], d: npt.NDArray[np.bool_], names: list[str]
) -> PropensityFit:
    if isinstance(spec.distance, str):
        return fit_logit(x, d, names)
    return fit_classifier(spec.distance, x, d)


def _check_overlap(fit: PropensityFit, d: npt.NDArray[np.bool_]) -> tuple[str, ...]:
    """OverlapError if no treated unit lies within the controls' score range; else a count."""
    ps_t, ps_c = fit.ps[d], fit.ps[~d]
    lo, hi = float(ps_c.min()), float(ps_c.max())
    outside = int(np.sum((ps_t < lo) | (ps_t > hi)))
    if outside == ps_t.size:
        raise OverlapError(
            f"no overlap: all {outside} treated units have propensity scores outside the "
            f"controls' range [{lo:.4g}, {hi:.4g}]",
            where=WHERE,
            fix="find comparison units that resemble the participants, or revise covariates",
        )
    if outside:
        msg = (
            f"{outside} of {ps_t.size} treated units have propensity scores outside the "
            f"controls' range [{lo:.4g}, {hi:.4g}] (no common support); they are matched to the "
            "nearest control unless a caliper excludes them"
        )
        warnings.warn(msg, MatchWarning, stacklevel=3)
        return (msg,)
    return ()


def _order(spec: MatchSpec, fit: PropensityFit, d: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    treated = np.flatnonzero(d).astype(np.int64)
    if spec.order == "data":
        return treated
    if spec.order == "random":
        rng = np.random.default_rng(spec.seed)
        return treated[rng.permutation(treated.size)]
    ps = fit.ps[treated]
    key = -ps if spec.order == "largest" else ps
    return treated[np.argsort(key, kind="stable")]


def _exact_groups(data: pd.DataFrame, exact: tuple[str, ...]) -> npt.NDArray[np.int64]:
    codes = data.groupby(list(exact), sort=True, dropna=False).ngroup()
    return codes.to_numpy().astype(np.int64)


def _whiten(x: npt.NDArray[np.float64], d: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Covariates times the inverse Cholesky factor of the pooled within-group covariance."""
    n1, n0 = int(d.sum()), int((~d).sum())
    cov = ((n1 - 1) * np.cov(x[d], rowvar=False) + (n0 - 1) * np.cov(x[~d], rowvar=False)) / (
        n1 + n0 - 2
    )
    cov = np.atleast_2d(cov)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise OverlapError(
            "the pooled covariance of the covariates is singular",
            where=WHERE,
            fix="drop covariates that are constant within groups or collinear",
        ) from exc
    out: npt.NDArray[np.float64] = np.linalg.solve(chol, x.T).T
    return out
