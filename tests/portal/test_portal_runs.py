"""Plan run pages in the evaluator's language; deleting runs (by hand and ``--keep-runs``)."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.errors import OptionError
from evaluation.portal import UserStore, users_path
from evaluation.portal.app import Portal
from evaluation.portal.evaluator_pages import run_texts
from evaluation.portal.run_summary import EffectLine, RatingLine, RunSummary
from evaluation.portal.runs import PlanRunner, RunRecord, check_keep
from evaluation.reporting.i18n import translator
from tests.language import problems, visible_text

from .conftest import ACCOUNTS, BROKEN_PLAN, PASSWORD, SMALL_PLAN, PortalEnv, csrf_of, start_run

#: Longest wait for a run of the broken plan to fail (a new Python process imports the
#: toolkit first); the test fails, never hangs, beyond it.
RUN_WAIT_SECONDS = 120
EVALUATOR = ACCOUNTS["evaluator"][0]
#: A located message with markup in it: shown as text, never rendered.
MARKUP_MESSAGE = "plan.yaml (line 3), study.title: <b>bold</b> & <script>x</script>. Fix: add it."
#: Finished runs written straight into the portal's runs folder (id -> record).
WRITTEN = {
    "20250101T000000Z-0000f1": RunRecord(
        "20250101T000000Z-0000f1", BROKEN_PLAN, EVALUATOR, "failed", "2025-01-01 00:00:00",
        "2025-01-01 00:00:05", MARKUP_MESSAGE, error="plan",
    ),
    "20250101T000000Z-0000f2": RunRecord(
        "20250101T000000Z-0000f2", BROKEN_PLAN, EVALUATOR, "failed", "2025-01-01 00:01:00",
        "2025-01-01 00:01:05", "the run stopped (exit code 1)", error="stopped", exit_code=1,
    ),
    "20250101T000000Z-0000f3": RunRecord(
        "20250101T000000Z-0000f3", SMALL_PLAN, EVALUATOR, "failed", "2025-01-01 00:02:00",
        "2025-01-01 00:02:05", "KeyError: 'x'", error="unexpected",
    ),
    "20250101T000000Z-0000f4": RunRecord(
        "20250101T000000Z-0000f4", SMALL_PLAN, EVALUATOR, "interrupted", "2025-01-01 00:03:00",
        "2025-01-01 00:03:05",
    ),
}  # fmt: skip
#: The block of a page that quotes the toolkit's (English) message as it is.
QUOTED = re.compile(r'(?s)<pre id="message">.*?</pre>')


@pytest.fixture(scope="module")
def written_runs(portal_env: PortalEnv) -> Iterator[dict[str, RunRecord]]:
    """The runs of :data:`WRITTEN` in the portal's runs folder (removed afterwards)."""
    runs = portal_env.config.runs_dir()
    for run_id, record in WRITTEN.items():
        (runs / run_id).mkdir(parents=True)
        (runs / run_id / "effects.csv").write_text("pilot\nFokus\n", encoding="utf-8")
        record.write(runs / run_id)
    yield WRITTEN
    for run_id in WRITTEN:
        shutil.rmtree(runs / run_id, ignore_errors=True)


