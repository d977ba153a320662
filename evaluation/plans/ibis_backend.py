"""Plan-runner backends that run the data steps through Ibis: ``ibis`` (DuckDB) and ``spark``.

The inputs are read and checked as by the local backend (every bad row listed); then
the person-month panel (:func:`evaluation.scale.person_month_panel`) and, per pilot and
outcome, the DiD input and the staggered DiD's cell sums (:func:`evaluation.scale.att_gt`)
run on the engine. The panel also comes back into DuckDB once, for the steps that work on
person-level rows in-process (the Great Expectations checks, matching, group counts).
"""

from __future__ import annotations

import warnings
from typing import Any

from evaluation.estimators.did.results import AttGtResult
from evaluation.plans.inputs import Inputs
from evaluation.plans.local import DID_COLUMNS, LocalBackend
from evaluation.plans.records import DidRequest
from evaluation.registers import (
    PersonMonthPanel,
    store_person_month_panel,
    validated_panel_inputs,
)
from evaluation.scale import Engine, att_gt, connect, did_input, person_month_panel, upload

__all__ = ["IbisBackend"]


class IbisBackend(LocalBackend):
    """Panel and DiD cell sums on an Ibis engine (``"duckdb"`` or ``"pyspark"``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine: Engine = engine
        self.name = "spark" if engine == "pyspark" else "ibis"
        self._con = connect(engine)  # fails here, before any data are loaded
        self._panels: dict[str, Any] = {}

    def panel(self, inputs: Inputs) -> PersonMonthPanel:
        """Build the panel on the engine; keep it there and return a DuckDB copy."""
        spells, people = validated_panel_inputs(
            inputs.spells, participants=inputs.participants, persons=inputs.persons["person_id"]
        )
        table = person_month_panel(
            upload(self._con, spells, kind="spells"),
            upload(self._con, people, kind="people"),
            start=inputs.start,
            end=inputs.end,
        ).cache()
        with warnings.catch_warnings():  # pyspark's notices about pandas and Arrow versions
            warnings.simplefilter("ignore")
            local = store_person_month_panel(table.to_pyarrow(), start=inputs.start, end=inputs.end)
        self._panels[local.table] = table
        return local

    def did_fit(self, panel: PersonMonthPanel, request: DidRequest) -> AttGtResult:
        """The staggered DiD of ``request`` on the engine's copy of ``panel``."""
        data = did_input(
            self._panels[panel.table],
            pilot=request.pilot,
            outcome=request.outcome,
            comparison_ids=request.comparison_ids,
            never_participants=request.never_participants,
        )
        options = request.options()
        options.pop("method")  # no covariates: every method is the same estimator
        return att_gt(data, **DID_COLUMNS, **options)
