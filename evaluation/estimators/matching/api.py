"""The public entry point :func:`match`: validate once, fit the score, call the kernels."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import NoComparisonUnitsError, OptionError, OverlapError
from evaluation.estimators.matching._balance import balance_frame, estimand_sd
from evaluation.estimators.matching._design import (
    Design,
    build_design,
    formula_rhs,
    formula_variables,
    is_formula,
)
from evaluation.estimators.matching._kernels import (
    Pairs,
    matchit_weights,
    nearest_1d,
    nearest_mahalanobis,
)
from evaluation.estimators.matching._metric import COVARIATE_DISTANCES, covariate_points
from evaluation.estimators.matching._optimal import full_matching, optimal_pairs, set_numbers
from evaluation.estimators.matching._propensity import (
    FLEXIBLE_MODELS,
    ProbabilisticClassifier,
    PropensityFit,
    fit_classifier,
    fit_flexible,
    fit_gam,
    fit_lasso,
    fit_logit,
    fit_penalised,
    fit_probit,
)
from evaluation.estimators.matching._results import MatchResult
from evaluation.estimators.matching._strata import (
    cardinality_controls,
    coarsen,
    common_strata,
    ps_subclasses,
    strata_codes,
    subclass_weights,
)
from evaluation.estimators.matching._validate import (
    WHERE,
    MatchWarning,
    as_names,
    check_columns,
    check_no_missing,
    check_unique_index,
    treatment_vector,
)

#: The elastic net's mix of L1 and L2 penalties (glmnet's alpha), MatchIt's "elasticnet".
ELASTICNET_L1_RATIO = 0.5

Method = Literal["nearest", "optimal", "full", "exact", "cem", "subclass", "cardinality", "ipw"]
Distance = Literal[
    "logit",
    "glm",
    "linear.logit",
    "probit",
    "lasso",
    "elasticnet",
    "gam",
    "randomforest",
    "gbm",
    "mahalanobis",
    "robust_mahalanobis",
    "euclidean",
    "scaled_euclidean",
]
Order = Literal["largest", "smallest", "data", "random", "closest"]
Estimand = Literal["ATT", "ATC", "ATE"]
Discard = Literal["none", "treated", "control", "both"]
CutPoints = int | Sequence[float] | Literal["sturges"]

# The allowed values, read from the option types (each fact declared once).
_METHODS: tuple[str, ...] = get_args(Method)
_DISTANCES: tuple[str, ...] = get_args(Distance)
_ORDERS: tuple[str, ...] = get_args(Order)
_ESTIMANDS: tuple[str, ...] = get_args(Estimand)
_DISCARDS: tuple[str, ...] = get_args(Discard)
#: Methods that pair units (the rest stratify or weight).
PAIR_METHODS = ("nearest", "optimal")
#: Methods that need no propensity score (MatchIt's ``distance = NULL``).
NO_SCORE_METHODS = ("exact", "cem", "cardinality")
#: Estimands each method supports (MatchIt's).
_SUPPORTED_ESTIMANDS = {
    "nearest": ("ATT", "ATC"),
    "optimal": ("ATT", "ATC"),
    "cardinality": ("ATT",),
    **{m: _ESTIMANDS for m in ("full", "exact", "cem", "subclass", "ipw")},
}


@dataclass(frozen=True)
class MatchSpec:
    """The options of one call of :func:`match` (kept so refuters can rerun the design).

    ``covariates`` holds the data columns used; ``formula`` the covariate formula (or
    None). ``caliper`` is the distance caliper, ``covariate_calipers`` the per-column ones.
    """

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
    estimand: Estimand = "ATT"
    std_caliper: bool = True
    covariate_calipers: tuple[tuple[str, float], ...] = ()
    discard: Discard = "none"
    cutpoints: tuple[tuple[str, CutPoints], ...] = ()
    n_subclasses: int = 6
    formula: str | None = None
    tols: float = 0.05
    antiexact: tuple[str, ...] = ()
    mahvars: tuple[str, ...] = ()
    reestimate: bool = False

    @property
    def distance_label(self) -> str:
        """Readable name of the distance."""
        return self.distance if isinstance(self.distance, str) else type(self.distance).__name__

    def options(self) -> dict[str, object]:
        """Keyword arguments of :func:`match` that reproduce this design."""
        return {
            "treatment": self.treatment,
            "covariates": self.formula if self.formula is not None else list(self.covariates),
            "method": self.method,
            "distance": self.distance,
            "estimand": self.estimand,
            "ratio": self.ratio,
            "replace": self.replace,
            "caliper": self.caliper_option(),
            "std_caliper": self.std_caliper,
            "exact": self.exact,
            "discard": self.discard,
            "m_order": self.order,
            "cutpoints": dict(self.cutpoints) or None,
            "subclass": self.n_subclasses,
            "tols": self.tols,
            "antiexact": self.antiexact,
            "mahvars": self.mahvars,
            "reestimate": self.reestimate,
            "seed": self.seed,
        }

    def caliper_option(self) -> float | dict[str, float] | None:
        """The ``caliper`` argument as given: a number, or a dict with covariate calipers."""
        if not self.covariate_calipers:
            return self.caliper
        cal = dict(self.covariate_calipers)
        if self.caliper is not None:
            cal["distance"] = self.caliper
        return cal


#: Keyword arguments :func:`match` accepts (for suggestions on unknown ones).
MATCH_OPTIONS = (
    "treatment", "covariates", "method", "distance", "estimand", "ratio", "replace",
    "caliper", "std_caliper", "exact", "discard", "m_order", "order", "cutpoints",
    "subclass", "tols", "antiexact", "mahvars", "reestimate", "seed",
)  # fmt: skip

#: MatchIt (R) argument names and what to use here instead.
MATCHIT_NAMES = {
    "formula": "covariates (a list of columns or a formula such as 'age + I(age**2)')",
    "m.order": "m_order",
    "std.caliper": "std_caliper",
    "link": "distance='linear.logit' (or 'probit')",
    "distance_options": "distance=<a scikit-learn classifier object>",
    "s_weights": "nothing: sampling weights are not supported",
    "s.weights": "nothing: sampling weights are not supported",
    "min_controls": "method='full' (no ratio limits) or method='nearest', ratio=k",
    "max_controls": "method='full' (no ratio limits) or method='nearest', ratio=k",
    "k2k": "method='nearest' with exact= on the coarsened columns",
    "verbose": "nothing: warnings are MatchWarning, diagnostics in MatchResult.diagnostics",
    "include_obj": "nothing: the result keeps the fitted score (MatchResult.propensity)",
    "normalize": "nothing",
    "reuse_max": "replace=True",
    "unit_id": "nothing",
    "sub_by": "estimand",
}


def _unsupported(options: dict[str, object]) -> None:
    """OptionError naming the nearest supported option for each unknown keyword."""
    if not options:
        return
    parts = []
    for name in options:
        key = name.replace("_", ".") if name.replace("_", ".") in MATCHIT_NAMES else name
        hint = MATCHIT_NAMES.get(key) or MATCHIT_NAMES.get(name)
        if hint is None:
            close = difflib.get_close_matches(name, MATCH_OPTIONS, n=1, cutoff=0.5)
            hint = close[0] if close else "see help(evaluation.match) for the options"
        parts.append(f"{name!r} (use {hint})")
    raise OptionError(
        f"match() does not support the option(s) {', '.join(parts)}",
        where=WHERE,
        fix="rename or drop the option as suggested",
    )


def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str] | str,
    method: Method = "nearest",
    distance: Distance | ProbabilisticClassifier = "logit",
    estimand: Estimand = "ATT",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | Mapping[str, float] | None = None,
    std_caliper: bool = True,
    exact: str | Sequence[str] = (),
    discard: Discard = "none",
    m_order: Order | None = None,
    order: Order | None = None,
    cutpoints: Mapping[str, CutPoints] | None = None,
    subclass: int = 6,
    tols: float = 0.05,
    antiexact: str | Sequence[str] = (),
    mahvars: str | Sequence[str] = (),
    reestimate: bool = False,
    seed: int | None = None,
    **unsupported: object,
) -> MatchResult:
    """Match participants with non-participants (or weight them), with MatchIt's options.

    Options have MatchIt's meaning (``matchit(...)``, MatchIt 4.5.1; deviations are listed
    in ``evaluation/estimators/matching/README.md``).

    Parameters
    ----------
    data:
        One row per unit; the index identifies units (it must be unique) and is kept in
        :attr:`MatchResult.matched`.
    treatment:
        0/1 column, 1 = participant.
    covariates:
        Columns, or a Wilkinson formula (formulaic; e.g. ``"age + I(age**2) + educ * re74
        + C(race)"``, optionally with ``treat ~`` in front). Numeric and boolean columns
        enter as they are; other columns become dummies. The score model drops each factor's
        first level; balance tables show every level. Missing values raise
        :class:`MissingValueError`.
    method:
        ``"nearest"``: greedy nearest neighbour. ``"optimal"``: optimal pair matching
        (minimum total distance). ``"full"``: optimal full matching. ``"exact"``: exact
        strata on the covariates. ``"cem"``: coarsened exact matching. ``"subclass"``:
        propensity score subclasses. ``"ipw"``: no matching; inverse probability weights.
    distance:
        ``"logit"`` (alias ``"glm"``): logistic regression (unpenalised ML), matching on the
        propensity score; ``"linear.logit"``: the same model, matching on the linear
        predictor; ``"probit"``: probit regression; ``"lasso"``: L1-penalised logistic
        regression (penalty by 5-fold cross-validated log loss); ``"elasticnet"``: the same
        with an equal mix of L1 and L2 penalties; ``"gam"``: generalised additive logistic
        model (cubic splines of continuous covariates, smoothing by cross-validation);
        ``"mahalanobis"``:
        Mahalanobis distance on the covariates (pooled within-group covariance), the logistic
        score still sets the order and the caliper (MatchIt's ``mahvars``); likewise
        ``"robust_mahalanobis"`` (on ranks), ``"euclidean"`` and ``"scaled_euclidean"``;
        ``"randomforest"``: a random forest's out-of-bag probabilities; ``"gbm"``:
        gradient boosting with 5-fold cross-fitted probabilities; or a scikit-learn
        classifier with ``predict_proba`` (cloned; 5-fold cross-fitted, never in-sample).
    estimand:
        ``"ATT"`` (treated are the focal group), ``"ATC"`` (controls are), ``"ATE"``
        (``full``, ``exact``, ``cem``, ``subclass``, ``ipw``).
    ratio:
        Controls per focal unit (``k`` in 1:k matching).
    replace:
        Whether a control can be matched to several focal units (``nearest``).
    caliper:
        Maximum distance; focal units without a control within it stay unmatched (with a
        :class:`MatchWarning`). A number applies to the distance (the score being matched
        on: the propensity score, or the linear predictor for ``"linear.logit"``); a dict
        gives covariate calipers, ``{"age": 5, "distance": 0.2}``.
    std_caliper:
        True (MatchIt's default): calipers are in standard deviations (``n - 1``, all units)
        of the distance or covariate. False: raw units.
    exact:
        Columns on which matched units must agree exactly (e.g. region, month of entry).
        Float columns with non-integer values are refused: coarsen them or use a caliper.
    discard:
        Drop units outside common support of the propensity score before matching:
        ``"treated"``, ``"control"``, ``"both"`` or ``"none"``.
    m_order:
        Order in which focal units choose (``nearest`` without replacement):
        ``"largest"`` or ``"smallest"`` propensity score first, ``"data"`` order,
        ``"random"`` (uses ``seed``) or ``"closest"`` (globally closest pairs first). Ties
        keep data order. ``order`` is the older name of this option.
    cutpoints:
        ``cem``: per numeric column, a number of bins, cut points, or ``"sturges"`` (the
        default for columns not named).
    subclass:
        ``subclass``: the number of propensity score subclasses.
    tols:
        ``cardinality``: the largest |standardised mean difference| allowed for every
        balance term (MatchIt's ``tols``); all treated units are kept and the largest set of
        controls meeting it is chosen (a mixed-integer programme, HiGHS).
    antiexact:
        ``nearest``: columns on which matched units must *differ*.
    mahvars:
        ``nearest``: match on the Mahalanobis distance of these columns while the propensity
        score (from ``covariates``) sets the order and the caliper (MatchIt's ``mahvars``).
    reestimate:
        With ``discard``: refit the score on the units kept (MatchIt's ``reestimate``).
    seed:
        Seed of the random order and of flexible distance models.

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
    _unsupported(unsupported)
    spec = _validate_options(
        data,
        treatment=treatment,
        covariates=covariates,
        method=method,
        distance=distance,
        estimand=estimand,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        std_caliper=std_caliper,
        exact=exact,
        discard=discard,
        order=_one_order(m_order, order),
        cutpoints=cutpoints,
        n_subclasses=subclass,
        tols=tols,
        seed=seed,
    )
    spec = _pair_options(data, spec, antiexact, mahvars, reestimate)
    dup_note = check_unique_index(data)
    d = treatment_vector(data, spec.treatment)
    check_no_missing(data, list(spec.covariates), "covariate")
    if spec.exact:
        check_no_missing(data, list(spec.exact), "exact-matching")
    design = build_design(data, spec.formula or list(spec.covariates), spec.treatment)
    fit = _fit_score(spec, design.x, d, list(design.names))
    diagnostics: tuple[str, ...] = () if spec.method in NO_SCORE_METHODS else _check_overlap(fit, d)
    if dup_note:
        diagnostics = (dup_note, *diagnostics)
    discarded = _discarded(spec, fit, d)
    if spec.reestimate and discarded.any():
        fit = _reestimate(spec, design, d, discarded, fit)
    design_out = _run_method(data, spec, design, fit, d, discarded)
    diagnostics = (*diagnostics, *design_out.notes)
    for msg in design_out.notes:
        warnings.warn(msg, MatchWarning, stacklevel=2)
    return MatchResult.build(data, spec, d, design, fit, design_out, diagnostics)


def _pair_options(
    data: pd.DataFrame,
    spec: MatchSpec,
    antiexact: str | Sequence[str],
    mahvars: str | Sequence[str],
    reestimate: bool,
) -> MatchSpec:
    """Validate antiexact / mahvars (nearest only) and reestimate; return the full spec."""
    from dataclasses import replace

    anti = as_names(antiexact, "antiexact")
    mah = as_names(mahvars, "mahvars")
    check_columns(data, [*anti, *mah])
    if (anti or mah) and spec.method != "nearest":
        raise OptionError(
            f"`antiexact` and `mahvars` apply to method='nearest', not {spec.method!r}",
            where=WHERE,
            fix="use method='nearest' or drop the option",
        )
    if mah and spec.distance in COVARIATE_DISTANCES:
        raise OptionError(
            "`mahvars` needs a propensity score distance (it sets order and caliper)",
            where=WHERE,
            fix="use distance='logit' with mahvars, or distance='mahalanobis' alone",
        )
    return replace(spec, antiexact=tuple(anti), mahvars=tuple(mah), reestimate=bool(reestimate))


def _reestimate(
    spec: MatchSpec,
    design: Design,
    d: npt.NDArray[np.bool_],
    discarded: npt.NDArray[np.bool_],
    fit: PropensityFit,
) -> PropensityFit:
    """The score refitted on the units kept after ``discard`` (discarded units keep theirs)."""
    keep = ~discarded
    new = _fit_score(spec, design.x[keep], d[keep], list(design.names))
    ps, logit = fit.ps.copy(), fit.logit.copy()
    ps[keep], logit[keep] = new.ps, new.logit
    return PropensityFit(ps, logit, f"{new.model} (re-estimated after discard)", new.coef)


def _one_order(m_order: Order | None, order: Order | None) -> Order:
    if m_order is not None and order is not None and m_order != order:
        raise OptionError(
            f"`m_order={m_order!r}` and `order={order!r}` disagree",
            where=WHERE,
            fix="give only m_order (order is its older name)",
        )
    return m_order or order or "largest"


def _validate_options(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str] | str,
    method: str,
    distance: object,
    estimand: str,
    ratio: int,
    replace: bool,
    caliper: float | Mapping[str, float] | None,
    std_caliper: bool,
    exact: str | Sequence[str],
    discard: str,
    order: str,
    cutpoints: Mapping[str, CutPoints] | None,
    n_subclasses: int,
    tols: float,
    seed: int | None,
) -> MatchSpec:
    if not isinstance(data, pd.DataFrame):
        raise OptionError(
            f"`data` must be a pandas DataFrame, got {type(data).__name__}",
            where=WHERE,
            fix="pass a pandas DataFrame",
        )
    _check_choice("method", method, _METHODS)
    _check_choice("estimand", estimand, _ESTIMANDS)
    _check_choice("discard", discard, _DISCARDS)
    _check_choice("m_order", order, _ORDERS)
    _check_distance(distance, method)
    if estimand not in _SUPPORTED_ESTIMANDS[method]:
        raise OptionError(
            f"method={method!r} supports estimand {_SUPPORTED_ESTIMANDS[method]}, not {estimand!r}",
            where=WHERE,
            fix="use method='full', 'subclass', 'cem', 'exact' or 'ipw' for the ATE",
        )
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise OptionError(
            f"`ratio` must be a positive integer, got {ratio!r}",
            where=WHERE,
            fix="use e.g. ratio=1 or ratio=3",
        )
    if replace and method != "nearest":
        raise OptionError(
            f"`replace=True` applies to method='nearest', not {method!r}",
            where=WHERE,
            fix="drop replace=True or use method='nearest'",
        )
    if isinstance(n_subclasses, bool) or not isinstance(n_subclasses, int) or n_subclasses < 1:
        raise OptionError(
            f"`subclass` must be a positive integer, got {n_subclasses!r}",
            where=WHERE,
            fix="use e.g. subclass=6",
        )
    tol = _positive(tols, "`tols`")
    dist_cal, cov_cals = _split_caliper(caliper, method)
    if is_formula(data, covariates):
        rhs = formula_rhs(str(covariates), treatment)
        formula: str | None = rhs
        cov = formula_variables(data, rhs)
    else:
        formula = None
        cov = as_names(covariates, "covariates")
    if not cov:
        raise OptionError("`covariates` is empty", where=WHERE, fix="name at least one covariate")
    ex = as_names(exact, "exact")
    check_columns(data, [treatment, *cov, *ex, *(c for c, _ in cov_cals)])
    if treatment in cov:
        raise OptionError(
            f"treatment {treatment!r} is also listed as a covariate",
            where=WHERE,
            fix="remove it from `covariates`",
        )
    _check_exact_columns(data, ex)
    cuts = _check_cutpoints(data, cutpoints, cov, method)
    return MatchSpec(
        treatment=treatment,
        covariates=tuple(cov),
        method=method,  # type: ignore[arg-type]
        distance="logit" if distance == "glm" else distance,  # type: ignore[arg-type]
        ratio=int(ratio),
        replace=bool(replace),
        caliper=dist_cal,
        exact=tuple(ex),
        order=order,  # type: ignore[arg-type]
        seed=seed,
        estimand=estimand,  # type: ignore[arg-type]
        std_caliper=bool(std_caliper),
        covariate_calipers=cov_cals,
        discard=discard,  # type: ignore[arg-type]
        cutpoints=cuts,
        n_subclasses=int(n_subclasses),
        formula=formula,
        tols=tol,
    )


def _check_choice(option: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        close = difflib.get_close_matches(str(value), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "choose an allowed value"
        raise OptionError(
            f"`{option}` must be one of {allowed}, got {value!r}", where=WHERE, fix=hint
        )


def _check_distance(distance: object, method: str) -> None:
    if isinstance(distance, str):
        _check_choice("distance", distance, _DISTANCES)
    elif not isinstance(distance, ProbabilisticClassifier):
        raise OptionError(
            f"`distance` object {type(distance).__name__} has no fit/predict_proba",
            where=WHERE,
            fix="pass a scikit-learn classifier such as GradientBoostingClassifier()",
        )
    if method in ("ipw", "subclass") and distance in COVARIATE_DISTANCES:
        raise OptionError(
            f"`method={method!r}` needs a propensity score, not Mahalanobis distance",
            where=WHERE,
            fix="use distance='logit' or a classifier",
        )


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise OptionError(
            f"{what} must be a positive number, got {value!r}",
            where=WHERE,
            fix="use e.g. caliper=0.2 (SD of the distance) or caliper={'age': 5}",
        )
    return float(value)


def _split_caliper(
    caliper: float | Mapping[str, float] | None, method: str
) -> tuple[float | None, tuple[tuple[str, float], ...]]:
    """The distance caliper and the covariate calipers (``"distance"`` key: the score)."""
    if caliper is None:
        return None, ()
    if method != "nearest":
        raise OptionError(
            f"`caliper` applies to method='nearest', not {method!r}",
            where=WHERE,
            fix="drop the caliper or use method='nearest' (MatchIt 4.5.1 has the same limit)",
        )
    if not isinstance(caliper, Mapping):
        return _positive(caliper, "`caliper`"), ()
    cal = {str(k): _positive(v, f"caliper for {k!r}") for k, v in caliper.items()}
    dist = cal.pop("distance", None)
    return dist, tuple(cal.items())


def _check_exact_columns(data: pd.DataFrame, exact: list[str]) -> None:
    """Refuse exact matching on float columns with non-integer values (continuous)."""
    for c in exact:
        s = data[c]
        if pd.api.types.is_float_dtype(s):
            values = s.dropna().to_numpy(dtype=np.float64)
            if values.size and not np.all(values == np.round(values)):
                raise OptionError(
                    f"exact matching on continuous column {c!r} ({np.unique(values).size} "
                    "distinct values) would leave almost every unit unmatched",
                    where=WHERE,
                    fix=f"coarsen {c!r} first (pd.cut) or use caliper={{{c!r}: 0.25}}",
                )


def _check_cutpoints(
    data: pd.DataFrame, cutpoints: Mapping[str, CutPoints] | None, cov: list[str], method: str
) -> tuple[tuple[str, CutPoints], ...]:
    if not cutpoints:
        return ()
    if method != "cem":
        raise OptionError("`cutpoints` applies to method='cem'", where=WHERE, fix="drop cutpoints")
    out: list[tuple[str, CutPoints]] = []
    for name, cut in cutpoints.items():
        if name not in cov or not pd.api.types.is_numeric_dtype(data[name]):
            raise OptionError(
                f"`cutpoints` names {name!r}, which is not a numeric covariate",
                where=WHERE,
                fix=f"give cut points for numeric covariates among {cov}",
            )
        ok = cut == "sturges" or (isinstance(cut, int) and cut >= 1)
        if not ok and not isinstance(cut, str | int):
            ok = len(cut) > 0 and all(isinstance(v, int | float) for v in cut)
        if not ok:
            raise OptionError(
                f"cut points for {name!r} must be 'sturges', a number of bins or a list of "
                f"cut points, got {cut!r}",
                where=WHERE,
                fix="use e.g. cutpoints={'age': [20, 30, 40]} or {'age': 5}",
            )
        out.append((name, cut if isinstance(cut, str | int) else tuple(float(v) for v in cut)))
    return tuple(out)


def _fit_score(
    spec: MatchSpec, x: npt.NDArray[np.float64], d: npt.NDArray[np.bool_], names: list[str]
) -> PropensityFit:
    if spec.method in NO_SCORE_METHODS:  # exact / CEM need no score (MatchIt: distance NULL)
        share = float(d.mean())
        logit = float(np.log(share / (1 - share)))
        return PropensityFit(np.full(d.size, share), np.full(d.size, logit), "none", None)
    if spec.distance == "probit":
        return fit_probit(x, d, names)
    if spec.distance == "lasso":
        return fit_lasso(x, d, seed=spec.seed)
    if spec.distance == "elasticnet":
        return fit_penalised(x, d, l1_ratio=ELASTICNET_L1_RATIO, name="elasticnet", seed=spec.seed)
    if spec.distance == "gam":
        return fit_gam(x, d, seed=spec.seed)
    if isinstance(spec.distance, str) and spec.distance in FLEXIBLE_MODELS:
        return fit_flexible(spec.distance, x, d, seed=spec.seed)
    if isinstance(spec.distance, str):
        return fit_logit(x, d, names)
    return fit_classifier(spec.distance, x, d, seed=spec.seed)


@dataclass(frozen=True)
class DesignOutput:
    """What a matching method returns: links, weights, subclasses and warnings."""

    pairs: Pairs
    weights: npt.NDArray[np.float64]
    subclass: npt.NDArray[np.int64]
    discarded: npt.NDArray[np.bool_]
    notes: tuple[str, ...]


def _empty_pairs() -> Pairs:
    empty = np.empty(0, dtype=np.int64)
    return Pairs(empty, empty, empty, np.empty(0))


def _discarded(
    spec: MatchSpec, fit: PropensityFit, d: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """MatchIt's ``discard``: units outside the other group's propensity score range."""
    out = np.zeros(d.size, dtype=bool)
    if spec.discard == "none":
        return out
    ps = fit.ps
    lo_t, hi_t = float(ps[d].min()), float(ps[d].max())
    lo_c, hi_c = float(ps[~d].min()), float(ps[~d].max())
    if spec.discard in ("control", "both"):
        out |= ~d & ((ps < lo_t) | (ps > hi_t))
    if spec.discard in ("treated", "both"):
        out |= d & ((ps < lo_c) | (ps > hi_c))
    return out


def _run_method(
    data: pd.DataFrame,
    spec: MatchSpec,
    design: Design,
    fit: PropensityFit,
    d: npt.NDArray[np.bool_],
    discarded: npt.NDArray[np.bool_],
) -> DesignOutput:
    n = d.size
    notes: tuple[str, ...] = ()
    if discarded.any():
        notes = (
            f"discard={spec.discard!r}: {int(np.sum(discarded & d))} treated and "
            f"{int(np.sum(discarded & ~d))} control units outside common support were dropped",
        )
    if spec.method == "ipw":
        w = _ipw_weights(fit.ps, d, spec.estimand)
        w[discarded] = 0.0
        return DesignOutput(_empty_pairs(), w, np.full(n, -1, dtype=np.int64), discarded, notes)
    if spec.method in ("exact", "cem", "subclass"):
        sub = _strata(data, spec, design, fit, d, discarded)
        return _from_subclasses(sub, d, spec, discarded, notes)
    if spec.method == "full":
        sub = _full_sets(data, spec, design, fit, d, discarded)
        return _from_subclasses(sub, d, spec, discarded, notes)
    if spec.method == "cardinality":
        sub, optimal = _cardinality(spec, design, d)
        if not optimal:
            notes = (
                *notes,
                "cardinality matching hit HiGHS's time limit: the control set meets the "
                "balance constraints but may not be the largest possible",
            )
        return _from_subclasses(sub, d, spec, discarded, notes)
    pairs, more = _pair_method(data, spec, design, fit, d, discarded)
    weights, subclass = matchit_weights(pairs, n)
    return DesignOutput(pairs, weights, subclass, discarded, (*notes, *more))


def _ipw_weights(
    ps: npt.NDArray[np.float64], d: npt.NDArray[np.bool_], estimand: str
) -> npt.NDArray[np.float64]:
    """Inverse probability weights: ATT odds, ATC inverse odds, ATE inverse probability."""
    if estimand == "ATT":
        return np.where(d, 1.0, ps / (1.0 - ps))
    if estimand == "ATC":
        return np.where(d, (1.0 - ps) / ps, 1.0)
    return np.where(d, 1.0 / ps, 1.0 / (1.0 - ps))


def _from_subclasses(
    sub: npt.NDArray[np.int64],
    d: npt.NDArray[np.bool_],
    spec: MatchSpec,
    discarded: npt.NDArray[np.bool_],
    notes: tuple[str, ...],
) -> DesignOutput:
    if not np.any(sub > 0):
        raise NoComparisonUnitsError(
            f"method={spec.method!r} matched no units: no stratum holds both groups",
            where=WHERE,
            fix="coarsen more (cutpoints), drop covariates, or use method='nearest'",
        )
    w = subclass_weights(sub, d, spec.estimand)
    focal = d if spec.estimand != "ATC" else ~d
    lost = int(np.sum(focal & (w == 0) & ~discarded))
    if lost:
        notes = (
            *notes,
            f"{lost} of {int(focal.sum())} focal units are in strata without the other group "
            f"and were dropped; the {spec.estimand} refers to the matched units only",
        )
    return DesignOutput(_empty_pairs(), w, sub, discarded, notes)


def _strata(
    data: pd.DataFrame,
    spec: MatchSpec,
    design: Design,
    fit: PropensityFit,
    d: npt.NDArray[np.bool_],
    discarded: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """Subclass per unit (-1: not matched) for exact, CEM and propensity subclasses."""
    keep = ~discarded
    out = np.full(d.size, -1, dtype=np.int64)
    if spec.method == "subclass":
        out[keep] = ps_subclasses(
            _match_score(spec, fit)[keep], d[keep], spec.n_subclasses, spec.estimand
        )
        return out
    cuts = dict(spec.cutpoints)
    cols: list[npt.NDArray[np.generic]] = []
    for c in (*spec.covariates, *spec.exact):
        s = data[c]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if spec.method == "cem" and numeric and c not in spec.exact:
            cut = cuts.get(c, "sturges")
            cols.append(
                coarsen(s.to_numpy(dtype=np.float64)[keep], None if cut == "sturges" else cut)
            )  # type: ignore[arg-type]
        else:
            cols.append(pd.factorize(s, sort=True)[0][keep].astype(np.int64))
    out[keep] = common_strata(strata_codes(cols), d[keep])
    return out


def _cardinality(
    spec: MatchSpec, design: Design, d: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], bool]:
    """All treated plus the largest balanced control set, as one subclass (1; -1 else)."""
    sd = np.array(
        [
            estimand_sd(col, d, binary=b, estimand="ATT")
            for col, b in zip(design.bx.T, design.bbinary, strict=True)
        ]
    )
    chosen, optimal = cardinality_controls(design.bx, d, spec.tols, sd)
    if not chosen.any():
        raise NoComparisonUnitsError(
            f"cardinality matching found no control set with |SMD| <= {spec.tols} on every term",
            where=WHERE,
            fix="raise `tols`, drop covariates, or use method='full'",
        )
    return np.where(d | chosen, 1, -1).astype(np.int64), optimal


def _full_sets(
    data: pd.DataFrame,
    spec: MatchSpec,
    design: Design,
    fit: PropensityFit,
    d: npt.NDArray[np.bool_],
    discarded: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """Optimal full matching within exact groups; matched-set numbers."""
    points = _points(data, spec, design, fit, d)
    group = _exact_groups(data, spec.exact) if spec.exact else np.zeros(d.size, dtype=np.int64)
    out = np.full(d.size, -1, dtype=np.int64)
    top = 0
    for g in np.unique(group).tolist():
        in_g = (group == g) & ~discarded
        t, c = np.flatnonzero(in_g & d), np.flatnonzero(in_g & ~d)
        if t.size == 0 or c.size == 0:
            continue
        sets = set_numbers(full_matching(points, t, c), d.size)
        inside = sets > 0
        out[inside] = sets[inside] + top
        top = int(out.max())
    return out


def _match_score(spec: MatchSpec, fit: PropensityFit) -> npt.NDArray[np.float64]:
    """The distance measure matched on (MatchIt's ``distance``): score or linear predictor."""
    return fit.logit if spec.distance == "linear.logit" else fit.ps


def _points(
    data: pd.DataFrame,
    spec: MatchSpec,
    design: Design,
    fit: PropensityFit,
    d: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Points whose (Euclidean) distances are the matching distances."""
    if spec.distance in COVARIATE_DISTANCES:
        return covariate_points(design.x, d, spec.distance, WHERE)  # type: ignore[arg-type]
    if spec.mahvars:
        check_no_missing(data, list(spec.mahvars), "mahvars")
        x = build_design(data, list(spec.mahvars), spec.treatment).x
        return covariate_points(x, d, "mahalanobis", WHERE)
    return _match_score(spec, fit)


def _pair_method(
    data: pd.DataFrame,
    spec: MatchSpec,
    design: Design,
    fit: PropensityFit,
    d: npt.NDArray[np.bool_],
    discarded: npt.NDArray[np.bool_],
) -> tuple[Pairs, tuple[str, ...]]:
    """Nearest-neighbour or optimal pairs; focal units are the controls for the ATC."""
    focal_all = d if spec.estimand == "ATT" else ~d
    keep = np.flatnonzero(~discarded)
    focal = focal_all[keep]
    points = _points(data, spec, design, fit, d)[keep]
    group = _exact_groups(data.iloc[keep], spec.exact) if spec.exact else None
    if spec.method == "optimal":
        pairs = _optimal(points, focal, spec.ratio, group)
    else:
        pairs = _nearest(spec, data.iloc[keep], fit, focal, points, group, keep)
    pairs = Pairs(keep[pairs.treated], keep[pairs.control], pairs.rank, pairs.distance)
    if pairs.treated.size == 0:
        reason = "the caliper" if spec.caliper or spec.covariate_calipers else "exact matching"
        raise NoComparisonUnitsError(
            f"no focal unit found a match ({reason} excluded all candidates)",
            where=WHERE,
            fix="widen the caliper or drop exact-matching columns",
        )
    return pairs, _shortfall_notes(spec, pairs, focal_all & ~discarded)


def _shortfall_notes(
    spec: MatchSpec, pairs: Pairs, focal: npt.NDArray[np.bool_]
) -> tuple[str, ...]:
    notes: list[str] = []
    who, other = ("treated", "control") if spec.estimand == "ATT" else ("control", "treated")
    n_focal = int(focal.sum())
    n_unmatched = n_focal - int(np.unique(pairs.treated).size)
    if n_unmatched:
        notes.append(
            f"{n_unmatched} of {n_focal} {who} units found no eligible {other} "
            f"(caliper={spec.caliper_option()}, exact={list(spec.exact)}); the "
            f"{spec.estimand} refers to the matched units only (see MatchResult.unmatched)"
        )
    counts = np.bincount(pairs.treated, minlength=focal.size)[focal]
    short = int(np.sum(counts < spec.ratio)) - n_unmatched
    if short > 0:
        notes.append(f"{short} {who} units received fewer than {spec.ratio} {other}s")
    return tuple(notes)


def _optimal(
    points: npt.NDArray[np.float64],
    focal: npt.NDArray[np.bool_],
    ratio: int,
    group: npt.NDArray[np.int64] | None,
) -> Pairs:
    grp = np.zeros(focal.size, dtype=np.int64) if group is None else group
    parts: list[Pairs] = []
    for g in np.unique(grp).tolist():
        f = np.flatnonzero((grp == g) & focal)
        pool = np.flatnonzero((grp == g) & ~focal)
        if f.size == 0:
            continue
        if pool.size < ratio * f.size:
            raise NoComparisonUnitsError(
                f"optimal matching needs {ratio * f.size} units of the other group for "
                f"{f.size} focal units (exact group {g}), found {pool.size}",
                where=WHERE,
                fix="lower `ratio`, drop exact columns, or use method='nearest' or 'full'",
            )
        a = optimal_pairs(points, f, pool, ratio)
        o = np.lexsort((a.control, a.distance, a.focal))
        ft = a.focal[o]
        rank = np.arange(ft.size) - np.searchsorted(ft, ft) + 1
        parts.append(Pairs(ft, a.control[o], rank.astype(np.int64), a.distance[o]))
    return Pairs(
        *(
            np.concatenate([getattr(p, k) for p in parts])
            for k in ("treated", "control", "rank", "distance")
        )
    )


def _nearest(
    spec: MatchSpec,
    data: pd.DataFrame,
    fit: PropensityFit,
    focal: npt.NDArray[np.bool_],
    points: npt.NDArray[np.float64],
    group: npt.NDArray[np.int64] | None,
    keep: npt.NDArray[np.int64],
) -> Pairs:
    score = _match_score(spec, fit)[keep]
    order_pos = _order(spec, fit.ps[keep], focal)
    cal_width = None
    if spec.caliper is not None:
        sd = float(
            np.std(
                fit.ps if spec.distance in COVARIATE_DISTANCES else _match_score(spec, fit), ddof=1
            )
        )
        cal_width = spec.caliper * sd if spec.std_caliper else spec.caliper
    cal_score = fit.ps[keep] if spec.distance in COVARIATE_DISTANCES else score
    closest = spec.order == "closest"
    generic = spec.covariate_calipers or spec.antiexact or spec.mahvars
    if spec.distance not in COVARIATE_DISTANCES and not generic:
        return nearest_1d(
            points, focal, order=order_pos, ratio=spec.ratio, replace=spec.replace,
            group=group, cal_score=cal_score, caliper=cal_width, closest=closest,
        )  # fmt: skip
    cols, widths = [], []
    if cal_width is not None:
        cols.append(cal_score)
        widths.append(cal_width)
    for name, width in spec.covariate_calipers:
        col = data[name].to_numpy(dtype=np.float64)
        full_sd = float(np.std(col, ddof=1)) if spec.std_caliper else 1.0
        cols.append(col)
        widths.append(width * full_sd)
    return nearest_mahalanobis(
        points, focal, order=order_pos, ratio=spec.ratio, replace=spec.replace, group=group,
        cal_score=np.column_stack(cols) if cols else None,
        caliper=np.asarray(widths) if widths else None, closest=closest,
        anti=_exact_groups(data, spec.antiexact) if spec.antiexact else None,
    )  # fmt: skip


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


def _order(
    spec: MatchSpec, ps: npt.NDArray[np.float64], focal: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    units = np.flatnonzero(focal).astype(np.int64)
    if spec.order in ("data", "closest"):
        return units
    if spec.order == "random":
        rng = np.random.default_rng(spec.seed)
        return units[rng.permutation(units.size)]
    key = -ps[units] if spec.order == "largest" else ps[units]
    return units[np.argsort(key, kind="stable")]


def _exact_groups(data: pd.DataFrame, exact: tuple[str, ...]) -> npt.NDArray[np.int64]:
    codes = data.groupby(list(exact), sort=True, dropna=False).ngroup()
    return codes.to_numpy().astype(np.int64)


def balance_table(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str] | str,
    weights: Sequence[float] | npt.NDArray[np.float64] | pd.Series,
    distance: Sequence[float] | npt.NDArray[np.float64] | pd.Series | None = None,
    estimand: Estimand = "ATT",
) -> pd.DataFrame:
    """Balance table for any weights (e.g. another package's matching weights).

    The same table as :meth:`MatchResult.balance` (MatchIt's ``summary()`` definitions):
    every factor level, formula terms, and a first ``distance`` row when ``distance`` is
    given. ``weights`` has one value per row of ``data`` (0 = not in the matched sample).
    """
    _check_choice("estimand", estimand, _ESTIMANDS)
    d = treatment_vector(data, treatment)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(data),) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise OptionError(
            f"`weights` must be {len(data)} finite non-negative numbers (one per row)",
            where="balance_table()",
            fix="pass MatchIt's m.out$weights in the data's row order",
        )
    if is_formula(data, covariates):
        check_no_missing(data, formula_variables(data, formula_rhs(str(covariates), treatment)),
                         "covariate")  # fmt: skip
    else:
        check_columns(data, as_names(covariates, "covariates"))
        check_no_missing(data, as_names(covariates, "covariates"), "covariate")
    design = build_design(data, covariates, treatment)
    cols = list(zip(design.bnames, design.bbinary, design.bx.T, strict=True))
    if distance is not None:
        cols.insert(0, ("distance", False, np.asarray(distance, dtype=np.float64)))
    return balance_frame(cols, d, w, estimand=estimand)
