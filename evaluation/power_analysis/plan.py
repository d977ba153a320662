"""Power of an evaluation plan before its pilot starts (``pilot-eval power PLAN.yaml``).

The plan's data source (synthetic extract or register files) gives the history of the target
group (the plan's eligibility rule and comparison area) up to the month before the first
entry of the plan's pilots (or ``power.history_end``). Placebo rollouts use the plan's sample
size and entry cohorts (``power:``, defaulting to the client sheet), follow-up months, event
window and pre-trend level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import InputDataError, OptionError
from evaluation.plans.load import load_plan
from evaluation.plans.model import Plan, PowerOptions
from evaluation.power_analysis.api import PowerResult, power
from evaluation.registers import build_person_month_panel
from evaluation.registers.panel import month_index
from evaluation.synthetic import PILOTS_BY_NAME

_WHERE = "power"


def _entries(plan: Plan, participants: pd.DataFrame) -> pd.Series:
    """Entry months of the plan's pilots' participants (may be empty before the pilot)."""
    if "pilot" not in participants or "entry_date" not in participants:
        return pd.Series([], dtype="datetime64[ns]")
    mine = participants["pilot"].astype("string").isin(plan.pilots)
    return pd.to_datetime(participants.loc[mine, "entry_date"]).dt.to_period("M")


def _target_group(plan: Plan, persons: pd.DataFrame, year: int) -> pd.Series:
    """Person ids of the target group: the plan's eligibility and comparison area."""
    age = year - persons["birth_year"].astype("int64")
    elig = plan.population.eligibility
    keep = age.between(elig.age_min, elig.age_max)
    if plan.population.comparison == "pilot_regions":
        regions: set[str] = set()
        for pilot in plan.pilots:
            facts = PILOTS_BY_NAME.get(pilot)
            if facts is None:
                raise OptionError(
                    f"the regions of pilot {pilot!r} are not known",
                    where="population.comparison",
                    fix="use comparison: national",
                )
            regions.update(facts.regions)
        keep &= persons["region"].isin(sorted(regions))
    return persons.loc[keep, "person_id"].astype("string").reset_index(drop=True)


def _history_end(opts: PowerOptions, entries: pd.Series, data_end: str) -> pd.Period:
    if opts.history_end is not None:
        return pd.Period(opts.history_end, freq="M")
    if len(entries):
        first: pd.Period = entries.min()
        return first - 1
    return pd.Period(data_end, freq="M")


def outcome_history(
    spells: pd.DataFrame, ids: pd.Series, start: str, end: pd.Period, outcome: str
) -> np.ndarray[tuple[int, int], np.dtype[np.float64]]:
    """Persons x months matrix of ``outcome`` from ``start`` to ``end`` for persons ``ids``."""
    panel = build_person_month_panel(spells, start=start, end=end.to_timestamp(), persons=ids)
    lo = month_index(pd.Timestamp(start))
    n_m = month_index(end.to_timestamp()) - lo + 1
    panel.con.register("power_ids", pd.DataFrame({"person_id": ids}))
    cols = panel.con.sql(
        f"SELECT CAST({outcome} AS DOUBLE) AS y FROM {panel.table} p "
        "SEMI JOIN power_ids i ON p.person_id = i.person_id "
        "ORDER BY p.person_id, p.month_index"
    ).fetchnumpy()
    y = np.asarray(cols["y"], dtype=np.float64)
    if y.size != len(ids) * n_m:
        raise InputDataError(
            f"the history has {y.size} person-months, expected {len(ids)} x {n_m}",
            where=_WHERE,
            fix="check that person ids are unique in the persons file",
        )
    return y.reshape(len(ids), n_m)


def plan_power(
    plan_path: str | Path, *, rollouts: int | None = None, seed: int | None = None
) -> PowerResult:
    """Power of the plan at ``plan_path`` from placebo rollouts on its register history.

    ``rollouts`` and ``seed`` override the plan's ``power.rollouts`` and ``seed``.
    """
    from evaluation.plans.runner import LocalBackend  # the runner's data loading

    path = Path(plan_path)
    plan = load_plan(path)
    opts = plan.power if plan.power is not None else PowerOptions()
    inputs = LocalBackend().load(plan, path.parent)
    entries = _entries(plan, inputs.participants)
    end = _history_end(opts, entries, inputs.end)
    ids = _target_group(plan, inputs.persons, end.year)
    outcome = opts.outcome or plan.outcomes[0]
    y = outcome_history(inputs.spells, ids, inputs.start, end, outcome)
    n_treated = opts.n_treated or len(entries)
    if n_treated < 2:
        raise OptionError(
            "the plan names no participants yet and power.n_treated is not given",
            where="power.n_treated",
            fix="add power: {n_treated: <planned participants>} to the plan",
        )
    cohorts = opts.cohorts or max(int(entries.nunique()), 1)
    lo = plan.follow_up.event_window[0]
    return power(
        y,
        n_treated=n_treated,
        cohorts=cohorts,
        follow_up=plan.follow_up.months,
        pre_periods=-lo - 1,
        n_control=opts.n_control,
        estimator="difference" if plan.design.kind == "matching" else "did",
        alpha=opts.alpha,
        target_power=opts.target_power,
        pretrend_alpha=plan.design.pretrend_alpha,
        rollouts=rollouts or opts.rollouts,
        seed=plan.seed if seed is None else seed,
    )
