"""Spark backend of the plan runner: the staggered DiD's cell sums computed in Spark SQL.

The no-covariate staggered DiD needs from the data only per-cohort sufficient statistics:
unit counts, outcome sums per period and outcome cross-product sums per pair of periods.
:func:`att_gt_spark` computes them with Spark SQL (a self-join of the long panel on the
unit), forms the same per-cohort Gram matrices as the DuckDB path and runs the same numpy
kernel (:func:`evaluation.estimators.did.kernels.moment_kernel`), so both backends give the
same estimates to rounding. Loading the inputs and building the panel stay local (DuckDB);
the DiD input of each pilot is handed to Spark.

Needs ``pyspark`` (and Java 17); a local session (``local[1]``) is started on first use.
"""

from __future__ import annotations

import importlib.util
import warnings
from functools import cache
from typing import Any

import numpy as np

from evaluation.errors import InputDataError, OptionError
from evaluation.estimators.did.api import _result, map_cohorts
from evaluation.estimators.did.cells import BasePeriod, ControlGroup, plan_cells
from evaluation.estimators.did.kernels import MomentAccumulator, moment_kernel
from evaluation.estimators.did.results import AttGtResult
from evaluation.plans.runner import LocalBackend

__all__ = ["SparkBackend", "att_gt_spark", "spark_session"]

_VIEW = "pilot_eval_did_panel"


