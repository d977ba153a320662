"""What every design module gets for one pilot and outcome, and the steps they share:
the comparison pool, agreement of two estimates, and the pilot's power."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.errors import InputDataError, OptionError, PilotEvalError
from evaluation.plans.backends import Backend
from evaluation.plans.inputs import Inputs
from evaluation.plans.model import Plan
from evaluation.plans.records import RunRecords
from evaluation.registers import PersonMonthPanel
from evaluation.synthetic import PILOTS_BY_NAME

if TYPE_CHECKING:
    from evaluation.power_analysis import PowerResult

__all__ = ["AGREEMENT_Z", "DesignContext", "agree"]

#: Critical value for "two estimates agree" in sensitivity analyses (95%, two-sided).
AGREEMENT_Z = 1.959963984540054


@dataclass(frozen=True)
class DesignContext:
    """One pilot and outcome of a plan run: the plan, its data and the run's records."""

    plan: Plan
    panel: PersonMonthPanel
    inputs: Inputs
    backend: Backend
    pilot: str
    outcome: str
    records: RunRecords

    def deviate(self, plan_item: str, kind: str, detail: str) -> None:
        """Record a deviation of this pilot and outcome."""
        self.records.deviate(self.pilot, self.outcome, plan_item, kind, detail)

    def pilot_rows(self) -> pd.Series:
        """The participants rows of this pilot (a boolean mask)."""
        part = self.inputs.participants
        return part["pilot"].astype("string") == self.pilot

    def comparison_ids(self) -> pd.Series:
        """Never-participants allowed in the comparison group (region and age eligibility)."""
        persons, part = self.inputs.persons, self.inputs.participants
        entries = part.loc[self.pilot_rows(), "entry_date"]
        if entries.empty:
            raise InputDataError(
                f"no participants of pilot {self.pilot!r}",
                where="participants",
                fix="check the pilot name in the plan against the client sheet",
            )
        age = int(pd.Timestamp(entries.min()).year) - persons["birth_year"].astype("int64")
        elig = self.plan.population.eligibility
        keep = age.between(elig.age_min, elig.age_max)
        if self.plan.population.comparison == "pilot_regions":
            facts = PILOTS_BY_NAME.get(self.pilot)
            if facts is None:
                raise OptionError(
                    f"the regions of pilot {self.pilot!r} are not known",
                    where="population.comparison",
                    fix="use comparison: national",
                )
            keep &= persons["region"].isin(facts.regions)
        never = ~persons["person_id"].isin(part["person_id"])
        return persons.loc[keep & never, "person_id"].astype("string").reset_index(drop=True)

    def power(self, ids: pd.Series, n_treated: int) -> PowerResult | None:
        """The pilot's power (MDE) from placebo rollouts before its first entry, when the
        plan has a ``power:`` section; a problem is recorded as a deviation (``None``)."""
        if self.plan.power is None:
            return None
        from evaluation.power_analysis.plan import pilot_power  # plans <-> power cycle

        dates = self.inputs.participants.loc[self.pilot_rows(), "entry_date"]
        entries = pd.to_datetime(dates).dt.to_period("M")
        try:
            return pilot_power(
                self.plan, self.panel, ids, entries, outcome=self.outcome, n_treated=n_treated
            )
        except PilotEvalError as exc:
            self.deviate("power", "not_run", f"power analysis failed: {exc.what}")
            return None


def agree(a: float, se_a: float, b: float, se_b: float) -> bool:
    """Two estimates agree: their difference is within :data:`AGREEMENT_Z` combined SEs."""
    return bool(abs(a - b) <= AGREEMENT_Z * float(np.hypot(se_a, se_b)))
