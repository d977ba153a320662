"""Workbook intake: every submitted file is inspected at the door, before any parsing.

:func:`inspect_workbook` reads the zip directory first and streams each part with byte
caps; it refuses zip bombs and oversized files (:class:`IntakeLimits`, ``PILOT_EVAL_MAX_*``),
macros and ActiveX, external links and DDE, and any identity code or store pseudonym
(:mod:`evaluation.privacy`) in any cell of any sheet (hidden ones too), comment, defined
name, document property, sheet name, part or file name. Messages are located, in the
workbook's language, and show at most a code's shape.
"""

from __future__ import annotations

from evaluation.intake.inspect import (
    MACRO_EXTENSIONS,
    UNSAFE_REASONS,
    IntakeProblem,
    IntakeResult,
    inspect_workbook,
)
from evaluation.intake.limits import LIMIT_ENV, LIMITS_HELP, IntakeLimits
from evaluation.intake.scan import Reason

__all__ = [
    "LIMITS_HELP",
    "LIMIT_ENV",
    "MACRO_EXTENSIONS",
    "UNSAFE_REASONS",
    "IntakeLimits",
    "IntakeProblem",
    "IntakeResult",
    "Reason",
    "inspect_workbook",
]
