"""An overview of several pilots' submissions, for the demo page and reports.

:func:`submissions_overview` reads the workbooks and returns tidy tables (key indicators per
pilot, located problems of the workbooks that could not be read) and a small HTML fragment.
Reports should consume the tables; the HTML is a convenience for the demo page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.workbook.reader import Submissions, read_workbooks

#: Indicators shown in the overview, in display order.
KEY_INDICATORS: tuple[str, ...] = (
    "clients_total",
    "started_job_coaching",
    "started_work_activity",
    "feedback_rate",
    "employed_6m_after_job_coaching",
    "work_or_education_3m_after_exit",
)


@dataclass(frozen=True)
class SubmissionsOverview:
    """Key indicators per pilot and the problems of unreadable workbooks.

    ``indicators`` has one row per pilot and one column per key indicator (whole-pilot
    values); ``problems`` has columns ``file, where, what, fix``.
    """

    submissions: Submissions
    indicators: pd.DataFrame
    problems: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """All indicators of all clean workbooks, long format."""
        return self.submissions.indicators()

    def summary(self) -> str:
        """One line per workbook."""
        return self.submissions.summary()

    def to_html(self) -> str:
        """An HTML fragment: the indicator table and the list of problems."""
        parts = ["<h2>Self-evaluation workbooks</h2>"]
        parts.append(
            self.indicators.to_html(index=False, float_format="{:.1f}".format, na_rep="–", border=0)
        )
        if len(self.problems):
            parts.append("<h3>Workbooks that need fixing</h3><ul>")
            for r in self.problems.to_dict("records"):
                parts.append(
                    f"<li><b>{html.escape(str(r['file']))}</b> – {html.escape(str(r['where']))}: "
                    f"{html.escape(str(r['what']))}. <i>{html.escape(str(r['fix']))}</i></li>"
                )
            parts.append("</ul>")
        return "\n".join(parts)


def submissions_overview(paths: Iterable[str | Path]) -> SubmissionsOverview:
    """Read the workbooks at ``paths`` and summarise them (see :class:`SubmissionsOverview`)."""
    subs = read_workbooks(paths)
    ind = subs.indicators()
    if len(ind):
        wide = (
            ind[(ind["group_var"] == "all") & ind["indicator"].isin(KEY_INDICATORS)]
            .pivot(index="pilot", columns="indicator", values="value")
            .reindex(columns=list(KEY_INDICATORS))
            .reset_index()
        )
        wide.columns.name = None
    else:
        wide = pd.DataFrame(columns=["pilot", *KEY_INDICATORS])
    return SubmissionsOverview(submissions=subs, indicators=wide, problems=subs.problems())
