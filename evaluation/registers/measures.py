"""Register outcomes beyond benefit months: jobseeker status, care use and euro amounts.

Recommendation 7 of the report asks that effects be followed beyond employment: "health
service use, benefits" and the cost effects of failed coordination (``001_…``
l.9193-9199); its register chapter counts unemployment months (l.5725, l.5747) and uses the
care register's day surgery, inpatient stays and outpatient visits (l.5310-5311). Three
optional extract tables carry them:

``jobseeker``
    Jobseeker-register spells ``person_id, status, start, end`` (``end`` empty = ongoing).
    ``status`` is one of :data:`JOBSEEKER_STATUSES`; a *registered-unemployment month* is a
    month that a spell of status ``unemployed`` or ``laid_off`` covers by the panel's
    ``month_rule`` (:func:`evaluation.registers.panel.min_days`). Overlapping spells count a
    month once. This is the jobseeker status itself, not benefit months: a person can be an
    unemployed jobseeker without an unemployment benefit (l.5725 counts
    työttömyyskuukaudet).
``care``
    Care-register rows ``person_id, date, kind`` with ``kind`` in :data:`CARE_KINDS`; each
    row is one visit or one stay (spells), or, with a ``visits`` column, that many contacts
    (counts per person and month).
``payments``
    Income-Register style payment rows ``person_id, month, code, amount_eur``: euros paid
    for a benefit code of :data:`~evaluation.registers.codes.CODE_TABLE` for that month.

:func:`register_outcomes` sums each measure per person over the ``before`` months before
and the ``after`` months after each person's anchor month (the pilot entry month for
participants, a pseudo entry month for comparison persons), like
:func:`~evaluation.registers.panel.months_in_window` with windows ``(-before, -1)`` and
``(1, after)``. Its :meth:`RegisterOutcomes.tidy` gives per group the mean before, after,
the change, and the difference in change against the comparison group: the cost per
participant (benefit euros per person after entry) and the change in benefit spending. Every
estimate carries the persons it rests on; published outputs hide those resting on fewer
than the disclosure threshold (:mod:`evaluation.reporting.ledger`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import (
    ESTIMATE_COLUMNS,
    TERM_COLUMN,
    ResultMixin,
    alpha_of_level,
    interval_alpha,
)
from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.registers.codes import CODES
from evaluation.registers.panel import MonthRule, min_days

JobseekerStatus = Literal["unemployed", "laid_off", "employed_jobseeker", "in_service", "other"]
#: Statuses of the jobseeker register (TEM): unemployed, fully laid off, employed jobseeker,
#: in an employment service, other.
JOBSEEKER_STATUSES: tuple[str, ...] = get_args(JobseekerStatus)
#: Statuses that make a registered-unemployment month (työtön tai lomautettu työnhakija).
UNEMPLOYED_STATUSES: tuple[str, ...] = ("unemployed", "laid_off")

CareKind = Literal["outpatient_visit", "inpatient_stay", "day_surgery"]
#: Care-register contacts the report used (``001_…`` l.5310-5311).
CARE_KINDS: tuple[str, ...] = get_args(CareKind)

Measure = Literal["unemployment_months", "care_contacts", "benefit_eur"]
#: The measures, in display order, with the register indicator each gives.
MEASURES: dict[str, str] = {
    "unemployment_months": "registered_unemployment_months",
    "care_contacts": "care_contacts",
    "benefit_eur": "benefit_spending_eur",
}
#: Columns each input table must have (anchors and the three extracts).
EXTRACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "anchors": ("person_id", "group", "anchor_month"),
    "jobseeker": ("person_id", "status", "start", "end"),
    "care": ("person_id", "date", "kind"),
    "payments": ("person_id", "month", "code", "amount_eur"),
}
#: Terms of :meth:`RegisterOutcomes.tidy` per group and measure.
TERMS: tuple[str, ...] = ("before", "after", "change", "difference_in_change")
#: Columns of :meth:`RegisterOutcomes.tidy` (an estimate table).
OUTCOME_TIDY_COLUMNS: tuple[str, ...] = (
    "group",
    "measure",
    "indicator",
    TERM_COLUMN,
    *ESTIMATE_COLUMNS,
    "n_persons",
)

_WHERE = "register_outcomes"


def _frame(table: pd.DataFrame, name: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputDataError(
            f"{name} is a {type(table).__name__}",
            where=f"{_WHERE}({name}=...)",
            fix="pass a pandas DataFrame (read parquet or CSV files with pandas first)",
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise MissingColumnError(
            missing, where=f"{_WHERE}({name}=...)", available=[str(c) for c in table.columns]
        )
    return table


def _dates(values: pd.Series, name: str, column: str, *, allow_missing: bool) -> pd.Series:
    out = pd.to_datetime(values, errors="coerce")
    bad = out.isna() & (values.notna() if allow_missing else True)
    if bool(np.any(bad)):
        row = int(np.flatnonzero(np.asarray(bad))[0]) + 1
        raise InputDataError(
            f"{int(np.sum(bad))} value(s) are not dates, e.g. {values.iloc[row - 1]!r}",
            where=f"{name} row {row}, column {column!r}",
            fix="write dates like 2017-03-15" + (" or leave empty" if allow_missing else ""),
        )
    return out


def _codes(values: pd.Series, allowed: Sequence[str], name: str, column: str) -> None:
    bad = ~values.astype(str).isin(allowed)
    if bool(bad.any()):
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputDataError(
            f"unknown {column} {values.iloc[row - 1]!r}",
            where=f"{name} row {row}, column {column!r}",
            fix=f"use one of {', '.join(allowed)}",
        )


def _month_index(dates: pd.Series) -> np.ndarray:
    out: np.ndarray = (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype=np.int64)
    return out


@dataclass(frozen=True)
class Anchors:
    """Validated anchors: person, group and anchor month index, one row per person."""

    frame: pd.DataFrame  # person_id, group, anchor_month, anchor_mi


def _anchors(anchors: pd.DataFrame) -> Anchors:
    frame = _frame(anchors, "anchors", EXTRACT_COLUMNS["anchors"])
    if frame["person_id"].duplicated().any():
        dup = frame.loc[frame["person_id"].duplicated(), "person_id"].iloc[0]
        raise InputDataError(
            f"person {dup!r} has several anchor rows",
            where=f"{_WHERE}(anchors=...), column 'person_id'",
            fix="give one anchor month per person",
        )
    month = _dates(frame["anchor_month"], "anchors", "anchor_month", allow_missing=False)
    out = pd.DataFrame(
        {
            "person_id": frame["person_id"].astype(str).to_numpy(),
            "group": frame["group"].astype(str).to_numpy(),
            "anchor_month": month.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "anchor_mi": _month_index(month),
        }
    )
    return Anchors(out)


def jobseeker_months(jobseeker: pd.DataFrame, *, month_rule: MonthRule = "any_day") -> pd.DataFrame:
    """Registered-unemployment months: one row per person and month (``person_id, month_index``).

    A month counts when a spell of status ``unemployed`` or ``laid_off`` covers at least
    ``min_days(month_rule)`` of its days (all of them when the month is shorter); an open
    spell runs to the end of the data's last month. Overlapping spells count a month once.
    """
    need = min_days(month_rule, where=f"{_WHERE}(month_rule=...)")
    frame = _frame(jobseeker, "jobseeker", EXTRACT_COLUMNS["jobseeker"])
    _codes(frame["status"], JOBSEEKER_STATUSES, "jobseeker", "status")
    start = _dates(frame["start"], "jobseeker", "start", allow_missing=False)
    end = _dates(frame["end"], "jobseeker", "end", allow_missing=True)
    backwards = (end < start).to_numpy()
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0]) + 1
        raise InputDataError(
            "end date is before start date",
            where=f"jobseeker row {row}, column 'end'",
            fix="correct or swap the dates",
        )
    keep = frame["status"].astype(str).isin(UNEMPLOYED_STATUSES).to_numpy()
    last = max(start.max(), end.max()) if len(frame) else pd.Timestamp("2000-01-01")
    end = end.fillna(last + pd.offsets.MonthEnd(0))
    first_mi, last_mi = _counted_range(start[keep], end[keep], need)
    ids = frame["person_id"].astype(str).to_numpy()[keep]
    lengths = np.maximum(last_mi - first_mi + 1, 0)
    months = np.repeat(first_mi, lengths) + _ramp(lengths)
    out = pd.DataFrame({"person_id": np.repeat(ids, lengths), "month_index": months})
    return out.drop_duplicates().sort_values(["person_id", "month_index"], ignore_index=True)


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """``0..n-1`` for each ``n`` of ``lengths``, concatenated."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out: np.ndarray = np.arange(total, dtype=np.int64) - offsets
    return out


