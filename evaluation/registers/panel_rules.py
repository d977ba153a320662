"""The person-month panel's rules, each stated once; both panel builders render them.

The in-process builder (:func:`evaluation.registers.build_person_month_panel`, DuckDB SQL
text) and the engine-neutral one (:func:`evaluation.scale.person_month_panel`, Ibis
expressions) take every rule from here. A rule is a function of a :class:`Dialect` (the
few operations the rules need beyond ``+ - * // %`` and ``< <= > >= & |``) and of the
dialect's expressions. :data:`SQL` renders them as DuckDB SQL text (:class:`Sql`);
:class:`evaluation.scale.panel.IbisDialect` renders them as Ibis expressions. How the
spells covering one month combine (:data:`STATUS_COMBINE`, :data:`FLAG_COMBINE`,
:data:`UNITS_COMBINE`) and what a month no spell covers holds (:data:`FILL_STATUS`,
:data:`FILL_FLAG`, :data:`FILL_UNITS`) are data both builders read.

The rules themselves are described in :mod:`evaluation.registers.panel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pandas as pd

from evaluation.registers.codes import NO_STATUS

#: How the values of the spells covering one month combine.
Combine = Literal["min", "max", "bit_or"]

#: ``status`` is the covering code of the smallest precedence rank (0 = strongest).
STATUS_COMBINE: Combine = "min"
#: A 0/1 outcome or benefit-group column is 1 when any covering spell sets it.
FLAG_COMBINE: Combine = "max"
#: ``benefit_units`` is the bitwise or of the covering spells' unit masks.
UNITS_COMBINE: Combine = "bit_or"
#: The flags (one bit each, where max is bitwise or) and the unit mask packed in one
#: integer combine by bitwise or.
PACKED_COMBINE: Combine = "bit_or"

#: ``status`` of a month no spell covers.
FILL_STATUS = NO_STATUS
#: A 0/1 column of a month no spell covers.
FILL_FLAG = 0
#: ``benefit_units`` of a month no spell covers.
FILL_UNITS = 0

#: Types the rules cast to.
CastType = Literal["int8", "int16", "int32", "int64", "float64", "date"]


class Dialect(Protocol):
    """Operations the rules use besides Python's arithmetic and comparison operators."""

    def year(self, date: Any) -> Any:
        """Calendar year of a date."""

    def month(self, date: Any) -> Any:
        """Month (1-12) of a date."""

    def day(self, date: Any) -> Any:
        """Day of the month of a date."""

    def eq(self, left: Any, right: Any) -> Any:
        """``left = right``."""

    def ne(self, left: Any, right: Any) -> Any:
        """``left <> right``."""

    def isin(self, value: Any, values: tuple[int, ...]) -> Any:
        """``value`` is one of ``values``."""

    def ifelse(self, condition: Any, yes: Any, no: Any) -> Any:
        """``yes`` where ``condition`` holds, else ``no``."""

    def least(self, left: Any, right: Any) -> Any:
        """The smaller of two values."""

    def greatest(self, left: Any, right: Any) -> Any:
        """The larger of two values."""

    def coalesce(self, value: Any, default: Any) -> Any:
        """``value``, or ``default`` where it is null."""

    def is_null(self, value: Any) -> Any:
        """``value`` is null."""

    def null(self, dtype: CastType) -> Any:
        """A typed null."""

    def cast(self, value: Any, dtype: CastType) -> Any:
        """``value`` as ``dtype``."""

    def make_date(self, year: Any, month: Any, day: Any) -> Any:
        """The date of a year, month and day."""

    def date(self, value: pd.Timestamp) -> Any:
        """A date literal."""

    def text(self, value: str) -> Any:
        """A string literal."""


def _operator(op: str, *, right: bool = False) -> Callable[[Sql, object], Sql]:
    """A binary operator method of :class:`Sql` (``right``: the reflected one)."""

    def method(self: Sql, other: object) -> Sql:
        a, b = (other, self) if right else (self, other)
        return Sql(f"({a} {op} {b})")

    return method


