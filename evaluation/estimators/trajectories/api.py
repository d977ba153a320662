"""Public entry point :func:`trajectories`: validate once, shape the data, fit each K."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from evaluation.contract import interval_alpha
from evaluation.errors import EstimationError, InputDataError, MissingColumnError, OptionError
from evaluation.estimators.trajectories.kernels import Family, TrajectoryData, fit_mixture
from evaluation.estimators.trajectories.results import TrajectoryModel, TrajectoryResult

Degree = Literal[1, 2, 3]

_WHERE = "trajectories"


@dataclass(frozen=True)
class TimeScale:
    """The scaled time of the polynomial: ``s = (t - centre) / scale`` (``s`` in [-1, 1])."""

    centre: float
    scale: float


@dataclass(frozen=True)
class Prepared:
    """Validated inputs as arrays: persons x times, with the ids and time points."""

    data: TrajectoryData
    person_ids: pd.Index
    times: np.ndarray[Any, np.dtype[np.float64]]
    time_scale: TimeScale


def _as_frame(panel: Any, columns: list[str]) -> pd.DataFrame:
    """Fetch only ``columns`` of a pandas frame or a DuckDB-backed panel."""
    if isinstance(panel, pd.DataFrame):
        available = list(panel.columns)
        frame = panel
    elif hasattr(panel, "to_pandas") and hasattr(panel, "columns"):
        available = list(panel.columns)
        frame = None
    else:
        raise InputDataError(
            f"panel is a {type(panel).__name__}",
            where=f"{_WHERE}(panel=...)",
            fix="pass a pandas DataFrame or a PersonMonthPanel / PersonYearPanel",
        )
    missing = [c for c in columns if c not in available]
    if missing:
        raise MissingColumnError(missing, where=f"{_WHERE}(panel=...)", available=available)
    if frame is None:
        fetched: pd.DataFrame = panel.to_pandas(columns=columns)
        return fetched
    return frame[columns]


def _check_options(
    groups: tuple[int, ...], degree: int, family: str, trials: int, starts: int, tol: float
) -> None:
    if family not in get_args(Family):
        raise OptionError(
            f"unknown family {family!r}",
            where=f"{_WHERE}(family=...)",
            fix=f"use one of {', '.join(get_args(Family))}",
        )
    if degree not in get_args(Degree):
        raise OptionError(
            f"degree {degree!r} is not supported",
            where=f"{_WHERE}(degree=...)",
            fix="use 1 (linear), 2 (quadratic) or 3 (cubic) trajectories",
        )
    if not groups or any(not isinstance(g, int | np.integer) or g < 1 for g in groups):
        raise OptionError(
            f"groups {list(groups)} must be positive integers",
            where=f"{_WHERE}(groups=...)",
            fix="give the numbers of groups to compare, e.g. range(1, 8)",
        )
    if not isinstance(trials, int | np.integer) or trials < 1:
        raise OptionError(
            f"trials {trials!r} must be a positive integer",
            where=f"{_WHERE}(trials=...)",
            fix="use 1 for a 0/1 outcome or e.g. 12 for months received in a year",
        )
    if not isinstance(starts, int | np.integer) or starts < 1:
        raise OptionError(
            f"starts {starts!r} must be a positive integer",
            where=f"{_WHERE}(starts=...)",
            fix="use e.g. 10 seeded starts",
        )
    if not 0.0 < tol < 1e-3:
        raise OptionError(
            f"tol {tol} is outside (0, 1e-3)",
            where=f"{_WHERE}(tol=...)",
            fix="use a small relative tolerance such as 1e-10",
        )


def _check_outcome(values: np.ndarray[Any, Any], outcome: str, family: str, trials: int) -> None:
    observed = values[~np.isnan(values)]
    bad = observed[(observed < 0) | (observed != np.round(observed))]
    upper = trials if family == "binomial" else np.inf
    bad = np.concatenate([bad, observed[observed > upper]])
    if bad.size:
        allowed = f"whole numbers 0..{trials}" if family == "binomial" else "whole numbers >= 0"
        raise InputDataError(
            f"{bad.size} value(s) such as {bad[0]!r} are not {allowed}",
            where=f"{_WHERE}(panel=...), column {outcome!r}",
            fix=f"the {family} family models counts; recode the outcome or change family/trials",
        )


def prepare(
    panel: Any, outcome: str, *, time: str, person: str, degree: int, family: str, trials: int
) -> Prepared:
    """Validate the long panel and reshape it to ``persons x times`` arrays.

    Missing outcome values (NaN) and absent person-time rows are missing cells.
    """
    frame = _as_frame(panel, [person, time, outcome])
    where = f"{_WHERE}(panel=...)"
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    non_numeric = frame[outcome].notna().to_numpy() & np.isnan(y)
    if non_numeric.any():
        raise InputDataError(
            f"column {outcome!r} has {int(non_numeric.sum())} non-numeric value(s)",
            where=where,
            fix="the outcome must be a count (or 0/1); recode it",
        )
    _check_outcome(y, outcome, family, trials)
    t = pd.to_numeric(frame[time], errors="coerce").to_numpy(dtype=float)
    if np.isnan(t).any():
        raise InputDataError(
            f"column {time!r} has missing or non-numeric values",
            where=where,
            fix="use a numeric time column such as 'month_index' or 'months_since_entry'",
        )
    pid_codes, pids = pd.factorize(frame[person], sort=True)
    if (pid_codes < 0).any():
        raise InputDataError(
            f"column {person!r} has missing person ids", where=where, fix="drop those rows"
        )
    t_codes, times = pd.factorize(t, sort=True)
    times_arr = np.asarray(times, dtype=float)
    if times_arr.size < degree + 1:
        raise InputDataError(
            f"{times_arr.size} distinct time point(s) for a degree-{degree} polynomial",
            where=where,
            fix=f"give at least {degree + 1} time points or lower the degree",
        )
    n, n_t = len(pids), times_arr.size
    flat = pid_codes.astype(np.int64) * n_t + t_codes
    if np.bincount(flat, minlength=n * n_t).max(initial=0) > 1:
        raise InputDataError(
            f"several rows for the same {person!r} and {time!r}",
            where=where,
            fix="keep one row per person and time point",
        )
    ok = ~np.isnan(y)
    ymat = np.zeros(n * n_t)
    mask = np.zeros(n * n_t)
    ymat[flat[ok]] = y[ok]
    mask[flat[ok]] = 1.0
    centre = float((times_arr.max() + times_arr.min()) / 2)
    scale = float((times_arr.max() - times_arr.min()) / 2)
    s = (times_arr - centre) / scale
    basis = np.vander(s, degree + 1, increasing=True)
    data = TrajectoryData(
        y=ymat.reshape(n, n_t), mask=mask.reshape(n, n_t), basis=basis, trials=int(trials)
    )
    return Prepared(
        data=data,
        person_ids=pd.Index(pids, name=person),
        times=times_arr,
        time_scale=TimeScale(centre=centre, scale=scale),
    )


def trajectories(
    panel: Any,
    outcome: str,
    *,
    groups: Iterable[int] = range(1, 8),
    degree: Degree = 2,
    family: Family = "poisson",
    time: str = "month_index",
    person: str = "person_id",
    trials: int = 1,
    starts: int = 10,
    seed: int = 0,
    tol: float = 1e-10,
    max_iter: int = 5000,
    alpha: float = 0.05,
    level: float | None = None,
    on_fit: Callable[[TrajectoryModel], None] | None = None,
) -> TrajectoryResult:
    """Group-based trajectory models: finite mixtures of polynomial trajectories (Nagin).

    Fits a mixture for every number of groups in ``groups`` by EM and picks the one with
    the smallest BIC; the report grouped social-assistance month trajectories this way
    (five groups chosen by BIC; seed ``001_…`` l.5697-5706).

    Parameters
    ----------
    panel:
        Long data, one row per person and time point: a pandas DataFrame or a
        :class:`~evaluation.registers.PersonMonthPanel` / ``PersonYearPanel`` (only the
        three needed columns are fetched). Missing outcomes are missing cells.
    outcome:
        Count (``poisson``, ``zip``) or successes out of ``trials`` (``binomial``; a 0/1
        column such as ``on_main_benefit`` with ``trials=1``, or months received in a year
        with ``trials=12``).
    groups:
        Numbers of groups to fit and compare (default 1-7).
    degree:
        Polynomial degree of every group's trajectory in (scaled) time: 1, 2 or 3.
    family:
        ``"poisson"`` (log link), ``"binomial"`` (logit link) or ``"zip"`` (zero-inflated
        Poisson with one zero-inflation probability per group).
    time, person:
        Time and person id columns (``month_index``, ``person_id`` of the panel).
    trials:
        Trials per cell of the binomial family.
    starts:
        Seeded starts per number of groups: each runs a short EM (relative change 1e-6 or
        100 iterations, on a random subsample of 20,000 persons in larger data) from a
        k-means++ partition of the persons' trajectories; the best is refined on all
        persons to ``tol``.
    seed:
        Seed of the starts (results are reproducible; nothing global is seeded).
    tol, max_iter:
        EM stops when the relative change of the log-likelihood is below ``tol``.
    alpha:
        Significance level: the trajectory bands and coefficient intervals cover ``1 - alpha``.
    level:
        Deprecated: the coverage; use ``alpha``.
    on_fit:
        Called with each fitted model as soon as it is fitted, in the order of ``groups``
        (e.g. to advance a progress bar); it does not change the fits.

    Returns
    -------
    TrajectoryResult
        All fitted models, the BIC choice, its trajectories with bands, group diagnostics
        (sizes, AvePP, OCC) and posterior memberships.

    Raises
    ------
    evaluation.errors.OptionError
        For an unknown family, degree or invalid ``groups``, ``trials``, ``starts``, ``tol``.
    evaluation.errors.InputDataError
        For missing columns, non-count outcomes, duplicate person-time rows.
    evaluation.errors.EstimationError
        When no start keeps ``K`` non-empty groups or ``K`` exceeds the persons.
    """
    group_list = tuple(sorted({int(g) for g in groups})) if _all_int(groups) else tuple(groups)
    _check_options(group_list, degree, family, trials, starts, tol)
    coverage = 1.0 - interval_alpha(alpha, level, where=f"{_WHERE}()")
    prep = prepare(
        panel, outcome, time=time, person=person, degree=degree, family=family, trials=trials
    )
    rng = np.random.default_rng(seed)
    models = []
    for k in group_list:
        model = _fit_one(
            prep,
            k,
            family,
            starts=starts,
            rng=rng,
            tol=tol,
            max_iter=max_iter,
            outcome=outcome,
            level=coverage,
        )
        if on_fit is not None:
            on_fit(model)
        models.append(model)
    return TrajectoryResult(models=tuple(models), outcome=outcome, degree=degree, family=family)


def _all_int(groups: Iterable[int]) -> bool:
    return all(isinstance(g, int | np.integer) for g in groups)


def _fit_one(
    prep: Prepared,
    k: int,
    family: Family,
    *,
    starts: int,
    rng: np.random.Generator,
    tol: float,
    max_iter: int,
    outcome: str,
    level: float,
) -> TrajectoryModel:
    n = prep.data.y.shape[0]
    if k > n:
        raise EstimationError(
            f"{k} groups for {n} persons",
            where=f"{_WHERE}(groups=...)",
            fix="fit fewer groups than there are persons",
        )
    try:
        fit = fit_mixture(prep.data, k, family, starts=starts, rng=rng, tol=tol, max_iter=max_iter)
    except ValueError as exc:
        raise EstimationError(
            f"{k}-group model: {exc}",
            where=f"{_WHERE}(groups=...)",
            fix="drop this number of groups, add starts or use a lower degree",
        ) from exc
    return TrajectoryModel(
        fit=fit,
        person_ids=prep.person_ids,
        times=prep.times,
        basis=prep.data.basis,
        time_centre=prep.time_scale.centre,
        time_scale=prep.time_scale.scale,
        observed=_observed_means(prep.data, fit.posterior),
        outcome=outcome,
        level=level,
    )


def _observed_means(data: TrajectoryData, posterior: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Posterior-weighted observed mean outcome per group and time, ``(K, T)``."""
    ysum = ((data.y * data.mask).T @ posterior).T
    nsum = (data.mask.T @ posterior).T
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray[Any, Any] = ysum / nsum
    return out
