"""The public entry point :func:`att_gt` (Callaway & Sant'Anna 2021 group-time effects)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from evaluation.errors import EstimatorNote
from evaluation.estimators.did.cells import BasePeriod, CellPlan, ControlGroup, plan_cells
from evaluation.estimators.did.errors import (
    NoComparisonUnitsError,
    NoValidCellsError,
    OptionError,
    OverlapError,
)
from evaluation.estimators.did.kernels import (
    Chunk,
    KernelResult,
    Method,
    MomentAccumulator,
    Multiplier,
    dense_cells,
    dense_influence,
    dense_kernel,
    iter_chunks,
    moment_kernel,
    unbalanced_influence,
)
from evaluation.estimators.did.panel import MissingOutcome, WidePanel, build_wide_panel
from evaluation.estimators.did.rc import rc_cells
from evaluation.estimators.did.results import AttGtResult, linear_se
from evaluation.estimators.did.wild import WILD_WEIGHTS, BootstrapSpec, FewClusterData

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CohortMap:
    """How raw cohort values become cohort codes, and which periods are used."""

    cohorts: FloatArray  # treated cohorts kept, sorted
    periods: IntArray  # periods kept
    never_values: tuple[float, ...]  # raw values coded as never treated
    dropped_values: tuple[float, ...]  # raw values of units dropped by design
    notes: tuple[str, ...]

    def codes(self, raw: FloatArray) -> IntArray:
        """Code per unit: index of its cohort, ``G`` for never treated, ``-1`` if dropped."""
        n_g = len(self.cohorts)
        pos = np.searchsorted(self.cohorts, raw)
        pos_c = np.minimum(pos, max(n_g - 1, 0))
        hit = (pos < n_g) & (self.cohorts[pos_c] == raw) if n_g else np.zeros(len(raw), bool)
        out = np.where(hit, pos, -1).astype(np.int64)
        out[np.isin(raw, self.never_values)] = n_g
        return out


def map_cohorts(
    values: FloatArray,
    periods: IntArray,
    *,
    control_group: ControlGroup,
    anticipation: int,
) -> CohortMap:
    """Apply R ``did``'s rules to the distinct cohort values (``inf`` = never treated).

    Cohorts after the last period count as never treated; units treated by the first period
    (plus anticipation) are dropped (reported in the notes, never silently); with
    ``notyettreated`` and no never-treated units, the last cohort becomes the comparison
    cohort and periods from its (anticipated) treatment on are not used.
    """
    values = np.unique(values)
    notes: list[str] = []
    late = values[np.isfinite(values) & (values > periods.max())]
    never = [*values[~np.isfinite(values)].tolist(), *late.tolist()]
    if len(late):
        notes.append(
            f"cohorts {', '.join(f'{g:g}' for g in late)} start after the last "
            "period and are treated as never treated"
        )
    early = values[np.isfinite(values) & (values <= periods.min() + anticipation)]
    if len(early):
        notes.append(
            f"units of cohorts {', '.join(f'{g:g}' for g in early)} are treated by the first "
            f"period {periods.min()} plus anticipation={anticipation} and are left out: they "
            "have no pre-treatment period"
        )
    treated = values[np.isfinite(values) & (values <= periods.max())]
    treated = treated[treated > periods.min() + anticipation]
    if not never:
        if control_group == "nevertreated":
            raise NoComparisonUnitsError(
                "there are no never-treated units to compare with",
                where="att_gt(control_group='nevertreated')",
                fix="use control_group='notyettreated' or add never-treated units (cohort 0)",
            )
        if len(treated) < 2:
            raise NoComparisonUnitsError(
                "no never-treated units and only one treated cohort: nothing to compare with",
                where="att_gt",
                fix="add never-treated units (cohort 0) or more cohorts",
            )
        last = float(treated.max())
        never = [last]
        treated = treated[treated < last]
        periods = periods[periods < last - anticipation]
        notes.append(
            f"no never-treated units: cohort {last:g} serves as the comparison group and "
            f"periods from {last - anticipation:g} on are not used"
        )
    if len(treated) == 0:
        raise _no_pre_period(values, periods, anticipation)
    return CohortMap(
        cohorts=treated.astype(np.float64),
        periods=periods,
        never_values=tuple(float(v) for v in never),
        dropped_values=tuple(float(v) for v in early),
        notes=tuple(notes),
    )


def _no_pre_period(values: FloatArray, periods: IntArray, anticipation: int) -> NoValidCellsError:
    """The error when no cohort has a period before its (anticipated) treatment."""
    cohorts = values[np.isfinite(values) & (values <= periods.max())]
    first = int(periods.min())
    if anticipation > 0 and len(cohorts) and cohorts.max() > first + 1:
        most = int(cohorts.max()) - first - 1
        return NoValidCellsError(
            f"with anticipation={anticipation} no treated cohort has a pre-treatment period: "
            f"a cohort first treated in g needs a period before g - {anticipation}, and the "
            f"data start in {first}",
            where="att_gt(anticipation=...)",
            fix=f"lower anticipation (at most {most} for these data) or add earlier periods",
        )
    return NoValidCellsError(
        "no treated cohort has a pre-treatment period inside the data",
        where="att_gt",
        fix="check the cohort column (first treated period) against the time column",
    )


def _bootstrap_spec(bootstrap: object, multiplier: str) -> BootstrapSpec | None:
    """The bootstrap asked for: ``None``, a number of multiplier draws, or a spec."""
    if bootstrap is None:
        return None
    if isinstance(bootstrap, BootstrapSpec):
        spec = bootstrap
        ok = {"multiplier": ("rademacher", "mammen", "gaussian"), "wild_cluster": WILD_WEIGHTS}
        if spec.kind not in ok:
            raise OptionError(
                f"BootstrapSpec(kind={spec.kind!r}) is not allowed",
                where="att_gt(bootstrap=...)",
                fix="use kind='multiplier' or kind='wild_cluster'",
            )
        if spec.weights not in ok[spec.kind]:
            raise OptionError(
                f"weights={spec.weights!r} are not available for kind={spec.kind!r}",
                where="att_gt(bootstrap=BootstrapSpec(...))",
                fix=f"use one of {', '.join(repr(w) for w in ok[spec.kind])}",
            )
        _check_draws(spec.reps, "BootstrapSpec(reps=...)")
        return spec
    _check_draws(bootstrap, "bootstrap")
    reps = int(bootstrap)  # type: ignore[call-overload]
    return BootstrapSpec("multiplier", multiplier, reps, None)  # type: ignore[arg-type]


def _check_draws(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise OptionError(
            f"{name}={value!r} is not a number of draws",
            where="att_gt",
            fix="pass bootstrap=None for analytic standard errors or e.g. bootstrap=999",
        )


def _check_options(
    control_group: str,
    method: str,
    base_period: str,
    anticipation: int,
    alpha: float,
    multiplier: str,
    missing_outcome: str = "drop",
) -> None:
    allowed: dict[str, tuple[str, Sequence[str]]] = {
        "control_group": (control_group, ("nevertreated", "notyettreated")),
        "method": (method, ("dr", "ipw", "reg")),
        "base_period": (base_period, ("varying", "universal")),
        "multiplier": (multiplier, ("rademacher", "mammen", "gaussian")),
        "missing_outcome": (missing_outcome, ("drop", "balance", "error")),
    }
    for name, (value, ok) in allowed.items():
        if value not in ok:
            raise OptionError(
                f"{name}={value!r} is not allowed",
                where="att_gt",
                fix=f"use one of {', '.join(repr(v) for v in ok)}",
            )
    if (
        isinstance(anticipation, bool)
        or not isinstance(anticipation, int | np.integer)
        or (anticipation < 0)
    ):
        raise OptionError(
            f"anticipation={anticipation!r} is not a non-negative whole number",
            where="att_gt",
            fix="give the number of periods of anticipation, e.g. 0 or 1",
        )
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} is outside (0, 1)", where="att_gt", fix="e.g. 0.05")


def att_gt(
    data: pd.DataFrame | Any,
    *,
    outcome: str,
    time: str,
    unit: str | None = None,
    cohort: str,
    covariates: Sequence[str] = (),
    control_group: ControlGroup = "nevertreated",
    method: Method = "dr",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    weights: str | None = None,
    cluster: str | None = None,
    bootstrap: int | BootstrapSpec | None = None,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    multiplier: Multiplier = "rademacher",
    treatment: str | None = None,
    allow_unbalanced_panel: bool = False,
    chunk_size: int = 1_000_000,
    min_cohort_size: int = 5,
    missing_outcome: MissingOutcome = "drop",
    panel: bool = True,
) -> AttGtResult:
    """Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    data:
        A long balanced panel, one row per unit and period: a pandas DataFrame (polars and
        pyarrow frames are converted), or a DuckDB relation such as ``con.table("panel")``,
        for panels too large for pandas: DuckDB then validates and summarises the panel and
        streams (unit, period, outcome) triples in Arrow batches into a wide float matrix.
    outcome, time, unit, cohort:
        Column names (``unit`` is not needed with ``panel=False``). ``time`` must hold
        whole-number periods; ``cohort`` the first treated period, 0 or missing for
        never-treated units, constant within a unit.
    covariates:
        Pre-treatment covariates (values at the earlier of the two periods of a cell are used;
        time-invariant covariates are recommended). Without covariates all methods coincide.
    control_group:
        ``"nevertreated"`` or ``"notyettreated"`` comparison units.
    method:
        ``"dr"`` doubly robust, ``"ipw"`` inverse probability weighting, ``"reg"`` outcome
        regression (Sant'Anna & Zhao 2020 panel estimators).
    base_period:
        ``"varying"`` (short pre-period differences) or ``"universal"`` (all cells against
        period ``g - 1 - anticipation``).
    anticipation:
        Number of periods before ``g`` in which units may already react.
    weights:
        Column of sampling weights, constant within a unit.
    cluster:
        Column to cluster standard errors by (e.g. municipality), constant within a unit.
        Units are always clustered on themselves.
    bootstrap:
        ``None`` for analytic influence-function standard errors, or the number of
        multiplier-bootstrap draws; then intervals in ``tidy()`` are simultaneous bands.
        A :class:`BootstrapSpec` chooses the kind: ``BootstrapSpec(kind="wild_cluster",
        weights="webb", reps=999, seed=1)`` adds restricted wild cluster bootstrap-t
        p-values and intervals to every aggregation, for few clusters (no covariates,
        balanced panel; the analytic standard errors stay).
    seed:
        Seed or ``numpy.random.Generator`` for the bootstrap (and for the simulated uniform
        critical values of aggregations without a bootstrap; 0 if not given).
    alpha:
        Significance level of the intervals.
    multiplier:
        Bootstrap multiplier distribution: ``"rademacher"``, ``"mammen"`` or ``"gaussian"``.
    treatment:
        Optional 0/1 treatment-status column; if given it is checked to be absorbing and to
        agree with ``cohort``.
    allow_unbalanced_panel:
        Accept units missing in some periods (pandas input, no covariates). Each cell then
        compares weighted means of the units observed in its two periods, with influence
        functions summed within units (R ``did``'s ``allow_unbalanced_panel``); on a
        balanced panel the result equals the panel estimator. Units are never dropped.
    chunk_size:
        Units per chunk of the moment accumulation (and per Arrow batch from DuckDB).
    missing_outcome:
        Rows with a missing outcome: ``"drop"`` (the default) drops them with a note and
        uses the unbalanced-panel estimator (R ``did`` with ``allow_unbalanced_panel=TRUE``;
        with covariates, which that estimator does not take, the units are dropped as with
        ``"balance"``); ``"balance"`` drops the units with any missing outcome (R ``did``'s
        default, which balances the panel); ``"error"`` refuses them.
    panel:
        ``False`` for repeated cross-sections (client surveys, the self-assessment
        instrument): every row is its own unit observed once, and each cell uses the rows
        of its two periods with the repeated cross-section estimators of Sant'Anna & Zhao
        (2020) (``reg``, ``ipw``, locally efficient ``dr``), as R ``did`` with
        ``panel=FALSE``: equal to csdid to 1e-8 on mpdta (dr standard errors: to DRDID's
        ``drdid_rc`` as ported by moderndid). ``unit`` is then not used.
    min_cohort_size:
        Cohorts with fewer units than this are named in one :class:`EstimatorNote`
        (R ``did`` warns of "small groups"): their effects rest on very few units.

    Returns
    -------
    AttGtResult
        With ``.tidy()``, ``.summary()``, ``.plot()``, ``.aggregate(kind)`` and
        ``.pretrend_test()``.
    """
    _check_options(
        control_group, method, base_period, anticipation, alpha, multiplier, missing_outcome
    )
    _check_count(min_cohort_size, "min_cohort_size", "e.g. min_cohort_size=5")
    spec = _bootstrap_spec(bootstrap, multiplier)
    wild = spec if spec is not None and spec.kind == "wild_cluster" else None
    draws = spec.reps if spec is not None and wild is None else None
    if spec is not None and wild is None:
        multiplier = spec.weights  # type: ignore[assignment]
    if spec is not None and spec.seed is not None and seed is None:
        seed = spec.seed
    if isinstance(seed, np.random.Generator):
        rng = seed
        seed_int: int | None = int(rng.integers(0, 2**31 - 1))
    else:
        rng = np.random.default_rng(seed)
        seed_int = seed
    covs = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    is_frame = isinstance(data, pd.DataFrame) or hasattr(data, "query")
    if not is_frame and hasattr(data, "to_pandas"):  # e.g. a polars or pyarrow frame
        other: Any = data
        data = other.to_pandas()
    opts: dict[str, Any] = {
        "control_group": control_group,
        "method": method if covs else "none (no covariates: all methods coincide)",
        "base_period": base_period,
        "anticipation": anticipation,
        "covariates": covs,
        "cluster": cluster,
        "weights": weights,
        "bootstrap": draws
        if wild is None
        else f"wild cluster bootstrap-t ({wild.reps} draws, {wild.weights} weights)",
        "multiplier": multiplier,
        "allow_unbalanced_panel": allow_unbalanced_panel,
        "missing_outcome": missing_outcome,
    }
    few: FewClusterData | None = None
    if not panel:
        data, unit = _cross_sections(data, covs, treatment)
        opts["panel"] = False
    if unit is None:
        raise OptionError(
            "unit is not given",
            where="att_gt(unit=...)",
            fix="name the unit id column, or pass panel=False for repeated cross-sections",
        )
    if isinstance(data, pd.DataFrame):
        kres, plan, cmap, few = _from_pandas(
            data,
            outcome,
            time,
            unit,
            cohort,
            covs,
            control_group,
            method,
            base_period,
            anticipation,
            weights,
            cluster,
            treatment,
            draws,
            rng,
            multiplier,
            allow_unbalanced_panel or not panel,
            missing_outcome,
            panel,
        )
    else:
        from evaluation.estimators.did.duck import from_duckdb

        if covs or treatment is not None:
            raise OptionError(
                "covariates and treatment checks are only supported for pandas input",
                where="att_gt(data=<DuckDB relation>)",
                fix="pass a pandas DataFrame (e.g. relation.df()) or drop covariates",
            )
        kres, plan, cmap = from_duckdb(
            data,
            outcome=outcome,
            time=time,
            unit=unit,
            cohort=cohort,
            weights=weights,
            cluster=cluster,
            control_group=control_group,
            base_period=base_period,
            anticipation=anticipation,
            bootstrap=draws,
            rng=rng,
            multiplier=multiplier,
            chunk_size=chunk_size,
            map_cohorts=map_cohorts,
            plan=_plan,
        )
    small = small_cohorts_note(plan, kres.n_treated, min_cohort_size)
    if small:
        cmap = dataclasses.replace(cmap, notes=(*cmap.notes, small))
    if wild is not None and few is None:
        raise OptionError(
            "the wild cluster bootstrap needs pandas input without covariates and a balanced "
            "panel (no missing outcomes)",
            where="att_gt(bootstrap=BootstrapSpec(kind='wild_cluster'))",
            fix="drop the covariates, balance the panel (missing_outcome='balance'), pass a "
            "pandas frame, or use randomization_inference()",
        )
    if few is not None:
        few = dataclasses.replace(few, spec=wild, seed=seed_int)
    for note in cmap.notes:
        warnings.warn(note, EstimatorNote, stacklevel=2)
    return att_gt_result(kres, plan, cmap, alpha, seed_int, opts, draws, cluster, few)


#: The row-number column that makes every row of repeated cross-sections its own unit.
_ROW_UNIT = "__att_gt_row__"


def _cross_sections(
    data: pd.DataFrame | Any, covs: tuple[str, ...], treatment: str | None
) -> tuple[pd.DataFrame, str]:
    """Repeated cross-sections as a panel in which every row is a unit seen once."""
    if not isinstance(data, pd.DataFrame) or treatment is not None:
        raise OptionError(
            "panel=False (repeated cross-sections) is supported for pandas input without "
            "a treatment column",
            where="att_gt(panel=False)",
            fix="pass a pandas DataFrame and drop treatment=",
        )
    return data.assign(**{_ROW_UNIT: np.arange(len(data))}), _ROW_UNIT


def _check_count(value: object, name: str, example: str) -> None:
    """Raise :class:`OptionError` unless ``value`` is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(
            f"{name}={value!r} is not a positive whole number", where="att_gt", fix=example
        )


def small_cohorts_note(plan: CellPlan, n_treated: IntArray, min_size: int) -> str:
    """One note naming the cohorts with fewer than ``min_size`` units ('' if none)."""
    small = []
    for gi, g in enumerate(plan.cohorts):
        cells = np.nonzero(plan.group == gi)[0]
        size = int(n_treated[cells[0]]) if len(cells) else 0
        if size < min_size:
            small.append(f"{g:g} ({size} unit{'s' if size != 1 else ''})")
    if not small:
        return ""
    return (
        f"small cohorts: {', '.join(small)} have fewer than {min_size} units; their effects "
        "and pre-period swings rest on very few units, so read them with care (the cohort "
        "sizes are in tidy()['n_treated'] and summary())"
    )


def _failed_cells(plan: CellPlan, reason: tuple[str, ...]) -> str:
    """Note on the cells left NA ('' if none); raise if no cell could be estimated."""
    failed = [k for k, r in enumerate(reason) if r]
    if not failed:
        return ""
    cells = [
        f"cohort {plan.cohorts[plan.group[k]]:g}, period {plan.periods[plan.t_idx[k]]}: {reason[k]}"
        for k in failed
    ]
    estimable = int((~plan.reference).sum())
    if len(failed) == estimable:
        separated = any(reason[k] == "separation" for k in failed)
        error = OverlapError if separated else NoValidCellsError
        raise error(
            "no group-time cell can be estimated with these covariates "
            f"({'; '.join(cells[:3])}{'; ...' if len(cells) > 3 else ''}); "
            "'separation' means the covariates separate treated and comparison units perfectly",
            where="att_gt covariates",
            fix="use fewer or coarser covariates (those that predict treatment perfectly), "
            "method='reg', or more comparison units (control_group='notyettreated')",
        )
    shown = "; ".join(cells[:10]) + (f"; and {len(cells) - 10} more" if len(cells) > 10 else "")
    return (
        f"{len(failed)} of {estimable} group-time cells could not be estimated and are NA "
        f"(aggregations leave them out): {shown}"
    )


def _plan(
    cmap: CohortMap,
    counts: FloatArray,
    control_group: ControlGroup,
    base_period: BasePeriod,
    anticipation: int,
) -> CellPlan:
    return plan_cells(
        cmap.periods,
        cmap.cohorts,
        counts,
        control_group=control_group,
        base_period=base_period,
        anticipation=anticipation,
    )


def _from_pandas(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    covs: tuple[str, ...],
    control_group: ControlGroup,
    method: Method,
    base_period: BasePeriod,
    anticipation: int,
    weights: str | None,
    cluster: str | None,
    treatment: str | None,
    bootstrap: int | None,
    rng: np.random.Generator,
    multiplier: Multiplier,
    allow_unbalanced: bool,
    missing_outcome: MissingOutcome,
    panel: bool = True,
) -> tuple[KernelResult, CellPlan, CohortMap, FewClusterData | None]:
    if allow_unbalanced and covs and panel:
        raise OptionError(
            "allow_unbalanced_panel=True is only supported without covariates",
            where="att_gt",
            fix="drop the covariates, or balance the panel and leave allow_unbalanced_panel off",
        )
    wide = build_wide_panel(
        data,
        outcome=outcome,
        time=time,
        unit=unit,
        cohort=cohort,
        covariates=covs,
        weights=weights,
        cluster=cluster,
        treatment=treatment,
        allow_unbalanced=allow_unbalanced,
        missing_outcome=missing_outcome,
    )
    mode: MissingOutcome = missing_outcome if panel or missing_outcome == "error" else "drop"
    wide, missing_note = _drop_missing(wide, mode, covs if panel else (), outcome)
    cmap = map_cohorts(
        wide.cohort, wide.periods, control_group=control_group, anticipation=anticipation
    )
    code_all = cmap.codes(wide.cohort)
    keep = code_all >= 0
    cols = np.searchsorted(wide.periods, cmap.periods)
    code = code_all[keep]
    y = wide.y[keep][:, cols]
    w = wide.weight[keep]
    cl = None
    if wide.cluster is not None:
        _, inv = np.unique(wide.cluster[keep], return_inverse=True)
        cl = inv.astype(np.int64)
    n_g = len(cmap.cohorts)
    counts = np.bincount(code, minlength=n_g + 1).astype(np.float64)
    plan = _plan(cmap, counts, control_group, base_period, anticipation)
    if missing_note:
        cmap = dataclasses.replace(cmap, notes=(*cmap.notes, missing_note))
    if covs and (not panel or not np.isnan(y).any()):
        x = wide.x[keep][:, cols, :]
        fit_cells = dense_cells if panel else rc_cells  # panel vs repeated cross-sections
        cells = fit_cells(y, x, code, w / w.mean(), plan, method)
        failed = _failed_cells(plan, cells.reason)
        if failed:
            cmap = dataclasses.replace(cmap, notes=(*cmap.notes, failed))
        kres = dense_kernel(
            cells.influence,
            cells.att,
            cells.share,
            code,
            plan,
            cl,
            bootstrap=bootstrap,
            rng=rng,
            multiplier=multiplier,
        )
        kres = dataclasses.replace(kres, reason=cells.reason)
    elif np.isnan(y).any():  # allowed unbalanced input or dropped outcome rows
        if panel and allow_unbalanced:  # else the missing-outcome note says it all
            missing = int(np.isnan(y).sum())
            note = (
                f"unbalanced panel: {missing} of {y.size} unit-periods missing; each cell uses "
                "the units observed in its period, influence functions summed within units"
            )
            cmap = dataclasses.replace(cmap, notes=(*cmap.notes, note))
        wn = w / w.mean()
        att, a, share = unbalanced_influence(y, code, wn, plan)
        kres = dense_kernel(
            a, att, share, code, plan, cl, bootstrap=bootstrap, rng=rng, multiplier=multiplier
        )
    else:
        acc = MomentAccumulator(
            len(cmap.periods), n_g + 1, None if cl is None else int(cl.max()) + 1
        )
        for chunk in iter_chunks(code, w, y, cl):
            acc.add(chunk)

        def again() -> Iterator[Chunk]:
            return iter_chunks(code, w, y, cl)

        kres = moment_kernel(
            acc, plan, bootstrap=bootstrap, rng=rng, multiplier=multiplier, second_pass=again
        )
        few = FewClusterData(y, code, w / w.mean(), cl, plan, None, None)
        return kres, plan, cmap, few
    return kres, plan, cmap, None


def _drop_missing(
    wide: WidePanel, mode: MissingOutcome, covs: tuple[str, ...], outcome: str
) -> tuple[WidePanel, str]:
    """Apply ``missing_outcome`` to a panel with missing outcomes; return it and a note.

    Units without any observed outcome are always dropped (R ``did`` drops their rows).
    """
    n_rows = wide.n_missing_outcome
    if n_rows == 0:
        return wide, ""
    seen = np.isfinite(wide.y)
    balance = mode == "balance" or bool(covs)
    keep: npt.NDArray[np.bool_] = np.asarray(seen.all(axis=1) if balance else seen.any(axis=1))
    n_drop = int((~keep).sum())
    what = f"{n_rows} row(s) with a missing outcome {outcome!r}"
    if balance:
        why = " (covariates: the unbalanced-panel estimator takes none)" if covs else ""
        note = (
            f"{what}: the {n_drop} unit(s) with a missing outcome are dropped, leaving a "
            f"balanced panel (R did's default){why}"
        )
    else:
        note = (
            f"{what} are dropped and the unbalanced-panel estimator is used (R did with "
            "allow_unbalanced_panel=TRUE)"
        )
        if n_drop:
            note += f"; {n_drop} unit(s) without any observed outcome are dropped"
    note += "; missing_outcome='error' refuses missing outcomes instead"
    return (wide.subset(keep) if n_drop else wide), note


def slow_path(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    control_group: ControlGroup = "nevertreated",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    weights: str | None = None,
    cluster: str | None = None,
) -> AttGtResult:
    """Reference implementation without covariates: per-cell regressions, dense influence.

    Used by the tests to check the moment (fast) path; not part of the public API.
    """
    wide = build_wide_panel(
        data, outcome=outcome, time=time, unit=unit, cohort=cohort, weights=weights, cluster=cluster
    )
    cmap = map_cohorts(
        wide.cohort, wide.periods, control_group=control_group, anticipation=anticipation
    )
    code_all = cmap.codes(wide.cohort)
    keep = code_all >= 0
    cols = np.searchsorted(wide.periods, cmap.periods)
    code = code_all[keep]
    y = wide.y[keep][:, cols]
    w = wide.weight[keep]
    cl = None
    if wide.cluster is not None:
        _, inv = np.unique(wide.cluster[keep], return_inverse=True)
        cl = inv.astype(np.int64)
    counts = np.bincount(code, minlength=len(cmap.cohorts) + 1).astype(np.float64)
    plan = _plan(cmap, counts, control_group, base_period, anticipation)
    x = np.zeros((len(code), len(cmap.periods), 0))
    att, a, share = dense_influence(y, x, code, w / w.mean(), plan, "reg")
    kres = dense_kernel(
        a, att, share, code, plan, cl, bootstrap=None, rng=None, multiplier="rademacher"
    )
    return att_gt_result(kres, plan, cmap, 0.05, 0, {"method": "reg"}, None, cluster)


def att_gt_result(
    kres: KernelResult,
    plan: CellPlan,
    cmap: CohortMap,
    alpha: float,
    seed: int | None,
    opts: dict[str, Any],
    bootstrap: int | None,
    cluster: str | None,
    few: FewClusterData | None = None,
) -> AttGtResult:
    """Build the :class:`AttGtResult` of a fitted kernel (shared by every DiD engine).

    Parameters
    ----------
    kres:
        The kernel's estimates, influence functions and variance.
    plan:
        The cohort x period cells that were estimated.
    cmap:
        Cohort coding of the data (periods, cohorts, unit counts).
    alpha:
        Significance level of the pointwise intervals.
    seed:
        Seed of the bootstrap draws, recorded in the options (None: no draws).
    opts:
        The call's options, recorded in the result.
    bootstrap:
        Number of multiplier bootstrap draws, or None for analytic standard errors.
    cluster:
        Cluster column, or None.
    few:
        Data for few-cluster inference, if kept.

    Returns
    -------
    AttGtResult
        Cell estimates with standard errors and the options that produced them.
    """
    eye = np.eye(plan.n_cells, plan.n_cells + len(plan.cohorts))
    se = np.where(plan.reference, np.nan, linear_se(eye, kres.vcov, kres.draws))
    kind = (
        "analytic (influence function)"
        if bootstrap is None
        else (f"multiplier bootstrap ({bootstrap} draws, {opts.get('multiplier')})")
    )
    if cluster is not None:
        kind += f", clustered by {cluster!r} ({kres.n_clusters} clusters)"
    opts = {**opts, "se_kind": kind}
    return AttGtResult(
        cohort=plan.cell_cohort,
        time=plan.cell_time,
        base_period=plan.cell_base,
        group=plan.group,
        reference=plan.reference,
        estimate=kres.att,
        std_error=se,
        crit_pointwise=float(stats.norm.ppf(1 - alpha / 2)),
        n_treated=kres.n_treated,
        n_control=kres.n_control,
        vcov=kres.vcov,
        draws=kres.draws,
        cohorts=plan.cohorts,
        cohort_share=kres.cohort_share,
        periods=plan.periods,
        n_units=kres.n_units,
        n_clusters=kres.n_clusters,
        alpha=alpha,
        seed=seed,
        options=opts,
        notes=cmap.notes + plan.skipped,
        na_reason=kres.reason or ("",) * plan.n_cells,
        few_cluster=few,
    )
