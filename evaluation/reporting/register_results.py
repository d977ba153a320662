"""Register outcomes and trajectory groups in a results folder, and their report tables.

Two kinds of results the impact and comparison reports show beside the effects:

* ``register_outcomes.csv``: :meth:`evaluation.registers.RegisterOutcomes.tidy` per pilot
  (registered-unemployment months, care contacts, benefit euros before and after entry,
  their change and the difference in change against the comparison group): the cost per
  participant and the change in benefit spending asked for by recommendation 7 (``001_…``
  l.9193-9199);
* ``trajectory_groups.csv`` and ``trajectory_curves.csv``: the chosen group-based trajectory
  model (:func:`evaluation.trajectories`) of the participants' benefit months, as the report
  grouped social-assistance trajectories (l.5697-5706);
* ``need_indicators.csv``: :func:`evaluation.registers.need_indicators` per region and year
  (the target group's population, the share of benefit recipients, the mean number of
  distinct benefits), the service-need indicators THL asked for (``002_…`` l.1023-1024,
  l.1036-1037), with the pilots whose regions they are.

Every number goes through the disclosure ledger (:mod:`evaluation.reporting.ledger`): a mean
resting on fewer than ``threshold`` persons is hidden, and the group sizes are a protected
count table (hidden below the threshold, with secondary suppression against the total).
The regions' populations are a protected count table too; a share of benefit recipients is
shown only when the recipients and the non-recipients are each at least ``threshold``
persons and the population is shown, and a mean number of benefits (which bounds the
recipients) under the same rule on the recipients and non-recipients (:func:`need_cell`).
The same decisions give the tables funders download (:func:`published_register_outcomes`,
:func:`published_trajectory_groups`, :func:`published_need`; written by
:meth:`evaluation.reporting.ledger.Ledger.write` into ``published/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.errors import InputDataError
from evaluation.registers.indicators import register_indicator
from evaluation.registers.measures import MEASURES, RegisterOutcomes
from evaluation.registers.need import NEED_COLUMNS, NeedIndicators
from evaluation.reporting.tables_io import read_csv, results_folder, write_csv
from evaluation.tables import TABLES

if TYPE_CHECKING:
    from evaluation.estimators.trajectories.results import TrajectoryResult
    from evaluation.reporting.i18n import Translator
    from evaluation.reporting.ledger import Ledger

#: Table names in a results folder.
REGISTER_OUTCOMES_TABLE = "register_outcomes"
TRAJECTORY_GROUPS_TABLE = "trajectory_groups"
TRAJECTORY_CURVES_TABLE = "trajectory_curves"
NEED_TABLE = "need_indicators"
#: Ledger name of the regions' population count table.
NEED_POPULATION_TABLE = "need_population"
#: Year(s) of a need table to show: a year, the latest or all.
NeedYear = int | Literal["latest", "all"]
#: The indicators of a need row, as the ledger's cells and the report's columns.
NEED_POPULATION, NEED_SHARE, NEED_MEAN = (
    "register_population",
    "register_benefit_recipients",
    "register_mean_benefits",
)
#: Terms shown as columns of the report table, in order.
SHOWN_TERMS = ("before", "after", "change", "difference_in_change")


def _path(folder: Path | str, name: str) -> Path:
    return Path(folder) / f"{name}.csv"


def _read(folder: Path | str, name: str) -> pd.DataFrame:
    path = _path(folder, name)
    types = {"pilot": str, "group": str, "region": str, "pilots": str}
    return read_csv(path, dtype=types) if path.exists() else pd.DataFrame()


def write_register_outcomes(
    results_dir: Path | str, outcomes: RegisterOutcomes, *, pilot: str
) -> Path:
    """Write (or replace) ``pilot``'s rows of ``register_outcomes.csv``."""
    folder = results_folder(results_dir)
    rows = outcomes.tidy()
    rows.insert(0, "pilot", pilot)
    old = _read(folder, REGISTER_OUTCOMES_TABLE)
    if len(old):
        rows = pd.concat([old[old["pilot"] != pilot], rows], ignore_index=True)
    return write_csv(rows, _path(folder, REGISTER_OUTCOMES_TABLE))