@dataclass(frozen=True, eq=False)
class Sql:
    """A DuckDB SQL expression; Python's operators build larger ones."""

    text: str

    def __str__(self) -> str:
        return self.text

    __add__ = _operator("+")
    __radd__ = _operator("+", right=True)
    __sub__ = _operator("-")
    __rsub__ = _operator("-", right=True)
    __mul__ = _operator("*")
    __rmul__ = _operator("*", right=True)
    __floordiv__ = _operator("//")
    __mod__ = _operator("%")
    __lt__ = _operator("<")
    __le__ = _operator("<=")
    __gt__ = _operator(">")
    __ge__ = _operator(">=")
    __and__ = _operator("AND")
    __or__ = _operator("OR")


_SQL_TYPES: dict[CastType, str] = {
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "date": "DATE",
}


class SqlDialect:
    """Renders the rules as DuckDB SQL text (:class:`Sql`)."""

    def year(self, date: Any) -> Sql:
        """``year(date)``."""
        return Sql(f"year({date})")

    def month(self, date: Any) -> Sql:
        """``month(date)``."""
        return Sql(f"month({date})")

    def day(self, date: Any) -> Sql:
        """``day(date)``."""
        return Sql(f"day({date})")

    def eq(self, left: Any, right: Any) -> Sql:
        """``left = right``."""
        return Sql(f"({left} = {right})")

    def ne(self, left: Any, right: Any) -> Sql:
        """``left <> right``."""
        return Sql(f"({left} <> {right})")

    def isin(self, value: Any, values: tuple[int, ...]) -> Sql:
        """``value IN (...)``."""
        return Sql(f"({value} IN ({', '.join(str(v) for v in values)}))")

    def ifelse(self, condition: Any, yes: Any, no: Any) -> Sql:
        """``CASE WHEN ... END``."""
        return Sql(f"(CASE WHEN {condition} THEN {yes} ELSE {no} END)")

    def least(self, left: Any, right: Any) -> Sql:
        """``least(left, right)``."""
        return Sql(f"least({left}, {right})")

    def greatest(self, left: Any, right: Any) -> Sql:
        """``greatest(left, right)``."""
        return Sql(f"greatest({left}, {right})")

    def coalesce(self, value: Any, default: Any) -> Sql:
        """``coalesce(value, default)``."""
        return Sql(f"coalesce({value}, {default})")

    def is_null(self, value: Any) -> Sql:
        """``value IS NULL``."""
        return Sql(f"({value} IS NULL)")

    def null(self, dtype: CastType) -> Sql:
        """``NULL::type``."""
        return Sql(f"NULL::{_SQL_TYPES[dtype]}")

    def cast(self, value: Any, dtype: CastType) -> Sql:
        """``CAST(value AS type)``."""
        return Sql(f"CAST({value} AS {_SQL_TYPES[dtype]})")

    def make_date(self, year: Any, month: Any, day: Any) -> Sql:
        """``make_date(...)`` (its arguments as BIGINT)."""
        return Sql(f"make_date(CAST({year} AS BIGINT), CAST({month} AS BIGINT), {day})")

    def date(self, value: pd.Timestamp) -> Sql:
        """``DATE 'yyyy-mm-dd'``."""
        return Sql(f"DATE '{value:%Y-%m-%d}'")

    def text(self, value: str) -> Sql:
        """``'value'`` (quotes doubled)."""
        escaped = value.replace("'", "''")
        return Sql(f"'{escaped}'")


#: The DuckDB SQL dialect.
SQL = SqlDialect()


def month_index(d: Dialect, date: Any) -> Any:
    """``year*12 + month-1`` of a date: months are counted on one integer axis."""
    return d.year(date) * 12 + d.month(date) - 1


