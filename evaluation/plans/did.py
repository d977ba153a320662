"""The staggered DiD design of a plan (``design.kind: staggered_did``).

Per pilot and outcome: the DiD input (checked) -> Callaway & Sant'Anna through the
backend's :meth:`~evaluation.plans.backends.Backend.did_fit` -> simple and dynamic
aggregations, cells, pre-trend tests, power (MDE), HonestDiD breakdown, the few-cluster
p-value (restricted wild cluster bootstrap-t over regions) and the not-yet-treated
comparison -> evidence rating. Rows go to the run's :class:`~evaluation.plans.records.RunRecords`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from evaluation.checks import validate
from evaluation.errors import EstimatorNote, PilotEvalError
from evaluation.estimators.did import BootstrapSpec, att_gt
from evaluation.estimators.did.results import AttGtResult
from evaluation.impact import did_input
from evaluation.plans.context import DesignContext, agree
from evaluation.plans.evidence import Diagnostics, rate_evidence
from evaluation.plans.local import DID_COLUMNS
from evaluation.plans.records import (
    CheckRow,
    DiagnosticsRow,
    DidReport,
    DidRequest,
    EffectRow,
    SensitivityRow,
)
from evaluation.registers import DuckTable
from evaluation.reporting.impact_results import did_cell_table

if TYPE_CHECKING:
    from evaluation.estimators.did import SensitivityResult

__all__ = ["DESIGN", "HONEST_MBAR", "WILD", "run_did"]

DESIGN: Final = "staggered_did"
#: ``Mbar`` values of the ``honest_did`` sensitivity analysis (relative magnitudes).
HONEST_MBAR = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
#: Few-cluster inference of the simple ATT: restricted wild cluster bootstrap-t with Webb
#: weights (fewer than about 12 clusters), clusters = the persons' regions.
WILD = BootstrapSpec(kind="wild_cluster", weights="webb", reps=999)
#: The person column the wild cluster bootstrap clusters on.
CLUSTER_COLUMN = "region"


@dataclass(frozen=True)
class DidFit:
    """One fit of the plan's staggered DiD and its group sizes."""

    result: AttGtResult
    notes: tuple[str, ...]
    n_treated: int
    n_control: int


def _table(ctx: DesignContext) -> str:
    return f"plan_did_{len(ctx.records.checks)}"


def _fit(
    ctx: DesignContext, ids: pd.Series, table: str, control_group: str, base: str | None = None
) -> DidFit:
    """Build the DiD input table ``table`` and fit it through the backend."""
    never = control_group == "nevertreated"
    rel = did_input(
        ctx.panel,
        pilot=ctx.pilot,
        outcome=ctx.outcome,
        comparison_ids=ids,
        never_participants=never,
    )
    con = ctx.panel.con
    con.execute(f"DROP TABLE IF EXISTS {table}")
    rel.order("person_id, month_index").to_table(table)
    counts = con.sql(
        f"SELECT count(DISTINCT person_id) FILTER (WHERE cohort > 0), "
        f"count(DISTINCT person_id) FILTER (WHERE cohort = 0) FROM {table}"
    ).fetchall()[0]
    opts = ctx.plan.design
    request = DidRequest(
        table=table,
        pilot=ctx.pilot,
        outcome=ctx.outcome,
        comparison_ids=ids,
        never_participants=never,
        control_group=control_group,
        method=opts.method,
        base_period=base or opts.base_period,
        anticipation=opts.anticipation,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ctx.backend.did_fit(ctx.panel, request)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, EstimatorNote))
    return DidFit(res, notes, int(counts[0]), int(counts[1]))