def write_trajectory_groups(
    results_dir: Path | str, result: TrajectoryResult, *, population: str
) -> tuple[Path, Path]:
    """Write the chosen model's groups (sizes, AvePP, OCC) and trajectories with bands."""
    folder = results_folder(results_dir)
    model = result.chosen
    groups = model.groups().rename(columns={"assigned": "persons"})
    groups.insert(0, "population", population)
    groups.insert(1, "outcome", result.outcome)
    curves = model.trajectories()
    curves.insert(0, "population", population)
    return (
        write_csv(groups, _path(folder, TRAJECTORY_GROUPS_TABLE)),
        write_csv(curves, _path(folder, TRAJECTORY_CURVES_TABLE)),
    )


def trajectory_group_counts(folder: Path | str) -> tuple[list[str], np.ndarray]:
    """Group labels and persons of ``trajectory_groups.csv`` (the ledger's count table)."""
    groups = _read(folder, TRAJECTORY_GROUPS_TABLE)
    if not len(groups):
        return [], np.zeros(0, dtype=np.int64)
    labels = [str(int(g)) for g in groups["group"]]
    return labels, groups["persons"].to_numpy(dtype=np.int64)


def register_outcome_cells(folder: Path | str) -> list[tuple[str, str, float]]:
    """(table, cell, persons) of every register outcome, for the ledger."""
    rows = _read(folder, REGISTER_OUTCOMES_TABLE)
    return [
        (f"{REGISTER_OUTCOMES_TABLE}:{p}", f"{g}|{m}|{term}", float(n))
        for p, g, m, term, n in zip(
            rows.get("pilot", []),
            rows.get("group", []),
            rows.get("measure", []),
            rows.get("term", []),
            rows.get("n_persons", []),
            strict=True,
        )
    ]


def register_outcome_table(
    folder: Path | str, t: Translator, ledger: Ledger, *, pilot: str | None = None
) -> pd.DataFrame:
    """The report table: pilot, group, measure, before, after, change, difference.

    A mean resting on fewer persons than the ledger's threshold is shown as ``<threshold``.
    The persons themselves are not printed here: the participants of a pilot are the
    cohort tables' pilot total, which the ledger may hide (secondary suppression).
    """
    rows = _read(folder, REGISTER_OUTCOMES_TABLE)
    if not len(rows):
        return pd.DataFrame()
    if pilot:
        rows = rows[rows["pilot"] == pilot]
    out = []
    keys = rows[["pilot", "group", "measure"]].drop_duplicates()
    for p, g, m in keys.itertuples(index=False):
        sub = rows[(rows["pilot"] == p) & (rows["group"] == g) & (rows["measure"] == m)]
        by_term = sub.set_index("term")
        line: dict[str, object] = {
            t("col.pilot"): p,
            t("register.col.group"): t.get(f"register.group.{g}", str(g)),
            t("register.col.measure"): register_indicator(MEASURES[str(m)]).name(t.lang),
        }
        digits = 0 if m == "benefit_eur" else 2
        for term in SHOWN_TERMS:
            if term not in by_term.index:
                line[t(f"register.term.{term}")] = ""
                continue
            r = by_term.loc[term]
            cell = f"{g}|{m}|{term}"
            shown = ledger.shows(f"{REGISTER_OUTCOMES_TABLE}:{p}", cell, float(r["n_persons"]))
            line[t(f"register.term.{term}")] = (
                t.num(float(r["estimate"]), digits) if shown else f"<{ledger.threshold}"
            )
        out.append(line)
    return pd.DataFrame(out)


