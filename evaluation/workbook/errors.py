"""Workbook errors whose messages are in the workbook's language."""

from __future__ import annotations

from collections.abc import Sequence

from evaluation.errors import IntakeRefusedError, Problem, WorkbookError
from evaluation.schema import Lang, load_schema


class LocalizedWorkbookError(WorkbookError):
    """A workbook with located problems; the message uses the workbook's language.

    ``problems`` holds every problem found (never only the first), each with ``where``
    (sheet and cell), ``what`` and ``fix`` already in ``lang``.
    """

    #: Message key of the heading line.
    heading_key = "problems_found"

    def __init__(self, source: str, problems: Sequence[Problem], *, lang: Lang = "en") -> None:
        self.lang: Lang = lang
        super().__init__(source, problems)

    @property
    def message(self) -> str:
        schema = load_schema()
        head = schema.text(self.heading_key, self.lang, n=len(self.problems))
        fix = schema.text("fix", self.lang)
        lines = [f"{self.source}: {head}"]
        lines += [
            f"  - {p.where}: {p.what.rstrip('.')}. {fix}: {p.fix.rstrip('.')}."
            for p in self.problems
        ]
        return "\n".join(lines)


class RefusedWorkbookError(IntakeRefusedError, LocalizedWorkbookError):
    """A workbook refused by the intake (:mod:`evaluation.intake`), in its language.

    It is an :class:`~evaluation.errors.IntakeRefusedError` (nothing of the file is stored
    or shown) and a :class:`LocalizedWorkbookError` (callers that collect unreadable
    workbooks keep it). ``source`` and every problem show at most a code's shape.
    """

    heading_key = "intake_refused"
