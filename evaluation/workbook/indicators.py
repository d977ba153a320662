"""Computing the shared indicators from the client sheet (never typed in by hand).

Each indicator's rule lives in the schema (``indicators.yaml``, :class:`Compute`); this
module only knows the four rule kinds. Results are computed for all clients and for each
disaggregation (e.g. target group, service provider group).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from evaluation.contract import ResultMixin
from evaluation.schema import Indicator, Schema

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evaluation.workbook.model import SelfEvaluation

TIDY_COLUMNS = (
    "pilot",
    "indicator",
    "domain",
    "unit",
    "group_var",
    "group",
    "numerator",
    "denominator",
    "value",
)


@dataclass(frozen=True, repr=False)
class IndicatorResult(ResultMixin):
    """Indicator values of one pilot.

    ``table`` has the columns of :data:`TIDY_COLUMNS`: ``group_var`` is ``"all"`` for the
    whole pilot or the disaggregation field; ``numerator`` is the count of rows meeting the
    rule (for ``mean``: the number of answers), ``denominator`` the base (missing for
    counts and means), ``value`` the count, percentage or mean (missing if the base is 0).
    :meth:`tidy` is a descriptive table (columns :data:`TIDY_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = TIDY_COLUMNS

    table: pd.DataFrame
    report_date: dt.date | None

    def tidy(self) -> pd.DataFrame:
        """The indicator values as a tidy DataFrame (a copy)."""
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row: ``pilot``, ``report_date``, indicators, rows and whole-pilot values
        that could be computed."""
        t = self.table
        whole = t[t["group_var"] == "all"]
        return pd.DataFrame(
            [
                {
                    "pilot": str(t["pilot"].iloc[0]) if len(t) else "",
                    "report_date": self.report_date,
                    "indicators": int(t["indicator"].nunique()),
                    "rows": len(t),
                    "computed": int(whole["value"].notna().sum()),
                }
            ]
        )

    def plot(self) -> Figure:
        """Whole-pilot values of the percentage indicators."""
        from matplotlib.figure import Figure

        t = self.table
        share = t[(t["group_var"] == "all") & (t["unit"] == "percent")].dropna(subset=["value"])
        fig = Figure(figsize=(6, 0.3 * len(share) + 1.4))
        ax = fig.add_subplot()
        ax.barh(share["indicator"].astype(str), share["value"].astype("float64"))
        ax.set_xlim(0, 100)
        ax.set_xlabel("% (whole pilot)")
        fig.tight_layout()
        return fig

    def value(self, indicator_id: str) -> float:
        """The whole-pilot value of one indicator (NaN if not computable)."""
        t = self.table
        hit = t[(t["indicator"] == indicator_id) & (t["group_var"] == "all")]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    def summary(self) -> str:
        """Whole-pilot values, one line each."""
        t = self.table[self.table["group_var"] == "all"]
        return "\n".join(
            f"{r.indicator:<34} {r.value:8.2f} {r.unit}" for r in t.itertuples(index=False)
        )


def _row_parts(
    ind: Indicator, frame: pd.DataFrame, report: dt.date | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row (in base, in numerator, value to average) of one indicator.

    The base is the rows the indicator counts over (its denominator); the numerator rows
    are a subset; values are only used by ``mean`` indicators.
    """
    c = ind.compute
    n = len(frame)
    base = np.ones(n, dtype=bool)
    for cond in c.where:
        base &= cond.mask(frame).to_numpy(dtype=bool)
    values = np.full(n, np.nan)
    if c.kind == "count":
        return base, base.copy(), values
    if c.kind == "mean":
        field = c.field or ""
        values = pd.to_numeric(frame[field], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        base &= ~np.isnan(values)
        return base, base.copy(), values
    if c.kind == "share":
        num = base.copy()
        for cond in c.numerator:
            num &= cond.mask(frame).to_numpy(dtype=bool)
        return base, num, values
    # within_months: a complete follow-up window is needed to enter the base
    if report is None or c.start is None or c.event is None or c.months is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), values
    start = pd.to_datetime(frame[c.start])
    event = pd.to_datetime(frame[c.event])
    window_end = start + pd.DateOffset(months=c.months)
    eligible = (start.notna() & (window_end <= pd.Timestamp(report))).to_numpy(dtype=bool)
    hit = (event.notna() & (event >= start) & (event <= window_end)).to_numpy(dtype=bool)
    return base & eligible, base & eligible & hit, values


def _aggregate(
    kind: str, base: np.ndarray, num: np.ndarray, values: np.ndarray
) -> tuple[int, float, float]:
    """(numerator, denominator, value) of the rows selected by ``base``."""
    if kind == "count":
        k = int(base.sum())
        return k, float("nan"), float(k)
    if kind == "mean":
        k = int(base.sum())
        return k, float("nan"), float(values[base].mean()) if k else float("nan")
    k, d = int(num.sum()), int(base.sum())
    return k, float(d), 100.0 * k / d if d else float("nan")


def indicator_table(
    schema: Schema,
    frames: dict[str, pd.DataFrame],
    *,
    report_date: dt.date | None,
    pilot: str,
) -> pd.DataFrame:
    """Compute every indicator of ``schema`` from the section frames (pure function)."""
    rows: list[dict[str, object]] = []
    for ind in schema.indicators:
        frame = frames[ind.compute.table]
        base, num, values = _row_parts(ind, frame, report_date)
        kind = ind.compute.kind
        head = {"pilot": pilot, "indicator": ind.id, "domain": ind.domain, "unit": ind.unit}
        k, d, v = _aggregate(kind, base, num, values)
        rows.append(
            {
                **head,
                "group_var": "all",
                "group": "all",
                "numerator": k,
                "denominator": d,
                "value": v,
            }
        )
        for var in ind.disaggregations:
            codes = schema.codelist(schema.section(ind.compute.table).field(var).codelist or "")
            col = np.array([v if isinstance(v, str) else "" for v in frame[var]], dtype=object)
            for code in codes.ids:
                sel = col == code
                k, d, v = _aggregate(kind, base & sel, num & sel, values)
                rows.append(
                    {
                        **head,
                        "group_var": var,
                        "group": code,
                        "numerator": k,
                        "denominator": d,
                        "value": v,
                    }
                )
    out = pd.DataFrame(rows, columns=list(TIDY_COLUMNS))
    out["numerator"] = out["numerator"].astype("int64")
    out["denominator"] = out["denominator"].astype("float64")
    out["value"] = out["value"].astype("float64")
    return out


def compute_indicators(evaluation: SelfEvaluation) -> IndicatorResult:
    """Indicators of one pilot, computed from its client and self-assessment sheets."""
    schema = evaluation.schema
    tables = {ind.compute.table for ind in schema.indicators}
    frames = {t: evaluation.frame(t) for t in tables}
    if "self_assessment" in frames:
        frames["self_assessment"] = frames["self_assessment"].astype(
            {
                c: "Float64"
                for c in frames["self_assessment"].columns
                if str(frames["self_assessment"][c].dtype) == "Int64"
            }
        )
    table = indicator_table(
        schema, frames, report_date=evaluation.report_date, pilot=evaluation.pilot
    )
    return IndicatorResult(table=table, report_date=evaluation.report_date)
