"""The matching design of a plan (``design.kind: matching``) and the steps it shares with
the matched DiD (:mod:`evaluation.plans.matched_did`).

Per pilot and outcome: the matching input (person rows: covariates, pre- and follow-up
outcome) -> covariates without variation dropped (a deviation) -> propensity score
matching -> the design's effect (:class:`MatchedDesign`) -> balance, overlap, attrition,
power, history-covariates sensitivity, subgroups, Rosenbaum bounds -> evidence rating.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evaluation.errors import PilotEvalError
from evaluation.estimators.matching import MatchResult, match
from evaluation.impact import covariates_with_variation, matching_input
from evaluation.plans.context import DesignContext, agree
from evaluation.plans.evidence import Diagnostics, rate_evidence
from evaluation.plans.records import (
    DiagnosticsRow,
    EffectRow,
    MatchingReport,
    SensitivityRow,
)
from evaluation.reporting.impact_results import MATCHED_COMPARISON, MatchingPrimary

__all__ = ["HISTORY_COVARIATES", "MATCHING", "MatchedDesign", "run_matched", "run_matching"]

#: History covariates added by the ``history_covariates`` sensitivity analysis.
HISTORY_COVARIATES = ("pre_employed", "pre_on_unemployment_benefit", "pre_on_health_benefit")


@dataclass(frozen=True)
class MatchedDesign:
    """What distinguishes the matched designs: the effect and the outcome column that
    subgroups and Rosenbaum bounds use."""

    kind: Literal["matching", "matched_did"]
    primary: MatchingPrimary
    column: str
    effect: Callable[[MatchResult], Any]


def _att(m: MatchResult) -> Any:
    return m.att("post_outcome")


#: Matching: the ATT on the follow-up outcome.
MATCHING = MatchedDesign("matching", "att", "post_outcome", _att)


@dataclass(frozen=True)
class _Sample:
    """The matching input of one pilot and outcome and its attrition."""

    frame: pd.DataFrame
    ids: pd.Series
    attrition: float


def _sample(ctx: DesignContext) -> _Sample:
    plan = ctx.plan
    ids = ctx.comparison_ids()
    frame = matching_input(
        ctx.panel,
        ctx.inputs.persons,
        pilot=ctx.pilot,
        outcome=ctx.outcome,
        follow_up=plan.follow_up.months,
        history=plan.follow_up.history,
        comparison_ids=ids,
        seed=plan.seed,
    )
    frame = frame.assign(change_outcome=frame["post_outcome"] - frame["pre_outcome"])
    part = ctx.inputs.participants
    n_pilot = int(part.loc[ctx.pilot_rows(), "person_id"].nunique())
    n_t_all = int(frame["treated"].sum())
    if n_pilot > n_t_all:
        ctx.deviate(
            "follow_up.months",
            "excluded_units",
            f"{n_pilot - n_t_all} of {n_pilot} participants excluded: follow-up of "
            f"{plan.follow_up.months} months runs past the data window",
        )
    return _Sample(frame, ids, 1 - n_t_all / n_pilot if n_pilot else 0.0)


def _fit(
    ctx: DesignContext, design: MatchedDesign, frame: pd.DataFrame, covs: list[str]
) -> tuple[MatchResult, Any]:
    """Match on ``covs`` (those without variation dropped: a deviation) and estimate."""
    kept, dropped = covariates_with_variation(frame, treatment="treated", covariates=covs)
    for name, why in dropped.items():
        # "np.int8(0)" -> "0": the reason shows the value, not its numpy type
        why = re.sub(r"np\.\w+\(([^()]*)\)", r"\1", why)
        ctx.deviate(
            "covariates", "dropped_covariate", f"{name} dropped from the propensity model: {why}"
        )
    opts = ctx.plan.design
    m = match(
        frame,
        treatment="treated",
        covariates=kept,
        ratio=opts.ratio,
        caliper=opts.caliper,
        replace=opts.replace,
        exact=("reference_month",),
        seed=ctx.plan.seed,
    )
    return m, design.effect(m)


def _keyed(ctx: DesignContext, design: MatchedDesign, frame: pd.DataFrame, **extra: Any) -> Any:
    """``frame`` with leading ``pilot, outcome, design`` (and ``extra``) columns."""
    keys = {"pilot": ctx.pilot, "outcome": ctx.outcome, "design": design.kind, **extra}
    out = frame.assign(**keys)
    return out[[*keys, *(c for c in frame.columns if c not in keys)]]


def _history(
    ctx: DesignContext, design: MatchedDesign, frame: pd.DataFrame, eff: Any
) -> list[bool]:
    """The ``history_covariates`` sensitivity analysis (match on the history too)."""
    plan = ctx.plan
    if "history_covariates" not in plan.sensitivity:
        return []
    extra = [h for h in HISTORY_COVARIATES if h not in plan.covariates]
    _, alt = _fit(ctx, design, frame, [*plan.covariates, *extra])
    ok = agree(eff.estimate, eff.std_error, alt.estimate, alt.std_error)
    ctx.records.sensitivity.append(
        SensitivityRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=design.kind,
            analysis="history_covariates",
            detail=f"added {', '.join(extra) or 'nothing (already matched on history)'}",
            estimate=alt.estimate,
            std_error=alt.std_error,
            main_estimate=eff.estimate,
            passed=ok,
        )
    )
    return [ok]


def _subgroups(ctx: DesignContext, design: MatchedDesign, m: MatchResult) -> None:
    """Effects by the levels of each subgroup covariate of the plan."""
    for sub in ctx.plan.subgroups:
        try:
            by = m.by_subgroup(design.column, sub.covariate)
        except PilotEvalError as exc:
            ctx.deviate("subgroups", "not_run", f"{sub.name}: {exc.what}")
            continue
        table = by.tidy().sort_values("level", kind="mergesort", ignore_index=True)
        table = table.assign(heterogeneity_p_value=by.heterogeneity_p_value)
        ctx.records.subgroups.append(_keyed(ctx, design, table, name=sub.name))


def _rosenbaum(ctx: DesignContext, design: MatchedDesign, m: MatchResult, main: float) -> None:
    """Rosenbaum bounds (informational) when the plan asks for them."""
    if "rosenbaum_bounds" not in ctx.plan.sensitivity:
        return
    try:
        rb = m.rosenbaum(design.column)
    except PilotEvalError as exc:
        ctx.deviate("sensitivity", "not_run", f"rosenbaum_bounds: {exc.what}")
        return
    ctx.records.sensitivity.append(
        SensitivityRow(
            pilot=ctx.pilot,
            outcome=ctx.outcome,
            design=design.kind,
            analysis="rosenbaum_bounds",
            detail=f"critical Gamma {rb.critical_gamma:g} (informational)",
            estimate=np.nan,
            std_error=np.nan,
            main_estimate=main,
            passed=None,
        )
    )


def _effect_row(
    ctx: DesignContext, design: MatchedDesign, eff: Any, n_t: int, n_c: int
) -> EffectRow:
    return EffectRow(
        pilot=ctx.pilot,
        outcome=ctx.outcome,
        design=design.kind,
        analysis="main",
        comparison=MATCHED_COMPARISON,
        term="ATT",
        estimate=eff.estimate,
        std_error=eff.std_error,
        conf_low=eff.conf_low,
        conf_high=eff.conf_high,
        n_treated=n_t,
        n_control=n_c,
    )


def _diagnostics(
    ctx: DesignContext, design: MatchedDesign, mde: float, balance_ok: bool, share: float,
    attrition: float, n_t: int, n_c: int,
) -> DiagnosticsRow:  # fmt: skip
    """The diagnostics row of a matched design (DiD-only columns empty)."""
    return DiagnosticsRow(
        pilot=ctx.pilot,
        outcome=ctx.outcome,
        design=design.kind,
        mde=mde,
        breakdown_mbar=np.nan,
        pretrend_statistic=np.nan,
        pretrend_df=0,
        pretrend_p_value=np.nan,
        cell_pretrend_p_value=np.nan,
        balance_ok=balance_ok,
        matched_share=share,
        attrition=attrition,
        n_treated=n_t,
        n_control=n_c,
        wild_p_value=np.nan,
        wild_clusters=0,
    )


def run_matched(ctx: DesignContext, design: MatchedDesign) -> None:
    """Run a matched design of one pilot and outcome into ``ctx.records``."""
    plan, rec = ctx.plan, ctx.records
    sample = _sample(ctx)
    m, eff = _fit(ctx, design, sample.frame, list(plan.covariates))
    sizes = {str(r["group"]): r for r in m.sample_sizes().to_dict(orient="records")}
    n_t, n_c = int(sizes["treated"]["matched"]), int(sizes["control"]["matched"])
    pw = ctx.power(sample.ids, n_t)
    rosenbaum = "rosenbaum_bounds" in plan.sensitivity and not plan.design.replace
    rec.report_items.append(
        MatchingReport(ctx.pilot, ctx.outcome, m, design.primary, rosenbaum, pw)
    )
    share = n_t / max(int(sizes["treated"]["all"]), 1)
    rec.effects.append(_effect_row(ctx, design, eff, n_t, n_c))
    bal = m.balance(include_distance=False)  # covariates only: the plan's balance table
    rec.balance.append(_keyed(ctx, design, bal))
    balance_ok = bool(bal["balanced"].all())
    mde = pw.mde if pw else np.nan
    rec.diagnostics.append(
        _diagnostics(ctx, design, mde, balance_ok, share, sample.attrition, n_t, n_c)
    )
    passed = _history(ctx, design, sample.frame, eff)
    _subgroups(ctx, design, m)
    _rosenbaum(ctx, design, m, eff.estimate)
    rec.ratings[(ctx.pilot, ctx.outcome)] = rate_evidence(
        Diagnostics(
            design=design.kind,
            n_treated=n_t,
            n_control=n_c,
            balance_ok=balance_ok,
            matched_share=share,
            attrition=sample.attrition,
            sensitivity_passed=all(passed) if passed else None,
            min_treated=plan.evidence.min_treated,
        )
    )


def run_matching(ctx: DesignContext) -> None:
    """Run the matching design (ATT on the follow-up outcome) of one pilot and outcome."""
    run_matched(ctx, MATCHING)
