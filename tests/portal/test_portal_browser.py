"""The portal in headless Chromium: a pilot's submit-and-correct loop, what each role sees.

Screenshots of each role's first page (and a pilot's feedback and indicators, an
evaluator's plan run and disclosure log) go to a temporary folder; to refresh the ones in
``docs/screenshots/`` (the README shows the pilot's), name the folder in
:data:`SCREENSHOTS_ENV`::

    PILOT_EVAL_SCREENSHOTS=docs/screenshots python -m pytest tests/portal/test_portal_browser.py
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from evaluation.store import SubmissionStore, submit_file
from evaluation.synthetic.filled_workbooks import (
    FLAWED_PILOT,
    filled_evaluation,
    write_filled_workbooks,
)
from evaluation.workbook.writer import write_workbook

from .conftest import (
    ACCOUNTS,
    PASSWORD,
    PILOT_A,
    PILOT_B,
    PUBLISHED,
    SEED,
    SMALL_PLAN,
    PortalEnv,
)

#: Environment variable naming the folder the screenshots go to (default: a temporary one).
SCREENSHOTS_ENV = "PILOT_EVAL_SCREENSHOTS"
#: Longest wait for the small plan's run (about half a minute on a busy 2-core machine).
RUN_WAIT_SECONDS = 300


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``$PILOT_EVAL_SCREENSHOTS``, else a temporary folder (so a
    test run leaves the checkout clean)."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _corrected(seed: int, path: Path) -> Path:
    """Pilot A's workbook with the sections its flawed version leaves empty filled in."""
    ev = filled_evaluation(PILOT_A, seed=seed)
    donor = filled_evaluation(PILOT_B, seed=seed)
    fixed = {**ev.records, **{k: donor.records[k] for k in ("mechanisms", "context")}}
    return write_workbook(dataclasses.replace(ev, records=fixed), path)


def _login(browser: Any, env: PortalEnv, who: str) -> None:
    browser.get(f"{env.url}/login")
    browser.find_element(By.ID, "email").send_keys(ACCOUNTS[who][0])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 30).until(lambda d: not d.current_url.endswith("/login"))


def _logout(browser: Any) -> None:
    browser.find_element(By.ID, "logout").click()
    WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("/login"))


def _upload(browser: Any, env: PortalEnv, path: Path) -> str:
    browser.get(f"{env.url}/pilot")
    browser.find_element(By.ID, "workbook").send_keys(str(path.resolve()))
    old = browser.find_element(By.TAG_NAME, "main")
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 120).until(staleness_of(old))
    return str(browser.find_element(By.TAG_NAME, "main").text)


@pytest.mark.slow
def test_pilot_corrects_a_workbook_and_follows_its_indicators(
    browser: Any, portal_env: PortalEnv, tmp_path: Path, shots: Path
) -> None:
    assert PILOT_A == FLAWED_PILOT
    flawed = next(
        p for p in write_filled_workbooks(tmp_path / "wb", seed=SEED) if "savon" in p.name
    )
    # an earlier accepted period, so the chart has more than one point
    earlier = _corrected(SEED + 1, tmp_path / "q4.xlsx")
    submit_file(
        earlier,
        store=SubmissionStore(portal_env.config.store),
        key_file=portal_env.config.key_file,
        period="2018-12-31",
        submitter="seed",
    )
    _login(browser, portal_env, "pilot")
    assert browser.current_url.endswith("/pilot")
    browser.save_screenshot(str(shots / "portal-pilot.png"))

    text = _upload(browser, portal_env, flawed)
    assert "/submissions/" in browser.current_url
    assert "korjattavaa" in text  # Finnish: "N things to correct"
    assert "välilehti 'Liikennevalot', solu E6" in text  # sheet and cell
    assert "Näin korjaat" in text and "pudotusvalikosta" in text  # how to fix, in Finnish
    browser.save_screenshot(str(shots / "portal-pilot-feedback.png"))

    corrected = _corrected(SEED, tmp_path / "fixed.xlsx")
    text = _upload(browser, portal_env, corrected)
    assert "Kaikki tarkistukset läpäisty" in text

    browser.get(f"{portal_env.url}/pilot")
    chart = browser.find_element(By.ID, "chart")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
    periods = {
        row.find_elements(By.TAG_NAME, "td")[0].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#indicators tr")[1:]
    }
    assert periods == {"2018-12-31", "2019-03-31"}
    assert "korjattavaa" in browser.find_element(By.ID, "history").text
    browser.save_screenshot(str(shots / "portal-pilot-indicators.png"))

    # another pilot's submission and report: not found, as if they did not exist
    for path in (f"/submissions/{portal_env.other_sid}", "/reports/pilot-fokus.html"):
        browser.get(portal_env.url + path)
        assert "Sivua ei löydy" in browser.find_element(By.TAG_NAME, "main").text
        assert "Fokus" not in browser.page_source
    _logout(browser)


