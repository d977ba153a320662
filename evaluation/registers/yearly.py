"""Person-month panel -> person-year panel (the seed report's unit of analysis).

The seed report's register chapter (``001_…`` lines ~5262-6176) works on person-years:
months of each benefit group per year, "received the benefit for at least one month in the
year", the number of distinct benefit groups received in a year (its proxy for needing
multi-sector services), employment months (työssäolokuukaudet) and unemployment months
(työttömyyskuukaudet). This module computes them from the person-month panel, so a month
counts by the same rule (a spell covering at least one day of the month).

Columns
-------
``person_id, year``, ``months_observed`` (months of the year inside the panel window; less
than 12 at the window edges), ``months_<outcome>`` for each 0/1 outcome of the monthly panel
(``months_employed`` = employment months, ``months_on_unemployment_benefit`` = unemployment
months, ``months_on_main_benefit`` ...), ``months_benefit_<group>`` for each Liite 4 benefit
group, ``received_<group>`` (0/1: at least one month of the group in the year),
``n_benefit_groups`` (number of groups received in the year, 0-8), ``n_benefits`` (number of
distinct benefits received for at least one month in the year, the family benefits counted
as one benefit and the accident compensations as one: the report's measure, ``001_…``
l.5345-5348 and l.5633-5634, "noin kolmea eri etuutta tai etuuksien kokonaisuutta"), and
for participants ``pilot``, ``entry_year`` and ``years_since_entry`` (null for others).

``n_benefit_groups`` is kept as a second measure: it counts groups, so a person on labour
market subsidy and basic unemployment allowance in the same year has one group but two
benefits. A month counts by the monthly panel's ``month_rule``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
from matplotlib.figure import Figure

from evaluation.errors import OptionError
from evaluation.registers._duck import DuckTable, TableInput, quote_ident, unique_name
from evaluation.registers.codes import BENEFIT_GROUP_LABELS, BENEFIT_GROUPS
from evaluation.registers.panel import (
    BATCH_ROWS,
    GROUP_COLUMNS,
    OUTCOME_COLUMNS,
    UNITS_COLUMN,
    DateLike,
    MonthRule,
    PersonMonthPanel,
    build_person_month_panel,
    flag_bits,
)
from evaluation.registers.spells import Spells

#: ``received_<group>`` columns, in Liite 4 order.
RECEIVED_COLUMNS: tuple[str, ...] = tuple(f"received_{g}" for g in BENEFIT_GROUPS)


@dataclass(frozen=True)
class PersonYearPanel(DuckTable):
    """A person-year panel kept in DuckDB (see the module docstring for columns).

    Attributes
    ----------
    first_year, last_year:
        Years covered (the edge years may be partial: see ``months_observed``).
    n_persons:
        Number of persons.
    source:
        Name of the spell input.
    """

    first_year: int
    last_year: int
    n_persons: int
    source: str

    def tidy(self) -> pd.DataFrame:
        """Persons receiving each benefit group, by year.

        Returns
        -------
        pandas.DataFrame
            Columns ``year, benefit_group, label_en, n_persons, n_received, share,
            mean_months`` (mean months of the group per person-year).
        """
        parts = ", ".join(
            f"sum(received_{g})::BIGINT AS n_{g}, avg(months_benefit_{g}) AS m_{g}"
            for g in BENEFIT_GROUPS
        )
        wide = self.con.sql(
            f"SELECT year, count(*) AS n_persons, {parts} FROM {self.table} "
            "GROUP BY year ORDER BY year"
        ).df()
        rows = [
            {
                "year": int(r["year"]),
                "benefit_group": g,
                "label_en": BENEFIT_GROUP_LABELS[g]["en"],
                "n_persons": int(r["n_persons"]),
                "n_received": int(r[f"n_{g}"]),
                "share": float(r[f"n_{g}"]) / float(r["n_persons"]),
                "mean_months": float(r[f"m_{g}"]),
            }
            for _, r in wide.iterrows()
            for g in BENEFIT_GROUPS
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "year",
                "benefit_group",
                "label_en",
                "n_persons",
                "n_received",
                "share",
                "mean_months",
            ],
        )

    def summary(self) -> str:
        """Per year: persons, mean employment / unemployment months, mean benefit groups."""
        rows = self.con.execute(
            f"""SELECT year, count(*), avg(months_employed), avg(months_on_unemployment_benefit),
                   avg(n_benefit_groups), avg(CAST(n_benefit_groups >= 2 AS DOUBLE))
            FROM {self.table} GROUP BY year ORDER BY year"""
        ).fetchall()
        lines = [
            f"Person-year panel from {self.source}: {self.n_persons} persons, "
            f"{self.first_year}-{self.last_year}.",
            "year   persons  empl.months  unempl.months  benefit groups  share >=2 groups",
        ]
        for year, n, emp, unemp, groups, multi in rows:
            lines.append(
                f"{year:<6}{n:>8}  {emp:11.2f}  {unemp:13.2f}  {groups:14.2f}  {multi:16.3f}"
            )
        return "\n".join(lines)

    def plot(self, *, groups: Sequence[str] = BENEFIT_GROUPS) -> Figure:
        """Share of persons receiving each benefit group (>= 1 month), by year."""
        tidy = self.tidy()
        fig = Figure(figsize=(8, 4.5))
        ax = fig.add_subplot()
        for g in groups:
            part = tidy[tidy["benefit_group"] == g]
            ax.plot(part["year"], part["share"], marker="o", label=BENEFIT_GROUP_LABELS[g]["en"])
        ax.set_ylabel("share receiving >= 1 month")
        ax.set_xlabel("year")
        ax.legend(fontsize="small", ncols=2)
        ax.set_title("Benefit groups by year")
        return fig


def build_person_year_panel(
    source: PersonMonthPanel | TableInput | Spells,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    participants: TableInput | None = None,
    extract_date: DateLike | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    spells_source: str = "spells",
    month_rule: MonthRule | None = None,
) -> PersonYearPanel:
    """Aggregate a person-month panel (or spells) to person-years.

    Parameters
    ----------
    source:
        A :class:`~evaluation.registers.panel.PersonMonthPanel`, or spells (then ``start``
        and ``end`` are required and the monthly panel is built first with
        :func:`~evaluation.registers.panel.build_person_month_panel`).
    start, end, participants, extract_date, con, spells_source:
        Passed to :func:`~evaluation.registers.panel.build_person_month_panel` when
        ``source`` is spells; must be left out when it is a panel. Use whole years
        (``start="2016-01"``, ``end="2020-12"``) to get full years.
    month_rule:
        When a spell counts in a month (``"any_day"`` by default, ``"full_month"``,
        ``"min_days=N"``; see :mod:`evaluation.registers.panel`); only with spells.

    Returns
    -------
    PersonYearPanel
        Frozen result in the same DuckDB connection as the monthly panel.
    """
    if isinstance(source, PersonMonthPanel):
        given = [
            n
            for n, v in (
                ("start", start),
                ("end", end),
                ("participants", participants),
                ("extract_date", extract_date),
                ("con", con),
                ("month_rule", month_rule),
            )
            if v is not None
        ]
        if given:
            raise OptionError(
                f"option(s) {', '.join(given)} cannot be used with a person-month panel",
                where="build_person_year_panel",
                fix="leave them out; they were fixed when the monthly panel was built",
            )
        monthly = source
    else:
        if start is None or end is None:
            raise OptionError(
                "start and end are required when building from spells",
                where="build_person_year_panel",
                fix="give start='2016-01', end='2020-12' (whole years), or pass a panel",
            )
        monthly = build_person_month_panel(
            source,
            start=start,
            end=end,
            participants=participants,
            extract_date=extract_date,
            con=con,
            source=spells_source,
            month_rule=month_rule or "any_day",
        )
    con = monthly.con
    # Read the stored table directly: packed flags, batches of persons by pid (bounded memory).
    bits = {col: k for k, (col, _a) in enumerate(flag_bits())}
    sums = ",\n".join(
        f"sum(CAST((flags >> {bits[c]}) & 1 AS INTEGER))::SMALLINT AS {quote_ident('months_' + c)}"
        for c in (*OUTCOME_COLUMNS, *GROUP_COLUMNS)
    )
    received = ",\n".join(
        f"CAST(months_benefit_{g} > 0 AS TINYINT) AS received_{g}" for g in BENEFIT_GROUPS
    )
    n_groups = " + ".join(f"CAST(months_benefit_{g} > 0 AS TINYINT)" for g in BENEFIT_GROUPS)
    month_cols = ", ".join(quote_ident("months_" + c) for c in (*OUTCOME_COLUMNS, *GROUP_COLUMNS))

    def batch_sql(first: int, last: int) -> str:
        return f"""
        SELECT person_id, year, months_observed, {month_cols},
               {received},
               CAST({n_groups} AS TINYINT) AS n_benefit_groups,
               CAST(bit_count(units) AS TINYINT) AS n_benefits,
               pilot, entry_year, (year - entry_year)::INTEGER AS years_since_entry
        FROM (
            SELECT pid, person_id, year(month)::INTEGER AS year,
                   count(*)::SMALLINT AS months_observed,
                   {sums},
                   bit_or({UNITS_COLUMN}) AS units,
                   any_value(pilot) AS pilot,
                   year(any_value(first_pilot_month))::INTEGER AS entry_year
            FROM {monthly.storage}
            WHERE pid BETWEEN {first} AND {last}
            GROUP BY pid, person_id, year(month)
        ) ORDER BY pid, year"""

    table = unique_name("person_year")
    step = max(1, BATCH_ROWS // monthly.n_months)
    con.execute(f"CREATE TABLE {table} AS {batch_sql(1, 0)}")  # empty, with the schema
    for first in range(1, monthly.n_persons + 1, step):
        con.execute(f"INSERT INTO {table} {batch_sql(first, first + step - 1)}")
    con.execute("CHECKPOINT")
    return PersonYearPanel(
        con=con,
        table=table,
        order_by=("person_id", "year"),
        first_year=int(monthly.start.year),
        last_year=int(monthly.end.year),
        n_persons=monthly.n_persons,
        source=monthly.source,
    )
