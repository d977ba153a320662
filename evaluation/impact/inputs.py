"""Design inputs from the person-month panel: what each impact design estimates on.

The estimators know nothing about registers; these functions know the panel's meaning
(pilot, first month in the pilot, outcomes) and turn it into the plain inputs the designs
take: a long unit x period panel with a cohort column for staggered DiD, and one row per
person with a reference month, pre-period history and follow-up outcome for matching.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from evaluation.errors import OptionError
from evaluation.impact.did_rules import check_did_outcome, did_cohort, did_outcome, did_rows
from evaluation.registers import OUTCOME_COLUMNS, PersonMonthPanel
from evaluation.registers import panel_rules as rules

#: History covariates (months in the pre-period) of the matching input.
HISTORY_OUTCOMES = ("employed", "on_unemployment_benefit", "on_health_benefit")
#: Background covariates :func:`matching_input` derives from the person table.
BACKGROUND_COVARIATES: tuple[str, ...] = (
    "age",
    "female",
    "education_secondary",
    "education_tertiary",
    "swedish_speaking",
    "other_mother_tongue",
    "partial_work_ability",
    "disability",
)
#: Pre-entry history covariates of :func:`matching_input` (shares of the history months).
HISTORY_COVARIATES: tuple[str, ...] = tuple(f"pre_{c}" for c in HISTORY_OUTCOMES)
#: Every covariate column of :func:`matching_input`.
MATCHING_COVARIATES: tuple[str, ...] = BACKGROUND_COVARIATES + HISTORY_COVARIATES


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOME_COLUMNS:
        raise OptionError(
            f"unknown outcome {outcome!r}",
            where="outcome",
            fix=f"use one of {', '.join(OUTCOME_COLUMNS)}",
        )


def _register_ids(
    con: duckdb.DuckDBPyConnection, name: str, ids: Sequence[str] | pd.Series | None
) -> str:
    """Register comparison ids (or none) and return a SQL condition on ``person_id``."""
    if ids is None:
        return "TRUE"
    con.register(name, pd.DataFrame({"person_id": pd.Series(ids, dtype="string")}))
    return f"person_id IN (SELECT person_id FROM {name})"


def did_input(
    panel: PersonMonthPanel,
    *,
    pilot: str,
    outcome: str = "employed",
    comparison_ids: Sequence[str] | pd.Series | None = None,
    never_participants: bool = True,
) -> duckdb.DuckDBPyRelation:
    """Long panel for a staggered DiD of one pilot, as a lazy DuckDB relation.

    Participants of ``pilot`` get ``cohort`` = the month index of their first month in the
    pilot; persons in no pilot get ``cohort = 0`` (never treated). Participants of other
    pilots are left out (they are treated by another intervention).

    Parameters
    ----------
    panel:
        Person-month panel from :func:`evaluation.registers.build_person_month_panel`.
    pilot:
        Pilot name as in the participants table.
    outcome:
        Outcome column of the panel (0/1 per month).
    comparison_ids:
        Optional ids of the never-participants to keep (e.g. those living in the pilot's
        regions); default all.
    never_participants:
        Keep persons in no pilot (``cohort = 0``). ``False`` leaves only the pilot's own
        participants, for a not-yet-treated design that compares early with late entrants.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``person_id, month_index, cohort, y``.
    """
    check_did_outcome(outcome)
    con = panel.con
    keep = (
        _register_ids(con, "_did_comparison_ids", comparison_ids) if never_participants else "FALSE"
    )
    sql, column = rules.SQL, rules.Sql("pilot")
    return con.sql(
        f"""
        SELECT person_id, month_index,
               {did_cohort(sql, column, "first_pilot_month")} AS cohort,
               {did_outcome(sql, outcome)} AS y
        FROM {panel.table}
        WHERE {did_rows(sql, column, pilot, rules.Sql(f"({keep})"))}
        """
    )


def matching_input(
    panel: PersonMonthPanel,
    persons: pd.DataFrame,
    *,
    pilot: str,
    outcome: str = "employed",
    follow_up: int = 12,
    history: int = 24,
    comparison_ids: Sequence[str] | pd.Series | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per person for matching participants of ``pilot`` with never-participants.

    Participants' reference month is their first month in the pilot. Never-participants get
    a reference month drawn (with ``seed``) from the participants' entry months, so that
    both groups' history and follow-up cover the same calendar months; match exactly on
    ``reference_month`` to compare like with like.

    Parameters
    ----------
    panel:
        Person-month panel.
    persons:
        Person table (``person_id, birth_year, sex, education, mother_tongue,
        partial_work_ability, disability``).
    pilot:
        Pilot name.
    outcome:
        Outcome averaged over the follow-up months.
    follow_up:
        Months from the reference month (inclusive) that form the outcome.
    history:
        Months before the reference month that form the history covariates.
    comparison_ids:
        Optional ids of the never-participants to keep; default all.
    seed:
        Seed of the draw of comparison persons' reference months.

    Returns
    -------
    pandas.DataFrame
        ``person_id, treated, reference_month`` plus covariates (``age``, ``female``,
        education and mother-tongue dummies, ``partial_work_ability``, ``disability``,
        ``pre_<history outcome>`` shares) and the outcomes ``pre_outcome`` and
        ``post_outcome`` (shares of months). Persons whose follow-up runs past the panel end
        are excluded, and their count is in ``frame.attrs["excluded_short_follow_up"]``.
    """
    _check_outcome(outcome)
    if follow_up < 1 or history < 1:
        raise OptionError(
            "follow_up and history must be at least 1 month",
            where="matching_input",
            fix="pass e.g. follow_up=12, history=24",
        )
    con = panel.con
    keep = _register_ids(con, "_match_comparison_ids", comparison_ids)
    pilot_sql = pilot.replace("'", "''")
    treated = con.sql(
        f"""
        SELECT DISTINCT person_id,
               year(first_pilot_month) * 12 + month(first_pilot_month) - 1 AS reference_month
        FROM {panel.table} WHERE pilot = '{pilot_sql}'
        """
    ).df()
    # DISTINCT has no order: sort so that the seeded draw below is reproducible.
    treated = treated.sort_values("person_id", ignore_index=True)
    if treated.empty:
        raise OptionError(
            f"no participants of pilot {pilot!r} in the panel",
            where="pilot",
            fix="check the pilot name against the participants table",
        )
    controls = con.sql(
        f"SELECT DISTINCT person_id FROM {panel.table} WHERE pilot IS NULL AND {keep}"
    ).df()
    rng = np.random.default_rng(seed)
    controls = controls.sort_values("person_id", ignore_index=True)
    controls["reference_month"] = rng.choice(
        treated["reference_month"].to_numpy(), size=len(controls)
    )
    refs = pd.concat(
        [treated.assign(treated=1), controls.assign(treated=0)], ignore_index=True
    ).astype({"reference_month": "int64"})
    con.register("_match_refs", refs)
    pre_cols = ", ".join(
        f"avg({c}) FILTER (WHERE p.month_index < r.reference_month) AS pre_{c}"
        for c in HISTORY_OUTCOMES
    )
    shares = con.sql(
        f"""
        SELECT r.person_id, {pre_cols},
               avg(p.{outcome}) FILTER (WHERE p.month_index < r.reference_month) AS pre_outcome,
               avg(p.{outcome}) FILTER (WHERE p.month_index >= r.reference_month)
                   AS post_outcome,
               count(*) FILTER (WHERE p.month_index >= r.reference_month) AS follow_up_months
        FROM _match_refs r JOIN {panel.table} p USING (person_id)
        WHERE p.month_index >= r.reference_month - {int(history)}
          AND p.month_index < r.reference_month + {int(follow_up)}
        GROUP BY r.person_id
        """
    ).df()
    frame = refs.merge(shares, on="person_id", how="inner")
    complete = frame["follow_up_months"] == follow_up
    excluded = int((~complete).sum())
    frame = frame[complete].drop(columns="follow_up_months")
    people = persons.set_index("person_id")
    info = people.loc[frame["person_id"]].reset_index()
    year = frame["reference_month"] // 12
    frame = frame.reset_index(drop=True).assign(
        age=(year.to_numpy() - info["birth_year"].to_numpy()).astype("float64"),
        female=(info["sex"] == "F").astype("int8").to_numpy(),
        education_secondary=(info["education"] == "secondary").astype("int8").to_numpy(),
        education_tertiary=(info["education"] == "tertiary").astype("int8").to_numpy(),
        swedish_speaking=(info["mother_tongue"] == "sv").astype("int8").to_numpy(),
        other_mother_tongue=(info["mother_tongue"] == "other").astype("int8").to_numpy(),
        partial_work_ability=info["partial_work_ability"].astype("int8").to_numpy(),
        disability=info["disability"].astype("int8").to_numpy(),
    )
    ordered: pd.DataFrame = frame.sort_values(
        ["treated", "person_id"], ascending=[False, True], ignore_index=True
    )
    ordered.attrs["excluded_short_follow_up"] = excluded
    return ordered


def covariates_with_variation(
    frame: pd.DataFrame, *, treatment: str, covariates: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """Split covariates into those usable in a propensity model and those that are not.

    A covariate that is constant among the treated or among the comparison units separates
    the groups (or carries no information) and makes the logistic model diverge. Such
    covariates are returned with the reason, so the caller can record the deviation.

    Returns
    -------
    (kept, dropped)
        ``kept`` in the given order; ``dropped`` maps each dropped covariate to its reason.
    """
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for name in covariates:
        for value, group in ((1, "participants"), (0, "comparison persons")):
            values = frame.loc[frame[treatment] == value, name]
            if values.nunique(dropna=True) < 2:
                dropped[name] = f"the same value ({values.iloc[0]!r}) for all {group}"
                break
        else:
            kept.append(name)
    return kept, dropped
