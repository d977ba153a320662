"""Workbook errors whose messages are in the workbook's language."""

from __future__ import annotations

from collections.abc import Sequence

from evaluation.errors import Problem, WorkbookError
from evaluation.schema import Lang, load_schema


class LocalizedWorkbookError(WorkbookError):
    """A workbook with located problems; the message uses the workbook's language.

    ``problems`` holds every problem found (never only the first), each with ``where``
    (sheet and cell), ``what`` and ``fix`` already in ``lang``.
    """

    def __init__(self, source: str, problems: Sequence[Problem], *, lang: Lang = "en") -> None:
        self.lang: Lang = lang
        super().__init__(source, problems)

    @property
    def message(self) -> str:
        schema = load_schema()
        head = schema.text("problems_found", self.lang, n=len(self.problems))
        fix = schema.text("fix", self.lang)
        lines = [f"{self.source}: {head}"]
        lines += [
            f"  - {p.where}: {p.what.rstrip('.')}. {fix}: {p.fix.rstrip('.')}."
            for p in self.problems
        ]
        return "\n".join(lines)
