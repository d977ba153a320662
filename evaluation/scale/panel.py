"""The person-month panel as an Ibis expression: the same rules on DuckDB or Spark.

Same rules and columns as :func:`evaluation.registers.build_person_month_panel` (see
:mod:`evaluation.registers.panel`), written in relational steps that every SQL engine has:

1. each spell, clipped to the window, is exploded into its months (``sequence``/``range``);
   under a ``month_rule`` other than ``"any_day"`` its first and last months count only
   when the spell covers enough of their days;
2. per person and month: the strongest covering code (smallest rank), the maximum of
   each 0/1 outcome and benefit-group column and the bitwise or of the benefit units;
3. every person x every month of the window (a cross join with the month list), left
   joined to step 2 (months no spell covers get status ``"none"`` and zeros), and the
   participant columns from the person table.

The fast DuckDB builder remains the default; tests check that both give the same panel.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaluation.registers.codes import NO_STATUS
from evaluation.registers.panel import (
    GROUP_COLUMNS,
    OUTCOME_COLUMNS,
    UNITS_COLUMN,
    DateLike,
    MonthRule,
    code_flag_table,
    min_days,
    month_index,
    to_month,
)
from evaluation.scale.engines import require_columns, upload

#: The 0/1 columns of the panel (outcomes, then benefit groups).
FLAG_COLUMNS: tuple[str, ...] = (*OUTCOME_COLUMNS, *GROUP_COLUMNS)


def _month_index(date: Any) -> Any:
    return date.year() * 12 + date.month() - 1


def _first_of_month(index: Any) -> Any:
    import ibis

    return ibis.date(index // 12, index % 12 + 1, 1)


def _days_in_month(date: Any) -> Any:
    """Days in the date's month, by the Gregorian rule (integer arithmetic, any engine)."""
    import ibis

    y, m = date.year(), date.month()
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    feb = ibis.ifelse(leap, 29, 28)
    short = m.isin([4, 6, 9, 11])
    return ibis.ifelse(m == 2, feb, ibis.ifelse(short, 30, 31))


def _counted_months(spells: Any, need: int, open_end: int, last_day: Any) -> tuple[Any, Any]:
    """First and last counted month index of each spell under a month rule.

    Same rule as :func:`evaluation.registers.panel.build_person_month_panel`: a spell's
    first (last) month counts when it covers ``min(need, days in month)`` of its days.
    """
    import ibis

    first = _month_index(spells.start)
    if need <= 1:
        return first, ibis.coalesce(_month_index(spells.end), open_end)
    end = ibis.coalesce(spells.end, last_day)
    last = _month_index(end)
    same = first == last
    span = end.day() - spells.start.day() + 1
    first_days = ibis.ifelse(same, span, _days_in_month(spells.start) - spells.start.day() + 1)
    last_days = ibis.ifelse(same, span, end.day())
    need_first = ibis.least(need, _days_in_month(spells.start))
    need_last = ibis.least(need, _days_in_month(end))
    return (
        first + ibis.ifelse(first_days < need_first, 1, 0),
        last - ibis.ifelse(last_days < need_last, 1, 0),
    )


