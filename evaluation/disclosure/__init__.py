"""Disclosure control: suppression that survives an LP attacker, and its audit."""

from evaluation.disclosure.protection import FeasibleRanges, feasible_ranges, protect

__all__ = ["FeasibleRanges", "feasible_ranges", "protect"]
