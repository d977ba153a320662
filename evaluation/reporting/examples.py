"""Synthetic results folders to try the pilot and impact reports without real data.

:func:`example_pilot_results` writes the pilot tables of the synthetic filled workbooks;
:func:`example_impact_results` runs the staggered DiD and matching on synthetic registers
(with known true effects) and writes their tables. Both write into one folder, which
then also feeds the comparison report (``effects.csv``).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evaluation.errors import ProblemsFound
from evaluation.impact import MATCHING_COVARIATES
from evaluation.reporting.impact_results import write_did_results, write_matching_results
from evaluation.reporting.pilot_results import write_pilot_results


def example_pilot_results(
    folder: Path | str, *, seed: int = 7, lang: str = "en", pilots: Sequence[str] | None = None
) -> list[str]:
    """Write the pilot tables of the synthetic filled workbooks; return the pilots written.

    Workbooks that do not pass the checks (the generator plants one flawed workbook on
    purpose) are skipped; their pilot is not in the returned list.
    """
    from evaluation.synthetic.filled_workbooks import write_filled_workbooks
    from evaluation.workbook import read_workbook

    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pilot-eval-wb-") as tmp:
        for path in write_filled_workbooks(Path(tmp), seed=seed, lang=lang):
            try:
                ev = read_workbook(path)
            except ProblemsFound:
                continue  # the deliberately flawed workbook
            if pilots is not None and ev.pilot not in pilots:
                continue
            write_pilot_results(folder, ev, inputs={f"workbook {path.name}": path})
            written.append(str(ev.pilot))
    return written


def example_impact_results(
    folder: Path | str,
    *,
    pilots: Sequence[str] = ("Sataosaa",),
    persons: int = 4000,
    seed: int = 2024,
    matching: bool = True,
) -> Path:
    """Run both designs on synthetic registers for ``pilots`` and write their tables.

    DiD: ``att_gt`` (never-treated comparison, with the not-yet-treated comparison as a
    sensitivity analysis and the TWFE/Goodman-Bacon comparison); matching: 1:1 nearest
    neighbour on the propensity score, with Rosenbaum bounds. The true effects of the
    generator are written to ``truth.csv``.
    """
    from evaluation.estimators.did import att_gt, twfe_comparison
    from evaluation.estimators.matching import match
    from evaluation.impact import did_input, matching_input
    from evaluation.impact.inputs import covariates_with_variation
    from evaluation.registers import build_person_month_panel
    from evaluation.synthetic import generate_registers, get_pilot

    out = Path(folder)
    d = generate_registers(persons=persons, seed=seed)
    panel = build_person_month_panel(
        d.spells,
        start=d.months[0],
        end=d.months[-1],
        participants=d.participants,
        persons=d.persons["person_id"],
    )
    truth = d.pilot_truth().set_index("pilot")
    for pilot in pilots:
        ids = d.persons.loc[d.persons["region"].isin(get_pilot(pilot).regions), "person_id"]
        data = did_input(panel, pilot=pilot, comparison_ids=ids).df()
        cols = {"outcome": "y", "time": "month_index", "unit": "person_id", "cohort": "cohort"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            main = att_gt(data, **cols, control_group="nevertreated")  # type: ignore[arg-type]
            alt = att_gt(data, **cols, control_group="notyettreated")  # type: ignore[arg-type]
            tw = twfe_comparison(data, **cols, cs_result=main)
        true_att = (
            float(truth.at[pilot, "true_att"])  # type: ignore[arg-type]
            if pilot in truth.index
            else None
        )
        write_did_results(
            out,
            main,
            pilot=pilot,
            outcome="employed",
            truth=true_att,
            twfe=tw,
            sensitivity={"notyettreated": alt},
            inputs={"did_input": data},
        )
        if not matching:
            continue
        m = matching_input(panel, d.persons, pilot=pilot, comparison_ids=ids)
        cov, _dropped = covariates_with_variation(
            m, treatment="treated", covariates=MATCHING_COVARIATES
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = match(m, treatment="treated", covariates=cov)
        write_matching_results(
            out,
            res,
            pilot=pilot,
            outcome="employed",
            truth=true_att,
            sample_flow={
                "excluded_short_follow_up": int(m.attrs.get("excluded_short_follow_up", 0))
            },
            inputs={"matching_input": pd.DataFrame(m.drop(columns=["person_id"]))},
        )
    return out


__all__ = ["example_impact_results", "example_pilot_results"]
