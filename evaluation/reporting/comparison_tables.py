"""The funders' comparison tables computed from the pilots' read workbooks.

Writes the ``indicators``, ``traffic_lights`` and ``destinations`` tables of a results
folder (formats in :mod:`evaluation.reporting.results`) from
:class:`~evaluation.workbook.model.SelfEvaluation` objects, and the ``process`` table given
by the caller (e.g. :func:`evaluation.process.process_measures`). Nothing is typed by hand:
every number comes from the client sheets and criteria the pilots filled in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.process import concept_ratings, intended_reach
from evaluation.reporting.results import TABLE_COLUMNS
from evaluation.reporting.tables_io import results_folder, write_csv
from evaluation.workbook.model import SelfEvaluation

#: Situation 3 months after exit (client sheet codes) -> comparison report destinations.
DESTINATION_OF_OUTCOME = {
    "work_contract": "employed",
    "degree_education": "education",
    "unemployed": "unemployed",
    "other_employment_service": "other",
    "other": "other",
}
#: Confidence level of the indicator intervals.
CONF_LEVEL = 0.95


def wilson_interval(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of binomial proportions (in [0, 1]), elementwise."""
    z = float(stats.norm.ppf(0.5 + CONF_LEVEL / 2))
    n = trials.astype("float64")
    p = np.divide(successes, n, out=np.full_like(n, np.nan), where=n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0: no interval (NaN)
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def indicator_table(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Whole-pilot percentage indicators with Wilson 95% intervals (percent scale)."""
    frames = [ev.indicators().tidy() for ev in evaluations]
    if not frames:
        return pd.DataFrame(columns=list(TABLE_COLUMNS["indicators"]))
    ind = pd.concat(frames, ignore_index=True)
    rates = ind[
        (ind["group_var"] == "all") & (ind["unit"] == "percent") & ind["denominator"].notna()
    ]
    num = rates["numerator"].to_numpy(dtype="float64")
    den = rates["denominator"].to_numpy(dtype="float64")
    low, high = wilson_interval(num, den)
    return pd.DataFrame(
        {
            "pilot": rates["pilot"].astype(str).to_numpy(),
            "indicator": rates["indicator"].astype(str).to_numpy(),
            "estimate": rates["value"].to_numpy(dtype="float64"),
            "conf_low": 100 * low,
            "conf_high": 100 * high,
            "n": den.astype("int64"),
        }
    )


def traffic_light_table(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Pilot x criterion ratings (``green``, ``yellow``, ``red``, ``na``)."""
    rows = []
    for ev in evaluations:
        crit = ev.tables()["criteria"]
        rows.append(
            pd.DataFrame(
                {
                    "pilot": crit["pilot"].astype(str),
                    "theme": crit["theme"].astype(str),
                    "criterion": crit["row"].astype(str),
                    "rating": crit["rating"].astype("string").fillna("na").astype(str),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=list(TABLE_COLUMNS["traffic_lights"]))
    return pd.concat(rows, ignore_index=True)


def destination_table(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Persons by situation 3 months after exit (clients without a follow-up are left out
    of this table only: they are still in service or not yet followed up)."""
    rows = []
    for ev in evaluations:
        clients = ev.tables()["clients"]
        known = clients["outcome_3m"].dropna().astype(str)
        counts = known.map(DESTINATION_OF_OUTCOME).value_counts()
        pilot = str(ev.pilot)
        for destination in ("employed", "education", "unemployed", "other"):
            rows.append((pilot, destination, int(counts.get(destination, 0))))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["destinations"]))


def write_comparison_tables(
    folder: Path | str, evaluations: Iterable[SelfEvaluation], *, process: pd.DataFrame
) -> list[Path]:
    """Write ``indicators``, ``traffic_lights``, ``destinations``, ``process`` and the
    optional ``concepts`` and ``intended_reach`` tables as CSV.

    Parameters
    ----------
    folder:
        Results folder (created if missing); ``effects`` comes from the impact writers.
    evaluations:
        The pilots' read workbooks (only those that were read without problems).
    process:
        Per-pilot process measures with the ``process`` table's columns.
    """
    out = results_folder(folder)
    evs = list(evaluations)
    tables = {
        "indicators": indicator_table(evs),
        "traffic_lights": traffic_light_table(evs),
        "destinations": destination_table(evs),
        "process": process.loc[:, list(TABLE_COLUMNS["process"])],
    }
    tables["concepts"] = concept_ratings(evs)
    reach = [intended_reach(ev).tidy() for ev in evs]
    if reach:
        all_rows = pd.concat(reach, ignore_index=True)
        all_rows = all_rows[all_rows["target_group"] == "all"]
        tables["intended_reach"] = all_rows[["pilot", "planned", "reached", "share"]]
    paths = []
    for name, frame in tables.items():
        paths.append(write_csv(frame, out / f"{name}.csv", where=f"results table {name}.csv"))
    return paths