def _login_as(env: PortalEnv, email: str, lang: str) -> requests.Session:
    """A session of a new evaluator account whose pages are in ``lang``."""
    users = UserStore(users_path(env.config.store))
    users.set_password(users.add(email, role="evaluator", lang=lang).token, PASSWORD)
    s = requests.Session()
    r = s.post(
        f"{env.url}/login",
        data={"csrf": csrf_of(s, f"{env.url}/login"), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert r.status_code == 303
    return s


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_run_pages_have_no_english(
    portal_env: PortalEnv, written_runs: dict[str, RunRecord], lang: str
) -> None:
    s = _login_as(portal_env, f"runs-{lang}@example.fi", lang)
    base = f"{portal_env.url}/evaluator/runs"
    pages = [base, *(f"{base}/{i}" for i in (portal_env.run_id, *written_runs))]
    pages += [f"{base}/{portal_env.run_id}/delete"]
    t = translator(lang)  # type: ignore[arg-type]
    for url in pages:
        page = s.get(url).text
        assert f'<html lang="{lang}">' in page, url
        # the toolkit's located message is quoted as it is; everything else is translated
        assert not problems(visible_text(QUOTED.sub(" ", page))), (url, problems(page))
    done = s.get(f"{base}/{portal_env.run_id}").text
    assert html.escape(t("portal.run_summary", study="fokus-employment"), quote=False) in done
    assert html.escape(t("portal.run_deviations", n=1), quote=False) in done
    assert "0,0500" in done and t("design.staggered_did") in done  # decimal comma, labels
    assert f"{t('file.effects')} (CSV)" in done  # what a download holds, in words
    stopped = s.get(f"{base}/20250101T000000Z-0000f2").text
    assert html.escape(t("portal.run_error.stopped", code="1"), quote=False) in stopped


def test_the_check_finds_english_on_an_english_page(
    portal_env: PortalEnv, written_runs: dict[str, RunRecord]
) -> None:
    """The check above is not vacuous: the same page in English trips it."""
    s = _login_as(portal_env, "runs-en@example.fi", "en")
    page = s.get(f"{portal_env.url}/evaluator/runs/20250101T000000Z-0000f1").text
    assert "the" in problems(visible_text(QUOTED.sub(" ", page)))


def test_plan_error_is_a_translated_lead_and_the_message_as_text(
    portal_env: PortalEnv, written_runs: dict[str, RunRecord]
) -> None:
    s = portal_env.login("evaluator")
    page = s.get(f"{portal_env.url}/evaluator/runs/20250101T000000Z-0000f1").text
    assert "Suunnitelmaa ei voitu ajaa:" in page.split('id="lead"', 1)[1].split("</p>", 1)[0]
    quoted = page.split('<pre id="message">', 1)[1].split("</pre>", 1)[0]
    assert html.unescape(quoted) == MARKUP_MESSAGE  # as it is, paths and columns untouched
    assert "<script>" not in page and "<b>bold</b>" not in page  # escaped, never markup


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_outcome_has_its_own_lead(lang: str) -> None:
    t = translator(lang)  # type: ignore[arg-type]
    leads = {run_id: run_texts(record, t).lead for run_id, record in WRITTEN.items()}
    assert all(leads.values()) and len(set(leads.values())) == len(WRITTEN)
    running = RunRecord("20250101T000000Z-0000f5", SMALL_PLAN, EVALUATOR, "running", "2025")
    assert run_texts(running, t).lead == ""
    texts = run_texts(WRITTEN["20250101T000000Z-0000f3"], t)
    assert texts.detail == "KeyError: 'x'"  # a bug's type and text, for the maintainers


def _finished_run(runs: Path, run_id: str, plan: str = SMALL_PLAN) -> RunRecord:
    (runs / run_id / "reports").mkdir(parents=True)
    (runs / run_id / "reports" / "impact-fi.html").write_text("<p>x</p>", encoding="utf-8")
    record = RunRecord(run_id, plan, EVALUATOR, "done", "2025-02-01 00:00:00", "2025-02-01")
    record.write(runs / run_id)
    return record


def _events(env: PortalEnv, run_id: str) -> list[tuple[str, str, str]]:
    log = UserStore(users_path(env.config.store)).audit_log()
    return [(row["event"], row["email"], row["detail"]) for row in log if run_id in row["detail"]]


def test_evaluator_deletes_a_finished_run_after_confirming(portal_env: PortalEnv) -> None:
    runs = portal_env.config.runs_dir()
    run_id = "20250201T000000Z-0000d1"
    _finished_run(runs, run_id)
    s = portal_env.login("evaluator")
    url = f"{portal_env.url}/evaluator/runs/{run_id}"
    assert f'href="/evaluator/runs/{run_id}/delete"' in s.get(url).text
    confirm = s.get(f"{url}/delete").text
    assert f'name="confirm" value="{run_id}"' in confirm and "Poistoa ei voi perua" in confirm
    csrf = csrf_of(s, f"{url}/delete")
    for data in ({"confirm": run_id}, {"confirm": run_id, "csrf": "0" * 64}):
        assert s.post(f"{url}/delete", data=data, allow_redirects=False).status_code == 403
    for other in ("", "20250201T000000Z-0000d2"):  # not this run's confirmation
        r = s.post(f"{url}/delete", data={"csrf": csrf, "confirm": other}, allow_redirects=False)
        assert r.status_code == 400
    assert (runs / run_id).is_dir() and _events(portal_env, run_id) == []
    r = s.post(f"{url}/delete", data={"csrf": csrf, "confirm": run_id}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/evaluator/runs?deleted={run_id}"
    assert f"Ajo {run_id} poistettiin." in s.get(portal_env.url + r.headers["location"]).text
    assert not (runs / run_id).exists()
    assert not [p for p in runs.iterdir() if p.name.startswith(".")]  # nothing half-removed
    assert s.get(url).status_code == 404
    again = s.post(f"{url}/delete", data={"csrf": csrf, "confirm": run_id}, allow_redirects=False)
    assert again.status_code == 404
    assert _events(portal_env, run_id) == [
        ("plan run deleted", EVALUATOR, f"{run_id} {SMALL_PLAN}")
    ]
    # the note names only a run that is gone
    page = s.get(f"{portal_env.url}/evaluator/runs?deleted={portal_env.run_id}").text
    assert 'id="deleted"' not in page


@pytest.mark.parametrize("role", ["pilot", "funder"])
def test_pilot_staff_and_funders_cannot_delete(portal_env: PortalEnv, role: str) -> None:
    runs = portal_env.config.runs_dir()
    run_id = f"20250301T000000Z-0000{'a1' if role == 'pilot' else 'a2'}"
    _finished_run(runs, run_id)
    s = portal_env.login(role)
    csrf = csrf_of(s, f"{portal_env.url}/{role}")  # a valid token of their own session
    url = f"{portal_env.url}/evaluator/runs/{run_id}/delete"
    r = s.post(url, data={"csrf": csrf, "confirm": run_id}, allow_redirects=False)
    assert r.status_code == 404  # as on every evaluator route: refused, nothing shown
    assert s.get(url, allow_redirects=False).status_code == 404
    assert (runs / run_id).is_dir() and _events(portal_env, run_id) == []
    shutil.rmtree(runs / run_id)


def test_run_ids_cannot_reach_outside_the_runs_folder(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    runs = portal_env.config.runs_dir()
    key = portal_env.config.key_file
    csrf = csrf_of(s, f"{portal_env.url}/evaluator/runs")
    for run_id in ("%2e%2e", "%2e%2e%2f%2e%2e%2fkeys", f"{portal_env.run_id}%2f%2e%2e", "%2e"):
        r = s.post(
            f"{portal_env.url}/evaluator/runs/{run_id}/delete",
            data={"csrf": csrf, "confirm": run_id.replace("%2e", ".").replace("%2f", "/")},
            allow_redirects=False,
        )
        assert r.status_code == 404, run_id
    assert key.is_file() and runs.is_dir() and (runs / portal_env.run_id).is_dir()


def test_runner_refuses_ids_and_links_outside_its_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    outside = _finished_run(tmp_path / "elsewhere", "20250401T000000Z-0000b1")
    runs.mkdir()
    link = runs / outside.run_id
    link.symlink_to(tmp_path / "elsewhere" / outside.run_id, target_is_directory=True)
    runner = PlanRunner(tmp_path / "plans", runs, lambda r: None)
    bad = ("../elsewhere", f"{outside.run_id}/..", f"{outside.run_id}\n", "", outside.run_id)
    for run_id in bad:
        with pytest.raises(OptionError):
            runner.delete(run_id)
    assert (tmp_path / "elsewhere" / outside.run_id / "reports" / "impact-fi.html").is_file()
    assert link.is_symlink()


def test_a_running_run_cannot_be_deleted_then_can(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    r = start_run(s, portal_env.url, BROKEN_PLAN)
    assert r.status_code == 303
    status = portal_env.url + r.headers["location"]
    run_id = status.rsplit("/", 1)[-1]
    running = s.get(status).text
    assert 'id="delete"' not in running  # no delete action while it goes on
    csrf = csrf_of(s, status)
    data = {"csrf": csrf, "confirm": run_id}
    assert s.post(f"{status}/delete", data=data, allow_redirects=False).status_code == 409
    assert s.get(f"{status}/delete").status_code == 409
    deadline = time.monotonic() + RUN_WAIT_SECONDS
    while 'id="delete"' not in s.get(status).text:
        assert time.monotonic() < deadline, f"the run did not end in {RUN_WAIT_SECONDS} s"
        time.sleep(0.5)
    assert s.post(f"{status}/delete", data=data, allow_redirects=False).status_code == 303
    assert not (portal_env.config.runs_dir() / run_id).exists()
    assert ("plan run deleted", EVALUATOR, f"{run_id} {BROKEN_PLAN}") in _events(portal_env, run_id)


def test_keep_runs_removes_the_oldest_finished_runs_of_the_plan(tmp_path: Path) -> None:
    plans, runs = tmp_path / "plans", tmp_path / "runs"
    plans.mkdir()
    (plans / "a.yaml").write_text("version: 1\nstudy: {id: broken}\n", encoding="utf-8")
    old = [_finished_run(runs, f"20250501T00000{i}Z-0000c{i}", "a.yaml") for i in range(3)]
    # a run whose process is gone without finishing counts as finished (interrupted)
    stale = RunRecord(old[1].run_id, "a.yaml", EVALUATOR, "running", "2025-05-01")
    stale.write(runs / stale.run_id)
    other = _finished_run(runs, "20250501T000009Z-0000c9", "b.yaml")  # another plan
    removed: list[RunRecord] = []
    runner = PlanRunner(plans, runs, lambda r: None, keep=2, on_remove=removed.append)
    new = runner.start("a.yaml", EVALUATOR)
    deadline = time.monotonic() + RUN_WAIT_SECONDS
    while len(removed) < 2:
        assert time.monotonic() < deadline, f"no removal in {RUN_WAIT_SECONDS} s"
        time.sleep(0.2)
    assert [r.run_id for r in removed] == [old[1].run_id, old[0].run_id]  # oldest last
    left = sorted(p.name for p in runs.iterdir())
    assert left == sorted([old[2].run_id, other.run_id, new.run_id])
    assert runner.prune("a.yaml") == ()  # two finished runs of the plan: nothing more


def test_keep_runs_is_one_or_more(tmp_path: Path) -> None:
    assert check_keep(None) is None and check_keep(1) == 1
    with pytest.raises(OptionError, match="--keep-runs"):
        PlanRunner(tmp_path, tmp_path / "runs", lambda r: None, keep=0)
    result = CliRunner().invoke(
        app, ["serve", "--key-file", str(tmp_path / "k"), "--keep-runs", "0"]
    )
    assert isinstance(result.exception, OptionError)  # the CLI's main prints it, exit code 2
    assert result.exception.where == "option --keep-runs"


def test_portal_audit_logs_each_removal_by_keep_runs(portal_env: PortalEnv) -> None:
    config = dataclasses.replace(portal_env.config, keep_runs=1, data=portal_env.root / "keep-data")
    portal = Portal(config)
    record = _finished_run(config.runs_dir(), "20250601T000000Z-0000e1")
    portal.run_removed(record)
    assert _events(portal_env, record.run_id) == [
        ("plan run removed (keep runs)", "", f"{record.run_id} {SMALL_PLAN} (--keep-runs 1)")
    ]
    assert portal.runner.keep == 1 and portal.runner.on_remove == portal.run_removed


def test_a_summary_survives_its_record(tmp_path: Path) -> None:
    effect = EffectLine("P", "employed", "did", "main", -0.25, -0.5, 0.0)
    summary = RunSummary("s", (effect,), (RatingLine("P", "employed", 2),), 2)
    record = RunRecord("20250701T000000Z-000001", "a.yaml", EVALUATOR, "done", "x", summary=summary)
    record.write(tmp_path)
    assert RunRecord.read(tmp_path) == record
    assert summary.lines(translator("fi"))[0] == (
        "P / employed, erotusten erotus, Pääanalyysi: vaikutusarvio \u22120,2500 "
        "(luottamusväli \u22120,5000 … 0,0000)"
    )


@pytest.mark.parametrize("text", ["[1, 2]", '"done"', "{}", '{"state": "done"}', "{"])
def test_an_unreadable_record_is_no_run(tmp_path: Path, text: str) -> None:
    (tmp_path / "status.json").write_text(text, encoding="utf-8")
    assert RunRecord.read(tmp_path) is None


def test_a_record_of_an_earlier_portal_still_reads(tmp_path: Path) -> None:
    """A record written before summaries were kept: its English summary is quoted as the
    run wrote it, under a translated lead."""
    fields = '"run_id": "20250801T000000Z-000001", "plan": "a.yaml", "user": "e@x.fi"'
    (tmp_path / "status.json").write_text(
        f'{{{fields}, "state": "done", "started_at": "x", "message": "Plan s: done"}}',
        encoding="utf-8",
    )
    record = RunRecord.read(tmp_path)
    assert record is not None and record.summary is None and record.error == ""
    texts = run_texts(record, translator("sv"))
    assert texts.lead == translator("sv")("portal.run_summary_as_written")
    assert texts.detail == "Plan s: done"