def person_month_panel(
    spells: Any,
    people: Any,
    *,
    start: DateLike,
    end: DateLike,
    extract_date: DateLike | None = None,
    month_rule: MonthRule = "any_day",
) -> Any:
    """The person-month panel of a window, as a lazy Ibis table on the inputs' engine.

    Parameters
    ----------
    spells:
        Ibis table of validated spells: ``person_id`` (string), ``code`` (string),
        ``start`` (date), ``end`` (date, null = ongoing).
    people:
        Ibis table, one row per person of the panel: ``person_id``, ``pilot``,
        ``entry_month``, ``exit_month`` (dates; null for non-participants and for
        participants still in the pilot). :func:`evaluation.registers.validated_panel_inputs`
        returns both tables from raw inputs, checked.
    start, end:
        First and last month of the window (inclusive).
    extract_date:
        Date open spells run to; default the end of the window.
    month_rule:
        When a spell counts in a month: ``"any_day"`` (default), ``"full_month"`` or
        ``"min_days=N"`` (the rules of :mod:`evaluation.registers.panel`).

    Returns
    -------
    ibis.Table
        The :data:`~evaluation.registers.PANEL_COLUMNS`, ordered by person and month.
    """
    import ibis

    require_columns(spells, ("person_id", "code", "start", "end"), where="spells table")
    require_columns(
        people, ("person_id", "pilot", "entry_month", "exit_month"), where="people table"
    )
    need = min_days(month_rule, where="person_month_panel(month_rule=...)")
    lo = month_index(to_month(start, name="start"))
    m_end = to_month(end, name="end")
    hi = month_index(m_end)
    open_end = (
        hi if extract_date is None else month_index(to_month(extract_date, name="extract_date"))
    )
    con = spells._find_backend()
    codes = upload(con, code_flag_table(), kind="codes")
    months = upload(
        con,
        pd.DataFrame(
            {
                "month_index": pd.array(range(lo, hi + 1), dtype="int64"),
                "month": [
                    (pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)).date()
                    for m in range(lo, hi + 1)
                ],
            }
        ),
        kind="months",
    )

    # 1. spells clipped to the window, one row per covered month
    last_day = (
        pd.Timestamp(extract_date).normalize()  # type: ignore[arg-type]
        if extract_date is not None
        else m_end + pd.offsets.MonthEnd(0)
    )
    first, last = _counted_months(spells, need, open_end, ibis.date(last_day.date()))
    clipped = spells.filter(first <= hi, last >= lo, first <= last).select(
        "person_id",
        "code",
        a=ibis.greatest(first, lo),
        b=ibis.least(last, hi),
    )
    covered = clipped.join(codes, "code").select(
        "person_id",
        "rank",
        *FLAG_COLUMNS,
        UNITS_COLUMN,
        month_index=ibis.range(clipped.a, clipped.b + 1).unnest(),
    )
    # 2. per person-month: strongest code, any-spell flags, all benefit units. Each code's
    # unit mask has at most one bit, so the sum of the distinct masks is their bitwise or
    # (Spark's Ibis compiler has no bit_or aggregate).
    keys = ["person_id", "month_index"]
    units = (
        covered.select(*keys, UNITS_COLUMN)
        .distinct()
        .group_by(keys)
        .aggregate(**{UNITS_COLUMN: lambda u: u[UNITS_COLUMN].sum()})
    )
    per_month = (
        covered.group_by(keys)
        .aggregate(rank=covered["rank"].min(), **{c: covered[c].max() for c in FLAG_COLUMNS})
        .join(units, keys)
    )
    status = per_month.join(codes.select("rank", status="code"), "rank").drop("rank")
    # 3. the full grid, the participant columns
    entry = _month_index(people.entry_month)
    exit_ = _month_index(people.exit_month)
    persons = people.select(
        "person_id", "pilot", "entry_month", entry_mi=entry, exit_mi=ibis.coalesce(exit_, hi)
    )
    grid = persons.cross_join(months)
    panel = grid.left_join(status, ["person_id", "month_index"])
    mi = panel.month_index
    in_pilot = ((mi >= panel.entry_mi) & (mi <= panel.exit_mi)).cast("int8")
    return panel.select(
        "person_id",
        "month",
        month_index=mi.cast("int32"),
        status=panel.status.fill_null(NO_STATUS),
        **{c: panel[c].fill_null(0).cast("int8") for c in FLAG_COLUMNS},
        pilot=panel.pilot,
        first_pilot_month=panel.entry_month,
        months_since_entry=(mi - panel.entry_mi).cast("int32"),
        in_pilot=ibis.ifelse(panel.entry_mi.isnull(), ibis.null("int8"), in_pilot),
        **{UNITS_COLUMN: panel[UNITS_COLUMN].fill_null(0).cast("int32")},
    ).order_by(["person_id", "month_index"])


__all__ = ["FLAG_COLUMNS", "person_month_panel"]