def trajectory_group_table(folder: Path | str, t: Translator, ledger: Ledger) -> pd.DataFrame:
    """Group sizes as the ledger publishes them, with the estimated share, AvePP and OCC."""
    groups = _read(folder, TRAJECTORY_GROUPS_TABLE)
    if not len(groups) or ledger.table(TRAJECTORY_GROUPS_TABLE) is None:
        return pd.DataFrame()
    shown = ledger.display(TRAJECTORY_GROUPS_TABLE, total_label=t("total"))
    persons = shown.iloc[:, 0].tolist()
    hidden = [not str(v).isdigit() for v in persons[:-1]]

    def column(values: pd.Series, scale: float, digits: int) -> list[str]:
        return ["" if h else t.num(scale * v, digits) for h, v in zip(hidden, values, strict=True)]

    return pd.DataFrame(
        {
            t("register.col.trajectory_group"): [*map(str, groups["group"]), t("total")],
            t("register.col.persons"): persons,
            t("register.col.share"): [*column(groups["share"], 100.0, 1), t.num(100.0, 1)],
            "AvePP": [*column(groups["avepp"], 1.0, 2), ""],
        }
    )


def trajectory_group_figure(folder: Path | str, t: Translator, ledger: Ledger) -> Figure | None:
    """The shown groups' trajectories with their bands (hidden groups left out)."""
    curves = _read(folder, TRAJECTORY_CURVES_TABLE)
    labels, _counts = trajectory_group_counts(folder)
    if not len(curves) or not labels:
        return None
    table = ledger.display(TRAJECTORY_GROUPS_TABLE)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for label, text in zip(labels, table.iloc[:-1, 0], strict=True):
        if not str(text).isdigit():
            continue
        part = curves[curves["group"].astype(int) == int(label)].sort_values("time")
        ax.plot(part["time"], part["estimate"], label=f"{label} (n = {text})")
        ax.fill_between(part["time"], part["conf_low"], part["conf_high"], alpha=0.2)
    ax.set_xlabel(t("register.axis.year"))
    ax.set_ylabel(t("register.axis.months"))
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def write_need_indicators(
    results_dir: Path | str,
    result: NeedIndicators,
    *,
    pilots: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write (or replace) ``need_indicators.csv``: one row per region and year.

    Parameters
    ----------
    results_dir:
        The results folder.
    result:
        :func:`evaluation.registers.need_indicators`.
    pilots:
        Each pilot's regions; the ``pilots`` column names the pilots of a region
        (``"; "``-separated, empty when none), so the comparison report shows each pilot's
        regions.

    Returns
    -------
    Path
        The written ``need_indicators.csv`` (it keeps the true counts; the reports publish
        them through the disclosure ledger).
    """
    folder = results_folder(results_dir)
    rows = result.table[list(NEED_COLUMNS)].copy()
    owners = {str(p): {str(r) for r in regions} for p, regions in (pilots or {}).items()}
    rows["pilots"] = [
        "; ".join(p for p, regions in owners.items() if str(region) in regions)
        for region in rows["region"]
    ]
    return write_csv(TABLES[NEED_TABLE].frame(rows), _path(folder, NEED_TABLE))


def read_need_indicators(folder: Path | str) -> pd.DataFrame:
    """``need_indicators.csv`` of a results folder (empty frame when there is none)."""
    rows = _read(folder, NEED_TABLE)
    if not len(rows):
        return pd.DataFrame()
    pilots = rows["pilots"].fillna("") if "pilots" in rows.columns else ""
    return rows.assign(region=rows["region"].astype(str), pilots=pilots)


def need_cell(region: str, year: int, indicator: str) -> str:
    """The ledger's cell of a region's share or mean in a year."""
    return f"{region}|{int(year)}|{indicator}"


def need_population_counts(folder: Path | str) -> tuple[list[str], np.ndarray]:
    """Regions and their target-group population (the ledger's count table).

    The population of a region is the same in every year of a need table
    (:func:`evaluation.registers.need_indicators` counts the one population each year).
    """
    rows = read_need_indicators(folder)
    if not len(rows):
        return [], np.zeros(0, dtype=np.int64)
    sizes = rows.groupby("region", sort=True)["population"]
    varying = sizes.nunique()
    if (varying > 1).any():
        raise InputDataError(
            f"region {varying[varying > 1].index[0]!r} has different populations by year",
            where=str(_path(folder, NEED_TABLE)),
            fix="write the table with evaluation.reporting.register_results."
            "write_need_indicators from one need_indicators() result",
        )
    first = sizes.first()
    return [str(r) for r in first.index], first.to_numpy(dtype=np.int64)


def need_rows(folder: Path | str) -> list[tuple[str, int, int, int]]:
    """(region, year, population, recipients) of every need row, for the ledger."""
    rows = read_need_indicators(folder)
    if not len(rows):
        return []
    return [
        (str(r), int(y), int(n), int(k))
        for r, y, n, k in zip(
            rows["region"], rows["year"], rows["population"], rows["recipients"], strict=True
        )
    ]


def _need_rows_shown(
    folder: Path | str, *, pilot: str | None, by_pilot: bool, year: NeedYear
) -> pd.DataFrame:
    rows = read_need_indicators(folder)
    if not len(rows):
        return rows
    if year != "all":
        rows = rows[rows["year"] == (rows["year"].max() if year == "latest" else year)]
    if by_pilot or pilot:
        rows = rows.assign(pilot=rows["pilots"].str.split("; ")).explode("pilot")
        rows = rows[rows["pilot"].fillna("") != ""]
        if pilot:
            rows = rows[rows["pilot"] == pilot]
        rows = rows.sort_values(["pilot", "region"], kind="stable")
    return rows


def need_table(
    folder: Path | str,
    t: Translator,
    ledger: Ledger,
    *,
    pilot: str | None = None,
    by_pilot: bool = False,
    year: NeedYear = "latest",
) -> pd.DataFrame:
    """The service-need report table as published: of one year (default the latest), or
    of every year (``year="all"``).

    Columns: (pilot,) region, year, population, share of benefit recipients (%), mean
    distinct benefits. ``by_pilot`` gives one row per pilot and region (the pilots' own
    regions only); ``pilot`` keeps that pilot's regions. A population is shown as the
    ledger's count table publishes it (``<5``, ``*``); a hidden share or mean carries the
    population's marker (``*``), or ``<threshold`` when the recipients or the others are
    fewer than the threshold.
    """
    rows = _need_rows_shown(folder, pilot=pilot, by_pilot=by_pilot, year=year)
    if not len(rows) or ledger.table(NEED_POPULATION_TABLE) is None:
        return pd.DataFrame()
    published = ledger.display(NEED_POPULATION_TABLE).iloc[:, 0]
    out = []
    for row in rows.itertuples(index=False):
        line: dict[str, object] = {t("col.pilot"): row.pilot} if by_pilot or pilot else {}
        out.append(line | _need_line(row, str(published[str(row.region)]), t, ledger))
    return pd.DataFrame(out)


def _need_shown(row: Any, population: str, ledger: Ledger) -> tuple[bool, bool, str]:
    """Whether a need row's share and mean are shown, and the marker of a hidden share
    (``population``: the population as published)."""
    region, year, n = str(row.region), int(row.year), int(row.population)
    # The mean's rule is the recipients' and non-recipients' size; the share also needs
    # the population shown (else it carries the population's marker).
    mean_ok = ledger.shows(NEED_TABLE, need_cell(region, year, NEED_MEAN), n)
    share_ok = ledger.shows(NEED_TABLE, need_cell(region, year, NEED_SHARE), n)
    small = f"<{ledger.threshold}"
    return share_ok, mean_ok, small if not mean_ok or population.isdigit() else population


def _need_line(row: Any, population: str, t: Translator, ledger: Ledger) -> dict[str, object]:
    """One region's published population, share and mean (``population``: as published)."""
    share_ok, mean_ok, hidden = _need_shown(row, population, ledger)
    name = {i: register_indicator(i).name(t.lang) for i in (NEED_POPULATION, NEED_SHARE, NEED_MEAN)}
    return {
        t("need.col.region"): str(row.region),
        t("register.axis.year"): int(row.year),
        name[NEED_POPULATION]: population,
        f"{name[NEED_SHARE]} (%)": t.num(float(row.recipients_share), 1) if share_ok else hidden,
        name[NEED_MEAN]: t.num(float(row.mean_benefits), 2) if mean_ok else f"<{ledger.threshold}",
    }


def need_figure(folder: Path | str, t: Translator, ledger: Ledger) -> Figure | None:
    """Share of benefit recipients per region in the latest year (shown shares only)."""
    rows = _need_rows_shown(folder, pilot=None, by_pilot=False, year="latest")
    if not len(rows):
        return None
    keep = [
        ledger.shows(NEED_TABLE, need_cell(r, int(y), NEED_SHARE), int(n))
        for r, y, n in zip(rows["region"], rows["year"], rows["population"], strict=True)
    ]
    shown = rows[keep].sort_values("recipients_share", kind="stable")
    if not len(shown):
        return None
    fig = Figure(figsize=(7, 0.8 + 0.3 * len(shown)))
    ax = fig.add_subplot()
    ax.barh(shown["region"], shown["recipients_share"], color="#4c72b0")
    ax.set_xlabel(t("need.axis.share", year=int(rows["year"].max())))
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# --- published tables (``published/*.csv`` beside a report set) ------------------------


def published_register_outcomes(folder: Path | str, ledger: Ledger) -> pd.DataFrame:
    """``register_outcomes.csv`` as published: a hidden mean's estimate, standard error,
    test and interval empty; ``n_persons`` as ``<threshold`` when small, as ``*`` when a
    count table hides the pilot's participants (the count would give that total away),
    else the count.
    """
    rows = _read(folder, REGISTER_OUTCOMES_TABLE)
    if not len(rows):
        return rows
    rows = rows.copy()
    cells = register_outcome_cells(folder)
    hide = [not ledger.shows(table, cell, n) for table, cell, n in cells]
    numbers = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    rows.loc[hide, numbers] = np.nan
    starred = {str(p) for p in rows["pilot"] if ledger.participants_hidden(str(p))}
    rows["n_persons"] = [
        f"<{ledger.threshold}"
        if 0 < n < ledger.threshold
        else ("*" if str(p) in starred else str(int(n)))
        for p, n in zip(rows["pilot"], rows["n_persons"], strict=True)
    ]
    return TABLES[f"published/{REGISTER_OUTCOMES_TABLE}"].frame(rows)


def published_trajectory_groups(folder: Path | str, ledger: Ledger) -> pd.DataFrame:
    """``trajectory_groups.csv`` as published: ``persons`` as the ledger's count table
    publishes it; a hidden group's share, AvePP and OCC empty (each would narrow its
    size)."""
    groups = _read(folder, TRAJECTORY_GROUPS_TABLE)
    if not len(groups) or ledger.table(TRAJECTORY_GROUPS_TABLE) is None:
        return pd.DataFrame()
    persons = ledger.display(TRAJECTORY_GROUPS_TABLE).iloc[:-1, 0].tolist()
    hidden = [not str(v).isdigit() for v in persons]
    groups = groups.assign(persons=persons)
    groups.loc[hidden, ["share", "share_se", "assigned_share", "avepp", "occ"]] = np.nan
    return TABLES[f"published/{TRAJECTORY_GROUPS_TABLE}"].frame(groups)


def published_need(folder: Path | str, ledger: Ledger) -> pd.DataFrame:
    """``need_indicators.csv`` as published: the population as the ledger's count table
    publishes it, the recipients as a count only where the share is shown (else the
    share's marker), a hidden share or mean empty."""
    rows = read_need_indicators(folder)
    if not len(rows) or ledger.table(NEED_POPULATION_TABLE) is None:
        return pd.DataFrame()
    published = ledger.display(NEED_POPULATION_TABLE).iloc[:, 0]
    out = [
        _published_need_row(row, str(published[str(row.region)]), ledger)
        for row in rows.itertuples(index=False)
    ]
    return TABLES[f"published/{NEED_TABLE}"].frame(out)


def _published_need_row(row: Any, population: str, ledger: Ledger) -> dict[str, object]:
    """One need row as published (``population``: as the count table publishes it)."""
    share_ok, mean_ok, hidden = _need_shown(row, population, ledger)
    return {
        "region": str(row.region),
        "year": int(row.year),
        "population": population,
        "recipients": str(int(row.recipients)) if share_ok else hidden,
        "recipients_share": float(row.recipients_share) if share_ok else np.nan,
        "mean_benefits": float(row.mean_benefits) if mean_ok else np.nan,
        "pilots": str(row.pilots),
    }
