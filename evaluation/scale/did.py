"""Staggered DiD on an Ibis table: the cell sums in the engine, the rest as in-process.

Without covariates the estimator of :func:`evaluation.estimators.did.att_gt` needs from the
data only per-cohort sufficient statistics: unit counts, outcome sums per period and
outcome cross-products per pair of periods. :func:`att_gt` computes them with Ibis (group
by, and a self-join of the long panel on the unit), so they run where the data live
(DuckDB, Spark, ...); the per-cohort Gram matrices then go through the same numpy kernel,
so every engine gives the in-process estimates up to the summation order (about 1e-14).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import EstimatorNote, InputDataError
from evaluation.estimators.did.api import att_gt_result, map_cohorts, small_cohorts_note
from evaluation.estimators.did.cells import BasePeriod, ControlGroup, plan_cells
from evaluation.estimators.did.kernels import MomentAccumulator, moment_kernel
from evaluation.estimators.did.results import AttGtResult
from evaluation.impact.did_rules import check_did_outcome, did_cohort, did_outcome, did_rows
from evaluation.scale.engines import require_columns, upload
from evaluation.scale.panel import IBIS

__all__ = ["att_gt", "did_input", "gram_from_sums"]


def did_input(
    panel: Any,
    *,
    pilot: str,
    outcome: str = "employed",
    comparison_ids: Sequence[str] | pd.Series | None = None,
    never_participants: bool = True,
) -> Any:
    """Long panel for a staggered DiD of one pilot (Ibis twin of
    :func:`evaluation.impact.did_input`): columns ``person_id, month_index, cohort, y``.
    """
    import ibis

    check_did_outcome(outcome)
    require_columns(
        panel, ("person_id", "month_index", "pilot", "first_pilot_month", outcome), where="panel"
    )
    if not never_participants:
        keep: Any = ibis.literal(False)
    elif comparison_ids is None:
        keep = ibis.literal(True)
    else:
        ids = pd.DataFrame({"person_id": pd.Series(comparison_ids, dtype="string")})
        table = upload(panel._find_backend(), ids, kind="ids")
        keep = panel.person_id.isin(table.person_id)
    return panel.filter(did_rows(IBIS, panel.pilot, pilot, keep)).select(
        "person_id",
        "month_index",
        cohort=did_cohort(IBIS, panel.pilot, panel.first_pilot_month),
        y=did_outcome(IBIS, panel[outcome]),
    )


def gram_from_sums(
    counts: np.ndarray, sums: np.ndarray, cross: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cohort Gram matrices of ``(y - shift, 1, 1)`` from count, sum and cross sums.

    Parameters
    ----------
    counts:
        Units per cohort code, shape ``(n_codes,)``.
    sums:
        Outcome sums, shape ``(n_codes, n_periods)``.
    cross:
        Outcome cross-product sums, shape ``(n_codes, n_periods, n_periods)``.

    Returns
    -------
    gram, shift
        Gram matrices ``(n_codes, n_periods + 2, n_periods + 2)`` of the centred outcomes
        (the kernel's layout) and the centring (the overall mean per period; the estimates
        do not depend on it).
    """
    n_codes, n_t = sums.shape
    shift = sums.sum(axis=0) / counts.sum()
    gram = np.zeros((n_codes, n_t + 2, n_t + 2))
    for c in range(n_codes):
        n, s = counts[c], sums[c]
        centred = s - n * shift
        gram[c, :n_t, :n_t] = (
            cross[c] - np.outer(shift, s) - np.outer(s, shift) + n * np.outer(shift, shift)
        )
        gram[c, :n_t, n_t] = gram[c, n_t, :n_t] = centred
        gram[c, :n_t, n_t + 1] = gram[c, n_t + 1, :n_t] = centred
        gram[c, n_t:, n_t:] = n
    return gram, shift


#: Cohorts below this many units get one note, as in :func:`evaluation.att_gt`'s default.
MIN_COHORT_SIZE = 5


