"""Typed records a plan run produces (frozen dataclasses), and their collector.

Each design module (:mod:`~evaluation.plans.did`, :mod:`~evaluation.plans.matching`,
:mod:`~evaluation.plans.matched_did`) adds its rows for one pilot and outcome to the
run's :class:`RunRecords` (beside the run-level checks and deviations), and
:mod:`evaluation.plans.outputs` lays them out as the registry's tables
(:mod:`evaluation.tables`). Rows carry exactly the columns of their table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from evaluation.plans.evidence import EvidenceRating
from evaluation.plans.model import Plan
from evaluation.tables import EffectRow

if TYPE_CHECKING:
    from evaluation.estimators.did import AttGtResult, SensitivityResult
    from evaluation.estimators.matching import MatchResult
    from evaluation.power_analysis import PowerResult
    from evaluation.reporting.impact_results import MatchingPrimary

__all__ = [
    "CheckRow",
    "Deviation",
    "DiagnosticsRow",
    "DidReport",
    "DidRequest",
    "EffectRow",
    "MatchingReport",
    "ReportItem",
    "RunRecords",
    "RunResult",
    "SensitivityRow",
]


@dataclass(frozen=True)
class DidRequest:
    """What a backend's :meth:`~evaluation.plans.backends.Backend.did_fit` estimates: the
    no-covariate staggered DiD of one pilot and outcome.

    ``table`` names the in-process DuckDB table of the DiD input (``person_id,
    month_index, cohort, y``) that the runner has built; a backend may instead build
    the input on its own engine from the other fields.
    """

    table: str
    pilot: str
    outcome: str
    comparison_ids: pd.Series
    never_participants: bool
    control_group: str
    method: str
    base_period: str
    anticipation: int

    def options(self) -> dict[str, Any]:
        """The :func:`~evaluation.estimators.did.att_gt` options of the request."""
        return {
            "control_group": self.control_group,
            "method": self.method,
            "base_period": self.base_period,
            "anticipation": self.anticipation,
        }


@dataclass(frozen=True)
class DiagnosticsRow:
    """One row of ``diagnostics.csv`` (``nan``/``None``: not applicable to the design)."""

    pilot: str
    outcome: str
    design: str
    mde: float
    breakdown_mbar: float
    pretrend_statistic: float
    pretrend_df: int
    pretrend_p_value: float
    cell_pretrend_p_value: float
    balance_ok: bool | None
    matched_share: float
    attrition: float
    n_treated: int
    n_control: int
    wild_p_value: float
    wild_clusters: int


@dataclass(frozen=True)
class SensitivityRow:
    """One row of ``sensitivity.csv`` (``passed`` ``None``: informational)."""

    pilot: str
    outcome: str
    design: str
    analysis: str
    detail: str
    estimate: float
    std_error: float
    main_estimate: float
    passed: bool | None


@dataclass(frozen=True)
class Deviation:
    """One row of ``deviations.csv``: a departure from the plan."""

    pilot: str
    outcome: str
    plan_item: str
    kind: str
    detail: str


@dataclass(frozen=True)
class CheckRow:
    """One row of ``checks.csv``: a data check's verdict."""

    kind: str
    pilot: str
    outcome: str
    ok: bool
    n_expectations: int
    n_failures: int
    failures: str

    @classmethod
    def of(cls, kind: str, pilot: str, outcome: str, report: Any) -> CheckRow:
        """The row of a :func:`evaluation.checks.validate` report."""
        return cls(
            kind=kind,
            pilot=pilot,
            outcome=outcome,
            ok=bool(report.ok),
            n_expectations=int(report.n_expectations),
            n_failures=len(report.failures),
            failures="; ".join(f"{f.what}" for f in report.failures),
        )


@dataclass(frozen=True)
class DidReport:
    """What the impact report needs of a staggered DiD (``write_did_results``)."""

    pilot: str
    outcome: str
    result: AttGtResult
    min_e: int
    max_e: int
    sensitivity: Mapping[str, AttGtResult]
    power: PowerResult | None
    honest: SensitivityResult | None


@dataclass(frozen=True)
class MatchingReport:
    """What the impact report needs of a matched design (``write_matching_results``)."""

    pilot: str
    outcome: str
    result: MatchResult
    primary: MatchingPrimary
    rosenbaum: bool
    power: PowerResult | None


ReportItem = DidReport | MatchingReport


@dataclass
class RunRecords:
    """Everything collected in one plan run, in the order it was produced."""

    effects: list[EffectRow] = field(default_factory=list)
    event_study: list[pd.DataFrame] = field(default_factory=list)
    att_gt: list[pd.DataFrame] = field(default_factory=list)
    diagnostics: list[DiagnosticsRow] = field(default_factory=list)
    balance: list[pd.DataFrame] = field(default_factory=list)
    sensitivity: list[SensitivityRow] = field(default_factory=list)
    subgroups: list[pd.DataFrame] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    ratings: dict[tuple[str, str], EvidenceRating] = field(default_factory=dict)
    report_items: list[ReportItem] = field(default_factory=list)

    def deviate(self, pilot: str, outcome: str, plan_item: str, kind: str, detail: str) -> None:
        """Record a deviation once (a refit in a sensitivity analysis repeats them)."""
        row = Deviation(pilot, outcome, plan_item, kind, detail)
        if row not in self.deviations:
            self.deviations.append(row)


@dataclass(frozen=True)
class RunResult:
    """Everything a plan run produced (the same tables are written as CSV)."""

    plan: Plan
    out: Path
    effects: pd.DataFrame
    event_study: pd.DataFrame
    att_gt: pd.DataFrame
    diagnostics: pd.DataFrame
    balance: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    checks: pd.DataFrame
    deviations: pd.DataFrame
    evidence: pd.DataFrame
    evidence_reasons: pd.DataFrame
    ratings: dict[tuple[str, str], EvidenceRating]
    manifest: dict[str, Any]
    reports: tuple[Path, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """The effects table (one row per pilot, outcome and estimate)."""
        return self.effects.copy()

    def summary(self) -> str:
        """Text summary: effects, rating and deviations."""
        lines = [f"Plan {self.plan.study.id}: {self.plan.study.title}"]
        for r in self.effects.itertuples():
            lines.append(
                f"  {r.pilot} / {r.outcome} ({r.design}, {r.analysis}): "
                f"{r.estimate:.4f} [{r.conf_low:.4f}, {r.conf_high:.4f}]"
            )
        for (pilot, outcome), rating in sorted(self.ratings.items()):
            lines.append(f"  evidence {pilot} / {outcome}: SMS level {rating.level}")
        lines.append(f"  deviations from the plan: {len(self.deviations)}")
        return "\n".join(lines)
