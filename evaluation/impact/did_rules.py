"""The staggered-DiD input rules, stated once for the in-process and the Ibis builders.

:func:`evaluation.impact.did_input` renders them as DuckDB SQL
(:data:`evaluation.registers.panel_rules.SQL`) and :func:`evaluation.scale.did_input` as
Ibis expressions (:data:`evaluation.scale.panel.IBIS`); see
:mod:`evaluation.registers.panel_rules` for the dialects.
"""

from __future__ import annotations

from typing import Any

from evaluation.errors import OptionError
from evaluation.registers import panel_rules as rules
from evaluation.registers.panel import GROUP_COLUMNS, OUTCOME_COLUMNS

#: Panel columns a DiD input can take as its outcome (0/1 per month).
DID_OUTCOMES: tuple[str, ...] = (*OUTCOME_COLUMNS, *GROUP_COLUMNS)

#: ``cohort`` of persons in no pilot (never treated).
NEVER_TREATED = 0


def check_did_outcome(outcome: str) -> None:
    """Refuse an outcome that is not a 0/1 column of the panel.

    Raises
    ------
    evaluation.errors.OptionError
        If ``outcome`` is not one of :data:`DID_OUTCOMES`.
    """
    if outcome not in DID_OUTCOMES:
        raise OptionError(
            f"unknown outcome {outcome!r}",
            where="outcome",
            fix=f"use one of {', '.join(DID_OUTCOMES)}",
        )


def did_rows(d: rules.Dialect, pilot: Any, pilot_name: str, keep: Any) -> Any:
    """Rows of the DiD input: the pilot's participants and the kept persons in no pilot."""
    return d.eq(pilot, d.text(pilot_name)) | (d.is_null(pilot) & keep)


def did_cohort(d: rules.Dialect, pilot: Any, first_pilot_month: Any) -> Any:
    """``cohort``: month index of the first month in the pilot; :data:`NEVER_TREATED` else."""
    treated = rules.month_index(d, first_pilot_month)
    return d.cast(d.ifelse(d.is_null(pilot), NEVER_TREATED, treated), "int64")


def did_outcome(d: rules.Dialect, value: Any) -> Any:
    """``y``: the outcome as a float."""
    return d.cast(value, "float64")


__all__ = [
    "DID_OUTCOMES",
    "NEVER_TREATED",
    "check_did_outcome",
    "did_cohort",
    "did_outcome",
    "did_rows",
]
