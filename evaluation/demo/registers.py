"""The demo's register outcomes and trajectory groups (results tables and index sections).

* Register outcomes per pilot (:func:`evaluation.registers.register_outcomes` on the
  synthetic jobseeker, care and payment extracts): the participants against a comparison
  group of at most :data:`COMPARISON_PERSONS` non-participants of the pilot's regions, each
  anchored at a participant's entry month drawn at random (seeded). Descriptive, not an
  effect estimate.
* Trajectory groups (:func:`evaluation.trajectories`) of the participants' months on a main
  benefit per year, as the report grouped social-assistance months (``001_…`` l.5697-5706).

* Service need per region (:func:`evaluation.registers.need_indicators`): the synthetic
  extract is the target group's register population; its population, share of benefit
  recipients and mean distinct benefits per region and year (THL's request, ``002_…``
  l.1023-1024, l.1034-1053).

All are written to the results folder before the reports are rendered, so the disclosure
ledger decides every number shown (:mod:`evaluation.reporting.register_results`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.demo.page import Page, figure_to_html, paragraph, table_to_html
from evaluation.estimators.trajectories import trajectories
from evaluation.registers import (
    PersonMonthPanel,
    build_person_year_panel,
    need_indicators,
    register_outcomes,
)
from evaluation.reporting.i18n import Translator, translator
from evaluation.reporting.ledger import Ledger
from evaluation.reporting.register_results import (
    need_figure,
    need_table,
    register_outcome_table,
    trajectory_group_figure,
    trajectory_group_table,
    write_need_indicators,
    write_register_outcomes,
    write_trajectory_groups,
)
from evaluation.synthetic import SyntheticRegisters

#: Largest comparison group per pilot (keeps the demo fast).
COMPARISON_PERSONS = 1000
#: Numbers of groups compared by BIC (the report chose 5, l.5697-5706).
TRAJECTORY_GROUPS = range(1, 6)
#: Seeded starts per number of groups (fewer than the default 10: the demo stays quick).
TRAJECTORY_STARTS = 4
#: Outcome of the trajectory model: months on a main benefit per year (0-12).
TRAJECTORY_OUTCOME = "months_on_main_benefit"


def _anchors(data: SyntheticRegisters, pilot: str, rng: np.random.Generator) -> pd.DataFrame:
    part = data.participants[data.participants["pilot"] == pilot]
    row = data.pilots[data.pilots["pilot"] == pilot].iloc[0]
    regions = [r.strip() for r in str(row["regions"]).split(";")]
    others = data.persons[
        data.persons["region"].isin(regions)
        & ~data.persons["person_id"].isin(data.participants["person_id"])
    ]["person_id"]
    if len(others) > COMPARISON_PERSONS:
        others = others.iloc[np.sort(rng.choice(len(others), COMPARISON_PERSONS, replace=False))]
    pseudo = rng.choice(part["entry_date"].to_numpy(), size=len(others), replace=True)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "person_id": part["person_id"],
                    "group": "participants",
                    "anchor_month": part["entry_date"],
                }
            ),
            pd.DataFrame({"person_id": others, "group": "comparison", "anchor_month": pseudo}),
        ],
        ignore_index=True,
    )


def write_register_results(
    results: Path, data: SyntheticRegisters, panel: PersonMonthPanel, *, seed: int
) -> None:
    """Register outcomes per pilot and the participants' trajectory groups, as results."""
    rng = np.random.default_rng([seed, 21])
    extras = data.extras
    for pilot in data.pilots["pilot"].astype(str):
        anchors = _anchors(data, pilot, rng)

        def own(frame: pd.DataFrame, ids: pd.Series = anchors["person_id"]) -> pd.DataFrame:
            return frame[frame["person_id"].isin(ids)]  # only the anchored persons' rows

        outcomes = register_outcomes(
            anchors,
            jobseeker=own(extras.jobseeker),
            care=own(extras.care),
            payments=own(extras.payments),
            reference="comparison",
        )
        write_register_outcomes(results, outcomes, pilot=pilot)
    year_panel = build_person_year_panel(panel)
    write_need_results(results, data, year_panel.to_pandas(["person_id", "year", "n_benefits"]))
    years = year_panel.to_pandas(
        ["person_id", "year", "months_observed", TRAJECTORY_OUTCOME, "pilot"]
    )
    whole = years[(years["pilot"].notna()) & (years["months_observed"] == 12)]
    fit = trajectories(
        whole,
        TRAJECTORY_OUTCOME,
        groups=TRAJECTORY_GROUPS,
        degree=2,
        family="binomial",
        trials=12,
        time="year",
        starts=TRAJECTORY_STARTS,
        seed=seed,
    )
    write_trajectory_groups(results, fit, population="participants")


def write_need_results(results: Path, data: SyntheticRegisters, years: pd.DataFrame) -> None:
    """Service need per region and year of the extract (the target group's population),
    with each pilot's regions, as ``need_indicators.csv``."""
    need = need_indicators(years, data.persons[["person_id", "region"]])
    regions = {
        str(p): [r.strip() for r in str(rs).split(";")]
        for p, rs in zip(data.pilots["pilot"], data.pilots["regions"], strict=True)
    }
    write_need_indicators(results, need, pilots=regions)


def add_need_section(
    page: Page, results: Path, ledger: Ledger, t: Translator | None = None
) -> None:
    """The index's service-need section in ``t``'s language (default English): the latest
    year per region and the shares shown."""
    t = t or translator("en")
    table = need_table(results, t, ledger)
    fig = need_figure(results, t, ledger)
    if len(table):
        alt = t("alt.need", threshold=ledger.threshold)
        page.add(
            t("need.heading"),
            paragraph(t("need.text", threshold=ledger.threshold)),
            *([figure_to_html(fig, alt=alt)] if fig else []),
            table_to_html(table),
        )


def add_register_sections(
    page: Page, results: Path, ledger: Ledger, t: Translator | None = None
) -> None:
    """The index's register-outcome, trajectory-group and service-need sections in ``t``'s
    language (default English; the Finnish and Swedish index pages pass theirs), every
    number as the ledger decides and in the language's notation."""
    t = t or translator("en")
    table = register_outcome_table(results, t, ledger)
    if len(table):
        page.add(
            t("register.heading"),
            paragraph(t("register.text", threshold=ledger.threshold)),
            table_to_html(table),
        )
    groups = trajectory_group_table(results, t, ledger)
    fig = trajectory_group_figure(results, t, ledger)
    if len(groups) and fig is not None:
        page.add(
            t("register.trajectories_heading"),
            paragraph(t("register.trajectories_text", threshold=ledger.threshold)),
            figure_to_html(fig, alt=t("alt.trajectories", threshold=ledger.threshold)),
            table_to_html(groups),
        )
    add_need_section(page, results, ledger, t)