@pytest.mark.slow
def test_evaluator_and_funder_first_pages(browser: Any, portal_env: PortalEnv, shots: Path) -> None:
    _login(browser, portal_env, "evaluator")
    assert browser.current_url.endswith("/evaluator")
    history = browser.find_element(By.ID, "history").text
    assert PILOT_A in history and "Fokus" in history
    browser.save_screenshot(str(shots / "portal-evaluator.png"))
    _logout(browser)

    _login(browser, portal_env, "funder")
    assert browser.current_url.endswith("/funder")
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#reports a")]
    published = [f"published/{name}" for name in PUBLISHED]
    assert links == ["compare.html", *published, "vertailu.html"]  # from the ledger only
    browser.save_screenshot(str(shots / "portal-funder.png"))
    browser.find_element(By.LINK_TEXT, "compare.html").click()
    assert "compare.html" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{portal_env.url}/submissions/{portal_env.other_sid}")
    assert "Sivua ei löydy" in browser.page_source
    browser.get(f"{portal_env.url}/")
    _logout(browser)


def _state(browser: Any) -> str:
    """The run's state on its status page (which reloads itself while the run goes on)."""
    return str(browser.find_element(By.ID, "state").text)


@pytest.mark.slow
def test_evaluator_runs_a_plan_and_reads_its_disclosure_log(
    browser: Any, portal_env: PortalEnv, shots: Path
) -> None:
    _login(browser, portal_env, "evaluator")
    browser.find_element(By.ID, "runs-link").click()
    Select(browser.find_element(By.ID, "plan")).select_by_visible_text(SMALL_PLAN)
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(lambda d: "/evaluator/runs/" in d.current_url)
    assert _state(browser) == "käynnissä"
    assert "Sivu päivittyy itsestään" in browser.find_element(By.ID, "progress").text
    # The page reloads itself: an element may vanish mid-read (Chromium may report that as
    # a stale element or as an "unhandled inspector error"); keep polling.
    ignored = (WebDriverException,)
    WebDriverWait(browser, RUN_WAIT_SECONDS, ignored_exceptions=ignored).until(
        lambda d: _state(d) != "käynnissä"
    )
    assert _state(browser) == "valmis", browser.find_element(By.TAG_NAME, "main").text
    files = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#files a")]
    for name in ("effects.csv", "evidence.csv", "reports/impact-fi.html", "manifest.json"):
        assert name in files
    # the run's summary in the evaluator's language, the plan's ids as they are
    summary = browser.find_element(By.ID, "summary").text
    assert "Fokus / employed" in summary and "luottamusväli" in summary
    browser.save_screenshot(str(shots / "portal-evaluator-run.png"))

    browser.find_element(By.CSS_SELECTOR, "#logs a").click()
    assert browser.find_element(By.ID, "audit-outcome").text == "Tarkastus läpäisty"
    tables = browser.find_element(By.ID, "log-tables").text
    assert "cohorts:employed" in tables
    browser.save_screenshot(str(shots / "portal-evaluator-disclosure.png"))
    browser.get(f"{portal_env.url}/evaluator/disclosure")
    assert "runs/" in browser.find_element(By.ID, "report-sets").text
    _logout(browser)
