"""The real portal on a temporary store, started once for the portal tests.

The store holds a rejected submission of pilot A (its blank workbook) and an accepted one
of pilot B (a clean synthetic workbook); accounts exist for both pilots, an evaluator, a
funder and an account kept for the rate-limit test. A report folder holds stand-ins for
the comparison, impact and pilot reports beside a real disclosure log and its published
tables (the ledger of the example results with register outcomes and trajectory groups
added), a suppressed table the log does not record, a table
added to ``published/`` after the log, and a report set whose log fails the re-audit.
A plans folder holds a small plan and a broken one; the portal's data folder holds one
finished plan run (its record and output written here, not run).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import requests

from evaluation.plans import DESIGNS_DIR
from evaluation.portal import PortalConfig, UserStore, running_portal, users_path
from evaluation.portal.run_summary import EffectLine, RatingLine, RunSummary
from evaluation.portal.runs import RunRecord
from evaluation.registers import register_outcomes
from evaluation.reporting.ledger import LEDGER_FILE, PUBLISHED_DIR, build_ledger
from evaluation.reporting.register_results import write_register_outcomes
from evaluation.reporting.results import example_results
from evaluation.store import SubmissionStore, generate_key_file, submit_file
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.writer import write_template, write_workbook
from tests.register_fixtures import write_small_trajectory_groups

PILOT_A = "Savon Ote"
PILOT_B = "Fokus"
PASSWORD = "a long test password"
SEED = 11
ACCOUNTS = {
    "pilot": ("pilot-a@example.fi", "pilot", PILOT_A),
    "pilot_b": ("pilot-b@example.fi", "pilot", PILOT_B),
    "evaluator": ("evaluator@example.fi", "evaluator", None),
    "funder": ("funder@example.fi", "funder", None),
    "limited": ("limited@example.fi", "evaluator", None),
}
REPORT_FILES = (
    "compare.html",
    "vertailu.html",
    "impact.html",
    "pilot-savon-ote.html",
    "pilot-fokus.html",
    "tables/employment_suppressed.csv",
    "failing/compare.html",
)
#: Tables the report folder's disclosure ledger publishes (``published/``).
PUBLISHED = (
    "counts.csv",
    "effects.csv",
    "indicators.csv",
    "need_indicators.csv",
    "register_outcomes.csv",
    "trajectory_groups.csv",
)
#: The pilot whose register outcomes the report folder's results hold (3 participants).
REGISTER_PILOT = "Fokus"
#: A table put into ``published/`` after the log was written.
LATE_TABLE = f"{PUBLISHED_DIR}/late.csv"
#: Persons of the small plan the browser test runs (the shipped plan has 20 000).
PLAN_PERSONS = 3000
SMALL_PLAN = "fokus-small.yaml"
BROKEN_PLAN = "broken.yaml"
#: The finished run the data folder holds.
DONE_RUN = "20260101T000000Z-abcdef"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class PortalEnv:
    """The running portal and what it serves."""

    url: str
    root: Path
    config: PortalConfig
    own_sid: str  # pilot A's submission
    other_sid: str  # pilot B's submission
    run_id: str = DONE_RUN

    def login(self, who: str) -> requests.Session:
        """A session logged in as account ``who`` (a key of :data:`ACCOUNTS`)."""
        s = requests.Session()
        r = s.post(
            f"{self.url}/login",
            data={
                "csrf": csrf_of(s, f"{self.url}/login"),
                "email": ACCOUNTS[who][0],
                "password": PASSWORD,
            },
            allow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return s


def csrf_of(session: requests.Session, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    found = CSRF.search(session.get(url).text)
    assert found, url
    return found.group(1)


#: Longest wait for another test's plan run to end (one run at a time per portal; the
#: session's portal is shared by the test modules of one worker).
IDLE_WAIT_SECONDS = 300


def start_run(session: requests.Session, url: str, plan: str) -> requests.Response:
    """POST a run of ``plan``, waiting while another test's run goes on (409)."""
    runs = f"{url}/evaluator/runs"
    deadline = time.monotonic() + IDLE_WAIT_SECONDS
    while True:
        form = {"csrf": csrf_of(session, runs), "plan": plan}
        response = session.post(runs, data=form, allow_redirects=False)
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        time.sleep(1.0)


