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
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from evaluation.contract import ResultMixin
from evaluation.workbook.indicators import TIDY_COLUMNS
from evaluation.workbook.reader import Submissions, read_workbooks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Indicators shown in the overview, in display order.
KEY_INDICATORS: tuple[str, ...] = (
    "clients_total",
    "started_job_coaching",
    "started_work_activity",
    "feedback_rate",
    "employed_6m_after_job_coaching",
    "work_or_education_3m_after_exit",
)


@dataclass(frozen=True, repr=False)
class SubmissionsOverview(ResultMixin):
    """Key indicators per pilot and the problems of unreadable workbooks.

    ``indicators`` has one row per pilot and one column per key indicator (whole-pilot
    values); ``problems`` has columns ``file, where, what, fix``. :meth:`tidy` is a
    descriptive table (the indicators' :data:`~evaluation.workbook.indicators.TIDY_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = TIDY_COLUMNS

    submissions: Submissions
    indicators: pd.DataFrame
    problems: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """All indicators of all clean workbooks, long format."""
        return self.submissions.indicators().reindex(columns=list(TIDY_COLUMNS))

    def glance(self) -> pd.DataFrame:
        """One row: workbooks, how many were read and how many failed, located problems."""
        read, failed = len(self.submissions.evaluations), len(self.submissions.errors)
        return pd.DataFrame(
            [
                {
                    "workbooks": read + failed,
                    "read": read,
                    "failed": failed,
                    "problems": len(self.problems),
                }
            ]
        )

    def plot(self) -> Figure:
        """Clients per pilot (whole-pilot ``clients_total``)."""
        from matplotlib.figure import Figure

        t = self.indicators
        fig = Figure(figsize=(6, 0.4 * len(t) + 1.4))
        ax = fig.add_subplot()
        ax.barh(t["pilot"].astype(str), t["clients_total"].astype("float64"))
        ax.set_xlabel("clients")
        fig.tight_layout()
        return fig

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
