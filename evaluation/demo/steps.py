"""The steps of the demo. Each reads and extends a :class:`DemoContext`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation.demo.figures import entrants_figure, trajectories_figure
from evaluation.demo.impact import (
    MATCHING_FOLLOW_UP,
    DemoMatching,
    PilotDid,
    did_table,
    estimate_did,
    estimate_matching,
    event_study_figure,
    matching_table,
    true_simple_effect,
)
from evaluation.demo.navigation import language_links
from evaluation.demo.page import Page, figure_to_html, paragraph, table_to_html
from evaluation.demo.plans import add_plans_section
from evaluation.demo.registers import add_register_sections, write_register_results
from evaluation.process import process_measures, process_report
from evaluation.registers import PersonMonthPanel, build_person_month_panel
from evaluation.reporting import (
    REPORTS_DIR,
    render_report,
    write_did_results,
    write_matching_results,
    write_pilot_results,
)
from evaluation.reporting.comparison_tables import write_comparison_tables
from evaluation.reporting.disclosure import assert_no_identifiers, suppress_counts
from evaluation.reporting.ledger import (
    PUBLISHED_DIR,
    Ledger,
    build_ledger,
    cohort_table_name,
)
from evaluation.store.demo import DEMO_STORE, DemoSubmissions, demo_key_file, submit_workbooks
from evaluation.synthetic import PILOT_NAMES, SyntheticRegisters, generate_registers
from evaluation.synthetic.filled_workbooks import write_filled_workbooks
from evaluation.workbook.overview import SubmissionsOverview, submissions_overview

#: Smallest group of persons a published number of the demo may rest on.
DEMO_THRESHOLD = 5
#: Outcome code of the demo's impact results.
DEMO_OUTCOME = "employed"


@dataclass
class DemoContext:
    """What the demo steps hand to each other (filled in step by step)."""

    out: Path
    persons: int
    seed: int
    data: SyntheticRegisters | None = None
    panel: PersonMonthPanel | None = None
    entrants: pd.DataFrame = field(default_factory=pd.DataFrame)
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)
    panel_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    workbooks: list[Path] = field(default_factory=list)
    overview: SubmissionsOverview | None = None
    submissions: DemoSubmissions | None = None
    did: list[PilotDid] = field(default_factory=list)
    matching: DemoMatching | None = None
    reports: list[Path] = field(default_factory=list)
    plans: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan_reports: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        """Folder of the synthetic input data."""
        return self.out / "data"

    def registers(self) -> SyntheticRegisters:
        """The synthetic data (after :func:`generate_data`)."""
        if self.data is None:
            raise RuntimeError("generate_data must run before this step")
        return self.data

    @property
    def results_dir(self) -> Path:
        """Folder of the tidy result tables the reports read."""
        return self.out / "results"

    @property
    def workbook_dir(self) -> Path:
        """Folder of the pilots' filled self-evaluation workbooks."""
        return self.out / "workbooks"

    def person_months(self) -> PersonMonthPanel:
        """The person-month panel (after :func:`build_panel`)."""
        if self.panel is None:
            raise RuntimeError("build_panel must run before this step")
        return self.panel


def generate_data(ctx: DemoContext) -> None:
    """Generate the synthetic extract and write it (with its truth) under ``data/``."""
    ctx.data = generate_registers(persons=ctx.persons, seed=ctx.seed)
    ctx.data.write(ctx.data_dir)


def build_panel(ctx: DemoContext) -> None:
    """Build the person-month panel for the whole extract window and write it as parquet."""
    data = ctx.registers()
    ctx.panel = build_person_month_panel(
        data.spells,
        start=data.months[0],
        end=data.months[-1],
        participants=data.participants,
        persons=data.persons["person_id"],
    )
    ctx.panel.to_parquet(ctx.data_dir / "person_month_panel.parquet")


