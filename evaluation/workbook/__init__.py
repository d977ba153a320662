"""Self-evaluation workbooks: schema -> xlsx, and filled xlsx -> typed model + tidy tables.

* :func:`write_template` creates the empty workbook a pilot fills (fi/sv/en);
* :func:`read_workbook` checks a filled workbook and returns a :class:`SelfEvaluation`
  (``.tables()``, ``.indicators()``, ``.scores()``, ``.to_json()``) or raises a
  :class:`LocalizedWorkbookError` listing every located problem in the workbook's language;
* :func:`write_workbook` writes a :class:`SelfEvaluation` back (lossless round trip);
* :mod:`evaluation.workbook.instrument` scores self-assessments and runs the analyses of the
  seed report's Tables 10-12.
"""

from __future__ import annotations

from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.indicators import IndicatorResult, compute_indicators
from evaluation.workbook.instrument import (
    GroupMeans,
    InstrumentAnalyses,
    PairedChange,
    PredictiveValidity,
    baseline_means,
    ethics_rule,
    instrument_analyses,
    paired_change,
    predictive_validity,
    score_frame,
)
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.overview import SubmissionsOverview, submissions_overview
from evaluation.workbook.reader import Submissions, read_workbook, read_workbooks
from evaluation.workbook.writer import write_template, write_workbook

__all__ = [
    "GroupMeans",
    "IndicatorResult",
    "InstrumentAnalyses",
    "LocalizedWorkbookError",
    "PairedChange",
    "PredictiveValidity",
    "SelfEvaluation",
    "Submissions",
    "SubmissionsOverview",
    "baseline_means",
    "compute_indicators",
    "ethics_rule",
    "instrument_analyses",
    "paired_change",
    "predictive_validity",
    "read_workbook",
    "read_workbooks",
    "score_frame",
    "submissions_overview",
    "write_template",
    "write_workbook",
]