def _reports(folder: Path, results: Path) -> None:
    for name in REPORT_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!doctype html><title>{name}</title><p>{name}</p>", encoding="utf-8")
    build_ledger(results).write(folder)
    late = folder / LATE_TABLE
    late.write_text("table,row,column,value\nx,a,n,120\n", encoding="utf-8")
    log_time = (folder / LEDGER_FILE).stat().st_mtime
    os.utime(late, (log_time + 60, log_time + 60))
    # a report set whose log shows a cell resting on 2 persons: it fails the re-audit
    build_ledger(results).write(folder / "failing")
    log = (folder / "failing" / LEDGER_FILE).read_text(encoding="utf-8").splitlines()
    head, first = log[0].split(","), log[1].split(",")
    first[head.index("n")], first[head.index("status")] = "2", "shown"
    log[1] = ",".join(first)
    (folder / "failing" / LEDGER_FILE).write_text("\n".join(log) + "\n", encoding="utf-8")


def _register_results(results: Path) -> Path:
    """Register outcomes of 3 participants and 6 comparison persons of a pilot, and
    trajectory groups of 3, 40 and 57 persons, beside the example results (which hold the
    service-need table): each has a group under the threshold for the published tables."""
    ids = [f"p{i}" for i in range(3)] + [f"c{i}" for i in range(6)]
    groups = ["participants"] * 3 + ["comparison"] * 6
    anchors = pd.DataFrame({"person_id": ids, "group": groups, "anchor_month": "2017-04"})
    payments = pd.DataFrame(
        {"person_id": ids, "month": "2017-06", "code": "labour_market_subsidy", "amount_eur": 700.0}
    )
    outcomes = register_outcomes(anchors, payments=payments, reference="comparison")
    write_register_outcomes(results, outcomes, pilot=REGISTER_PILOT)
    write_small_trajectory_groups(results)
    return results


def _plans(folder: Path) -> Path:
    folder.mkdir(parents=True)
    plan = (DESIGNS_DIR / "fokus.yaml").read_text(encoding="utf-8")
    small = plan.replace("persons: 20000", f"persons: {PLAN_PERSONS}")
    assert small != plan
    (folder / SMALL_PLAN).write_text(small, encoding="utf-8")
    (folder / BROKEN_PLAN).write_text("version: 1\nstudy: {id: broken}\n", encoding="utf-8")
    return folder


def _done_run(runs: Path, reports: Path) -> None:
    """A finished run's record and output (as a run of the small plan leaves them)."""
    folder = runs / DONE_RUN
    (folder / "reports").mkdir(parents=True)
    shutil.copy(reports / LEDGER_FILE, folder / "reports" / LEDGER_FILE)
    (folder / "effects.csv").write_text("pilot,estimate\nFokus,0.05\n", encoding="utf-8")
    (folder / "reports" / "impact-fi.html").write_text("<p>impact</p>", encoding="utf-8")
    effect = EffectLine("Fokus", "employed", "staggered_did", "main", 0.05, 0.01, 0.09)
    summary = RunSummary("fokus-employment", (effect,), (RatingLine("Fokus", "employed", 3),), 1)
    RunRecord(
        DONE_RUN, SMALL_PLAN, ACCOUNTS["evaluator"][0], "done", "2026-01-01 00:00:00",
        "2026-01-01 00:00:30", "Plan fokus-employment: done", summary=summary,
    ).write(folder)  # fmt: skip


@pytest.fixture(scope="session")
def portal_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalEnv]:
    root = tmp_path_factory.mktemp("portal")
    key = generate_key_file(root / "keys" / "pilot-eval.key")
    store = SubmissionStore(root / "store" / "submissions.duckdb")
    blank = write_template(root / "in" / "blank.xlsx", pilot=PILOT_A, lang="fi")
    own = submit_file(blank, store=store, key_file=key, submitter="seed")
    clean = write_workbook(filled_evaluation(PILOT_B, seed=SEED), root / "in" / "fokus.xlsx")
    other = submit_file(clean, store=store, key_file=key, submitter="seed")
    users = UserStore(users_path(store.path))
    for email, role, pilot in ACCOUNTS.values():
        token = users.add(email, role=role, pilot=pilot).token
        users.set_password(token, PASSWORD)
    _reports(root / "reports", _register_results(example_results(root / "results")))
    config = PortalConfig(
        store.path,
        key,
        reports=root / "reports",
        secure_cookies=False,
        plans=_plans(root / "plans"),
        data=root / "portal-data",
    )
    _done_run(config.runs_dir(), root / "reports")
    with running_portal(config) as url:
        yield PortalEnv(url, root, config, own.stored.submission_id, other.stored.submission_id)