def month_start(d: Dialect, index: Any) -> Any:
    """First day of the month of a :func:`month_index`."""
    return d.make_date(index // 12, index % 12 + 1, 1)


def days_in_month(d: Dialect, date: Any) -> Any:
    """Days in the date's month, by the Gregorian rule (integer arithmetic, any engine)."""
    y, m = d.year(date), d.month(date)
    leap = (d.eq(y % 4, 0) & d.ne(y % 100, 0)) | d.eq(y % 400, 0)
    feb = d.ifelse(leap, 29, 28)
    return d.ifelse(d.eq(m, 2), feb, d.ifelse(d.isin(m, (4, 6, 9, 11)), 30, 31))


def counted_months(
    d: Dialect, start: Any, end: Any, *, need: int, open_end: int, last_day: pd.Timestamp
) -> tuple[Any, Any]:
    """First and last counted month index of a spell under a month rule.

    ``need`` is the days a month must be covered (1 = any day). A spell's first (last)
    month counts when the spell covers at least ``min(need, days in month)`` of its days;
    every month in between is covered fully. An open spell (``end`` null) runs to month
    ``open_end`` or, when ``need > 1``, to the day ``last_day``.
    """
    first = month_index(d, start)
    if need <= 1:
        return first, d.coalesce(month_index(d, end), open_end)
    stop = d.coalesce(end, d.date(last_day))
    last = month_index(d, stop)
    same = d.eq(first, last)
    span = d.day(stop) - d.day(start) + 1
    first_days = d.ifelse(same, span, days_in_month(d, start) - d.day(start) + 1)
    last_days = d.ifelse(same, span, d.day(stop))
    short_first = first_days < d.least(need, days_in_month(d, start))
    short_last = last_days < d.least(need, days_in_month(d, stop))
    return first + d.ifelse(short_first, 1, 0), last - d.ifelse(short_last, 1, 0)


def month_number(month: pd.Timestamp) -> int:
    """:func:`month_index` of a Python timestamp (the same count, for window bounds)."""
    return int(month.year) * 12 + int(month.month) - 1


def month_date(index: int) -> pd.Timestamp:
    """:func:`month_start` of a Python month index."""
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)


def open_spell_end(
    extract: pd.Timestamp | None, window_end: pd.Timestamp
) -> tuple[int, pd.Timestamp]:
    """Where open spells (no ``end``) run to: the extract date, else the window's end.

    Returns the month index of that month and its day (the last day of the window when
    there is no extract date).
    """
    day = extract if extract is not None else window_end + pd.offsets.MonthEnd(0)
    return month_number(day), day


def window_months(d: Dialect, first: Any, last: Any, *, lo: int, hi: int) -> tuple[Any, Any, Any]:
    """A spell's months inside the window ``lo..hi`` (month indexes).

    Returns the condition that the spell counts in some month of the window, and its
    first and last counted month clipped to the window.
    """
    keep = (first <= hi) & (last >= lo) & (first <= last)
    return keep, d.greatest(first, lo), d.least(last, hi)


def months_since_entry(d: Dialect, month: Any, entry: Any) -> Any:
    """Months from the entry month (0 in it, negative before); null for non-participants."""
    return d.cast(month - entry, "int32")


def in_pilot(d: Dialect, month: Any, entry: Any, exit_: Any, *, hi: int) -> Any:
    """1 from the entry month to the exit month (else the window's end), else 0.

    Null for non-participants (``entry`` null).
    """
    inside = (month >= entry) & (month <= d.coalesce(exit_, hi))
    return d.ifelse(d.is_null(entry), d.null("int8"), d.cast(inside, "int8"))


def first_pilot_month(d: Dialect, entry: Any) -> Any:
    """First day of the entry month; null for non-participants."""
    return d.ifelse(d.is_null(entry), d.null("date"), month_start(d, entry))


__all__ = [
    "FILL_FLAG",
    "FILL_STATUS",
    "FILL_UNITS",
    "FLAG_COMBINE",
    "PACKED_COMBINE",
    "SQL",
    "STATUS_COMBINE",
    "UNITS_COMBINE",
    "CastType",
    "Combine",
    "Dialect",
    "Sql",
    "SqlDialect",
    "counted_months",
    "days_in_month",
    "first_pilot_month",
    "in_pilot",
    "month_date",
    "month_index",
    "month_number",
    "month_start",
    "months_since_entry",
    "open_spell_end",
    "window_months",
]