def _check_input(ctx: DesignContext, ids: pd.Series, table: str) -> None:
    """Check the DiD input (Great Expectations suite ``did_input``) into ``checks.csv``."""
    rel = did_input(ctx.panel, pilot=ctx.pilot, outcome=ctx.outcome, comparison_ids=ids)
    rel.to_table(f"{table}_check")
    report = validate(
        "did_input",
        DuckTable(ctx.panel.con, f"{table}_check", ("person_id", "month_index")),
        source=f"DiD input {ctx.pilot}/{ctx.outcome}",
        columns={"unit": "person_id", "time": "month_index", "cohort": "cohort", "outcome": "y"},
        treated=False,
    )
    ctx.panel.con.execute(f"DROP TABLE {table}_check")
    ctx.records.checks.append(CheckRow.of("did_input", ctx.pilot, ctx.outcome, report))


def _wild(ctx: DesignContext, table: str) -> tuple[float, int]:
    """Few-cluster p-value of the simple ATT on the DiD input ``table`` (wild cluster
    bootstrap over regions) and the number of clusters; ``(nan, 0)`` when not possible
    (recorded as a deviation)."""
    persons = ctx.inputs.persons
    if CLUSTER_COLUMN not in persons.columns:
        ctx.deviate("design", "not_run", "wild cluster bootstrap: the persons have no region")
        return np.nan, 0
    data = ctx.panel.con.table(table).df()
    region = persons.set_index(persons["person_id"].astype(str))[CLUSTER_COLUMN]
    data[CLUSTER_COLUMN] = data["person_id"].astype(str).map(region).astype(str)
    opts = ctx.plan.design
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimatorNote)  # the main fit records them
            res = att_gt(
                data,
                **DID_COLUMNS,
                control_group=opts.control_group,
                base_period=opts.base_period,
                anticipation=opts.anticipation,
                cluster=CLUSTER_COLUMN,
                bootstrap=WILD,
                seed=ctx.plan.seed,
            )
        p = float(res.aggregate("simple").tidy()["p_value_wild"].iloc[0])
    except PilotEvalError as exc:
        ctx.deviate("design", "not_run", f"wild cluster bootstrap failed: {exc.what}")
        return np.nan, 0
    return p, int(res.n_clusters)


def _honest(ctx: DesignContext, universal: AttGtResult, lo: int) -> SensitivityResult | None:
    """Relative-magnitude sensitivity (HonestDiD) of the effect in the entry month, on the
    universal-base event study from ``lo`` to 0; recorded in ``sensitivity.csv``."""
    try:
        dyn = universal.aggregate("dynamic", min_e=lo, max_e=0)
        sens = dyn.sensitivity("relative_magnitude", HONEST_MBAR, e=0)
    except PilotEvalError as exc:
        ctx.deviate("sensitivity", "not_run", f"honest_did failed: {exc.what}")
        return None
    ctx.records.sensitivity.append(
        SensitivityRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=DESIGN,
            analysis="honest_did",
            detail="relative magnitudes (C-LF), entry-month effect: breakdown Mbar",
            estimate=sens.breakdown(),
            std_error=np.nan,
            main_estimate=sens.estimate,
            passed=None,
        )
    )
    return sens


def _other_comparison(
    ctx: DesignContext, ids: pd.Series, table: str, main: DidFit
) -> tuple[dict[str, AttGtResult], list[bool]]:
    """The ``notyettreated_comparison`` sensitivity analysis (the other comparison group)."""
    if "notyettreated_comparison" not in ctx.plan.sensitivity:
        return {}, []
    opts = ctx.plan.design
    other = "notyettreated" if opts.control_group == "nevertreated" else "nevertreated"
    alt = _fit(ctx, ids, table, other)
    for note in alt.notes:
        ctx.deviate("sensitivity", "estimator_note", note)
    simple, s = main.result.aggregate("simple"), alt.result.aggregate("simple")
    ok = agree(simple.estimate, simple.std_error, s.estimate, s.std_error)
    ctx.records.sensitivity.append(
        SensitivityRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=DESIGN,
            analysis="notyettreated_comparison",
            detail=f"comparison group {other}",
            estimate=s.estimate,
            std_error=s.std_error,
            main_estimate=simple.estimate,
            passed=ok,
        )
    )
    return {other: alt.result}, [ok]


