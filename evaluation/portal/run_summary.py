"""What a finished plan run reports, kept as data so its page can say it in any language.

:meth:`evaluation.plans.records.RunResult.summary` is English text for the command line;
the portal keeps the same facts (:class:`RunSummary`) in the run's record and words them
with the catalogue of the evaluator's language (:meth:`RunSummary.lines`). The plan's own
identifiers (study, pilot and outcome ids) are shown as the plan writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evaluation.reporting.i18n import Translator

if TYPE_CHECKING:
    from evaluation.plans.records import RunResult

#: Decimals of the estimates in the summary (as in ``RunResult.summary``).
DIGITS = 4


def _number(value: Any) -> float:
    """A float of a table cell or a stored value (NaN for a missing one)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class EffectLine:
    """One estimate of the run: pilot, outcome, design, analysis and its interval."""

    pilot: str
    outcome: str
    design: str
    analysis: str
    estimate: float
    conf_low: float
    conf_high: float

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> EffectLine:
        """The line of an effects-table row or of a stored line (``KeyError`` if a field
        is missing)."""
        return cls(
            pilot=str(row["pilot"]),
            outcome=str(row["outcome"]),
            design=str(row["design"]),
            analysis=str(row["analysis"]),
            estimate=_number(row["estimate"]),
            conf_low=_number(row["conf_low"]),
            conf_high=_number(row["conf_high"]),
        )


@dataclass(frozen=True)
class RatingLine:
    """The evidence rating (Maryland SMS level) of one pilot and outcome."""

    pilot: str
    outcome: str
    level: int


@dataclass(frozen=True)
class RunSummary:
    """The facts of :meth:`RunResult.summary`: the study's id, estimates, ratings and the
    number of deviations (not the plan's title: the plan's writer chose its language)."""

    study: str
    effects: tuple[EffectLine, ...] = ()
    ratings: tuple[RatingLine, ...] = ()
    deviations: int = 0

    @classmethod
    def of(cls, result: RunResult) -> RunSummary:
        """The summary of a plan run's result."""
        effects = tuple(EffectLine.of(row) for row in result.effects.to_dict("records"))
        ratings = tuple(
            RatingLine(str(pilot), str(outcome), int(rating.level))
            for (pilot, outcome), rating in sorted(result.ratings.items())
        )
        return cls(result.plan.study.id, effects, ratings, len(result.deviations))

    @classmethod
    def from_dict(cls, data: Any) -> RunSummary:
        """The summary stored in a run's record (as :func:`dataclasses.asdict` wrote it).

        Raises
        ------
        ValueError
            If ``data`` is not such a mapping (the caller treats the record as unreadable).
        """
        try:
            effects = tuple(EffectLine.of(e) for e in data["effects"])
            ratings = tuple(
                RatingLine(str(r["pilot"]), str(r["outcome"]), int(r["level"]))
                for r in data["ratings"]
            )
            return cls(str(data["study"]), effects, ratings, int(data["deviations"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a run summary: {exc}") from exc

    def lines(self, t: Translator) -> tuple[str, ...]:
        """The summary in ``t``'s language: one line per estimate and rating, then the
        number of deviations from the plan."""
        effects = (
            t(
                "portal.run_effect",
                pilot=e.pilot,
                outcome=e.outcome,
                design=t.get(f"design.{e.design}", e.design),
                analysis=t.get(f"analysis.{e.analysis}", e.analysis),
                estimate=t.num(e.estimate, DIGITS),
                low=t.num(e.conf_low, DIGITS),
                high=t.num(e.conf_high, DIGITS),
            )
            for e in self.effects
        )
        ratings = (
            t("portal.run_rating", pilot=r.pilot, outcome=r.outcome, level=r.level)
            for r in self.ratings
        )
        return (*effects, *ratings, t("portal.run_deviations", n=self.deviations))
