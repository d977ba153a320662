"""Reporting layer: renders ``reports/*.qmd``, disclosure control, language catalogue.

- :func:`render_report`: Quarto where installed, else the built-in renderer (pandoc and
  typst from their wheels) to self-contained HTML or PDF.
- :mod:`~evaluation.reporting.disclosure`: small-cell suppression and the identifier guard.
- :mod:`~evaluation.reporting.ledger`: one disclosure ledger per report set (every published
  number decided once), its ``disclosure.csv`` log and the log's re-audit.
- :mod:`~evaluation.reporting.i18n`: fi/sv/en labels and prose.
- :mod:`~evaluation.reporting.results`: the tidy result tables the reports read, and a
  synthetic example.
- :mod:`~evaluation.reporting.impact_results` / :mod:`~evaluation.reporting.pilot_results`:
  writers of the tidy tables of the impact designs and of a self-evaluation workbook.
- :mod:`~evaluation.reporting.examples`: synthetic results folders for all three reports.
"""

from __future__ import annotations

from evaluation._paths import project_folder
from evaluation.reporting.disclosure import (
    IdentifierLeakError,
    SuppressedTable,
    assert_no_identifiers,
    audit_suppression,
    suppress_count_column,
    suppress_counts,
)
from evaluation.reporting.examples import example_impact_results, example_pilot_results
from evaluation.reporting.i18n import LANGUAGES, Translator, translator
from evaluation.reporting.impact_results import write_did_results, write_matching_results
from evaluation.reporting.pilot_results import write_pilot_results
from evaluation.reporting.render import render_report
from evaluation.reporting.results import (
    ComparisonResults,
    example_results,
    load_comparison_results,
)

#: Folder of the report documents (``reports/`` at the project root).
REPORTS_DIR = project_folder("reports")

__all__ = [
    "LANGUAGES",
    "REPORTS_DIR",
    "ComparisonResults",
    "IdentifierLeakError",
    "SuppressedTable",
    "Translator",
    "assert_no_identifiers",
    "audit_suppression",
    "example_impact_results",
    "example_pilot_results",
    "example_results",
    "load_comparison_results",
    "render_report",
    "suppress_count_column",
    "suppress_counts",
    "translator",
    "write_did_results",
    "write_matching_results",
    "write_pilot_results",
]
