"""``pilot-eval serve`` and ``pilot-eval users add|list|disable|link``.

Mount with ``app.command("serve")(serve_command)`` and
``app.add_typer(users_app, name="users")``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluation.portal.users import UserStore, users_path
from evaluation.store.pseudonym import KEY_ENV
from evaluation.store.store import STORE_ENV, store_path

users_app = typer.Typer(
    help="Portal accounts: add one (prints a one-time set-password link), list, disable.",
    no_args_is_help=True,
)
_URL_HELP = "The portal's address, used in the set-password link."
_STORE_HELP = f"The DuckDB store file (default: ${STORE_ENV}); accounts live in <store>.portal.db."
_KEY_HELP = f"The store's pseudonymisation key file (default: ${KEY_ENV}); mode 600."


def _users(store: Path | None) -> UserStore:
    return UserStore(users_path(store_path(store)))


@users_app.command("add")
def add_command(
    email: Annotated[str, typer.Option("--email", help="The person's e-mail address.")],
    role: Annotated[str, typer.Option("--role", help="pilot, evaluator or funder.")],
    pilot: Annotated[
        str | None,
        typer.Option("--pilot", help="The pilot (pilot staff only), as in its workbook."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the pages: fi, sv or en.")
    ] = "fi",
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
    base_url: Annotated[str, typer.Option("--base-url", help=_URL_HELP)] = "http://127.0.0.1:8000",
) -> None:
    """Add an account and print its one-time set-password link (valid 72 hours)."""
    new = _users(store).add(email, role=role, pilot=pilot, lang=lang)
    Console().print(f"Account {new.user.email} ({new.user.role}) added. Send this link:")
    typer.echo(new.link(base_url))


@users_app.command("link")
def link_command(
    email: Annotated[str, typer.Option("--email", help="The account's e-mail address.")],
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
    base_url: Annotated[str, typer.Option("--base-url", help=_URL_HELP)] = "http://127.0.0.1:8000",
) -> None:
    """Print a new one-time set-password link (a forgotten password)."""
    users = _users(store)
    token = users.link_for(email)
    typer.echo(f"{base_url.rstrip('/')}/set-password/{token}")


@users_app.command("list")
def list_command(
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
) -> None:
    """List the accounts (never their passwords)."""
    table = Table("email", "role", "pilot", "lang", "state")
    for u in _users(store).users():
        table.add_row(
            u.email, u.role, u.pilot or "", u.lang, "disabled" if u.disabled else "active"
        )
    Console().print(table)


@users_app.command("disable")
def disable_command(
    email: Annotated[str, typer.Option("--email", help="The account's e-mail address.")],
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
) -> None:
    """Disable an account: it cannot log in, and its open sessions end at once."""
    user = _users(store).disable(email)
    Console().print(f"Account {user.email} disabled.")


def serve_command(
    key_file: Annotated[Path, typer.Option("--key-file", help=_KEY_HELP)],
    store: Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)] = None,
    reports: Annotated[
        Path | None,
        typer.Option("--reports", help="Folder of rendered reports to publish by role."),
    ] = None,
    plans: Annotated[
        Path | None,
        typer.Option("--plans", help="Folder of the plans evaluators may run (default: designs/)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The portal's data folder; plan runs go to DATA/runs/ "
            "(default: portal/ beside the store).",
        ),
    ] = None,
    keep_runs: Annotated[
        int | None,
        typer.Option(
            "--keep-runs",
            help="Finished plan runs kept per plan; when a run finishes, the oldest beyond "
            "N are removed (audit-logged). Default: keep every run.",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Mark the session cookie Secure (default: on unless --host is loopback).",
        ),
    ] = None,
) -> None:
    """Serve the web portal on the submission store (pilot staff, evaluators, funders)."""
    from evaluation.portal import PortalConfig, is_loopback, serve
    from evaluation.portal.server import check_config

    config = PortalConfig(
        store=store_path(store),
        key_file=key_file,
        reports=reports,
        secure_cookies=not is_loopback(host) if secure_cookies is None else secure_cookies,
        data=data,
        keep_runs=keep_runs,
    )
    if plans is not None:
        config = dataclasses.replace(config, plans=plans)
    check_config(config)
    Console(stderr=True).print(f"Portal on http://{host}:{port} (Ctrl+C stops it)")
    serve(config, host=host, port=port)


def serve_demo(out: Path, *, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve the portal on the demo under ``out``, printing the demo accounts' links."""
    from evaluation.portal import PortalConfig, serve
    from evaluation.portal.demo import demo_accounts, demo_paths

    store, key, reports = demo_paths(out)
    base = f"http://{host}:{port}"
    typer.echo("Demo accounts: open a link to set the password, then log in with the e-mail.")
    for a in demo_accounts(store, base_url=base):
        typer.echo(f"  {a.role:<9} {a.email:<32} {a.link}")
    typer.echo(f"Portal on {base} (Ctrl+C stops it)")
    config = PortalConfig(store=store, key_file=key, reports=reports, secure_cookies=False)
    serve(config, host=host, port=port)
