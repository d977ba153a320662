"""Bridges from register panels to the inputs of the impact designs."""

from __future__ import annotations

from evaluation.impact.inputs import (
    HISTORY_OUTCOMES,
    covariates_with_variation,
    did_input,
    matching_input,
)

__all__ = ["HISTORY_OUTCOMES", "covariates_with_variation", "did_input", "matching_input"]
