"""The demo's impact step: each pilot's effect on employment, beside the known truth.

Staggered DiD (Callaway & Sant'Anna) per pilot with never-treated and not-yet-treated
comparison groups, and propensity score matching of one pilot's participants against the
national register.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.estimators.did import AggregateResult, AttGtResult, att_gt
from evaluation.estimators.matching import MatchResult, match
from evaluation.impact import (
    BACKGROUND_COVARIATES,
    HISTORY_COVARIATES,
    covariates_with_variation,
    did_input,
    matching_input,
)
from evaluation.registers import PersonMonthPanel
from evaluation.synthetic import SyntheticRegisters

#: Event window of the event-study plots (months relative to entry).
EVENT_WINDOW = (-12, 18)
#: Follow-up months of the matching outcome (share of months employed from entry).
MATCHING_FOLLOW_UP = 12
#: Pilot evaluated by matching in the demo.
MATCHING_PILOT = "Sataosaa"
CONTROL_GROUPS = ("nevertreated", "notyettreated")
COMPARISON_LABELS = {"nevertreated": "never-treated", "notyettreated": "not-yet-treated"}


@dataclass(frozen=True)
class PilotDid:
    """One pilot's staggered DiD with one comparison group."""

    pilot: str
    control_group: str
    result: AttGtResult
    simple: AggregateResult
    dynamic: AggregateResult


@dataclass(frozen=True)
class DemoMatching:
    """The matching evaluation of one pilot: matched on background only (the design whose
    matched DiD removes stable differences), and also on pre-entry history."""

    pilot: str
    result: MatchResult
    with_history: MatchResult
    dropped_covariates: dict[str, str]
    truth: float


def estimate_did(data: SyntheticRegisters, panel: PersonMonthPanel) -> list[PilotDid]:
    """Estimate every pilot's effect on monthly employment with both comparison groups."""
    out = []
    for pilot in data.pilots["pilot"].astype(str):
        for control_group in CONTROL_GROUPS:
            # Not-yet-treated: the pilot's later entrants are the comparison (no outsiders).
            relation = did_input(
                panel,
                pilot=pilot,
                outcome="employed",
                never_participants=control_group == "nevertreated",
            )
            result = att_gt(
                relation,
                outcome="y",
                time="month_index",
                unit="person_id",
                cohort="cohort",
                control_group=control_group,  # type: ignore[arg-type]
            )
            out.append(
                PilotDid(
                    pilot=pilot,
                    control_group=control_group,
                    result=result,
                    simple=result.aggregate("simple"),
                    dynamic=result.aggregate(
                        "dynamic", min_e=EVENT_WINDOW[0], max_e=EVENT_WINDOW[1]
                    ),
                )
            )
    return out


def estimate_matching(
    data: SyntheticRegisters, panel: PersonMonthPanel, *, seed: int
) -> DemoMatching:
    """Match one pilot's participants with never-participants from the national register."""
    frame = matching_input(
        panel,
        data.persons,
        pilot=MATCHING_PILOT,
        outcome="employed",
        follow_up=MATCHING_FOLLOW_UP,
        seed=seed,
    )
    covariates, dropped = covariates_with_variation(
        frame, treatment="treated", covariates=BACKGROUND_COVARIATES + HISTORY_COVARIATES
    )
    background = [c for c in covariates if c in BACKGROUND_COVARIATES]
    result = match(frame, treatment="treated", covariates=background, exact=("reference_month",))
    with_history = match(
        frame, treatment="treated", covariates=covariates, exact=("reference_month",)
    )
    po = data.potential_outcomes
    window = po[
        (po["pilot"] == MATCHING_PILOT)
        & po["months_since_entry"].between(0, MATCHING_FOLLOW_UP - 1)
    ]
    return DemoMatching(
        MATCHING_PILOT, result, with_history, dropped, float(window["effect"].mean())
    )


