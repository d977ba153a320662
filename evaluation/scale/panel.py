"""The person-month panel as an Ibis expression: the same rules on DuckDB or Spark.

Same rules and columns as :func:`evaluation.registers.build_person_month_panel` (see
:mod:`evaluation.registers.panel`), written in relational steps that every SQL engine has:

1. each spell, clipped to the window, is exploded into its months (``sequence``/``range``);
2. per person and month: the strongest covering code (smallest rank) and the maximum of
   each 0/1 outcome and benefit-group column;
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
    DateLike,
    code_flag_table,
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


def person_month_panel(
    spells: Any,
    people: Any,
    *,
    start: DateLike,
    end: DateLike,
    extract_date: DateLike | None = None,
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
    lo = month_index(to_month(start, name="start"))
    hi = month_index(to_month(end, name="end"))
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
    first = _month_index(spells.start)
    last = ibis.coalesce(_month_index(spells.end), open_end)
    clipped = spells.filter(first <= hi, last >= lo).select(
        "person_id",
        "code",
        a=ibis.greatest(first, lo),
        b=ibis.least(last, hi),
    )
    covered = clipped.join(codes, "code").select(
        "person_id",
        "rank",
        *FLAG_COLUMNS,
        month_index=ibis.range(clipped.a, clipped.b + 1).unnest(),
    )
    # 2. per person-month: strongest code and any-spell flags
    per_month = covered.group_by(["person_id", "month_index"]).aggregate(
        rank=covered["rank"].min(), **{c: covered[c].max() for c in FLAG_COLUMNS}
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
    ).order_by(["person_id", "month_index"])


__all__ = ["FLAG_COLUMNS", "person_month_panel"]
