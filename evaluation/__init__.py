"""pilot-evaluation: shared self-evaluation, indicators and register-based impact evaluation.

The main entry points are re-exported here; see README.md for a tour.
"""

from __future__ import annotations

from evaluation.errors import PilotEvalError
from evaluation.estimators.did import att_gt
from evaluation.estimators.matching import match
from evaluation.estimators.meta import meta_analysis, meta_regression
from evaluation.estimators.trajectories import trajectories
from evaluation.power_analysis import power
from evaluation.registers import (
    PersonMonthPanel,
    PersonYearPanel,
    build_person_month_panel,
    build_person_year_panel,
    code_table,
    months_employed_in_window,
    need_indicators,
    outcome_at_months,
    register_outcomes,
    validate_spells,
)
from evaluation.synthetic import generate_registers

__version__ = "0.1.0"

__all__ = [
    "PersonMonthPanel",
    "PersonYearPanel",
    "PilotEvalError",
    "__version__",
    "att_gt",
    "build_person_month_panel",
    "build_person_year_panel",
    "code_table",
    "generate_registers",
    "match",
    "meta_analysis",
    "meta_regression",
    "months_employed_in_window",
    "need_indicators",
    "outcome_at_months",
    "power",
    "register_outcomes",
    "trajectories",
    "validate_spells",
]
