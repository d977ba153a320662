"""The person-month panel as an Ibis expression: the same rules on DuckDB or Spark.

Same rules and columns as :func:`evaluation.registers.build_person_month_panel` (see
:mod:`evaluation.registers.panel`): both builders render the one statement of the rules in
:mod:`evaluation.registers.panel_rules`, here through :data:`IBIS`, in relational steps
that every SQL engine has:

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

from evaluation.registers import panel_rules as rules
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


class IbisDialect:
    """Renders the rules of :mod:`evaluation.registers.panel_rules` as Ibis expressions."""

    def year(self, date: Any) -> Any:
        """Calendar year."""
        return date.year()

    def month(self, date: Any) -> Any:
        """Month (1-12)."""
        return date.month()

    def day(self, date: Any) -> Any:
        """Day of the month."""
        return date.day()

    def eq(self, left: Any, right: Any) -> Any:
        """``left == right``."""
        return left == right

    def ne(self, left: Any, right: Any) -> Any:
        """``left != right``."""
        return left != right

    def isin(self, value: Any, values: tuple[int, ...]) -> Any:
        """``value.isin(values)``."""
        return value.isin(list(values))

    def ifelse(self, condition: Any, yes: Any, no: Any) -> Any:
        """``ibis.ifelse``."""
        import ibis

        return ibis.ifelse(condition, yes, no)

    def least(self, left: Any, right: Any) -> Any:
        """``ibis.least``."""
        import ibis

        return ibis.least(left, right)

    def greatest(self, left: Any, right: Any) -> Any:
        """``ibis.greatest``."""
        import ibis

        return ibis.greatest(left, right)

    def coalesce(self, value: Any, default: Any) -> Any:
        """``ibis.coalesce``."""
        import ibis

        return ibis.coalesce(value, default)

    def is_null(self, value: Any) -> Any:
        """``value.isnull()``."""
        return value.isnull()

    def null(self, dtype: rules.CastType) -> Any:
        """``ibis.null(dtype)``."""
        import ibis

        return ibis.null(dtype)

    def cast(self, value: Any, dtype: rules.CastType) -> Any:
        """``value.cast(dtype)``."""
        return value.cast(dtype)

    def make_date(self, year: Any, month: Any, day: Any) -> Any:
        """``ibis.date(year, month, day)``."""
        import ibis

        return ibis.date(year, month, day)

    def date(self, value: pd.Timestamp) -> Any:
        """A date literal."""
        import ibis

        return ibis.date(value.date())

    def text(self, value: str) -> Any:
        """A string literal."""
        import ibis

        return ibis.literal(value)


#: The Ibis dialect of the panel rules.
IBIS = IbisDialect()


def _combine(column: Any, kind: rules.Combine) -> Any:
    """Aggregate of ``column`` under a combine rule (``bit_or`` of one-bit masks only)."""
    if kind == "min":
        return column.min()
    if kind == "max":
        return column.max()
    # Each code's unit mask has at most one bit, so the sum of the distinct masks is their
    # bitwise or (Spark's Ibis compiler has no bit_or aggregate); see _units.
    return column.sum()


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
    extract: pd.Timestamp | None = None
    if extract_date is not None:
        to_month(extract_date, name="extract_date")  # raises OptionError if not a date
        extract = pd.Timestamp(extract_date).normalize()  # type: ignore[arg-type]
    con = spells._find_backend()
    codes = upload(con, code_flag_table(), kind="codes")
    months = upload(
        con,
        pd.DataFrame(
            {
                "month_index": pd.array(range(lo, hi + 1), dtype="int64"),
                "month": [rules.month_date(m).date() for m in range(lo, hi + 1)],
            }
        ),
        kind="months",
    )

    # 1. spells clipped to the window, one row per covered month
    open_end, last_day = rules.open_spell_end(extract, m_end)
    first, last = rules.counted_months(
        IBIS, spells.start, spells.end, need=need, open_end=open_end, last_day=last_day
    )
    keep, a, b = rules.window_months(IBIS, first, last, lo=lo, hi=hi)
    clipped = spells.filter(keep).select("person_id", "code", a=a, b=b)
    covered = clipped.join(codes, "code").select(
        "person_id",
        "rank",
        *FLAG_COLUMNS,
        UNITS_COLUMN,
        month_index=ibis.range(clipped.a, clipped.b + 1).unnest(),
    )
    # 2. per person-month: strongest code, any-spell flags, all benefit units.
    keys = ["person_id", "month_index"]
    units = (
        covered.select(*keys, UNITS_COLUMN)
        .distinct()
        .group_by(keys)
        .aggregate(**{UNITS_COLUMN: lambda u: _combine(u[UNITS_COLUMN], rules.UNITS_COMBINE)})
    )
    per_month = (
        covered.group_by(keys)
        .aggregate(
            rank=_combine(covered["rank"], rules.STATUS_COMBINE),
            **{c: _combine(covered[c], rules.FLAG_COMBINE) for c in FLAG_COLUMNS},
        )
        .join(units, keys)
    )
    status = per_month.join(codes.select("rank", status="code"), "rank").drop("rank")
    # 3. the full grid, the participant columns
    persons = people.select(
        "person_id",
        "pilot",
        "entry_month",
        entry_mi=rules.month_index(IBIS, people.entry_month),
        exit_mi=rules.month_index(IBIS, people.exit_month),
    )
    grid = persons.cross_join(months)
    panel = grid.left_join(status, ["person_id", "month_index"])
    mi = panel.month_index
    return panel.select(
        "person_id",
        "month",
        month_index=mi.cast("int32"),
        status=panel.status.fill_null(rules.FILL_STATUS),
        **{c: panel[c].fill_null(rules.FILL_FLAG).cast("int8") for c in FLAG_COLUMNS},
        pilot=panel.pilot,
        first_pilot_month=panel.entry_month,
        months_since_entry=rules.months_since_entry(IBIS, mi, panel.entry_mi),
        in_pilot=rules.in_pilot(IBIS, mi, panel.entry_mi, panel.exit_mi, hi=hi),
        **{UNITS_COLUMN: panel[UNITS_COLUMN].fill_null(rules.FILL_UNITS).cast("int32")},
    ).order_by(["person_id", "month_index"])


__all__ = ["FLAG_COLUMNS", "person_month_panel"]
