"""Named errors of the staggered difference-in-differences estimator.

They subclass the toolkit's errors in :mod:`evaluation.errors`, so the CLI shows them as one
line; each says what is wrong, where, and how to fix it.
"""

from __future__ import annotations

from evaluation.errors import (
    EstimationError,
    InputDataError,
    MissingValueError,
    NoComparisonUnitsError,
    OptionError,
    OverlapError,
    TreatmentDefinitionError,
)

__all__ = [
    "DuplicateObservationError",
    "MissingValueError",
    "NoComparisonUnitsError",
    "NonIntegerTimeError",
    "OptionError",
    "OverlapError",
    "TimeVaryingCohortError",
    "TimeVaryingUnitAttributeError",
    "TreatmentSwitchesOffError",
    "UnbalancedPanelError",
]


class NonIntegerTimeError(InputDataError):
    """The time column is not integer-valued (dates, strings or fractional periods)."""


class DuplicateObservationError(InputDataError):
    """A unit appears more than once in the same period."""


class UnbalancedPanelError(InputDataError):
    """Some units are not observed in every period and unbalanced input was not allowed."""


class TimeVaryingUnitAttributeError(InputDataError):
    """A unit-level column (weights, cluster) changes over time within a unit."""


class TimeVaryingCohortError(TreatmentDefinitionError):
    """The cohort (first treated period) of a unit differs between its rows."""


class TreatmentSwitchesOffError(TreatmentDefinitionError):
    """A treatment indicator goes from 1 back to 0 (treatment must be absorbing)."""


class NoValidCellsError(EstimationError):
    """No group-time effect can be estimated (e.g. no pre-treatment period for any cohort)."""
