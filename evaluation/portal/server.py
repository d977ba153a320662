"""Running the portal with uvicorn: in the foreground (:func:`serve`) or in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from evaluation.errors import OptionError
from evaluation.portal.app import PortalConfig, create_app
from evaluation.portal.runs import check_keep
from evaluation.store import SubmissionStore, load_pseudonymiser

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    return host in LOOPBACK


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _server(config: PortalConfig, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    )


def check_config(config: PortalConfig) -> None:
    """Check before serving that the store's folder and the plans folder exist, the key
    is the store's and the number of runs to keep is at least 1.

    Raises
    ------
    OptionError
        If a folder is missing, the key file is unreadable, unsafe or another store's, or
        ``keep_runs`` is below 1.
    """
    check_keep(config.keep_runs)
    if not config.store.parent.is_dir():
        raise OptionError(
            f"the store's folder {config.store.parent} does not exist",
            where="option --store",
            fix="give the store made by `pilot-eval submit` or the demo",
        )
    if not config.plans.is_dir():
        raise OptionError(
            f"the plans folder {config.plans} does not exist",
            where="option --plans",
            fix="give a folder of plan files (*.yaml), e.g. designs/",
        )
    store = SubmissionStore(config.store)
    store.verify_key(load_pseudonymiser(key_file=config.key_file, store=config.store))


def serve(config: PortalConfig, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the portal until interrupted (after :func:`check_config`)."""
    check_config(config)
    _server(config, host, port).run()


@contextmanager
def running_portal(
    config: PortalConfig, *, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[str]:
    """The portal served in a background thread; yields its base URL and stops it after."""
    server = _server(config, host, port or free_port(host))
    thread = threading.Thread(target=server.run, name="pilot-eval-portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise OptionError("the portal did not start", where=f"{host}:{server.config.port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