def _keyed(ctx: DesignContext, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with leading ``pilot, outcome, design`` columns."""
    out = frame.reset_index(drop=True).copy()
    for i, (name, value) in enumerate(
        (("pilot", ctx.pilot), ("outcome", ctx.outcome), ("design", DESIGN))
    ):
        out.insert(i, name, value)
    return out


def _main_rows(ctx: DesignContext, fit: DidFit) -> None:
    """The effect, event-study and cell rows of the main analysis."""
    lo, hi = ctx.plan.follow_up.event_window
    simple = fit.result.aggregate("simple")
    ctx.records.effects.append(
        EffectRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=DESIGN,
            analysis="main",
            comparison=ctx.plan.design.control_group,
            term="ATT (simple)",
            estimate=simple.estimate,
            std_error=simple.std_error,
            conf_low=simple.conf_low,
            conf_high=simple.conf_high,
            n_treated=fit.n_treated,
            n_control=fit.n_control,
        )
    )
    ctx.records.event_study.append(
        _keyed(ctx, fit.result.aggregate("dynamic", min_e=lo, max_e=hi).tidy())
    )
    ctx.records.att_gt.append(_keyed(ctx, did_cell_table(fit.result)))


def run_did(ctx: DesignContext) -> None:
    """Run the staggered DiD of one pilot and outcome into ``ctx.records``."""
    plan, opts = ctx.plan, ctx.plan.design
    ids, table = ctx.comparison_ids(), _table(ctx)
    _check_input(ctx, ids, table)
    fit = _fit(ctx, ids, table, opts.control_group)
    for note in fit.notes:
        ctx.deviate("design.control_group", "estimator_note", note)
    wild_p, clusters = _wild(ctx, table)
    _main_rows(ctx, fit)
    lo, hi = plan.follow_up.event_window
    test = fit.result.event_study_pretrend(min_e=lo, max_e=hi)
    cell_test = fit.result.pretrend_test()
    pw = ctx.power(ids, fit.n_treated)
    honest = None
    if "honest_did" in plan.sensitivity:
        universal = (
            fit
            if opts.base_period == "universal"
            else _fit(ctx, ids, table, opts.control_group, "universal")
        )
        honest = _honest(ctx, universal.result, lo)
    ctx.records.diagnostics.append(
        DiagnosticsRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=DESIGN,
            mde=pw.mde if pw else np.nan,
            breakdown_mbar=honest.breakdown() if honest else np.nan,
            pretrend_statistic=test.statistic if test else np.nan,
            pretrend_df=test.df if test else 0,
            pretrend_p_value=test.p_value if test else np.nan,
            cell_pretrend_p_value=cell_test.p_value if cell_test else np.nan,
            balance_ok=None,
            matched_share=np.nan,
            attrition=np.nan,
            n_treated=fit.n_treated,
            n_control=fit.n_control,
            wild_p_value=wild_p,
            wild_clusters=clusters,
        )
    )
    alternatives, passed = _other_comparison(ctx, ids, table, fit)
    ctx.panel.con.execute(f"DROP TABLE IF EXISTS {table}")
    ctx.records.report_items.append(
        DidReport(ctx.pilot, ctx.outcome, fit.result, lo, hi, alternatives, pw, honest)
    )
    if plan.covariates:
        ctx.deviate(
            "covariates",
            "not_used",
            "the staggered DiD runs without covariates (unconditional parallel trends); "
            "the listed covariates are not used",
        )
    ctx.records.ratings[(ctx.pilot, ctx.outcome)] = rate_evidence(
        Diagnostics(
            design=DESIGN,
            n_treated=fit.n_treated,
            n_control=fit.n_control,
            pretrend_p=test.p_value if test and test.available else None,
            pretrend_alpha=opts.pretrend_alpha,
            sensitivity_passed=all(passed) if passed else None,
            min_treated=plan.evidence.min_treated,
        )
    )
