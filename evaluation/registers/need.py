"""Service need from registers: the target group's population and its benefit use by region.

THL asked for indicators of service need from regional and national registers (``002_…``
l.1023-1024, l.1036-1037). The report's register chapter measures benefit use as "received
the benefit for at least a month in the year" (``001_…`` l.5359-5360, Liite 4) and the
number of distinct benefits a person received in a year, family and accident benefits each
counted as one (l.5633-5634). :func:`need_indicators` gives, per region and year, the three
register indicators ``register_population``, ``register_benefit_recipients`` and
``register_mean_benefits`` (:mod:`evaluation.registers.indicators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.contract import ResultMixin
from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.registers.yearly import PersonYearPanel

_WHERE = "need_indicators"

#: Columns of :attr:`NeedIndicators.table`.
NEED_COLUMNS: tuple[str, ...] = (
    "region",
    "year",
    "population",
    "recipients",
    "recipients_share",
    "mean_benefits",
)
#: Columns of :meth:`NeedIndicators.tidy` (one row per region, year and indicator).
NEED_TIDY_COLUMNS: tuple[str, ...] = ("region", "year", "indicator", "value", "n")


@dataclass(frozen=True, repr=False)
class NeedIndicators(ResultMixin):
    """The target group's population and benefit use per region and year.

    :meth:`tidy` is a descriptive table (columns :data:`NEED_TIDY_COLUMNS`).

    Attributes
    ----------
    table:
        :data:`NEED_COLUMNS`: ``population`` (persons of the target group in the region),
        ``recipients`` (of them, persons with at least one benefit month in the year),
        ``recipients_share`` (%), ``mean_benefits`` (mean distinct benefits, ``n_benefits``
        of the person-year panel; persons without a panel row count 0).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = NEED_TIDY_COLUMNS

    table: pd.DataFrame

    def glance(self) -> pd.DataFrame:
        """One row: regions, years (first and last) and the population of the last year."""
        years = self.table["year"]
        last = self.table[years == years.max()] if len(years) else self.table
        return pd.DataFrame(
            [
                {
                    "regions": int(self.table["region"].nunique()),
                    "years": int(years.nunique()),
                    "first_year": int(years.min()) if len(years) else pd.NA,
                    "last_year": int(years.max()) if len(years) else pd.NA,
                    "population_last_year": int(last["population"].sum()),
                }
            ]
        )

    def tidy(self) -> pd.DataFrame:
        """One row per region, year and indicator: ``region, year, indicator, value, n``."""
        columns = {
            "register_population": "population",
            "register_benefit_recipients": "recipients_share",
            "register_mean_benefits": "mean_benefits",
        }
        parts = [
            pd.DataFrame(
                {
                    "region": self.table["region"],
                    "year": self.table["year"],
                    "indicator": ind,
                    "value": self.table[col].astype(float),
                    "n": self.table["population"].astype(int),
                }
            )
            for ind, col in columns.items()
        ]
        out = pd.concat(parts).sort_values(["region", "year"], kind="stable", ignore_index=True)
        return out[list(NEED_TIDY_COLUMNS)]

    def summary(self) -> str:
        """The table as text."""
        return "Service need from registers:\n" + self.table.to_string(index=False)

    def plot(self) -> Figure:
        """Share of benefit recipients per region (latest year)."""
        last = self.table[self.table["year"] == self.table["year"].max()]
        fig = Figure(figsize=(7, 3.5))
        ax = fig.add_subplot()
        ax.barh(last["region"].astype(str), last["recipients_share"])
        ax.set_xlabel("benefit recipients, % of the target group")
        fig.tight_layout()
        return fig


def need_indicators(
    years: PersonYearPanel | pd.DataFrame,
    population: pd.DataFrame,
    *,
    region: str = "region",
    year_list: Sequence[int] | None = None,
) -> NeedIndicators:
    """The target group's population and its benefit use per region and year.

    Parameters
    ----------
    years:
        A person-year panel (``person_id, year, n_benefits``), e.g. from
        :func:`~evaluation.registers.build_person_year_panel`.
    population:
        The target group's register population: ``person_id`` and the ``region`` column
        (one row per person; filter it to the target group first).
    region:
        Name of the region column of ``population``.
    year_list:
        Years to report (default every year of the panel).

    Returns
    -------
    NeedIndicators
        ``.table``, ``.tidy()``, ``.summary()``, ``.plot()``.
    """
    panel = (
        years.to_pandas(["person_id", "year", "n_benefits"])
        if isinstance(years, PersonYearPanel)
        else years
    )
    for name, frame, cols in (
        ("years", panel, ("person_id", "year", "n_benefits")),
        ("population", population, ("person_id", region)),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise MissingColumnError(
                missing, where=f"{_WHERE}({name}=...)", available=[str(c) for c in frame.columns]
            )
    if population["person_id"].duplicated().any():
        raise InputDataError(
            "a person appears on several population rows",
            where=f"{_WHERE}(population=...), column 'person_id'",
            fix="give one row (one region) per person",
        )
    all_years = sorted({int(y) for y in panel["year"]})
    chosen = all_years if year_list is None else [int(y) for y in year_list]
    unknown = sorted(set(chosen) - set(all_years))
    if unknown:
        raise OptionError(
            f"year(s) {unknown} are not in the panel",
            where=f"{_WHERE}(year_list=...)",
            fix=f"use years from {all_years[0]} to {all_years[-1]}" if all_years else "",
        )
    pop = population[["person_id", region]].rename(columns={region: "region"})
    pop = pop.assign(person_id=pop["person_id"].astype(str))
    rows = []
    for year in chosen:
        use = panel[panel["year"] == year][["person_id", "n_benefits"]]
        use = use.assign(person_id=use["person_id"].astype(str))
        merged = pop.merge(use, on="person_id", how="left").fillna({"n_benefits": 0})
        for reg, sub in merged.groupby("region", sort=True):
            n = len(sub)
            k = int((sub["n_benefits"] > 0).sum())
            rows.append((reg, year, n, k, 100.0 * k / n, float(np.mean(sub["n_benefits"]))))
    return NeedIndicators(pd.DataFrame(rows, columns=list(NEED_COLUMNS)))