def att_gt(
    table: Any,
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
    """Group-time ATTs of an Ibis table (no covariates, analytic inference).

    Same estimator, options and result as :func:`evaluation.estimators.did.att_gt` on a
    balanced panel; the cell sums are computed by the table's engine.

    Raises
    ------
    evaluation.errors.InputDataError
        Rows without time, unit or outcome; units that change cohort or are not observed
        once in every period.
    """
    import ibis

    where = f"Ibis table passed to att_gt ({table._find_backend().name})"
    require_columns(table, (outcome, time, unit, cohort), where=where)
    t, g, y, u = table[time], table[cohort], table[outcome], table[unit]
    n_missing = int(
        table.aggregate(n=(t.isnull() | u.isnull() | y.isnull()).cast("int64").sum())
        .to_pandas()["n"]
        .fillna(0)
        .iloc[0]
    )
    if n_missing:
        raise InputDataError(
            f"{n_missing} row(s) lack a time, unit or outcome",
            where=where,
            fix="fill in or remove those rows",
        )
    g_value = g.cast("float64").fill_null(0.0)
    periods = np.sort(
        table.select(p=t.cast("int64")).distinct().to_pandas()["p"].to_numpy(np.int64)
    )
    graw = table.select(g=g_value).distinct().to_pandas()["g"].to_numpy(np.float64)
    graw = np.where(graw == 0, np.inf, graw)
    cmap = map_cohorts(graw, periods, control_group=control_group, anticipation=anticipation)
    n_g = len(cmap.cohorts)
    never = [0.0, *(float(v) for v in cmap.never_values if np.isfinite(v))]
    code = ibis.cases(
        *((g_value == v, n_g) for v in never),
        *((g_value == float(c), i) for i, c in enumerate(cmap.cohorts)),
        else_=-1,
    )
    kept = [int(p) for p in cmap.periods]
    n_t = len(kept)
    j = ibis.cases(*((t == p, k) for k, p in enumerate(kept)), else_=-1)
    long = table.filter(t.isin(kept)).select(u=u, code=code, j=j, y=y.cast("float64"))
    # one cohort per unit and one row per unit and period (as the in-process path checks)
    per_unit = long.group_by("u").aggregate(
        lo=long.code.min(), hi=long.code.max(), nrow=long.count(), nj=long.j.nunique()
    )
    bad = per_unit.aggregate(
        moved=(per_unit.lo != per_unit.hi).cast("int64").sum(),
        gaps=((per_unit.nrow != n_t) | (per_unit.nj != n_t)).cast("int64").sum(),
    ).to_pandas()
    moved, gaps = (int(bad[c].fillna(0).iloc[0]) for c in ("moved", "gaps"))
    if moved or gaps:
        raise InputDataError(
            f"{moved} unit(s) change cohort and {gaps} are not observed once in each of "
            f"the {n_t} periods",
            where=where,
            fix="give every unit one cohort and exactly one row per period",
        )
    n_codes = n_g + 1
    counts = np.zeros(n_codes)
    sums = np.zeros((n_codes, n_t))
    cross = np.zeros((n_codes, n_t, n_t))
    used = long.filter(long.code >= 0)
    cells = used.group_by(["code", "j"]).aggregate(n=used.count(), s=used.y.sum()).to_pandas()
    for c_, j_, n_, s_ in cells[["code", "j", "n", "s"]].itertuples(index=False):
        counts[c_] = n_
        sums[c_, j_] = s_
    other = used.view()
    pairs = used.join(other, [used.u == other.u, used.j <= other.j]).select(
        code=used.code, j1=used.j, j2=other.j, yy=used.y * other.y
    )
    products = pairs.group_by(["code", "j1", "j2"]).aggregate(s=pairs.yy.sum()).to_pandas()
    for c_, a_, b_, s_ in products[["code", "j1", "j2", "s"]].itertuples(index=False):
        cross[c_, a_, b_] = cross[c_, b_, a_] = s_
    gram, shift = gram_from_sums(counts, sums, cross)
    acc = MomentAccumulator(n_t, n_codes, None)
    acc.shift, acc.gram = shift, gram
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
    small = small_cohorts_note(cplan, kres.n_treated, MIN_COHORT_SIZE)  # as att_gt notes it
    if small:
        cmap = dataclasses.replace(cmap, notes=(*cmap.notes, small))
    for note in cmap.notes:
        warnings.warn(note, EstimatorNote, stacklevel=2)
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
    return att_gt_result(kres, cplan, cmap, alpha, None, opts, None, None)
