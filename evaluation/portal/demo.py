"""``pilot-eval demo --serve``: the portal on the demo's store, with demo accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import OptionError
from evaluation.portal.reports import pilot_slug
from evaluation.portal.users import UserStore, users_path
from evaluation.store import SubmissionStore
from evaluation.store.demo import DEMO_KEY_NAME, DEMO_STORE

#: Domain of the demo accounts (reserved: never a real address).
DEMO_DOMAIN = "demo.invalid"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and its one-time set-password link."""

    email: str
    role: str
    pilot: str | None
    link: str


def demo_accounts(store: Path, *, base_url: str, lang: str = "fi") -> tuple[DemoAccount, ...]:
    """An evaluator, a funder and one staff account per pilot of ``store``, each with a
    new one-time set-password link (an account made by an earlier run gets a new link)."""
    users = UserStore(users_path(store))
    pilots = sorted(set(SubmissionStore(store).submissions()["pilot"].astype(str)))
    wanted: list[tuple[str, str, str | None]] = [
        (f"evaluator@{DEMO_DOMAIN}", "evaluator", None),
        (f"funder@{DEMO_DOMAIN}", "funder", None),
        *((f"{pilot_slug(p)}@{DEMO_DOMAIN}", "pilot", p) for p in pilots),
    ]
    known = {u.email for u in users.users()}
    out = []
    for email, role, pilot in wanted:
        if email in known:
            token = users.link_for(email)
        else:
            token = users.add(email, role=role, pilot=pilot, lang=lang).token
        out.append(DemoAccount(email, role, pilot, f"{base_url.rstrip('/')}/set-password/{token}"))
    return tuple(out)


def demo_paths(out: Path) -> tuple[Path, Path, Path]:
    """The demo's store, key file and report folder under ``out``."""
    store, key = out / DEMO_STORE, out / "keys" / DEMO_KEY_NAME
    if not store.exists() or not key.exists():
        raise OptionError(
            f"no demo store with its key under {out}",
            where="option --out",
            fix="run `pilot-eval demo --out DIR` first (without a key in the environment)",
        )
    return store, key, out / "reports"