def true_simple_effect(est: PilotDid, data: SyntheticRegisters) -> float:
    """The true value of the simple aggregation: the true effect of each post-entry cell
    the design estimated, weighted by cohort size as the aggregation weights them."""
    truth = data.truth[data.truth["pilot"] == est.pilot]
    effect = pd.Series(
        truth["true_att"].to_numpy(dtype="float64"), index=truth["months_since_entry"]
    )
    cells = est.result.tidy()
    post = cells[(cells["event_time"] >= 0) & cells["estimate"].notna()]
    weights = post["n_treated"].to_numpy(dtype="float64")
    values = effect.reindex(post["event_time"].to_numpy(), fill_value=0.0).to_numpy()
    return float(np.sum(weights * values) / np.sum(weights))


def did_table(estimates: list[PilotDid], data: SyntheticRegisters) -> pd.DataFrame:
    """Overall DiD effect per pilot and comparison group, beside the true effect."""
    rows = []
    for est in estimates:
        rows.append(
            {
                "pilot": est.pilot,
                "comparison": COMPARISON_LABELS[est.control_group],
                "estimate": est.simple.estimate,
                "std_error": est.simple.std_error,
                "conf_low": est.simple.conf_low,
                "conf_high": est.simple.conf_high,
                "true_effect": true_simple_effect(est, data),
            }
        )
    table = pd.DataFrame(rows)
    table["covers_truth"] = (table["conf_low"] <= table["true_effect"]) & (
        table["true_effect"] <= table["conf_high"]
    )
    return table


def matching_table(m: DemoMatching) -> pd.DataFrame:
    """Matching estimates of both designs beside the true effect."""
    post, pre = "post_outcome", "pre_outcome"
    rows = [
        ("background", "matched DiD (24 months before)", m.result.did(post, pre)),
        ("background", "difference in means", m.result.att(post)),
        ("background + history", "matched DiD (24 months before)", m.with_history.did(post, pre)),
        ("background + history", "difference in means", m.with_history.att(post)),
    ]
    return pd.DataFrame(
        [
            {
                "matched on": matched_on,
                "estimator": name,
                "estimate": r.estimate,
                "std_error": r.std_error,
                "true_effect": m.truth,
            }
            for matched_on, name, r in rows
        ]
    )


def event_study_figure(
    estimates: list[PilotDid],
    data: SyntheticRegisters,
    *,
    pilot_order: list[str],
    shown: Callable[[str, int], bool] | None = None,
) -> Figure:
    """Event-study estimates (both comparison groups) with 95% intervals and the truth.

    ``shown(pilot, event_time)`` says whether an event time's estimate may be drawn (the
    disclosure ledger: it rests on at least ``threshold`` treated persons); default all.
    """
    truth = data.truth
    ncols = 3
    nrows = math.ceil(len(pilot_order) / ncols)
    fig = Figure(figsize=(11, 3.2 * nrows))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    styles = {"nevertreated": ("#2a6f97", -0.15), "notyettreated": ("#c8553d", 0.15)}
    for ax, pilot in zip(axes.flat, pilot_order, strict=False):
        for est in (e for e in estimates if e.pilot == pilot):
            colour, shift = styles[est.control_group]
            t = est.dynamic.tidy()
            if shown is not None:
                keep = [shown(pilot, int(e)) for e in t["event_time"]]
                t = t[np.asarray(keep, dtype=bool)]
            ax.errorbar(
                t["event_time"] + shift,
                t["estimate"],
                yerr=[t["estimate"] - t["conf_low"], t["conf_high"] - t["estimate"]],
                fmt="o",
                markersize=2.5,
                linewidth=0.7,
                color=colour,
                label=COMPARISON_LABELS[est.control_group],
            )
        true = truth[truth["pilot"] == pilot].sort_values("months_since_entry")
        k = np.arange(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1)
        effect = pd.Series(true["true_att"].to_numpy(), index=true["months_since_entry"])
        ax.plot(k, effect.reindex(k, fill_value=0.0), color="black", linewidth=1.4, label="truth")
        ax.axhline(0, color="#888", linewidth=0.6)
        ax.axvline(-0.5, color="#888", linewidth=0.6, linestyle=":")
        ax.set_title(pilot, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(pilot_order) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("effect on employment (share)")
    axes[0, 0].legend(fontsize=7, frameon=False)
    for ax in axes[-1]:
        ax.set_xlabel("months since entry")
    fig.suptitle(
        "Event study: staggered DiD estimates (95% intervals) and the true effect", fontsize=11
    )
    fig.tight_layout()
    return fig
