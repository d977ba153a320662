"""``pilot-eval demo --serve``: demo accounts for the demo's store."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.errors import OptionError
from evaluation.portal import UserStore, users_path
from evaluation.portal.demo import demo_accounts, demo_paths
from evaluation.portal.server import check_config
from evaluation.store import generate_key_file

from .conftest import PILOT_A, PILOT_B, PortalEnv


def test_demo_accounts_cover_every_pilot_and_renew_links(
    portal_env: PortalEnv, tmp_path: Path
) -> None:
    store = tmp_path / "store" / "submissions.duckdb"
    store.parent.mkdir()
    shutil.copy(portal_env.config.store, store)
    first = demo_accounts(store, base_url="http://127.0.0.1:9")
    roles = {(a.role, a.pilot) for a in first}
    assert {("evaluator", None), ("funder", None), ("pilot", PILOT_A), ("pilot", PILOT_B)} <= roles
    again = demo_accounts(store, base_url="http://127.0.0.1:9")
    assert [a.email for a in again] == [a.email for a in first]  # no duplicate accounts
    users = UserStore(users_path(store))
    assert len(users.users()) == len(first)
    token = again[0].link.rsplit("/", 1)[-1]
    assert users.link_user(token) is not None
    assert all(a.link.startswith("http://127.0.0.1:9/set-password/") for a in again)


def test_demo_paths_need_a_demo(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="run `pilot-eval demo"):
        demo_paths(tmp_path)


def test_demo_and_serve_commands_are_mounted() -> None:
    run = CliRunner().invoke
    assert "--serve" in run(app, ["demo", "--help"]).output
    out = run(app, ["serve", "--help"]).output
    assert "--key-file" in out and "--reports" in out
    assert "--plans" in out and "--data" in out


def test_serve_refuses_another_key_or_a_missing_store(
    portal_env: PortalEnv, tmp_path: Path
) -> None:
    check_config(portal_env.config)  # the right key passes
    other = generate_key_file(tmp_path / "keys" / "other.key")
    with pytest.raises(OptionError, match="key"):
        check_config(dataclasses.replace(portal_env.config, key_file=other))
    with pytest.raises(OptionError, match="does not exist"):
        check_config(dataclasses.replace(portal_env.config, store=tmp_path / "no" / "s.duckdb"))
    with pytest.raises(OptionError, match="option --plans"):
        check_config(dataclasses.replace(portal_env.config, plans=tmp_path / "no-plans"))