@cache
def spark_session() -> Any:
    """A local Spark session (one core, no UI), started once per process."""
    try:
        from pyspark.sql import SparkSession  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise OptionError(
            "the spark backend needs pyspark",
            where="backend='spark'",
            fix="pip install pyspark (and Java 17), or use backend='local'",
        ) from exc
    return (
        SparkSession.builder.master("local[1]")
        .appName("pilot-eval")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def att_gt_spark(
    sdf: Any,
    *,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    control_group: ControlGroup = "nevertreated",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    alpha: float = 0.05,
) -> AttGtResult:
    """Group-time ATTs (no covariates, analytic inference) of a Spark DataFrame.

    Same estimator, options and result as :func:`evaluation.estimators.did.att_gt` on a
    balanced panel; the cell sums are computed in Spark SQL, the rest by the same kernel.
    """
    spark = sdf.sparkSession
    sdf.createOrReplaceTempView(_VIEW)
    t_c, g_c, y_c, u_c = (f"`{c}`" for c in (time, cohort, outcome, unit))
    g_expr = f"coalesce(CAST({g_c} AS DOUBLE), 0D)"
    head = spark.sql(
        f"SELECT count_if({t_c} IS NULL OR {u_c} IS NULL OR {y_c} IS NULL), "
        f"collect_set(CAST({t_c} AS BIGINT)), collect_set({g_expr}) FROM {_VIEW}"
    ).collect()[0]
    if head[0]:
        raise InputDataError(
            f"{head[0]} row(s) lack a time, unit or outcome",
            where="Spark DataFrame passed to att_gt_spark",
            fix="fill in or remove those rows",
        )
    periods = np.sort(np.array(head[1], dtype=np.int64))
    graw = np.array(head[2], dtype=np.float64)
    graw = np.where(graw == 0, np.inf, graw)
    cmap = map_cohorts(graw, periods, control_group=control_group, anticipation=anticipation)
    n_g = len(cmap.cohorts)
    cases = " ".join(f"WHEN {float(g)!r}D THEN {i}" for i, g in enumerate(cmap.cohorts))
    nev = " ".join(f"WHEN {float(v)!r}D THEN {n_g}" for v in cmap.never_values if np.isfinite(v))
    code = f"CASE {g_expr} WHEN 0D THEN {n_g} {nev} {cases} ELSE -1 END"
    kept = cmap.periods
    n_t = len(kept)
    lut = " ".join(f"WHEN {int(p)} THEN {j}" for j, p in enumerate(kept))
    kept_sql = ", ".join(str(int(p)) for p in kept)
    long_sql = (
        f"SELECT {u_c} AS u, {code} AS code, CASE {t_c} {lut} END AS j, "
        f"CAST({y_c} AS DOUBLE) AS y FROM {_VIEW} WHERE {t_c} IN ({kept_sql})"
    )
    # one row per unit and period, one cohort per unit (the DuckDB path's checks)
    bad = spark.sql(
        f"WITH p AS ({long_sql}), units AS (SELECT u, min(code) AS lo, max(code) AS hi, "
        f"count(*) AS nrow, count(DISTINCT j) AS nj FROM p GROUP BY u) "
        f"SELECT count_if(lo <> hi), count_if(nrow <> {n_t} OR nj <> {n_t}) FROM units"
    ).collect()[0]
    if bad[0] or bad[1]:
        raise InputDataError(
            f"{bad[0]} unit(s) change cohort and {bad[1]} are not observed once in each of "
            f"the {n_t} periods",
            where="Spark DataFrame passed to att_gt_spark",
            fix="give every unit one cohort and exactly one row per period",
        )
    n_codes = n_g + 1
    counts = np.zeros(n_codes)
    sums = np.zeros((n_codes, n_t))
    cross = np.zeros((n_codes, n_t, n_t))
    for r in spark.sql(
        f"WITH p AS ({long_sql}) SELECT code, j, count(*), sum(y) FROM p WHERE code >= 0 "
        "GROUP BY code, j"
    ).collect():
        counts[r[0]] = r[2]
        sums[r[0], r[1]] = r[3]
    for r in spark.sql(
        f"WITH p AS ({long_sql} AND {code} >= 0) SELECT a.code, a.j, b.j, sum(a.y * b.y) "
        "FROM p a JOIN p b ON a.u = b.u AND a.j <= b.j GROUP BY a.code, a.j, b.j"
    ).collect():
        cross[r[0], r[1], r[2]] = cross[r[0], r[2], r[1]] = r[3]
    acc = MomentAccumulator(n_t, n_codes, None)
    shift = sums.sum(axis=0) / counts.sum()  # centring (the estimates do not depend on it)
    acc.shift = shift
    m = n_t + 2
    gram = np.zeros((n_codes, m, m))
    for c in range(n_codes):
        n, s = counts[c], sums[c]
        centred = s - n * shift
        gram[c, :n_t, :n_t] = (
            cross[c] - np.outer(shift, s) - np.outer(s, shift) + n * np.outer(shift, shift)
        )
        gram[c, :n_t, n_t] = gram[c, n_t, :n_t] = centred
        gram[c, :n_t, n_t + 1] = gram[c, n_t + 1, :n_t] = centred
        gram[c, n_t:, n_t:] = n
    acc.gram = gram
    cplan = plan_cells(
        cmap.periods,
        cmap.cohorts,
        gram[:, -1, -1],
        control_group=control_group,
        base_period=base_period,
        anticipation=anticipation,
    )
    kres = moment_kernel(
        acc, cplan, bootstrap=None, rng=None, multiplier="rademacher", second_pass=None
    )
    for note in cmap.notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    opts: dict[str, Any] = {
        "control_group": control_group,
        "method": "none (no covariates: all methods coincide)",
        "base_period": base_period,
        "anticipation": anticipation,
        "covariates": (),
        "cluster": None,
        "weights": None,
        "bootstrap": None,
        "multiplier": "rademacher",
        "allow_unbalanced_panel": False,
    }
    return _result(kres, cplan, cmap, alpha, None, opts, None, None)


class SparkBackend(LocalBackend):
    """Inputs and panel as :class:`LocalBackend`; the staggered DiD's cell sums in Spark."""

    name = "spark"

    def __init__(self) -> None:
        if importlib.util.find_spec("pyspark") is None:  # fail before any data are loaded
            raise OptionError(
                "the spark backend needs pyspark",
                where="backend='spark'",
                fix="pip install pyspark (and Java 17), or use backend='local'",
            )

    def did_fit(self, con: Any, table: str, **options: Any) -> AttGtResult:
        """Hand the DuckDB table ``table`` to Spark and estimate there."""
        frame = con.table(table).df()
        with warnings.catch_warnings():  # pyspark's notice about pandas versions
            warnings.simplefilter("ignore")
            sdf = spark_session().createDataFrame(frame)
        options.pop("method", None)  # no covariates: every method is the same estimator
        return att_gt_spark(sdf, **options)