def read_workbooks(ctx: DemoContext) -> None:
    """Fill one self-evaluation workbook per pilot (one with mistakes) and read them back."""
    ctx.workbooks = write_filled_workbooks(ctx.workbook_dir, seed=ctx.seed, lang="fi")
    ctx.overview = submissions_overview(ctx.workbooks)


def submit_workbooks_to_store(ctx: DemoContext) -> None:
    """Validate and store every workbook; the faulty one is stored too, marked rejected."""
    store_path = ctx.out / DEMO_STORE
    for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
        stale.unlink(missing_ok=True)  # the demo starts each run with a fresh store
    ctx.submissions = submit_workbooks(
        ctx.workbooks,
        store_path=store_path,
        report_path=ctx.out / "validation-report.html",
        key_file=demo_key_file(ctx.out / "keys"),
    )


def estimate_impacts(ctx: DemoContext) -> None:
    """Staggered DiD for every pilot and matching for one, and the tidy effects table."""
    data, panel = ctx.registers(), ctx.person_months()
    ctx.did = estimate_did(data, panel)
    ctx.matching = estimate_matching(data, panel, seed=ctx.seed)


def write_results(ctx: DemoContext) -> None:
    """Write every tidy result table the reports read (the reports read nothing else)."""
    data = ctx.registers()
    results = ctx.results_dir
    if results.exists():
        for old in results.iterdir():  # writers append; start each demo run afresh
            old.unlink()
    by_pilot = {(e.pilot, e.control_group): e for e in ctx.did}
    for pilot in data.pilots["pilot"].astype(str):
        main = by_pilot[(pilot, "nevertreated")]
        write_did_results(
            results,
            main.result,
            pilot=pilot,
            outcome=DEMO_OUTCOME,
            truth=true_simple_effect(main, data),
            sensitivity={"not-yet-treated": by_pilot[(pilot, "notyettreated")].result},
        )
    if ctx.matching is not None:
        write_matching_results(
            results,
            ctx.matching.result,
            pilot=ctx.matching.pilot,
            outcome=DEMO_OUTCOME,
            primary="did",
            truth=ctx.matching.truth,
        )
    if ctx.overview is not None:
        evaluations = list(ctx.overview.submissions.evaluations)
        for evaluation in evaluations:
            write_pilot_results(results, evaluation)
        # Pilots whose workbook was rejected keep their effect; process measures are missing.
        process = process_measures(evaluations).set_index("pilot")
        process = process.reindex(pd.Index(data.pilots["pilot"].astype(str), name="pilot"))
        write_comparison_tables(results, evaluations, process=process.reset_index())
    write_register_results(results, data, ctx.person_months(), seed=ctx.seed)


def render_reports(ctx: DemoContext) -> None:
    """Render the funders' comparison, the evaluator's impact report and pilot reports."""
    reports = ctx.out / "reports"
    reports.mkdir(exist_ok=True)
    params = {"results_dir": str(ctx.results_dir), "threshold": DEMO_THRESHOLD}
    jobs: list[tuple[str, dict[str, object], str, str]] = [
        ("compare.qmd", params, "compare.html", "en"),
        ("compare.qmd", params, "vertailu.html", "fi"),
        ("impact.qmd", {**params, "pilot": ""}, "impact.html", "en"),
        ("impact.qmd", {**params, "pilot": ""}, "vaikutus.html", "fi"),
    ]
    if ctx.overview is not None:
        for evaluation in ctx.overview.submissions.evaluations:
            name = f"pilot-{slug(str(evaluation.pilot))}.html"
            jobs.append(("pilot.qmd", {**params, "pilot": str(evaluation.pilot)}, name, "fi"))
    ctx.reports = [
        render_report(
            REPORTS_DIR / qmd, params=job_params, output=reports / out, format="html", lang=lang
        )
        for qmd, job_params, out, lang in jobs
    ]


