"""A pilot's indicators across reporting periods, with small cells hidden, and their chart.

The values come from the stored tables (person ids already pseudonymised): for the newest
accepted version of each reporting period the whole-pilot indicators are computed by the
toolkit's own indicator rules. A value is shown only when every count behind it (the
numerator and, for a percentage, the persons outside it) is 0 or at least the disclosure
threshold (:data:`~evaluation.reporting.disclosure.DEFAULT_THRESHOLD`, 5); otherwise it is
hidden.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import Lang
from evaluation.schema import Schema, load_schema
from evaluation.store import SubmissionStore
from evaluation.workbook.indicators import indicator_table

#: Columns of :attr:`IndicatorSeries.table`.
SERIES_COLUMNS = ("period", "indicator", "label", "unit", "numerator", "denominator", "value")
_CHART_LOCK = threading.Lock()


@dataclass(frozen=True)
class IndicatorSeries:
    """Whole-pilot indicator values per reporting period (hidden values are NaN).

    ``table`` has :data:`SERIES_COLUMNS` plus ``hidden`` (bool); ``numerator`` and
    ``denominator`` of a hidden value are NaN too, so nothing small leaves the server.
    """

    pilot: str
    lang: Lang
    table: pd.DataFrame
    threshold: int

    def tidy(self) -> pd.DataFrame:
        """The series as a tidy DataFrame (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """One line per indicator and period."""
        return "\n".join(
            f"{r['period']} {r['indicator']:<34} "
            f"{'<' + str(self.threshold) if r['hidden'] else r['value']}"
            for r in _records(self.table)
        )

    def plot(self) -> bytes:
        """The series as an SVG chart: one small panel per indicator."""
        return indicator_chart(self)


def latest_accepted(frame: pd.DataFrame, pilot: str) -> pd.DataFrame:
    """The newest accepted submission of each period of ``pilot`` (from ``submissions()``)."""
    own = frame[(frame["pilot"] == pilot) & (frame["status"] == "accepted")]
    own = own.sort_values(["period", "version"])
    return own.groupby("period", as_index=False).tail(1)


def _frames(store: SubmissionStore, submission_id: str, schema: Schema) -> dict[str, pd.DataFrame]:
    """The stored tables an indicator is computed from (dates typed as in the workbook)."""
    needed = sorted({ind.compute.table for ind in schema.indicators})
    with store.connection(write=False) as con:
        rows = con.execute(
            "SELECT table_name, record FROM submission_rows WHERE submission_id = ? "
            "AND list_contains(?, table_name) ORDER BY table_name, row_number",
            [submission_id, needed],
        ).fetchall()
    records: dict[str, list[dict[str, object]]] = {t: [] for t in needed}
    for table, record in rows:
        records[str(table)].append(json.loads(record))
    frames = {}
    for table, recs in records.items():
        fields = schema.section(table).fields
        frame = pd.DataFrame(recs, columns=[f.id for f in fields])
        for f in fields:
            if f.type == "date":
                frame[f.id] = pd.to_datetime(frame[f.id])
            elif f.type in ("integer", "number"):
                frame[f.id] = pd.to_numeric(frame[f.id]).astype("Float64")
        frames[table] = frame
    return frames


@lru_cache(maxsize=256)
def _indicators_of(store: SubmissionStore, submission_id: str, period: str) -> pd.DataFrame:
    """Whole-pilot indicators of one stored submission (submissions never change: cached).

    Computed from the stored tables (person ids already pseudonymised) by the toolkit's
    own :func:`~evaluation.workbook.indicators.indicator_table`; the reporting period is
    the report date of the follow-up windows.
    """
    schema = load_schema()
    try:
        report_date: dt.date | None = dt.date.fromisoformat(period)
    except ValueError:
        report_date = None
    table = indicator_table(
        schema, _frames(store, submission_id, schema), report_date=report_date, pilot=""
    )
    return table[table["group_var"] == "all"].reset_index(drop=True)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in rec.items()} for rec in frame.to_dict("records")]


def _number(value: Any) -> float:
    """A float, NaN for a missing value."""
    return math.nan if value is None or pd.isna(value) else float(value)


def _hidden(unit: str, numerator: float, denominator: float, threshold: int) -> bool:
    counts = [numerator]
    if unit == "percent" and not math.isnan(denominator):
        counts.append(denominator - numerator)
    return any(0 < c < threshold for c in counts if not math.isnan(c))


def pilot_series(
    store: SubmissionStore, pilot: str, *, lang: Lang, threshold: int = DEFAULT_THRESHOLD
) -> IndicatorSeries:
    """The indicators of ``pilot``'s newest accepted submission of every period."""
    schema = load_schema()
    rows: list[dict[str, object]] = []
    for sub in latest_accepted(store.submissions(), pilot).itertuples(index=False):
        for r in _records(_indicators_of(store, str(sub.submission_id), str(sub.period))):
            num = _number(r["numerator"])
            den = _number(r["denominator"])
            hide = _hidden(str(r["unit"]), num, den, threshold)
            rows.append(
                {
                    "period": str(sub.period),
                    "indicator": str(r["indicator"]),
                    "label": schema.indicator(str(r["indicator"])).name(lang),
                    "unit": str(r["unit"]),
                    "numerator": math.nan if hide else num,
                    "denominator": math.nan if hide else den,
                    "value": math.nan if hide else _number(r["value"]),
                    "hidden": hide,
                }
            )
    table = pd.DataFrame(rows, columns=[*SERIES_COLUMNS, "hidden"])
    return IndicatorSeries(pilot, lang, table, threshold)


def indicator_chart(series: IndicatorSeries) -> bytes:
    """SVG small multiples of ``series`` (hidden values are gaps, marked ``<threshold``)."""
    from matplotlib.figure import Figure

    table = series.table
    names = list(dict.fromkeys(table["indicator"]))
    ncol = 3
    nrow = max(1, math.ceil(len(names) / ncol))
    with _CHART_LOCK:
        fig = Figure(figsize=(12, 2.4 * nrow), layout="constrained")
        axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
        for ax, name in zip(axes, names, strict=False):
            part = table[table["indicator"] == name]
            x = list(range(len(part)))
            ax.plot(x, part["value"].to_numpy(dtype=float), marker="o", color="#1f5f8b")
            for k, hidden in enumerate(part["hidden"]):
                if hidden:
                    ax.annotate(
                        f"<{series.threshold}",
                        (k, 0),
                        xycoords=("data", "axes fraction"),
                        ha="center",
                        va="bottom",
                        color="#a00",
                        fontsize=8,
                    )
            ax.set_xticks(x, list(part["period"]), fontsize=7)
            ax.set_title(str(part["label"].iloc[0])[:60], fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
    return buf.getvalue()
