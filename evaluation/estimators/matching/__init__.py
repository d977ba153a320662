"""Propensity score matching and matched designs (issue 6).

``match`` builds the design (score model, greedy nearest-neighbour matching or IPW); the
:class:`MatchResult` it returns gives balance diagnostics (cobalt's definitions), ATTs with
design-appropriate standard errors, matched difference-in-differences, Rosenbaum bounds,
refuters and subgroup effects. Inner split: ``_validate`` (inputs), ``_propensity`` (score
models), ``_kernels`` (matching), ``_balance`` and ``_effects`` (statistics), ``_results``
(result objects), ``_dowhy`` (DoWhy refuters, imported lazily) and ``_plots`` (figures).
"""

from __future__ import annotations

from evaluation.errors import MissingValueError
from evaluation.estimators.matching._results import (
    ATTResult,
    MatchResult,
    RefutationResult,
    RosenbaumResult,
    SubgroupResult,
)
from evaluation.estimators.matching._riskset import RiskSetResult, risk_set_match
from evaluation.estimators.matching._validate import MatchWarning
from evaluation.estimators.matching.api import MatchSpec, balance_table, match

__all__ = [
    "ATTResult",
    "MatchResult",
    "MatchSpec",
    "MatchWarning",
    "MissingValueError",
    "RefutationResult",
    "RiskSetResult",
    "RosenbaumResult",
    "SubgroupResult",
    "balance_table",
    "match",
    "risk_set_match",
]
