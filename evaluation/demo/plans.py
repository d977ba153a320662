"""Demo step: run the shipped evaluation plans (``designs/*.yaml``) and rate the evidence.

The plans run on the demo's own synthetic extract and person-month panel (handed over as
:class:`~evaluation.plans.Prebuilt`, so nothing is generated or built twice). Each plan
writes its tidy results, evidence rating, deviations and rendered impact report under
``plans/<plan>/``; ``index.html`` shows one row per plan with a link to its report.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from evaluation.demo.navigation import PLAN_PREFIX
from evaluation.demo.page import Page, paragraph
from evaluation.plans import DESIGNS_DIR, Prebuilt, RunResult, run_designs
from evaluation.plans.model import SyntheticData
from evaluation.reporting.ledger import Ledger

if TYPE_CHECKING:
    from evaluation.demo.steps import DemoContext

__all__ = ["add_plans_section", "plans_table", "run_plans"]

#: Columns of the demo's plan table (``plans_table``).
PLAN_COLUMNS = (
    "plan",
    "pilot",
    "design",
    "estimate_pp",
    "conf_low_pp",
    "conf_high_pp",
    "n_treated",
    "sms_level",
    "reasons",
    "n_deviations",
    "report",
)


def run_plans(ctx: DemoContext) -> None:
    """Run every shipped plan on the demo's data into ``plans/`` and keep a summary."""
    prebuilt = Prebuilt(
        synthetic=SyntheticData(persons=ctx.persons, seed=ctx.seed),
        data=ctx.registers(),
        panel=ctx.person_months(),
    )
    results = run_designs(
        DESIGNS_DIR, ctx.out / "plans", persons=ctx.persons, seed=ctx.seed, prebuilt=prebuilt
    )
    ctx.plans = plans_table(results, out=ctx.out)
    ctx.plan_reports = [
        (f"{PLAN_PREFIX}{res.plan.pilots[0] if res.plan.pilots else name}", res.reports[0])
        for name, res in results.items()
        if res.reports
    ]


def plans_table(results: dict[str, RunResult], *, out: Path) -> pd.DataFrame:
    """One row per plan, pilot and outcome: main estimate (percentage points), 95% CI,
    SMS level, reasons, number of deviations and the report path relative to ``out``."""
    rows = []
    for name, res in results.items():
        main = res.effects[res.effects["analysis"] == "main"]
        report = res.reports[0].relative_to(out).as_posix() if res.reports else ""
        for r in main.to_dict(orient="records"):
            rating = res.ratings[(str(r["pilot"]), str(r["outcome"]))]
            rows.append(
                {
                    "plan": name,
                    "pilot": r["pilot"],
                    "design": r["design"],
                    "estimate_pp": 100 * float(r["estimate"]),
                    "conf_low_pp": 100 * float(r["conf_low"]),
                    "conf_high_pp": 100 * float(r["conf_high"]),
                    "n_treated": r["n_treated"],
                    "sms_level": rating.level,
                    "reasons": "; ".join(rating.reasons),
                    "n_deviations": len(res.deviations),
                    "report": report,
                }
            )
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def _estimate_cells(r: Any, ledger: Ledger) -> str:
    """The estimate and interval cells of a plan row, as the ledger decides."""
    key = f"{r.pilot}|{r.design}"
    if not ledger.shows(f"plan:{r.plan}", key, float(r.n_treated)):
        return _cell("–") + _cell(f"n < {ledger.threshold}")
    return _cell(f"{r.estimate_pp:.1f}") + _cell(f"[{r.conf_low_pp:.1f}, {r.conf_high_pp:.1f}]")


def _cell(value: object) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def add_plans_section(page: Page, plans: pd.DataFrame, ledger: Ledger) -> None:
    """The "Evaluation plans and evidence ratings" section of ``index.html``; an estimate
    resting on fewer than the ledger's threshold of treated persons is not shown."""
    if plans.empty:
        return
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "pilot",
            "design",
            "estimate (pp)",
            "95% CI",
            "SMS level",
            "reasons",
            "deviations",
            "report",
        )
    )
    body = []
    for r in plans.itertuples(index=False):
        link = (
            f"<td><a href='{html.escape(str(r.report))}'>{html.escape(str(r.plan))}</a></td>"
            if r.report
            else "<td></td>"
        )
        body.append(
            "<tr>"
            + _cell(r.pilot)
            + _cell(str(r.design).replace("_", " "))
            + _estimate_cells(r, ledger)
            + _cell(r.sms_level)
            + f"<td style='text-align:left;font-size:.8rem'>{html.escape(str(r.reasons))}</td>"
            + _cell(r.n_deviations)
            + link
            + "</tr>"
        )
    page.add(
        "Evaluation plans and evidence ratings",
        paragraph(
            "Each pilot has an evaluation plan written before the data are seen "
            "(designs/*.yaml: population, outcome, design, sensitivity analyses, reports). "
            "pilot-eval run executes a plan: data checks, estimator, diagnostics, the "
            "strength of evidence on the Maryland Scientific Methods Scale (1-5) with its "
            "reasons, every deviation from the plan, and the report the plan names. Here "
            "the plans ran on the demo's own extract; estimates of being employed in a "
            "month, in percentage points."
        ),
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>",
        paragraph(
            "Tidy results, evidence_reasons.csv, deviations.csv and manifest.json of each "
            "plan are in plans/<plan>/; plans/summary.csv lists all plans.",
            css_class="note",
        ),
    )
