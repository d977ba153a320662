"""The ``local`` plan-runner backend: pandas and in-process DuckDB (the default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.results import AttGtResult
from evaluation.plans.inputs import Inputs, load_inputs
from evaluation.plans.model import Plan
from evaluation.plans.records import DidRequest
from evaluation.registers import PersonMonthPanel, build_person_month_panel

__all__ = ["DID_COLUMNS", "LocalBackend"]

#: Columns of the DiD input table the runner builds (``att_gt`` column options).
DID_COLUMNS: dict[str, Any] = {
    "outcome": "y",
    "time": "month_index",
    "unit": "person_id",
    "cohort": "cohort",
}


class LocalBackend:
    """pandas + in-process DuckDB (the default)."""

    name = "local"

    def load(self, plan: Plan, plan_dir: Path) -> Inputs:
        """Generate the synthetic extract or read the register files of the plan."""
        return load_inputs(plan, plan_dir)

    def panel(self, inputs: Inputs) -> PersonMonthPanel:
        """The person-month panel of the whole window, every person included."""
        return build_person_month_panel(
            inputs.spells,
            start=inputs.start,
            end=inputs.end,
            participants=inputs.participants,
            persons=inputs.persons["person_id"],
        )

    def did_fit(self, panel: PersonMonthPanel, request: DidRequest) -> AttGtResult:
        """:func:`~evaluation.estimators.did.att_gt` on the DuckDB table the runner built."""
        return att_gt(panel.con.table(request.table), **DID_COLUMNS, **request.options())
