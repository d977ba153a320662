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
import numpy.typing as npt
import pandas as pd

from evaluation.errors import InputDataError, OptionError
from evaluation.plans.load import load_plan
from evaluation.plans.model import Plan, PowerOptions
from evaluation.power_analysis.api import PowerResult, power
from evaluation.registers import OUTCOME_COLUMNS, PersonMonthPanel, build_person_month_panel
from evaluation.registers.panel import month_index
from evaluation.synthetic import PILOTS_BY_NAME

FloatArray = npt.NDArray[np.float64]
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


def history_matrix(
    panel: PersonMonthPanel, ids: pd.Series, end: pd.Period, outcome: str
) -> FloatArray:
    """Persons x months matrix of ``outcome`` from the panel's first month to ``end``, for
    persons ``ids`` (rows in the order of sorted ids)."""
    if outcome not in OUTCOME_COLUMNS:
        raise OptionError(
            f"unknown outcome {outcome!r}",
            where=_WHERE,
            fix=f"use one of {', '.join(OUTCOME_COLUMNS)}",
        )
    lo = month_index(panel.start)
    hi = month_index(end.to_timestamp())
    n_m = hi - lo + 1
    if n_m < 1:
        raise OptionError(
            f"no history before {end + 1}: the data start in {panel.start:%Y-%m}",
            where=_WHERE,
            fix="use data that start before the pilot, or set power.history_end",
        )
    view = "power_ids"
    panel.con.register(view, pd.DataFrame({"person_id": ids.astype("string")}))
    try:
        cols = panel.con.sql(
            f"SELECT CAST(p.{outcome} AS DOUBLE) AS y FROM {panel.table} p "
            f"SEMI JOIN {view} i ON p.person_id = i.person_id "
            f"WHERE p.month_index <= {hi} ORDER BY p.person_id, p.month_index"
        ).fetchnumpy()
    finally:
        panel.con.unregister(view)
    y = np.asarray(cols["y"], dtype=np.float64)
    n_p = int(ids.nunique())
    if y.size != n_p * n_m:
        raise InputDataError(
            f"the history has {y.size} person-months, expected {n_p} x {n_m}",
            where=_WHERE,
            fix="check that person ids are unique in the persons file",
        )
    return y.reshape(n_p, n_m)


def outcome_history(
    spells: pd.DataFrame, ids: pd.Series, start: str, end: pd.Period, outcome: str
) -> FloatArray:
    """Persons x months matrix of ``outcome`` from ``start`` to ``end`` for persons ``ids``,
    from register spells (a person-month panel of those persons is built)."""
    panel = build_person_month_panel(spells, start=start, end=end.to_timestamp(), persons=ids)
    return history_matrix(panel, ids, end, outcome)


def pilot_power(
    plan: Plan,
    panel: PersonMonthPanel,
    ids: pd.Series,
    entries: pd.Series,
    *,
    outcome: str,
    n_treated: int,
    rollouts: int | None = None,
    seed: int | None = None,
) -> PowerResult:
    """Power of one pilot of ``plan`` on the history in ``panel`` before its first entry.

    ``ids``: the target group; ``entries``: participants' entry months (``Period``);
    ``n_treated``: participants when the plan does not fix ``power.n_treated``.
    """
    opts = plan.power if plan.power is not None else PowerOptions()
    end = _history_end(opts, entries, f"{panel.end:%Y-%m}")
    y = history_matrix(panel, ids, end, opts.outcome or outcome)
    n_t = opts.n_treated or n_treated
    if n_t < 2:
        raise OptionError(
            "the plan names no participants yet and power.n_treated is not given",
            where="power.n_treated",
            fix="add power: {n_treated: <planned participants>} to the plan",
        )
    return power(
        y,
        n_treated=n_t,
        cohorts=opts.cohorts or max(int(entries.nunique()), 1),
        follow_up=plan.follow_up.months,
        pre_periods=-plan.follow_up.event_window[0] - 1,
        n_control=opts.n_control,
        estimator="difference" if plan.design.kind == "matching" else "did",
        alpha=opts.alpha,
        target_power=opts.target_power,
        pretrend_alpha=plan.design.pretrend_alpha,
        rollouts=rollouts or opts.rollouts,
        seed=plan.seed if seed is None else seed,
    )


def plan_power(
    plan_path: str | Path, *, rollouts: int | None = None, seed: int | None = None
) -> PowerResult:
    """Power of the plan at ``plan_path`` from placebo rollouts on its register history.

    ``rollouts`` and ``seed`` override the plan's ``power.rollouts`` and ``seed``.
    """
    from evaluation.plans.inputs import load_inputs  # the runner's data loading

    path = Path(plan_path)
    plan = load_plan(path)
    opts = plan.power if plan.power is not None else PowerOptions()
    inputs = load_inputs(plan, path.parent)
    entries = _entries(plan, inputs.participants)
    end = _history_end(opts, entries, inputs.end)
    ids = _target_group(plan, inputs.persons, end.year)
    panel = build_person_month_panel(
        inputs.spells, start=inputs.start, end=end.to_timestamp(), persons=ids
    )
    return pilot_power(
        plan,
        panel,
        ids,
        entries,
        outcome=plan.outcomes[0],
        n_treated=len(entries),
        rollouts=rollouts,
        seed=seed,
    )