def slug(name: str) -> str:
    """ASCII file-name part of a pilot name (``Pähee Ote`` -> ``pahee-ote``)."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())


def summarise_panel(ctx: DemoContext) -> None:
    """Count entrants per pilot and month; employment trajectories by group (in DuckDB)."""
    data = ctx.registers()
    panel = ctx.person_months()
    entry = data.participants.assign(
        month=data.participants["entry_date"].dt.to_period("M").dt.to_timestamp()
    )
    ctx.entrants = (
        entry.groupby(["pilot", "month"], observed=True).size().rename("entrants").reset_index()
    )
    table = panel.table
    ctx.trajectories = panel.con.sql(
        f"""
        SELECT coalesce(CAST(pilot AS VARCHAR), '') AS pilot,
               CASE WHEN pilot IS NULL THEN 'everyone else' ELSE 'participants' END AS "group",
               month, avg(employed)::DOUBLE AS rate, count(*) AS persons
        FROM {table} GROUP BY ALL ORDER BY pilot, month
        """
    ).df()
    ctx.panel_summary = panel.con.sql(
        f"""
        SELECT count(DISTINCT person_id) AS persons, count(*) AS person_months,
               min(month) AS first_month, max(month) AS last_month,
               avg(employed) AS employed, avg(on_main_benefit) AS on_main_benefit,
               avg(on_unemployment_benefit) AS on_unemployment_benefit,
               avg(on_health_benefit) AS on_health_benefit
        FROM {table}
        """
    ).df()


def _entrants_table(entrants: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """Entrants per entry month (rows) and pilot (columns), as the ledger publishes them.

    The cells are those of the impact designs' cohorts (the impact report prints the same
    cells in its sample flows), so both outputs are audited together. Without DiD results
    the table is suppressed on its own.
    """
    name = cohort_table_name(DEMO_OUTCOME)
    if ledger.table(name) is not None:
        shown = ledger.display(name)
        order = [p for p in PILOT_NAMES if p in shown.columns] + ["Total"]
        shown = shown[order]
    else:
        wide = (
            entrants.pivot_table(
                index="month", columns="pilot", values="entrants", aggfunc="sum", fill_value=0
            )
            .reindex(columns=[p for p in PILOT_NAMES if p in set(entrants["pilot"])])
            .astype("int64")
        )
        wide.index = pd.DatetimeIndex(wide.index).strftime("%Y-%m")
        shown = suppress_counts(wide, where="entrants per pilot and month").display()
    shown.columns.name = None
    return shown


def _add_did_section(
    page: Page, estimates: list[PilotDid], data: SyntheticRegisters, ledger: Ledger
) -> None:
    """Per-pilot staggered DiD beside the truth, with the event-study plot (event times
    and pilots whose estimates rest on fewer than threshold treated persons left out)."""

    def shown(pilot: str, event_time: int) -> bool:
        return ledger.shows(f"did:{pilot}:{DEMO_OUTCOME}", "overall", 0) and ledger.shows(
            f"did_event:{pilot}:{DEMO_OUTCOME}", str(event_time), 0
        )

    table = did_table(estimates, data)
    hidden = [not ledger.shows(f"did:{p}:{DEMO_OUTCOME}", "overall", 0) for p in table["pilot"]]
    table.loc[hidden, ["estimate", "std_error", "conf_low", "conf_high", "true_effect"]] = None
    page.add(
        "Impact: staggered difference-in-differences",
        paragraph(
            "Each pilot's effect on being employed in a month, estimated with Callaway & "
            "Sant'Anna group-time effects: participants who entered in a month (a cohort) are "
            "compared with persons never in a pilot (never-treated), or only with the pilot's "
            "own later entrants (not-yet-treated). The true effect is known because the data "
            "are synthetic."
        ),
        figure_to_html(
            event_study_figure(estimates, data, pilot_order=list(PILOT_NAMES), shown=shown),
            alt="event study per pilot with the true effect",
        ),
        paragraph(
            "Overall effect: average over the post-entry months each design can estimate "
            "(simple aggregation; the not-yet-treated design only sees the months before the "
            "last entrants join); the true effect is averaged over the same months. 95% "
            "intervals from the influence function.",
            css_class="note",
        ),
        table_to_html(table),
    )


def _matching_shown(m: DemoMatching, ledger: Ledger) -> pd.DataFrame:
    """The matching estimates as the ledger publishes them (hidden: fewer than threshold
    matched treated persons)."""
    table = matching_table(m)
    sizes = m.result.sample_sizes().set_index("group")
    n = float(sizes["matched"].astype(float)["treated"])
    if not ledger.shows(f"matching:{m.pilot}:{DEMO_OUTCOME}", "demo", n):
        table[["estimate", "std_error"]] = float("nan")
    return table


def _add_matching_section(page: Page, m: DemoMatching, ledger: Ledger) -> None:
    """Matching of one pilot against the national register: estimates and balance."""
    balance = m.result.balance()[
        ["covariate", "smd_before", "smd_after", "var_ratio_before", "var_ratio_after"]
    ]
    parts = [
        paragraph(
            f"{m.pilot}'s participants matched 1:1 (nearest neighbour on the logit propensity "
            "score, exactly on entry month) with never-participants from the national "
            "register. Outcome: share of months employed in the "
            f"{MATCHING_FOLLOW_UP} months from entry."
        ),
        paragraph(
            "A lesson the truth makes visible: participants differ from others in a stable "
            "employment propensity that 24 months of history reveal only partly. Matching on "
            "that noisy history pairs participants with people who were unlucky in the past "
            "and recover later (regression to the mean), which biases the estimate down. "
            "Matching on background only and differencing out stable differences (matched DiD) "
            "avoids this."
        ),
        table_to_html(_matching_shown(m, ledger)),
        figure_to_html(m.result.plot("love"), alt="love plot of covariate balance"),
        table_to_html(balance),
    ]
    if m.dropped_covariates:
        dropped = "; ".join(f"{k}: {v}" for k, v in m.dropped_covariates.items())
        parts.append(paragraph(f"Covariates left out of the score model: {dropped}."))
    if not m.result.balance_ok():
        parts.append(
            paragraph(
                "Some covariates miss the balance thresholds (|SMD| <= 0.1, variance ratio "
                "0.5-2); the regression-adjusted estimate corrects for the remaining imbalance.",
                css_class="bad",
            )
        )
    page.add(f"Impact: matching ({m.pilot})", *parts)


def _key_indicators(overview: SubmissionsOverview, ledger: Ledger) -> pd.DataFrame:
    """The key indicators as the pilot reports publish them (``n <5`` where a value rests
    on fewer than threshold persons)."""
    table = overview.indicators.copy().astype(object)
    for col in table.columns[1:]:
        table[col] = [
            "–"
            if pd.isna(v)
            else f"{float(v):.1f}"
            if ledger.shows(f"pilot_indicators:{p}", str(col), 0)
            else f"n <{ledger.threshold}"
            for p, v in zip(table["pilot"], table[col], strict=True)
        ]
    return table


def _add_workbooks_section(page: Page, overview: SubmissionsOverview, ledger: Ledger) -> None:
    """Key indicators computed from the client sheets, and what the faulty workbook lacks."""
    parts = [
        paragraph(
            "Each pilot filled the common self-evaluation workbook (in Finnish). Indicators are "
            "computed from the client follow-up sheet, never typed in by hand (percent unless "
            "a count); a value resting on fewer than 5 persons is hidden."
        ),
        table_to_html(_key_indicators(overview, ledger)),
    ]
    if len(overview.problems):
        files = ", ".join(sorted(set(overview.problems["file"].astype(str))))
        parts += [
            paragraph(
                f"Not accepted until fixed: {files}. The pilot gets one message per mistake, "
                "naming the sheet and cell and saying how to fix it:",
                css_class="bad",
            ),
            table_to_html(overview.problems),
        ]
    page.add("Self-evaluation workbooks", *parts)


def _add_instrument_section(page: Page, overview: SubmissionsOverview) -> None:
    """The self-assessment analyses of the seed report's Tables 10-12, pilots pooled."""
    from evaluation.workbook.instrument import ethics_rule, instrument_analyses

    evaluations = overview.submissions.evaluations
    scores = pd.concat([ev.scores() for ev in evaluations], ignore_index=True)
    res = instrument_analyses(scores, min_n=DEMO_THRESHOLD)
    change = res.change.tidy()
    change = change[change["score"].isin(["work_ability", "overall"])]
    cols = ["score", "group", "n", "mean_baseline", "mean_follow_up", "estimate", "p_value"]
    parts = [
        paragraph(ethics_rule(), css_class="note"),
        paragraph(
            "Clients' self-assessments, pooled over the pilots, as in Tables 10-12 of the "
            "national evaluation: the change from the first to the latest answer by service "
            "(some clients answered three times), and baseline scores of those in work or "
            "study 3 months after the service against those in another service or "
            "unemployed ('other' left out), raw and adjusted for age and 3-level education, "
            "with the AUC. Groups under 5 answers are hidden."
        ),
        table_to_html(change[cols].loc[~change["suppressed"]]),
    ]
    if res.validity is not None:
        v = res.validity.tidy()
        keep = ["score", "n_positive", "n_negative", "estimate", "p_value", "auc"]
        keep += ["adjusted_estimate", "adjusted_p_value"]
        parts.append(table_to_html(v[keep]))
        parts.append(figure_to_html(res.validity.plot(), alt="ROC curves of baseline scores"))
    page.add("Self-assessment instrument (Tables 10-12)", *parts)