def _counted_range(start: pd.Series, end: pd.Series, need: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last counted month index of each spell under ``need`` days a month."""
    first, last = _month_index(start), _month_index(end)
    same = first == last
    start_dim = start.dt.days_in_month.to_numpy()
    end_dim = end.dt.days_in_month.to_numpy()
    span = (end - start).dt.days.to_numpy() + 1
    first_days = np.where(same, span, start_dim - start.dt.day.to_numpy() + 1)
    last_days = np.where(same, span, end.dt.day.to_numpy())
    first = first + (first_days < np.minimum(need, start_dim))
    last = last - (last_days < np.minimum(need, end_dim))
    return first, last


def _care_rows(care: pd.DataFrame) -> pd.DataFrame:
    frame = _frame(care, "care", EXTRACT_COLUMNS["care"])
    _codes(frame["kind"], CARE_KINDS, "care", "kind")
    date = _dates(frame["date"], "care", "date", allow_missing=False)
    visits = (
        pd.to_numeric(frame["visits"], errors="coerce")
        if "visits" in frame.columns
        else pd.Series(1.0, index=frame.index)
    )
    if visits.isna().any() or (visits < 0).any():
        row = int(np.flatnonzero((visits.isna() | (visits < 0)).to_numpy())[0]) + 1
        raise InputDataError(
            "visits is not a count",
            where=f"care row {row}, column 'visits'",
            fix="give the number of contacts (0 or more) or leave the column out",
        )
    return pd.DataFrame(
        {
            "person_id": frame["person_id"].astype(str).to_numpy(),
            "month_index": _month_index(date),
            "value": visits.to_numpy(dtype=float),
        }
    )


def _payment_rows(payments: pd.DataFrame) -> pd.DataFrame:
    frame = _frame(payments, "payments", EXTRACT_COLUMNS["payments"])
    benefits = tuple(c for c, spec in CODES.items() if spec.kind == "benefit")
    _codes(frame["code"], benefits, "payments", "code")
    month = _dates(frame["month"], "payments", "month", allow_missing=False)
    amount = pd.to_numeric(frame["amount_eur"], errors="coerce")
    if amount.isna().any():
        row = int(np.flatnonzero(amount.isna().to_numpy())[0]) + 1
        raise InputDataError(
            f"amount {frame['amount_eur'].iloc[row - 1]!r} is not a number",
            where=f"payments row {row}, column 'amount_eur'",
            fix="give euros as a number (recoveries as negative amounts)",
        )
    return pd.DataFrame(
        {
            "person_id": frame["person_id"].astype(str).to_numpy(),
            "month_index": _month_index(month),
            "value": amount.to_numpy(dtype=float),
        }
    )


def _window_sums(
    rows: pd.DataFrame, anchors: Anchors, before: int, after: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per anchored person, the sum of ``value`` in the before and the after window."""
    a = anchors.frame[["person_id", "anchor_mi"]]
    joined = rows.merge(a, on="person_id", how="inner")
    rel = joined["month_index"].to_numpy() - joined["anchor_mi"].to_numpy()
    out = []
    for lo, hi in ((-before, -1), (1, after)):
        sel = joined[(rel >= lo) & (rel <= hi)]
        sums = sel.groupby("person_id")["value"].sum()
        out.append(sums.reindex(a["person_id"]).fillna(0.0).to_numpy(dtype=float))
    return out[0], out[1]


@dataclass(frozen=True, repr=False)
class RegisterOutcomes(ResultMixin):
    """Per-person register outcomes before and after the anchor month.

    Attributes
    ----------
    persons:
        One row per anchored person: ``person_id, group, anchor_month`` and
        ``<measure>_before``, ``<measure>_after`` for each measure given.
    measures:
        The measures computed (those whose extract was given), in :data:`MEASURES` order.
    before, after:
        Window lengths in months.
    reference:
        The comparison group of ``difference_in_change`` (``None``: no such term).
    level:
        Confidence level of the intervals.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = OUTCOME_TIDY_COLUMNS

    persons: pd.DataFrame
    measures: tuple[str, ...]
    before: int
    after: int
    reference: str | None
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """Means per group and measure: before, after, change and difference in change.

        Returns
        -------
        pandas.DataFrame
            ``group, measure, indicator, term, estimate, std_error, statistic, p_value,
            conf_low, conf_high, n_persons`` (``n_persons``: persons the estimate rests on;
            for ``difference_in_change`` the smaller of the two groups). The test of
            ``before``/``after`` is against zero, of ``change`` a paired test of no change,
            of ``difference_in_change`` Welch's test against the reference group.
        """
        rows: list[dict[str, object]] = []
        groups = list(dict.fromkeys(self.persons["group"]))
        for measure in self.measures:
            for group in groups:
                sub = self.persons[self.persons["group"] == group]
                change = sub[f"{measure}_after"] - sub[f"{measure}_before"]
                for term, values in (
                    ("before", sub[f"{measure}_before"]),
                    ("after", sub[f"{measure}_after"]),
                    ("change", change),
                ):
                    rows.append(self._row(group, measure, term, values.to_numpy(dtype=float)))
                if self.reference is not None and group != self.reference:
                    rows.append(self._difference(group, measure, change.to_numpy(dtype=float)))
        return pd.DataFrame(rows, columns=list(OUTCOME_TIDY_COLUMNS))

    def glance(self) -> pd.DataFrame:
        """One row: persons, groups, the measures (comma-separated), the windows, the
        reference group and ``alpha``."""
        return pd.DataFrame(
            [
                {
                    "persons": len(self.persons),
                    "groups": int(self.persons["group"].nunique()),
                    "measures": ", ".join(self.measures),
                    "before": self.before,
                    "after": self.after,
                    "reference": self.reference,
                    "alpha": alpha_of_level(self.level),
                }
            ]
        )

    def _changes(self, group: str, measure: str) -> np.ndarray:
        sub = self.persons[self.persons["group"] == group]
        diff = sub[f"{measure}_after"] - sub[f"{measure}_before"]
        return diff.to_numpy(dtype=float)

    def _row(self, group: str, measure: str, term: str, values: np.ndarray) -> dict[str, object]:
        n = len(values)
        mean = float(values.mean()) if n else float("nan")
        se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        return self._inference(group, measure, term, mean, se, n - 1, n)

    def _difference(self, group: str, measure: str, change: np.ndarray) -> dict[str, object]:
        ref = self._changes(str(self.reference), measure)
        n1, n0 = len(change), len(ref)
        if n1 < 2 or n0 < 2:
            return self._inference(group, measure, TERMS[3], np.nan, np.nan, 1, min(n1, n0))
        v1, v0 = change.var(ddof=1) / n1, ref.var(ddof=1) / n0
        se = float(np.sqrt(v1 + v0))
        df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1)) if se > 0 else np.inf
        estimate = float(change.mean() - ref.mean())
        return self._inference(group, measure, TERMS[3], estimate, se, float(df), min(n1, n0))

    def _inference(
        self, group: str, measure: str, term: str, estimate: float, se: float, df: float, n: int
    ) -> dict[str, object]:
        ok = np.isfinite(se) and se > 0 and df > 0
        stat = estimate / se if ok else float("nan")
        p = float(2 * stats.t.sf(abs(stat), df)) if ok else float("nan")
        q = float(stats.t.ppf(0.5 + self.level / 2, df)) if ok else float("nan")
        return {
            "group": group,
            "measure": measure,
            "indicator": MEASURES[measure],
            "term": term,
            "estimate": estimate,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": estimate - q * se if ok else float("nan"),
            "conf_high": estimate + q * se if ok else float("nan"),
            "n_persons": n,
        }

    def summary(self) -> str:
        """Means before and after and the change, per group and measure."""
        t = self.tidy()
        lines = [
            f"Register outcomes, {self.before} months before and {self.after} after the "
            f"anchor month ({len(self.persons)} persons):"
        ]
        for r in t.itertuples(index=False):
            lines.append(
                f"  {r.group:<16} {r.measure:<20} {r.term:<21} {r.estimate:12.2f} "
                f"(n = {r.n_persons})"
            )
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Mean before and after per group, one panel per measure."""
        t = self.tidy()
        fig = Figure(figsize=(4 * max(len(self.measures), 1), 3.5))
        axes = fig.subplots(1, max(len(self.measures), 1), squeeze=False)[0]
        for ax, measure in zip(axes, self.measures, strict=False):
            part = t[(t["measure"] == measure) & t["term"].isin(["before", "after"])]
            wide = part.pivot(index="group", columns="term", values="estimate")
            wide[["before", "after"]].plot.bar(ax=ax, rot=0)
            ax.set_title(measure.replace("_", " "))
        fig.tight_layout()
        return fig


def register_outcomes(
    anchors: pd.DataFrame,
    *,
    jobseeker: pd.DataFrame | None = None,
    care: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    before: int = 12,
    after: int = 12,
    month_rule: MonthRule = "any_day",
    reference: str | None = None,
    alpha: float = 0.05,
    level: float | None = None,
) -> RegisterOutcomes:
    """Registered-unemployment months, care contacts and benefit euros around anchor months.

    Parameters
    ----------
    anchors:
        ``person_id, group, anchor_month`` (one row per person): e.g. participants with
        their entry month (group = pilot) and matched comparison persons with a pseudo
        entry month (group ``"comparison"``).
    jobseeker, care, payments:
        The extracts (see the module docstring); each is optional, at least one is needed.
    before, after:
        Months before (``-before .. -1``) and after (``1 .. after``) the anchor month.
    month_rule:
        When a jobseeker spell counts in a month (as in the panel; default ``"any_day"``).
    reference:
        Group the others' change is compared with (``difference_in_change``); e.g.
        ``"comparison"``.
    alpha:
        Significance level of the intervals (0.05: 95% intervals).
    level:
        Deprecated: the confidence level (``1 - alpha``); use ``alpha``.

    Returns
    -------
    RegisterOutcomes
        ``.persons``, ``.tidy()``, ``.summary()``, ``.plot()``.

    Raises
    ------
    evaluation.errors.OptionError
        No extract given, windows not positive, unknown month rule or reference group.
    evaluation.errors.MissingColumnError, evaluation.errors.InputDataError
        Bad input tables (the first bad row located).
    """
    if jobseeker is None and care is None and payments is None:
        raise OptionError(
            "no register extract given",
            where=_WHERE,
            fix="pass jobseeker=, care= and/or payments=",
        )
    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise OptionError(
                f"{name}={value!r} is not a positive number of months",
                where=f"{_WHERE}({name}=...)",
                fix="use e.g. 12",
            )
    conf = 1.0 - interval_alpha(alpha, level, where=_WHERE)
    anch = _anchors(anchors)
    if reference is not None and reference not in set(anch.frame["group"]):
        raise OptionError(
            f"reference group {reference!r} is not in anchors",
            where=f"{_WHERE}(reference=...)",
            fix=f"use one of {', '.join(sorted(set(anch.frame['group'])))}",
        )
    persons = anch.frame[["person_id", "group", "anchor_month"]].copy()
    sources: dict[str, pd.DataFrame | None] = {
        "unemployment_months": (
            None
            if jobseeker is None
            else jobseeker_months(jobseeker, month_rule=month_rule).assign(value=1.0)
        ),
        "care_contacts": None if care is None else _care_rows(care),
        "benefit_eur": None if payments is None else _payment_rows(payments),
    }
    measures: list[str] = []
    for measure, rows in sources.items():
        if rows is None:
            continue
        b, a = _window_sums(rows, anch, before, after)
        persons[f"{measure}_before"], persons[f"{measure}_after"] = b, a
        measures.append(measure)
    return RegisterOutcomes(persons, tuple(measures), int(before), int(after), reference, conf)
