"""Staggered-rollout difference-in-differences (Callaway & Sant'Anna 2021).

``att_gt`` estimates group-time effects ATT(g, t); ``result.aggregate(kind)`` summarises them
(simple, by cohort, by event time, by calendar period), as R ``did``'s ``att_gt -> aggte``.
``twfe_comparison`` puts the two-way fixed-effects estimate and its Goodman-Bacon
decomposition beside the Callaway & Sant'Anna result.

Layout: ``api`` (entry point, option checks, cohort rules), ``panel`` (validation, long ->
wide), ``cells`` (which ATT(g, t) with which base period and comparison cohorts),
``kernels`` (numerical kernels: sufficient-statistics path without covariates, DRDID designs
with covariates, unbalanced panels, multiplier bootstrap), ``aggregate`` (aggte weights),
``results`` (result objects), ``duck`` (DuckDB input), ``twfe`` (TWFE + Goodman-Bacon),
``sensitivity`` and ``honest`` (sensitivity to parallel trends, R ``HonestDiD``),
``simulate`` (synthetic panels with known effects), ``rc`` (repeated cross-sections with
covariates), ``wild`` (wild cluster bootstrap for few
clusters) and ``inference`` (randomisation inference over start dates).
"""

from __future__ import annotations

from evaluation.estimators.did.api import att_gt
from evaluation.estimators.did.errors import (
    DuplicateObservationError,
    MissingValueError,
    NonIntegerTimeError,
    NoValidCellsError,
    TimeVaryingCohortError,
    TimeVaryingUnitAttributeError,
    TreatmentSwitchesOffError,
    UnbalancedPanelError,
)
from evaluation.estimators.did.inference import RandomizationResult, randomization_inference
from evaluation.estimators.did.panel import cohort_from_treatment
from evaluation.estimators.did.results import (
    AggregateResult,
    AttGtResult,
    EventStudyPretrend,
    WaldTest,
)
from evaluation.estimators.did.sensitivity import SensitivityResult, honest_sensitivity
from evaluation.estimators.did.simulate import simulate_staggered, simulate_staggered_sql
from evaluation.estimators.did.twfe import TwfeComparison, twfe_comparison
from evaluation.estimators.did.wild import BootstrapSpec, WildTest

__all__ = [
    "AggregateResult",
    "AttGtResult",
    "BootstrapSpec",
    "DuplicateObservationError",
    "EventStudyPretrend",
    "MissingValueError",
    "NoValidCellsError",
    "NonIntegerTimeError",
    "RandomizationResult",
    "SensitivityResult",
    "TimeVaryingCohortError",
    "TimeVaryingUnitAttributeError",
    "TreatmentSwitchesOffError",
    "TwfeComparison",
    "UnbalancedPanelError",
    "WaldTest",
    "WildTest",
    "att_gt",
    "cohort_from_treatment",
    "honest_sensitivity",
    "randomization_inference",
    "simulate_staggered",
    "simulate_staggered_sql",
    "twfe_comparison",
]
