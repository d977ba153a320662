"""Authorisation over every route per role, CSRF, cookie flags, rate limit, headers."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from starlette.routing import Route

from evaluation.portal import PortalConfig, UserStore, create_app, running_portal, users_path
from evaluation.portal.security import MAX_FAILURES, SESSION_COOKIE
from evaluation.store import SubmissionStore

from .conftest import ACCOUNTS, PASSWORD, SMALL_PLAN, PortalEnv, csrf_of

ZERO = "00000000-0000-0000-0000-000000000000"
ROLES = ("anon", "pilot", "evaluator", "funder")
# (method, route template, path, expected status for anon / pilot A / evaluator / funder).
# 303 for anon means "sent to /login"; 404 hides what a role may not see.
TABLE: list[tuple[str, str, str, tuple[int, int, int, int]]] = [
    ("GET", "/", "/", (303, 303, 303, 303)),
    ("GET", "/login", "/login", (200, 200, 200, 200)),
    ("GET", "/set-password/{token}", "/set-password/not-a-token", (404, 404, 404, 404)),
    ("GET", "/pilot", "/pilot", (303, 200, 404, 404)),
    ("GET", "/pilot/template.xlsx", "/pilot/template.xlsx", (303, 200, 404, 404)),
    ("GET", "/pilot/indicators.svg", "/pilot/indicators.svg", (303, 200, 404, 404)),
    ("GET", "/submissions/{sid}", "/submissions/{own}", (303, 200, 200, 404)),
    ("GET", "/submissions/{sid}", "/submissions/{other}", (303, 404, 200, 404)),
    ("GET", "/submissions/{sid}", f"/submissions/{ZERO}", (303, 404, 404, 404)),
    ("GET", "/submissions/{sid}", "/submissions/'%20OR%201=1", (303, 404, 404, 404)),
    (
        "GET",
        "/submissions/{sid}/workbook.xlsx",
        "/submissions/{own}/workbook.xlsx",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/submissions/{sid}/workbook.xlsx",
        "/submissions/{other}/workbook.xlsx",
        (303, 404, 200, 404),
    ),
    ("GET", "/evaluator", "/evaluator", (303, 404, 200, 404)),
    ("GET", "/evaluator/audit", "/evaluator/audit", (303, 404, 200, 404)),
    ("GET", "/evaluator/runs", "/evaluator/runs", (303, 404, 200, 404)),
    ("GET", "/evaluator/runs/{run_id}", "/evaluator/runs/{run}", (303, 404, 200, 404)),
    (
        "GET",
        "/evaluator/runs/{run_id}",
        "/evaluator/runs/20260101T000000Z-000000",
        (303, 404, 404, 404),
    ),
    ("GET", "/evaluator/runs/{run_id}", "/evaluator/runs/%2e%2e", (303, 404, 404, 404)),
    (
        "GET",
        "/evaluator/runs/{run_id}/files/{name:path}",
        "/evaluator/runs/{run}/files/effects.csv",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/runs/{run_id}/files/{name:path}",
        "/evaluator/runs/{run}/files/reports/impact-fi.html",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/runs/{run_id}/files/{name:path}",
        "/evaluator/runs/{run}/files/status.json",
        (303, 404, 404, 404),
    ),
    (
        "GET",
        "/evaluator/runs/{run_id}/files/{name:path}",
        "/evaluator/runs/{run}/files/%2e%2e/%2e%2e/keys/pilot-eval.key",
        (303, 404, 404, 404),
    ),
    # deleting a run: the confirmation page, then the POST; pilot staff and funders are
    # refused like on every evaluator route (404: nothing of the route is shown to them)
    (
        "GET",
        "/evaluator/runs/{run_id}/delete",
        "/evaluator/runs/{run}/delete",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/runs/{run_id}/delete",
        "/evaluator/runs/%2e%2e/delete",
        (303, 404, 404, 404),
    ),
    # without the confirmation field: refused (400), nothing deleted
    (
        "POST",
        "/evaluator/runs/{run_id}/delete",
        "/evaluator/runs/{run}/delete",
        (303, 404, 400, 404),
    ),
    (
        "POST",
        "/evaluator/runs/{run_id}/delete",
        "/evaluator/runs/%2e%2e/delete",
        (303, 404, 404, 404),
    ),
    # an encoded slash is no run id: no route at all
    ("POST", "", "/evaluator/runs/..%2F..%2Fkeys/delete", (404, 404, 404, 404)),
    ("GET", "/evaluator/disclosure", "/evaluator/disclosure", (303, 404, 200, 404)),
    (
        "GET",
        "/evaluator/disclosure/{name:path}",
        "/evaluator/disclosure/reports",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/disclosure/{name:path}",
        "/evaluator/disclosure/reports/failing",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/disclosure/{name:path}",
        "/evaluator/disclosure/runs/{run}/reports",
        (303, 404, 200, 404),
    ),
    (
        "GET",
        "/evaluator/disclosure/{name:path}",
        "/evaluator/disclosure/reports/tables",
        (303, 404, 404, 404),
    ),
    ("GET", "/funder", "/funder", (303, 404, 404, 200)),
    ("GET", "/reports/{name:path}", "/reports/compare.html", (303, 404, 200, 200)),
    # funders get tables from the disclosure ledger only, never by file name
    (
        "GET",
        "/reports/{name:path}",
        "/reports/tables/employment_suppressed.csv",
        (303, 404, 200, 404),
    ),
    ("GET", "/reports/{name:path}", "/reports/published/counts.csv", (303, 404, 200, 200)),
    ("GET", "/reports/{name:path}", "/reports/published/effects.csv", (303, 404, 200, 200)),
    ("GET", "/reports/{name:path}", "/reports/published/late.csv", (303, 404, 200, 404)),
    ("GET", "/reports/{name:path}", "/reports/disclosure.csv", (303, 404, 200, 404)),
    # a report set whose log fails the re-audit: nothing of it for funders
    ("GET", "/reports/{name:path}", "/reports/failing/compare.html", (303, 404, 200, 404)),
    (
        "GET",
        "/reports/{name:path}",
        "/reports/failing/published/counts.csv",
        (303, 404, 200, 404),
    ),
    ("GET", "/reports/{name:path}", "/reports/impact.html", (303, 404, 200, 404)),
    ("GET", "/reports/{name:path}", "/reports/pilot-savon-ote.html", (303, 200, 200, 404)),
    ("GET", "/reports/{name:path}", "/reports/pilot-fokus.html", (303, 404, 200, 404)),
    # the client resolves ".." itself: this asks for /store/..., no route
    ("GET", "", "/reports/../store/submissions.duckdb", (404, 404, 404, 404)),
    ("GET", "/reports/{name:path}", "/reports/%2e%2e/keys/pilot-eval.key", (303, 404, 404, 404)),
    ("GET", "", "/no-such-page", (404, 404, 404, 404)),
    ("POST", "/pilot/upload", "/pilot/upload", (303, 400, 404, 404)),
    # no plan chosen: refused (400) before anything runs
    ("POST", "/evaluator/runs", "/evaluator/runs", (303, 404, 400, 404)),
    ("POST", "/logout", "/logout", (303, 303, 303, 303)),
    ("POST", "/login", "/login", (401, 401, 401, 401)),
    ("POST", "/set-password/{token}", "/set-password/not-a-token", (400, 400, 400, 400)),
]


@pytest.fixture(scope="module")
def sessions(portal_env: PortalEnv) -> dict[str, requests.Session]:
    out = {"anon": requests.Session()}
    out.update({role: portal_env.login(role) for role in ROLES[1:]})
    return out


def test_table_covers_every_route(portal_env: PortalEnv) -> None:
    app = create_app(portal_env.config)
    routes = {
        (method, r.path)
        for r in app.routes
        if isinstance(r, Route)
        for method in (r.methods or set()) - {"HEAD"}
    }
    covered = {(method, template) for method, template, _, _ in TABLE}
    assert routes <= covered, routes - covered


@pytest.mark.parametrize(("method", "template", "path", "expected"), TABLE)
@pytest.mark.parametrize("role", ROLES)
def test_authorisation(
    portal_env: PortalEnv,
    sessions: dict[str, requests.Session],
    role: str,
    method: str,
    template: str,
    path: str,
    expected: tuple[int, int, int, int],
) -> None:
    if method == "POST" and path == "/logout":
        session = portal_env.login(role) if role != "anon" else requests.Session()
    else:
        session = sessions[role]
    url = portal_env.url + path.format(
        own=portal_env.own_sid, other=portal_env.other_sid, run=portal_env.run_id
    )
    data = {"csrf": csrf_of(session, f"{portal_env.url}/login")} if method == "POST" else None
    if path == "/login":
        data = {**(data or {}), "email": "nobody@example.fi", "password": "wrong"}
    r = session.request(method, url, data=data, allow_redirects=False)
    assert r.status_code == expected[ROLES.index(role)], (role, method, path, r.text[:300])
    if r.status_code == 303 and role == "anon" and template not in ("/", "/logout"):
        assert r.headers["location"] == "/login"


def test_pilot_page_shows_nothing_of_another_pilot(
    portal_env: PortalEnv, sessions: dict[str, requests.Session]
) -> None:
    page = sessions["pilot"].get(f"{portal_env.url}/pilot").text
    assert portal_env.other_sid not in page
    assert "Fokus" not in page
    assert portal_env.own_sid in page


def test_post_without_csrf_token_is_refused(
    portal_env: PortalEnv, sessions: dict[str, requests.Session]
) -> None:
    s = sessions["pilot"]
    for data in ({}, {"csrf": "0" * 64}):
        r = s.post(f"{portal_env.url}/logout", data=data, allow_redirects=False)
        assert r.status_code == 403
        r = s.post(
            f"{portal_env.url}/pilot/upload",
            files={"workbook": ("x.xlsx", b"PK")},
            data=data,
            allow_redirects=False,
        )
        assert r.status_code == 403
    anon = requests.Session()
    r = anon.post(
        f"{portal_env.url}/login",
        data={"email": ACCOUNTS["evaluator"][0], "password": PASSWORD},
        allow_redirects=False,
    )
    assert r.status_code == 403  # a login form posted from elsewhere
    # a token of another session does not work either
    other = csrf_of(requests.Session(), f"{portal_env.url}/login")
    r = s.post(f"{portal_env.url}/logout", data={"csrf": other}, allow_redirects=False)
    assert r.status_code == 403
    assert s.get(f"{portal_env.url}/pilot", allow_redirects=False).status_code == 200
    # an evaluator's plan run: refused without the token, and nothing starts
    ev = sessions["evaluator"]
    runs = list(portal_env.config.runs_dir().iterdir())
    for data in ({"plan": SMALL_PLAN}, {"plan": SMALL_PLAN, "csrf": "0" * 64}):
        r = ev.post(f"{portal_env.url}/evaluator/runs", data=data, allow_redirects=False)
        assert r.status_code == 403
    assert list(portal_env.config.runs_dir().iterdir()) == runs


def test_session_cookie_flags(portal_env: PortalEnv) -> None:
    r = requests.get(f"{portal_env.url}/login")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    # loopback test server: Secure is off by configuration; on elsewhere by default
    assert "secure" not in flags
    assert portal_env.config.secure_cookies is False


def test_tampered_cookie_is_no_session(portal_env: PortalEnv) -> None:
    s = portal_env.login("evaluator")
    value = s.cookies[SESSION_COOKIE]
    forged = requests.Session()
    forged.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    r = forged.get(f"{portal_env.url}/evaluator", allow_redirects=False)
    assert r.status_code == 303


def test_login_is_rate_limited(portal_env: PortalEnv) -> None:
    email = ACCOUNTS["limited"][0]
    s = requests.Session()
    for _ in range(MAX_FAILURES):
        r = s.post(
            f"{portal_env.url}/login",
            data={
                "csrf": csrf_of(s, f"{portal_env.url}/login"),
                "email": email,
                "password": "wrong password",
            },
            allow_redirects=False,
        )
        assert r.status_code == 401
    r = s.post(
        f"{portal_env.url}/login",
        data={"csrf": csrf_of(s, f"{portal_env.url}/login"), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert r.status_code == 429  # even the right password, until the window passes
    log = UserStore(users_path(portal_env.config.store)).audit_log()
    events = [row["event"] for row in log if row["email"] == email]
    assert events.count("login failed") == MAX_FAILURES
    assert "login refused (rate limit)" in events


@pytest.mark.parametrize(
    "path", ["/login", "/no-such-page", "/static/portal.css", "/pilot", "/reports/compare.html"]
)
def test_security_headers(
    portal_env: PortalEnv, sessions: dict[str, requests.Session], path: str
) -> None:
    s = sessions["funder"] if path.startswith("/reports") else sessions["pilot"]
    r = s.get(portal_env.url + path, allow_redirects=False)
    csp = r.headers["content-security-policy"]
    directives = {
        name: value.strip()
        for name, _, value in (d.strip().partition(" ") for d in csp.split(";") if d.strip())
    }
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives  # falls back to 'none': no script, inline or not
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_disabled_account_loses_its_session(portal_env: PortalEnv) -> None:
    users = UserStore(users_path(portal_env.config.store))
    token = users.add("leaver@example.fi", role="funder").token
    users.set_password(token, PASSWORD)
    s = requests.Session()
    s.post(
        f"{portal_env.url}/login",
        data={
            "csrf": csrf_of(s, f"{portal_env.url}/login"),
            "email": "leaver@example.fi",
            "password": PASSWORD,
        },
    )
    assert s.get(f"{portal_env.url}/funder", allow_redirects=False).status_code == 200
    users.disable("leaver@example.fi")
    assert s.get(f"{portal_env.url}/funder", allow_redirects=False).status_code == 303


def test_oversized_upload_is_refused_unread(portal_env: PortalEnv) -> None:
    s = portal_env.login("pilot")
    before = len(_stored_ids(portal_env))
    big = b"0" * (portal_env.config.max_upload_bytes + 200_000)
    r = s.post(
        f"{portal_env.url}/pilot/upload",
        data={"csrf": csrf_of(s, f"{portal_env.url}/pilot")},
        files={"workbook": ("big.xlsx", big)},
        allow_redirects=False,
    )
    assert r.status_code == 413
    assert len(_stored_ids(portal_env)) == before


def _stored_ids(env: PortalEnv) -> list[str]:
    return list(SubmissionStore(env.config.store).submissions()["submission_id"])


def test_logout_ends_a_copied_cookie_too(portal_env: PortalEnv) -> None:
    s = portal_env.login("funder")
    copy = requests.Session()
    copy.cookies.set(SESSION_COOKIE, s.cookies[SESSION_COOKIE])
    assert copy.get(f"{portal_env.url}/funder", allow_redirects=False).status_code == 200
    r = s.post(
        f"{portal_env.url}/logout",
        data={"csrf": csrf_of(s, f"{portal_env.url}/funder")},
        allow_redirects=False,
    )
    assert r.status_code == 303
    assert copy.get(f"{portal_env.url}/funder", allow_redirects=False).status_code == 303
    # another session of the same account goes on
    other = portal_env.login("funder")
    assert other.get(f"{portal_env.url}/funder", allow_redirects=False).status_code == 200


def test_cookie_is_secure_off_loopback(portal_env: PortalEnv) -> None:
    config = dataclasses.replace(portal_env.config, secure_cookies=True)
    assert PortalConfig(config.store, config.key_file).secure_cookies  # the default
    with running_portal(config) as url:
        cookie = requests.get(f"{url}/login").headers["set-cookie"].lower()
    assert "; secure" in cookie


@pytest.mark.parametrize(
    ("lang", "word"), [("fi", "Kirjaudu"), ("sv", "Logga in"), ("en", "Log in")]
)
def test_login_page_in_three_languages(portal_env: PortalEnv, lang: str, word: str) -> None:
    page = requests.get(f"{portal_env.url}/login?lang={lang}").text
    assert f'<html lang="{lang}">' in page and word in page