def _add_submissions_section(page: Page, subs: DemoSubmissions, *, out: Path) -> None:
    """The submission store's listing and a link to the faulty workbook's report."""
    listing = subs.listing[["pilot", "period", "version", "status", "n_failures", "file_name"]]
    parts = [
        paragraph(
            "Every workbook is checked against data contracts generated from the template "
            "schema (Great Expectations) and stored with its validation result, with every "
            "client id replaced by a keyed pseudonym, in the workbook too: the store never "
            "holds a raw client id. The key lies in keys/, apart from the store/ folder, so "
            "a copy of the store cannot be reversed. Rejected submissions are stored too: "
            "nothing a pilot sent is lost."
        ),
        table_to_html(listing),
    ]
    if subs.report_html is not None:
        link = subs.report_html.relative_to(out).as_posix()
        parts.append(
            f"<p>Validation report of the rejected workbook: <a href='{link}'>{link}</a></p>"
        )
    page.add("Submissions and data checks", *parts)


def write_index(ctx: DemoContext) -> Path:
    """Write ``index.html``: what the demo produced, with tables and plots."""
    data = ctx.registers()
    pilots = data.pilots
    starts = dict(
        zip(pilots["pilot"].astype(str), pd.to_datetime(pilots["start_month"]), strict=True)
    )
    page = Page(
        title="pilot-evaluation demo: six synthetic OTE 4 pilots",
        subtitle=(
            f"Synthetic national register extract of {ctx.persons:,} persons, seed {ctx.seed}. "
            "All numbers are synthetic; true effects are known."
        ),
    )
    overview = pilots[["pilot", "town", "regions", "kind", "start_month", "n_participants"]].copy()
    overview["start_month"] = pd.to_datetime(overview["start_month"]).dt.strftime("%Y-%m")
    page.add(
        "The pilots",
        paragraph(
            "Each pilot starts in a different month (a staggered rollout). Participants are "
            "selected on age, education, disability or partial work ability and their prior "
            "labour-market history, so a naive comparison with everyone else is biased."
        ),
        table_to_html(overview),
    )
    summary = ctx.panel_summary.copy()
    for col in ("first_month", "last_month"):
        summary[col] = pd.to_datetime(summary[col]).dt.strftime("%Y-%m")
    page.add(
        "Person-month panel",
        paragraph(
            "Register spells (employment, study, benefits, services) are turned into one row "
            "per person and month, with outcome flags. Shares below are over all person-months."
        ),
        table_to_html(summary),
    )
    ledger = build_ledger(ctx.results_dir, threshold=DEMO_THRESHOLD)
    entrants = _entrants_table(ctx.entrants, ledger)
    page.add(
        "Participants per pilot and month",
        figure_to_html(
            entrants_figure(entrants.iloc[:-1], pilot_order=list(PILOT_NAMES)),
            alt="cumulative participants per pilot",
        ),
        paragraph(
            "New participants by entry month (the impact designs' cohorts). Cells under 5 "
            "persons are hidden (<5), and more cells (*) until no total, and no other output "
            "of the report set, reveals them (reports/disclosure.csv logs every decision).",
            css_class="note",
        ),
        table_to_html(entrants.rename_axis("entry month").reset_index()),
    )
    page.add(
        "Employment: participants versus everyone else",
        figure_to_html(
            trajectories_figure(
                # No point resting on fewer than threshold persons.
                ctx.trajectories[ctx.trajectories["persons"] >= DEMO_THRESHOLD],
                pilot_order=list(PILOT_NAMES),
                starts=starts,
            ),
            alt="employment trajectories",
        ),
        paragraph(
            "Participants start from much lower employment than everyone else, so comparing "
            "them after entry says little about the pilot's effect. The impact designs compare "
            "like with like."
        ),
    )
    if ctx.reports:
        links = "".join(
            f"<li><a href='{p.relative_to(ctx.out).as_posix()}'>{p.name}</a></li>"
            for p in ctx.reports
        )
        page.add(
            "Reports",
            language_links("en"),
            paragraph(
                "Rendered from the tidy results only (Quarto documents in reports/; the "
                "toolkit renders them itself where Quarto is not installed). Person counts "
                "under 5 are hidden."
            ),
            f"<ul class='links'>{links}</ul>",
        )
    add_register_sections(page, ctx.results_dir, ledger)
    if ctx.did:
        _add_did_section(page, ctx.did, data, ledger)
    if ctx.matching is not None:
        _add_matching_section(page, ctx.matching, ledger)
    add_plans_section(page, ctx.plans, ledger)
    if ctx.overview is not None:
        _add_workbooks_section(page, ctx.overview, ledger)
    if ctx.submissions is not None:
        _add_submissions_section(page, ctx.submissions, out=ctx.out)
    if ctx.overview is not None:
        _add_instrument_section(page, ctx.overview)
    if ctx.overview is not None:
        report = process_report(ctx.overview.submissions, seed=ctx.seed)
        page.add(
            "Process evaluation (MRC frame)",
            paragraph(
                "From the same workbooks: reach, dose and fidelity; each pilot's integration "
                "model and preconditions; clients' own goals (Goal Attainment Scaling); staff "
                "readiness; and coded interview excerpts. Groups under 5 persons are hidden."
            ),
            report.to_html().replace("<h2>Process evaluation</h2>", "", 1),
        )
    published = ctx.out / "reports" / PUBLISHED_DIR
    files = sorted(
        p.relative_to(ctx.out).as_posix()
        for folder in (ctx.data_dir, ctx.workbook_dir, ctx.out / "results", published)
        if folder.exists()
        for p in folder.iterdir()
    )
    page.add(
        "Files",
        paragraph(
            "reports/published/ holds the tidy tables for funders, disclosure-controlled as "
            "the reports show them; reports/disclosure.csv is the output-checking log (true "
            "counts, for the output checker only); results/ holds the unsuppressed tidy "
            "results the reports read (synthetic here)."
        ),
        "<ul class='links'>"
        + "".join(f"<li><a href='{name}'>{name}</a></li>" for name in files)
        + "</ul>",
    )
    html_text = "\n".join(page.sections)
    assert_no_identifiers(html_text.split("<img")[0], where="demo index.html")
    return page.write(ctx.out / "index.html")
