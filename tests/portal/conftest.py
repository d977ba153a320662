"""The real portal on a temporary store, started once for the portal tests.

The store holds a rejected submission of pilot A (its blank workbook) and an accepted one
of pilot B (a clean synthetic workbook); accounts exist for both pilots, an evaluator, a
funder and an account kept for the rate-limit test. A report folder holds stand-ins for
the comparison, impact and pilot reports and a suppressed table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from evaluation.portal import PortalConfig, UserStore, running_portal, users_path
from evaluation.store import SubmissionStore, generate_key_file, submit_file
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.writer import write_template, write_workbook

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
)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class PortalEnv:
    """The running portal and what it serves."""

    url: str
    root: Path
    config: PortalConfig
    own_sid: str  # pilot A's submission
    other_sid: str  # pilot B's submission

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


def _reports(folder: Path) -> None:
    for name in REPORT_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!doctype html><title>{name}</title><p>{name}</p>", encoding="utf-8")


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
    _reports(root / "reports")
    config = PortalConfig(store.path, key, reports=root / "reports", secure_cookies=False)
    with running_portal(config) as url:
        yield PortalEnv(url, root, config, own.stored.submission_id, other.stored.submission_id)
