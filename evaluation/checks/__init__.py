"""Data checks: versioned expectation suites generated from the schema, and ``validate``.

``validate(kind, data) -> ValidationReport`` is the whole public face; Great Expectations
runs behind it (no GE types leak out). Suites are generated from the self-evaluation schema
and the register code table and committed in ``checks/*.json`` (regenerate with
``python -m evaluation.checks``).
"""

from __future__ import annotations

from evaluation.checks.api import PANDAS_MAX_ROWS, validate
from evaluation.checks.report import Failure, ValidationReport
from evaluation.checks.submission import ParsedSubmission, parse_submission
from evaluation.checks.suites import (
    DID_COLUMNS,
    HETU_REGEX,
    KINDS,
    Expectation,
    Suite,
    all_suites,
    suite_documents,
    suites_for,
    write_suites,
)

__all__ = [
    "DID_COLUMNS",
    "HETU_REGEX",
    "KINDS",
    "PANDAS_MAX_ROWS",
    "Expectation",
    "Failure",
    "ParsedSubmission",
    "Suite",
    "ValidationReport",
    "all_suites",
    "parse_submission",
    "suite_documents",
    "suites_for",
    "validate",
    "write_suites",
]
