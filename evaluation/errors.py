"""Named errors of the toolkit.

Every error says *what* is wrong, *where* (file, sheet, cell, column, row) and *how to fix
it*. The CLI turns any :class:`PilotEvalError` into one readable message and exit code 2.
Errors that collect several problems (a spell file with many bad rows, a workbook with
many bad cells) carry them as :class:`Problem` records, so that nothing is reported
half-way and no row is dropped silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One located problem in user input.

    Attributes
    ----------
    where:
        Location in the user's terms, e.g. ``"spells.csv row 17, column 'end'"`` or
        ``"sheet 'Asiakkaat', cell C5"``.
    what:
        What is wrong, e.g. ``"end date 2021-01-03 is before start date 2021-02-01"``.
    fix:
        How to fix it, e.g. ``"swap the dates or correct the typo"``.
    """

    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}. Fix: {self.fix}."


class PilotEvalError(Exception):
    """Base class of all errors the toolkit raises on purpose."""

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message shown to users."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text = f"{text.rstrip('.')}. Fix: {self.fix.rstrip('.')}."
        return text


class ProblemsFound(PilotEvalError):
    """Several located problems found while reading or checking an input.

    ``problems`` holds every problem found, not just the first, so the user can fix all
    of them in one go.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} found",
            where=source,
            fix="correct each listed item and run again",
        )

    @property
    def message(self) -> str:
        head = f"{self.source}: {len(self.problems)} problem(s) found"
        lines = [head, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a table with columns ``where, what, fix``."""
        return pd.DataFrame(
            [(p.where, p.what, p.fix) for p in self.problems], columns=["where", "what", "fix"]
        )


class InputDataError(PilotEvalError):
    """A data frame or file given to the toolkit does not have the required shape."""


#: At most this many of the data's columns are listed in a missing-column message.
_MAX_COLUMNS_LISTED = 20


def close_names(name: str, available: Sequence[str], n: int = 3) -> list[str]:
    """Names in ``available`` close to ``name`` (difflib, case-insensitive), best first."""
    lower = {a.lower(): a for a in reversed(available)}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]


class MissingColumnError(InputDataError):
    """A required column is absent; the message suggests close names ("did you mean")."""

    def __init__(self, columns: Iterable[str], *, where: str, available: Iterable[str]) -> None:
        cols = list(columns)
        have = [str(a) for a in available]
        missing = ", ".join(repr(c) for c in cols)
        guesses = []
        for c in cols:
            close = close_names(str(c), have)
            if close:
                guesses.append(f"did you mean {' or '.join(repr(h) for h in close)} for {c!r}?")
        shown = ", ".join(repr(c) for c in have[:_MAX_COLUMNS_LISTED])
        if len(have) > _MAX_COLUMNS_LISTED:
            shown += f" (and {len(have) - _MAX_COLUMNS_LISTED} more)"
        todo = f"rename or add the column(s); the data has {shown}"
        super().__init__(
            f"missing column(s) {missing}",
            where=where,
            fix=f"{' '.join(guesses)} Otherwise {todo}" if guesses else todo,
        )


class MissingValueError(InputDataError):
    """A value the estimator needs is missing (outcome, treatment, covariate, unit, time,
    weight or cluster); the message names the column and the first rows."""


class OptionError(PilotEvalError):
    """An option has a value outside its allowed set or range."""


class SpellError(ProblemsFound):
    """Register spells with invalid rows (bad dates, unknown codes, missing ids)."""


class WorkbookError(ProblemsFound):
    """A filled self-evaluation workbook with located problems (sheet, cell)."""


class IntakeRefusedError(ProblemsFound):
    """A file refused at the door: identity codes, macros, external links or size limits.

    Nothing of a refused file is stored or shown; ``problems`` locate each reason and show
    at most the shape of an identity code (``######-####``), never its characters.
    """


class SchemaError(PilotEvalError):
    """The self-evaluation schema itself is inconsistent (a developer error in the schema)."""


class EstimationError(PilotEvalError):
    """An estimator cannot run on the given data (e.g. no comparison units, no overlap)."""


class NoComparisonUnitsError(EstimationError):
    """No valid comparison units for a treated group or period."""


class TreatmentDefinitionError(EstimationError):
    """Treatment timing is not valid for the design (time-varying cohort, switching off)."""


class OverlapError(EstimationError):
    """Treated and comparison units do not overlap (no common support, separation)."""


class ReportError(PilotEvalError):
    """A report cannot be rendered."""


class PlanError(ProblemsFound):
    """An evaluation plan file with located problems (YAML paths)."""


class EstimatorNote(UserWarning):
    """How an estimator treated the data (e.g. cohorts dropped or merged), as a warning.

    The plan runner records these, and only these, as deviations from the plan.
    """
