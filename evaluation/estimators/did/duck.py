"""The DuckDB path of :func:`att_gt`: the panel stays in DuckDB.

DuckDB validates the long person-period panel and summarises it per unit (cohort code, row
count, weight, cluster) in one GROUP BY; it then streams (unit index, period index, outcome)
in Arrow batches which numpy scatters into a wide n x T outcome matrix (8 bytes per
person-period: 1.9 GB for 10 million persons x 24 months) and reduces to per-cohort Gram
matrices, the sufficient statistics of the no-covariate estimator. The long panel itself is
never materialised in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.errors import MissingColumnError
from evaluation.estimators.did.cells import BasePeriod, CellPlan, ControlGroup
from evaluation.estimators.did.errors import (
    DuplicateObservationError,
    MissingValueError,
    NonIntegerTimeError,
    OptionError,
    TimeVaryingCohortError,
    TimeVaryingUnitAttributeError,
    UnbalancedPanelError,
)
from evaluation.estimators.did.kernels import (
    Chunk,
    KernelResult,
    MomentAccumulator,
    Multiplier,
    iter_chunks,
    moment_kernel,
)

FloatArray = npt.NDArray[np.float64]
_WHERE = "DuckDB relation passed to att_gt"
_REL = "did_panel"  # name of the relation inside our SQL


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _num(v: float) -> str:
    return repr(float(v))


def from_duckdb(
    rel: Any,
    *,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    weights: str | None,
    cluster: str | None,
    control_group: ControlGroup,
    base_period: BasePeriod,
    anticipation: int,
    bootstrap: int | None,
    rng: np.random.Generator,
    multiplier: Multiplier,
    chunk_size: int,
    map_cohorts: Callable[..., Any],
    plan: Callable[..., CellPlan],
) -> tuple[KernelResult, CellPlan, Any]:
    """Run the no-covariate estimator on a DuckDB relation (see :func:`att_gt`)."""
    if not hasattr(rel, "query") or not hasattr(rel, "columns"):
        raise OptionError(
            f"data of type {type(rel).__name__} is not supported",
            where="att_gt(data=...)",
            fix="pass a pandas DataFrame or a DuckDB relation (e.g. con.table('panel'))",
        )
    cols = [str(c) for c in rel.columns]
    needed = [outcome, time, unit, cohort, *(c for c in (weights, cluster) if c is not None)]
    missing = [c for c in needed if c not in cols]
    if missing:
        raise MissingColumnError(missing, where=_WHERE, available=cols)
    types = dict(zip(cols, (str(t).upper() for t in rel.types), strict=True))
    t_c, g_c, y_c, u_c = _q(time), _q(cohort), _q(outcome), _q(unit)
    if not any(k in types[time] for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL")):
        raise NonIntegerTimeError(
            f"time has type {types[time]}, not integer",
            where=f"column {time!r}",
            fix="code periods as whole numbers (e.g. year*12 + month)",
        )
    g_expr = f"coalesce({g_c}::DOUBLE, 0)"
    # one pass: missing / non-integer values and the distinct periods and cohorts
    stats = rel.query(
        _REL,
        f"SELECT count(*) FILTER (WHERE {t_c} IS NULL), "
        f"count(*) FILTER (WHERE {t_c} <> round({t_c})), "
        f"count(*) FILTER (WHERE {y_c} IS NULL OR NOT isfinite({y_c}::DOUBLE)), "
        f"count(*) FILTER (WHERE {u_c} IS NULL), "
        f"list(DISTINCT {t_c}), list(DISTINCT {g_expr}) FROM did_panel",
    ).fetchall()[0]
    if stats[0] or stats[3]:
        raise MissingValueError(
            f"{stats[0]} row(s) have no time and {stats[3]} no unit id",
            where=f"columns {time!r}, {unit!r}",
            fix="fill in or remove those rows",
        )
    if stats[1]:
        raise NonIntegerTimeError(
            f"time is not a whole number in {stats[1]} row(s)",
            where=f"column {time!r}",
            fix="code periods as whole numbers (e.g. year*12 + month)",
        )
    if stats[2]:
        raise MissingValueError(
            f"outcome is missing or not finite in {stats[2]} row(s)",
            where=f"column {outcome!r}",
            fix="impute or correct the outcome; rows are never dropped silently",
        )
    periods = np.sort(np.array([int(v) for v in stats[4]], dtype=np.int64))
    graw = np.array(stats[5], dtype=np.float64)
    if ((graw < 0) | (graw != np.round(graw))).any():
        raise NonIntegerTimeError(
            "cohort is not a non-negative whole number in some rows",
            where=f"column {cohort!r}",
            fix="give the first treated period as a whole number, 0 or missing if never treated",
        )
    graw = np.where(graw == 0, np.inf, graw)
    cmap = map_cohorts(graw, periods, control_group=control_group, anticipation=anticipation)
    n_g = len(cmap.cohorts)
    # cohort value -> code (-1: dropped by design)
    cases = " ".join(f"WHEN {_num(g)} THEN {i}" for i, g in enumerate(cmap.cohorts))
    nev = [v for v in cmap.never_values if np.isfinite(v)]
    nev_sql = " ".join(f"WHEN {_num(v)} THEN {n_g}" for v in nev)
    code_expr = f"CASE {g_expr} WHEN 0 THEN {n_g} {nev_sql} {cases} ELSE -1 END"
    kept = cmap.periods
    n_t = len(kept)
    w_expr = "1.0" if weights is None else f"{_q(weights)}::DOUBLE"
    cl_values: npt.NDArray[Any] | None = None
    if cluster is not None:
        cl_rows = rel.query(
            _REL, f"SELECT DISTINCT {_q(cluster)} FROM did_panel ORDER BY 1 NULLS LAST"
        ).fetchall()
        cl_values = np.array([r[0] for r in cl_rows], dtype=object)
        if any(v is None for v in cl_values):
            raise MissingValueError(
                "cluster is missing in some rows",
                where=f"column {cluster!r}",
                fix="give every row its cluster (e.g. municipality code)",
            )
    kept_sql = ", ".join(str(int(p)) for p in kept)
    cl_agg = (
        f", min({_q(cluster)}) AS cl_lo, max({_q(cluster)}) AS cl_hi" if cluster is not None else ""
    )
    # 1. one row per unit (sorted by id): cohort code, row count, weight, cluster
    units_sql = (
        f"SELECT {u_c} AS u, min({code_expr}) AS code_lo, max({code_expr}) AS code_hi, "
        f"count(*) AS nrow, min({w_expr}) AS w_lo, max({w_expr}) AS w_hi{cl_agg} "
        f"FROM did_panel WHERE {t_c} IN ({kept_sql}) GROUP BY {u_c} ORDER BY {u_c}"
    )
    tab = rel.query(_REL, units_sql).fetchnumpy()
    ids = np.asarray(tab["u"])
    code_all = _validate_units(tab, n_t, cl_values, cohort, weights, cluster, time)
    n_all = len(ids)
    # 2. stream (unit index, period index, y) and scatter into the wide outcome matrix
    lut = " ".join(f"WHEN {int(p)} THEN {j}" for j, p in enumerate(kept))
    t_sql = f"CASE {t_c} {lut} END"
    dense = _dense_integer_ids(ids)
    if dense:
        rows_sql = (
            f"SELECT {u_c} - {int(ids[0])} AS i, {t_sql} AS j, {y_c}::DOUBLE AS y "
            f"FROM did_panel WHERE {t_c} IN ({kept_sql})"
        )
        pos = np.full(int(ids[-1]) - int(ids[0]) + 1, -1, dtype=np.int64)
        pos[ids.astype(np.int64) - int(ids[0])] = np.arange(n_all)
    else:
        rows_sql = (
            f"WITH ids AS (SELECT u, row_number() OVER (ORDER BY u) - 1 AS i FROM "
            f"(SELECT DISTINCT {u_c} AS u FROM did_panel WHERE {t_c} IN ({kept_sql}))) "
            f"SELECT ids.i AS i, {t_sql} AS j, {y_c}::DOUBLE AS y FROM did_panel "
            f"JOIN ids ON did_panel.{u_c} = ids.u WHERE {t_c} IN ({kept_sql})"
        )
    y = np.full((n_all, n_t), np.nan)
    reader = rel.query(_REL, rows_sql).to_arrow_reader(chunk_size * n_t)
    for batch in reader:
        i = batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
        if dense:
            i = pos[i]
        j = batch.column(1).to_numpy(zero_copy_only=False).astype(np.int64)
        y[i, j] = batch.column(2).to_numpy(zero_copy_only=False)
    if np.isnan(y).any():  # row count was n_t, so a hole means a duplicated period
        bad = ids[np.isnan(y).any(axis=1)][:5].tolist()
        raise DuplicateObservationError(
            f"units such as {bad} have more than one row in a period",
            where=f"column {time!r}",
            fix="keep one row per unit and period",
        )
    keep = code_all >= 0
    code = code_all[keep]
    if not keep.all():  # units left out by design (avoid copying y otherwise)
        y = y[keep]
    w = np.asarray(tab["w_lo"], dtype=np.float64)[keep]
    cl = None
    if cl_values is not None:
        cl = np.searchsorted(cl_values, np.asarray(tab["cl_lo"], dtype=object)[keep])
        cl = cl.astype(np.int64)
    del tab

    def chunks() -> Iterator[Chunk]:
        return iter_chunks(code, w, y, cl, size=chunk_size)

    n_cl = None if cl_values is None else len(cl_values)
    acc = MomentAccumulator(n_t, n_g + 1, n_cl)
    for ch in chunks():
        acc.add(ch)
    counts = acc.gram[:, -1, -1].copy()
    cplan = plan(cmap, counts, control_group, base_period, anticipation)
    kres = moment_kernel(
        acc, cplan, bootstrap=bootstrap, rng=rng, multiplier=multiplier, second_pass=chunks
    )
    return kres, cplan, cmap


def _dense_integer_ids(ids: npt.NDArray[Any]) -> bool:
    """True if unit ids are integers in a range at most 4x their count (direct indexing)."""
    if ids.dtype.kind not in "iu" or len(ids) == 0:
        return False
    return int(ids[-1]) - int(ids[0]) + 1 <= 4 * len(ids)


def _validate_units(
    tab: dict[str, Any],
    n_t: int,
    cl_values: npt.NDArray[Any] | None,
    cohort: str,
    weights: str | None,
    cluster: str | None,
    time: str,
) -> npt.NDArray[np.int64]:
    """Check the per-unit summary and return each unit's cohort code (-1: left out)."""
    ids = np.asarray(tab["u"])
    code_lo = np.asarray(tab["code_lo"], dtype=np.int64)
    code_hi = np.asarray(tab["code_hi"], dtype=np.int64)
    nrow = np.asarray(tab["nrow"], dtype=np.int64)
    if (code_lo != code_hi).any():
        raise TimeVaryingCohortError(
            f"cohort changes over time for units such as {ids[code_lo != code_hi][:5].tolist()}",
            where=f"column {cohort!r}",
            fix="give each unit one first-treated period in all its rows",
        )
    if (nrow > n_t).any():
        raise DuplicateObservationError(
            f"units such as {ids[nrow > n_t][:5].tolist()} have more than one row in a period",
            where=f"column {time!r}",
            fix="keep one row per unit and period",
        )
    if (nrow < n_t).any():
        raise UnbalancedPanelError(
            f"units such as {ids[nrow < n_t][:5].tolist()} are not observed in all {n_t} periods",
            where=f"column {time!r}",
            fix="the DuckDB path needs a balanced panel: give every unit a row in every period, "
            "or pass a pandas frame with allow_unbalanced_panel=True",
        )
    w_lo = np.asarray(tab["w_lo"], dtype=np.float64)
    w_hi = np.asarray(tab["w_hi"], dtype=np.float64)
    if weights is not None and (
        (w_lo != w_hi).any() or (~np.isfinite(w_lo)).any() or (w_lo < 0).any()
    ):
        raise TimeVaryingUnitAttributeError(
            "sampling weight varies within a unit, or is missing or negative",
            where=f"column {weights!r}",
            fix="use one non-negative weight per unit",
        )
    if cl_values is not None and (np.asarray(tab["cl_lo"]) != np.asarray(tab["cl_hi"])).any():
        raise TimeVaryingUnitAttributeError(
            "cluster changes over time within some units",
            where=f"column {cluster!r}",
            fix="use one cluster per unit",
        )
    return code_lo
