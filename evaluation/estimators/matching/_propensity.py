"""Propensity score models: unpenalised logistic regression and scikit-learn classifiers."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from evaluation.errors import EstimationError, OverlapError

FloatArray = npt.NDArray[np.float64]

#: Fitted probabilities this close to 0 or 1 mean (quasi-)complete separation.
SEPARATION_EPS = 1e-10


@runtime_checkable
class ProbabilisticClassifier(Protocol):
    """Anything with scikit-learn's ``fit`` and ``predict_proba``."""

    def fit(self, X: Any, y: Any) -> Any: ...

    def predict_proba(self, X: Any) -> Any: ...


@dataclass(frozen=True)
class PropensityFit:
    """A fitted propensity score.

    Attributes
    ----------
    ps:
        P(treated | covariates) for every unit.
    logit:
        ``log(ps / (1 - ps))``, the linear predictor for logistic regression.
    model:
        ``"logit"`` or the classifier's class name.
    coef:
        Logistic coefficients (intercept first) or None for other classifiers.
    """

    ps: FloatArray
    logit: FloatArray
    model: str
    coef: FloatArray | None


def fit_logit(x: FloatArray, y: npt.NDArray[np.bool_], names: list[str]) -> PropensityFit:
    """Unpenalised maximum-likelihood logistic regression (statsmodels, Newton-Raphson).

    Covariates are centred and scaled before fitting (the MLE's fitted probabilities are
    invariant to that) so that earnings in euros and 0/1 dummies converge alike.

    Raises
    ------
    OverlapError
        On perfect or quasi-complete separation (fitted probabilities of exactly 0 or 1).
    EstimationError
        If the Newton iterations do not converge or the design is rank deficient.
    """
    import statsmodels.api as sm

    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    const_cols = [names[k] for k in np.flatnonzero(sd == 0)]
    if const_cols:
        raise EstimationError(
            f"covariate(s) {', '.join(map(repr, const_cols))} take a single value",
            where="propensity score model",
            fix="drop constant covariates from `covariates`",
        )
    xs = np.column_stack([np.ones(x.shape[0]), (x - mu) / sd])
    # Smallest eigenvalue of the covariates' correlation matrix: ~0 means collinear.
    if x.shape[1] > 1 and np.linalg.eigvalsh(np.corrcoef(xs[:, 1:], rowvar=False))[0] < 1e-10:
        raise EstimationError(
            "covariates are perfectly collinear",
            where="propensity score model",
            fix="drop a redundant covariate (e.g. one category of a set of dummies)",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.Logit(y.astype(np.float64), xs).fit(
                start_params=_newton_start(xs, y),
                method="newton",
                maxiter=100,
                disp=0,
                tol=1e-12,
                warn_convergence=False,
            )
        except Exception as exc:  # statsmodels' PerfectSeparationError or LinAlgError
            raise OverlapError(
                f"the logistic propensity model failed ({type(exc).__name__}: {exc})",
                where="propensity score model",
                fix="check for covariates that perfectly predict treatment and drop them",
            ) from exc
    params = np.asarray(res.params, dtype=np.float64)
    eta = xs @ params
    ps = np.asarray(expit(eta), dtype=np.float64)
    _check_separation(ps, y)
    if not bool(res.mle_retvals.get("converged", True)):
        raise EstimationError(
            "the logistic propensity model did not converge in 100 Newton iterations",
            where="propensity score model",
            fix="check for separation or rescale extreme covariates",
        )
    # Back to the original covariate scale: intercept, slopes.
    slopes = params[1:] / sd
    coef = np.concatenate([[params[0] - float(np.sum(slopes * mu))], slopes])
    return PropensityFit(ps=ps, logit=eta, model="logit", coef=coef)


def _newton_start(xs: FloatArray, y: npt.NDArray[np.bool_]) -> FloatArray:
    """A few plain Newton-Raphson steps in numpy: start values for statsmodels.

    statsmodels then confirms the maximum in one or two of its own (slower) iterations; the
    result is statsmodels' MLE either way. Stops early if the steps misbehave (separation).
    """
    beta = np.zeros(xs.shape[1])
    yf = y.astype(np.float64)
    for _ in range(25):
        p = expit(xs @ beta)
        grad = xs.T @ (yf - p)
        hess = (xs * (p * (1 - p))[:, None]).T @ xs
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return np.zeros(xs.shape[1])
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 50:
            return np.zeros(xs.shape[1])
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


#: Named flexible score models (MatchIt's ``distance = "randomforest"`` / ``"gbm"``).
FLEXIBLE_MODELS = ("randomforest", "gbm")
#: Folds of the cross-fitted scores of flexible models.
CROSS_FIT_FOLDS = 5


def fit_probit(x: FloatArray, y: npt.NDArray[np.bool_], names: list[str]) -> PropensityFit:
    """Probit propensity score (statsmodels ML; MatchIt's ``link = "probit"``)."""
    import statsmodels.api as sm
    from scipy.stats import norm

    mu, sd = x.mean(axis=0), x.std(axis=0)
    if np.any(sd == 0):
        raise EstimationError(
            f"covariate(s) {[names[k] for k in np.flatnonzero(sd == 0)]} take a single value",
            where="propensity score model",
            fix="drop constant covariates from `covariates`",
        )
    xs = np.column_stack([np.ones(x.shape[0]), (x - mu) / sd])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.Probit(y.astype(np.float64), xs).fit(method="newton", disp=0, maxiter=100)
        except Exception as exc:  # separation or a singular Hessian
            raise OverlapError(
                f"the probit propensity model failed ({type(exc).__name__}: {exc})",
                where="propensity score model",
                fix="check for covariates that perfectly predict treatment and drop them",
            ) from exc
    eta = xs @ np.asarray(res.params, dtype=np.float64)
    ps = np.asarray(norm.cdf(eta), dtype=np.float64)
    _check_separation(ps, y)
    return PropensityFit(ps=ps, logit=_logit(ps), model="probit", coef=None)


def _logit(ps: FloatArray) -> FloatArray:
    p = np.clip(ps, SEPARATION_EPS, 1 - SEPARATION_EPS)
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def _sklearn_at_least(major: int, minor: int) -> bool:
    import sklearn

    parts = sklearn.__version__.split(".")
    return (int(parts[0]), int(parts[1])) >= (major, minor)


def fit_lasso(x: FloatArray, y: npt.NDArray[np.bool_], *, seed: int | None) -> PropensityFit:
    """L1-penalised logistic regression on standardised covariates, the penalty chosen by
    5-fold cross-validated log loss (scikit-learn ``LogisticRegressionCV``; MatchIt's
    ``distance = "lasso"`` uses glmnet's cross-validated lambda). A penalised GLM barely
    overfits, so its fitted (in-sample) probabilities are used, as MatchIt does."""
    return fit_penalised(x, y, l1_ratio=1.0, name="lasso", seed=seed)


def fit_penalised(
    x: FloatArray,
    y: npt.NDArray[np.bool_],
    *,
    l1_ratio: float,
    name: str,
    seed: int | None,
) -> PropensityFit:
    """Penalised logistic regression (``l1_ratio`` 1: lasso, 0.5: elastic net) on
    standardised covariates, the penalty chosen by cross-validated log loss."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    sd = x.std(axis=0)
    xs = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    folds = StratifiedKFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
    solver = "liblinear" if l1_ratio == 1.0 else "saga"
    if _sklearn_at_least(1, 8):  # `penalty` is deprecated from 1.8: l1_ratios sets it
        model = LogisticRegressionCV(
            Cs=20,
            cv=folds,
            l1_ratios=(l1_ratio,),
            solver=solver,
            scoring="neg_log_loss",
            use_legacy_attributes=False,
            max_iter=5000,
        )
    else:
        penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
        ratios = None if l1_ratio == 1.0 else (l1_ratio,)
        model = LogisticRegressionCV(
            Cs=20,
            cv=folds,
            penalty=penalty,
            l1_ratios=ratios,
            solver=solver,
            scoring="neg_log_loss",
            max_iter=5000,
        )
    model.fit(xs, y.astype(np.int64))
    ps = np.asarray(model.predict_proba(xs)[:, 1], dtype=np.float64)
    return PropensityFit(ps=ps, logit=_logit(ps), model=name, coef=None)


#: Distinct values above which a covariate gets a smooth (spline) term in ``distance="gam"``.
GAM_SMOOTH_MIN_VALUES = 10
#: Interior knots of each smooth term (cubic regression splines).
GAM_KNOTS = 5


def fit_gam(x: FloatArray, y: npt.NDArray[np.bool_], *, seed: int | None) -> PropensityFit:
    """A generalised additive logistic model: a cubic spline of every covariate with more
    than :data:`GAM_SMOOTH_MIN_VALUES` distinct values (linear terms for the others), the
    smoothing penalty (ridge on the spline coefficients) chosen by cross-validated log
    loss, as MatchIt's ``distance = "gam"`` (mgcv) chooses it by GCV/REML. Fitted
    probabilities are used, as MatchIt does."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer, StandardScaler

    smooth = [j for j in range(x.shape[1]) if np.unique(x[:, j]).size > GAM_SMOOTH_MIN_VALUES]
    linear = [j for j in range(x.shape[1]) if j not in smooth]
    splines = SplineTransformer(n_knots=GAM_KNOTS, degree=3, knots="quantile")
    terms = ColumnTransformer([("smooth", splines, smooth), ("linear", "passthrough", linear)])
    folds = StratifiedKFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
    if _sklearn_at_least(1, 8):  # l1_ratios=(0,) is the ridge penalty
        logistic = LogisticRegressionCV(
            Cs=15,
            cv=folds,
            scoring="neg_log_loss",
            max_iter=5000,
            l1_ratios=(0.0,),
            use_legacy_attributes=False,
        )
    else:
        logistic = LogisticRegressionCV(Cs=15, cv=folds, scoring="neg_log_loss", max_iter=5000)
    model = make_pipeline(terms, StandardScaler(), logistic)
    model.fit(x, y.astype(np.int64))
    ps = np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
    return PropensityFit(ps=ps, logit=_logit(ps), model="gam", coef=None)


def fit_flexible(
    name: str, x: FloatArray, y: npt.NDArray[np.bool_], *, seed: int | None
) -> PropensityFit:
    """Random forest (out-of-bag probabilities) or gradient boosting (cross-fitted).

    In-sample probabilities of flexible models overfit (a forest predicts its own training
    units almost perfectly), which looks like separation; out-of-sample scores do not.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    if name == "randomforest":
        rf = RandomForestClassifier(
            n_estimators=500, min_samples_leaf=5, oob_score=True, random_state=seed, n_jobs=1
        )
        rf.fit(x, y.astype(np.int64))
        oob = np.asarray(rf.oob_decision_function_, dtype=np.float64)
        ps = oob[:, list(rf.classes_).index(1)]
        return PropensityFit(ps=ps, logit=_logit(ps), model="randomforest (out-of-bag)", coef=None)
    fit = fit_classifier(HistGradientBoostingClassifier(random_state=seed), x, y, seed=seed)
    return PropensityFit(fit.ps, fit.logit, "gbm (cross-fitted)", None)


def fit_classifier(
    clf: ProbabilisticClassifier, x: FloatArray, y: npt.NDArray[np.bool_], *, seed: int | None
) -> PropensityFit:
    """Propensity score from any classifier with ``fit`` and ``predict_proba``, cross-fitted.

    Each unit's score comes from a clone of the classifier fitted on the other folds
    (stratified ``CROSS_FIT_FOLDS``-fold split, shuffled with ``seed``), never in-sample.
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    ps = np.empty(y.size)
    yi = y.astype(np.int64)
    folds = StratifiedKFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
    # One OpenMP thread: on a shared machine HistGradientBoosting's thread pool is ~20x
    # slower than a single thread on small data.
    with threadpool_limits(1):
        for train, test in folds.split(x, yi):
            model = clone(clf)
            model.fit(x[train], yi[train])
            proba = np.asarray(model.predict_proba(x[test]), dtype=np.float64)
            classes = list(getattr(model, "classes_", [0, 1]))
            ps[test] = proba[:, classes.index(1)]
    return PropensityFit(
        ps=ps, logit=_logit(ps), model=f"{type(clf).__name__} (cross-fitted)", coef=None
    )


def _check_separation(ps: FloatArray, y: npt.NDArray[np.bool_]) -> None:
    """Raise OverlapError when fitted probabilities reach 0 or 1 (separation)."""
    at_one = int(np.sum(ps >= 1.0 - SEPARATION_EPS))
    at_zero = int(np.sum(ps <= SEPARATION_EPS))
    if at_one or (at_zero and at_zero == int(np.sum(~y))):
        raise OverlapError(
            f"perfect separation: {at_one} unit(s) have a fitted propensity score of 1 "
            f"and {at_zero} of 0",
            where="propensity score model",
            fix="a covariate (or combination) determines treatment; drop it, use it in "
            "`exact`, or restrict the data to where both groups occur",
        )
