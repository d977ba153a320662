"""Portal accounts: argon2 hashes, one-time links, disabling, and the users CLI."""

from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.errors import OptionError
from evaluation.portal import UserStore, users_path

PASSWORD = "another long password"


def test_accounts_links_and_hashes(tmp_path: Path) -> None:
    users = UserStore(users_path(tmp_path / "store.duckdb"))
    new = users.add("Staff@Pilot.fi", role="pilot", pilot="Fokus", lang="sv")
    assert users.path.name == "store.duckdb.portal.db"
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert new.link("http://h:1/").startswith("http://h:1/set-password/")
    assert users.authenticate("staff@pilot.fi", PASSWORD) is None  # no password yet
    with pytest.raises(OptionError, match="at least 12"):
        users.set_password(new.token, "short")
    assert users.set_password(new.token, PASSWORD) is not None
    assert users.set_password(new.token, PASSWORD) is None  # the link is used up
    user = users.authenticate("staff@pilot.fi", PASSWORD)
    assert user is not None and user.pilot == "Fokus" and user.lang == "sv"
    assert users.authenticate("staff@pilot.fi", PASSWORD + "x") is None
    with sqlite3.connect(users.path) as con:
        (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
        tokens = [row[0] for row in con.execute("SELECT token_sha256 FROM set_password")]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert new.token not in tokens
    users.disable("staff@pilot.fi")
    assert users.authenticate("staff@pilot.fi", PASSWORD) is None


@pytest.mark.parametrize(
    ("role", "pilot", "message"),
    [
        ("admin", None, "unknown role"),
        ("pilot", None, "needs its pilot"),
        ("funder", "Fokus", "sees no single pilot"),
    ],
)
def test_account_options_are_checked(
    tmp_path: Path, role: str, pilot: str | None, message: str
) -> None:
    users = UserStore(tmp_path / "u.db")
    with pytest.raises(OptionError, match=message):
        users.add("a@b.fi", role=role, pilot=pilot)


def test_users_cli(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    run = CliRunner().invoke
    out = run(
        app,
        [
            "users",
            "add",
            "--store",
            str(store),
            "--role",
            "evaluator",
            "--email",
            "eva@x.fi",
            "--base-url",
            "https://portal.example",
        ],
    )
    assert out.exit_code == 0, out.output
    token = re.search(r"https://portal.example/set-password/(\S+)", out.output)
    assert token is not None
    assert UserStore(users_path(store)).set_password(token.group(1), PASSWORD) is not None
    out = run(app, ["users", "list", "--store", str(store)])
    assert "eva@x.fi" in out.output and "active" in out.output
    assert PASSWORD not in out.output and "argon2" not in out.output
    out = run(app, ["users", "disable", "--store", str(store), "--email", "eva@x.fi"])
    assert out.exit_code == 0
    assert "disabled" in run(app, ["users", "list", "--store", str(store)]).output
    out = run(app, ["users", "add", "--store", str(store), "--role", "pilot", "--email", "p@x.fi"])
    assert out.exit_code != 0
