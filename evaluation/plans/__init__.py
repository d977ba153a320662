"""Evaluation plans as code: plan files (``designs/*.yaml``), runner, deviations, evidence.

* :mod:`evaluation.plans.model`: the strict plan model and its JSON Schema.
* :mod:`evaluation.plans.load`: YAML -> plan, each mistake located by YAML path and line.
* :mod:`evaluation.plans.runner`: :func:`run_plan` (checks -> panel -> estimators ->
  diagnostics -> rating -> tidy files + manifest), orchestrating:
  :mod:`~evaluation.plans.backends` (the backend protocol and registry),
  :mod:`~evaluation.plans.inputs`, one module per design kind
  (:mod:`~evaluation.plans.did`, :mod:`~evaluation.plans.matching`,
  :mod:`~evaluation.plans.matched_did`) adding typed records
  (:mod:`~evaluation.plans.records`), and :mod:`~evaluation.plans.outputs` (writing).
* :mod:`evaluation.plans.evidence`: the Maryland SMS rating with reasons.
* :mod:`evaluation.plans.commands`: ``pilot-eval plan check`` and ``pilot-eval run``.
* :mod:`evaluation.plans.ibis_backend`: the ``ibis`` and ``spark`` backends (data steps as
  Ibis expressions, :mod:`evaluation.scale`).
"""

from __future__ import annotations

from evaluation.plans.evidence import Diagnostics, EvidenceRating, rate_evidence
from evaluation.plans.load import load_plan, parse_plan
from evaluation.plans.model import Plan, plan_schema, write_schema
from evaluation.plans.runner import (
    BACKENDS,
    DESIGNS_DIR,
    Prebuilt,
    RunResult,
    evidence_summary,
    run_designs,
    run_plan,
)

__all__ = [
    "BACKENDS",
    "DESIGNS_DIR",
    "Diagnostics",
    "EvidenceRating",
    "Plan",
    "Prebuilt",
    "RunResult",
    "evidence_summary",
    "load_plan",
    "parse_plan",
    "plan_schema",
    "rate_evidence",
    "run_designs",
    "run_plan",
    "write_schema",
]
