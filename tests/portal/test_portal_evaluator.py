"""Evaluators run plans and read disclosure logs; funders get only what the ledger publishes."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from evaluation.portal import UserStore, users_path
from evaluation.portal.disclosure import COUNT_COLUMNS, funder_files, log_view
from evaluation.portal.runs import PlanRunner, RunRecord
from evaluation.reporting.i18n import translator
from evaluation.reporting.ledger import LEDGER_FILE, PUBLISHED_DIR
from evaluation.reporting.tables_io import read_csv

from .conftest import (
    ACCOUNTS,
    BROKEN_PLAN,
    PASSWORD,
    PUBLISHED,
    REGISTER_PILOT,
    SMALL_PLAN,
    PortalEnv,
    csrf_of,
    start_run,
)

#: Longest wait for a run of the broken plan to fail (a new Python process imports the
#: toolkit first); the test fails, never hangs, beyond it.
RUN_WAIT_SECONDS = 120
ROW = re.compile(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">([^<]*)</td>")


def _hidden_rows(page: str) -> dict[str, str]:
    """Cell id -> published text of the hidden-numbers table of a disclosure page."""
    table = page.split('<table id="hidden">', 1)[1].split("</table>", 1)[0]
    return {html.unescape(c): html.unescape(m) for _, c, m in ROW.findall(table)}


def test_disclosure_page_shows_markers_never_true_small_counts(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    page = s.get(f"{portal_env.url}/evaluator/disclosure/reports").text
    log = read_csv(portal_env.config.reports / LEDGER_FILE)  # type: ignore[operator]
    hidden = log[log["status"] == "hidden"]
    assert len(hidden) >= 3  # the example results hide primary and secondary cells
    shown = _hidden_rows(page)
    assert set(shown) == set(hidden["cell"].astype(str))
    for cell, rule, n in zip(hidden["cell"], hidden["rule"], hidden["n"], strict=True):
        marker = "*" if rule in ("secondary", "linked") else "<5"
        assert shown[str(cell)] == marker
        row = page.split(f"<td>{html.escape(str(cell))}</td>", 1)[1].split("</tr>", 1)[0]
        assert f">{int(n)}<" not in row  # the true count is nowhere in the row
    assert 'id="audit-outcome"' in page and "Tarkastus läpäisty" in page


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_disclosure_page_in_the_evaluators_language(portal_env: PortalEnv, lang: str) -> None:
    users = UserStore(users_path(portal_env.config.store))
    email = f"evaluator-{lang}@example.fi"
    users.set_password(users.add(email, role="evaluator", lang=lang).token, PASSWORD)
    s = requests.Session()
    s.post(
        f"{portal_env.url}/login",
        data={"csrf": csrf_of(s, f"{portal_env.url}/login"), "email": email, "password": PASSWORD},
    )
    page = s.get(f"{portal_env.url}/evaluator/disclosure/reports").text
    t = translator(lang)  # type: ignore[arg-type]
    assert f'<html lang="{lang}">' in page
    for key in ("portal.disclosure", "portal.audit_passed", "portal.rule.secondary"):
        assert html.escape(t(key, threshold=5), quote=False) in page


def test_failing_log_is_listed_with_its_problems(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    index = s.get(f"{portal_env.url}/evaluator/disclosure").text
    assert "reports/failing" in index and "Tarkastuksessa 1 ongelmaa" in index
    assert f"runs/{portal_env.run_id}/reports" in index
    page = s.get(f"{portal_env.url}/evaluator/disclosure/reports/failing").text
    assert "shown but rests on 2 persons" in page
    view = log_view(portal_env.config.reports / "failing", "reports/failing")  # type: ignore[operator]
    assert not view.passed and len(view.problems) == 1


def test_funders_get_what_a_passing_ledger_publishes(portal_env: PortalEnv) -> None:
    expected = (
        "compare.html",
        *(f"{PUBLISHED_DIR}/{name}" for name in PUBLISHED),
        "vertailu.html",
    )
    assert funder_files(portal_env.config.reports) == expected
    page = portal_env.login("funder").get(f"{portal_env.url}/funder").text
    assert re.findall(r'<a href="/reports/([^"]+)"', page) == list(expected)


def test_funders_download_the_published_register_tables(portal_env: PortalEnv) -> None:
    """Register outcomes, trajectory groups and service need reach funders as the ledger
    publishes them (conftest: 3 participants of a pilot, a trajectory group of 3, the
    example results' region of 3 persons)."""
    s = portal_env.login("funder")
    tables = {}
    for name in ("register_outcomes", "trajectory_groups", "need_indicators"):
        r = s.get(f"{portal_env.url}/reports/{PUBLISHED_DIR}/{name}.csv")
        assert r.status_code == 200, name
        tables[name] = pd.read_csv(io.StringIO(r.text), dtype=str)
    outcomes = tables["register_outcomes"]
    part = outcomes[(outcomes["pilot"] == REGISTER_PILOT) & (outcomes["group"] == "participants")]
    assert len(part) and part["estimate"].isna().all() and set(part["n_persons"]) == {"<5"}
    assert tables["trajectory_groups"]["persons"].iloc[0] == "<5"
    assert tables["trajectory_groups"]["avepp"].isna().iloc[0]
    need = tables["need_indicators"]
    assert "<5" in set(need["population"]) and need["recipients_share"].isna().any()
    for frame in tables.values():
        numbers = frame.apply(pd.to_numeric, errors="coerce")
        counts = [c for c in COUNT_COLUMNS if c in frame.columns]
        assert not numbers[counts].isin(range(1, 5)).any().any()
    pilot = portal_env.login("pilot")
    r = pilot.get(f"{portal_env.url}/reports/{PUBLISHED_DIR}/register_outcomes.csv")
    assert r.status_code == 404


@pytest.mark.parametrize("change", ["small", "other"])
def test_published_count_table_must_be_what_the_log_publishes(
    portal_env: PortalEnv, tmp_path: Path, change: str
) -> None:
    reports = portal_env.config.reports
    assert reports is not None
    folder = Path(shutil.copytree(reports, tmp_path / "reports"))
    assert f"{PUBLISHED_DIR}/counts.csv" in funder_files(folder)
    table = folder / PUBLISHED_DIR / "counts.csv"
    log_time = (folder / LEDGER_FILE).stat().st_mtime_ns
    frame = read_csv(table).astype({"value": str})
    shown = frame.index[frame["value"].str.isdigit()][0]
    # a count under the threshold, or a count the log does not publish for that cell
    frame.loc[shown, "value"] = (
        "3" if change == "small" else str(int(frame.loc[shown, "value"]) + 7)
    )
    frame.to_csv(table, index=False)
    os.utime(table, ns=(log_time, log_time))  # not newer than the log: only the content refuses
    assert f"{PUBLISHED_DIR}/counts.csv" not in funder_files(folder)
    assert f"{PUBLISHED_DIR}/effects.csv" in funder_files(folder)


def _wait_for_end(s: requests.Session, url: str) -> str:
    deadline = time.monotonic() + RUN_WAIT_SECONDS
    while time.monotonic() < deadline:
        page = s.get(url).text
        if "käynnissä" not in page.split('id="state"', 1)[1].split("</b>", 1)[0]:
            return page
        time.sleep(0.5)
    raise AssertionError(f"the run did not end in {RUN_WAIT_SECONDS} s")


def test_a_failing_plan_run_one_at_a_time_and_audited(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    runs = f"{portal_env.url}/evaluator/runs"
    r = start_run(s, portal_env.url, BROKEN_PLAN)
    assert r.status_code == 303
    status = portal_env.url + r.headers["location"]
    assert 'http-equiv="refresh"' in s.get(status).text  # running: the page reloads itself
    form = {"csrf": csrf_of(s, runs), "plan": BROKEN_PLAN}
    second = s.post(runs, data=form, allow_redirects=False)
    assert second.status_code == 409  # one run at a time
    assert "Toinen ajo on käynnissä" in second.text
    page = _wait_for_end(s, status)
    assert "epäonnistui" in page and 'http-equiv="refresh"' not in page
    message = html.unescape(page.split('id="message"', 1)[1])
    assert "broken.yaml (line 2), study.title: required key 'title' is missing" in message
    run_id = r.headers["location"].rsplit("/", 1)[-1]
    events = [
        (row["event"], row["detail"])
        for row in UserStore(users_path(portal_env.config.store)).audit_log()
        if run_id in row["detail"]
    ]
    assert ("plan run started", f"{run_id} {BROKEN_PLAN}") in events
    assert ("plan run failed", f"{run_id} {BROKEN_PLAN}") in events
    assert f"/evaluator/runs/{run_id}" in s.get(runs).text


def test_unknown_plan_is_refused(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    runs = f"{portal_env.url}/evaluator/runs"
    for plan in ("../designs/fokus.yaml", "missing.yaml", ""):
        r = s.post(runs, data={"csrf": csrf_of(s, runs), "plan": plan}, allow_redirects=False)
        assert r.status_code == 400


def test_run_files_are_audited_downloads(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    page = s.get(f"{portal_env.url}/evaluator/runs/{portal_env.run_id}").text
    assert "valmis" in page and 'http-equiv="refresh"' not in page
    names = re.findall(rf'href="/evaluator/runs/{portal_env.run_id}/files/([^"]+)"', page)
    assert names == ["effects.csv", "reports/disclosure.csv", "reports/impact-fi.html"]
    r = s.get(f"{portal_env.url}/evaluator/runs/{portal_env.run_id}/files/effects.csv")
    assert r.status_code == 200 and r.headers["content-disposition"] == "attachment"
    log = UserStore(users_path(portal_env.config.store)).audit_log()
    assert any(row["detail"] == f"run {portal_env.run_id} effects.csv" for row in log)


def test_a_run_without_its_process_is_interrupted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    (runs / "20260102T000000Z-000001").mkdir(parents=True)
    record = RunRecord(
        "20260102T000000Z-000001", "x.yaml", ACCOUNTS["evaluator"][0], "running", "2026-01-02"
    )
    record.write(runs / record.run_id)
    runner = PlanRunner(tmp_path / "plans", runs, lambda r: None)
    found = runner.record(record.run_id)
    assert found is not None and found.state == "interrupted"
    assert runner.record("../x") is None and runner.record("20260102T000000Z-00000") is None


def test_stopping_the_portal_interrupts_a_run(portal_env: PortalEnv, tmp_path: Path) -> None:
    ended: list[RunRecord] = []
    runner = PlanRunner(portal_env.config.plans, tmp_path / "runs", ended.append)
    record = runner.start(SMALL_PLAN, ACCOUNTS["evaluator"][0])
    assert runner.active() == record.run_id
    runner.close()  # what the portal does when it stops
    assert runner.active() is None
    assert [r.state for r in ended] == ["interrupted"]
    found = runner.record(record.run_id)
    assert found is not None and found.state == "interrupted" and found.finished_at
