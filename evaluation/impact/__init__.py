"""Bridges from register panels to the inputs of the impact designs."""

from __future__ import annotations

from evaluation.impact.inputs import (
    BACKGROUND_COVARIATES,
    HISTORY_COVARIATES,
    HISTORY_OUTCOMES,
    MATCHING_COVARIATES,
    covariates_with_variation,
    did_input,
    matching_input,
)

__all__ = [
    "BACKGROUND_COVARIATES",
    "HISTORY_COVARIATES",
    "HISTORY_OUTCOMES",
    "MATCHING_COVARIATES",
    "covariates_with_variation",
    "did_input",
    "matching_input",
]
