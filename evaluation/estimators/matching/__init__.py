"""Propensity score matching and matched designs (issue 6).

``match`` builds the design (score model, greedy nearest-neighbour matching or IPW); the
:class:`MatchResult` it returns is the design: matching, weights and balance diagnostics
(cobalt's definitions). What is estimated on it are functions that take it, as MatchIt
leaves effects to marginaleffects: :func:`effect` and :func:`matched_did` (``effects``),
:func:`rosenbaum` (``rosenbaum``), :func:`refute` (``refutation``), :func:`by_subgroup`
and :func:`cate` (``heterogeneity``); ``MatchResult.att()`` and the other old method names
delegate to them. Inner split: ``_validate`` (inputs), ``_propensity`` (score models),
``_kernels`` (matching), ``_balance`` and ``_effects`` (statistics), ``_results`` (the
design), ``_dowhy`` (DoWhy refuters, imported lazily) and ``_plots`` (figures).
"""

from __future__ import annotations

from evaluation.errors import MissingValueError
from evaluation.estimators.matching._results import MatchResult
from evaluation.estimators.matching._riskset import RiskSetResult, risk_set_match
from evaluation.estimators.matching._validate import MatchWarning
from evaluation.estimators.matching.api import MatchSpec, balance_table, match
from evaluation.estimators.matching.effects import ATTResult, effect, matched_did
from evaluation.estimators.matching.heterogeneity import SubgroupResult, by_subgroup, cate
from evaluation.estimators.matching.refutation import RefutationResult, refute
from evaluation.estimators.matching.rosenbaum import RosenbaumResult, rosenbaum

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
    "by_subgroup",
    "cate",
    "effect",
    "match",
    "matched_did",
    "refute",
    "risk_set_match",
    "rosenbaum",
]
