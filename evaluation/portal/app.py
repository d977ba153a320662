"""The portal's web application (Starlette, Jinja2 with autoescape, server-rendered pages).

Routes and who may use them (anyone else: pilot staff and funders get 404, a visitor
without a session is sent to ``/login``):

==============================  =========================  ==================================
route                           roles                      what
==============================  =========================  ==================================
``GET /``                       any                        the role's first page
``GET|POST /login``             anyone                     log in (rate-limited)
``POST /logout``                any                        log out
``GET|POST /set-password/T``    anyone with link ``T``     set the password (one-time link)
``GET /pilot``                  pilot                      upload form, indicators, history
``GET /pilot/template.xlsx``    pilot                      the pilot's blank workbook
``POST /pilot/upload``          pilot                      send a filled workbook
``GET /pilot/indicators.svg``   pilot                      indicator chart (small cells hidden)
``GET /submissions/ID``         pilot (own), evaluator     located messages of a submission
``GET /submissions/ID/...xlsx`` evaluator                  the stored (pseudonymised) workbook
``GET /evaluator``              evaluator                  every submission, every report
``GET /evaluator/audit``        evaluator                  the audit log
``GET|POST /evaluator/runs``    evaluator                  plans, runs; start a run
``GET /evaluator/runs/ID``      evaluator                  a run's state and its files
``GET .../runs/ID/files/F``    evaluator                  a file of a run's output
``GET|POST .../ID/delete``      evaluator                  delete a finished run (confirmed)
``GET /evaluator/disclosure``   evaluator                  the report sets' disclosure logs
``GET /evaluator/disclosure/S`` evaluator                  what set ``S`` hid and why
``GET /funder``                 funder                     comparison, published tables
``GET /reports/NAME``           by role (reports module)   a file of the report folder
==============================  =========================  ==================================

Every form carries a CSRF token; every response carries the headers of
:func:`~evaluation.portal.security.security_headers`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evaluation.errors import IntakeRefusedError, OptionError, PilotEvalError, Problem
from evaluation.intake import IntakeLimits
from evaluation.plans import DESIGNS_DIR
from evaluation.portal.reports import visible_files
from evaluation.portal.runs import PlanRunner, RunRecord
from evaluation.portal.security import (
    REPORT_CSP,
    SESSION_COOKIE,
    SESSION_SECONDS,
    RateLimiter,
    Session,
    Signer,
    security_headers,
)
from evaluation.portal.users import Role, User, UserStore, users_path
from evaluation.privacy import mask_identity_codes
from evaluation.reporting.i18n import LANGUAGES, Lang, translator
from evaluation.store import StoredSubmission, SubmissionStore, submit_file
from evaluation.workbook.writer import write_template

#: Bytes of a form without a file (login, logout, password).
FORM_BYTES = 64_000
#: Room for the multipart framing around an uploaded workbook.
MULTIPART_SLACK = 64_000
STATIC = Path(__file__).with_name("static")


@dataclass(frozen=True)
class PortalConfig:
    """What the portal serves.

    Parameters
    ----------
    store:
        The submission store (DuckDB file); accounts live beside it (:func:`users_path`).
    key_file:
        The store's pseudonymisation key file (mode 600, outside the store's folder).
    reports:
        A folder of rendered reports (e.g. the demo's ``reports/``), or ``None``.
    plans:
        The folder of the plans evaluators may run (``*.yaml``; default: the shipped
        ``designs/``).
    data:
        The portal's data folder; plan runs go to ``data/runs/`` (default: ``portal/``
        beside the store).
    secure_cookies:
        Mark the session cookie ``Secure`` (leave on unless serving plain HTTP on loopback).
    max_upload_bytes:
        Largest workbook accepted (default: the intake limit, ``PILOT_EVAL_MAX_FILE_MB``).
    keep_runs:
        Finished plan runs kept per plan; older ones are removed when a run finishes
        (default ``None``: keep every run).
    """

    store: Path
    key_file: Path
    reports: Path | None = None
    secure_cookies: bool = True
    max_upload_bytes: int = field(default_factory=lambda: IntakeLimits.from_env().max_file_bytes)
    plans: Path = DESIGNS_DIR
    data: Path | None = None
    keep_runs: int | None = None

    def data_dir(self) -> Path:
        """The portal's data folder (``data``, else ``portal/`` beside the store)."""
        return self.data if self.data is not None else self.store.parent / "portal"

    def runs_dir(self) -> Path:
        """Where plan runs write their output, one folder per run."""
        return self.data_dir() / "runs"


@dataclass(frozen=True)
class Ctx:
    """One request's session and account."""

    session: Session
    user: User | None
    lang: Lang


class TooLarge(Exception):
    """A request body over its cap."""


class SecurityHeaders:
    """ASGI middleware: every response gets the security headers it does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                for name, value in security_headers().items():
                    if name.lower().encode() not in have:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[["Portal", Ctx, Request, FormData | None], Awaitable[Response]]


class Portal:
    """The application's state: stores, signer, rate limits, templates and a write lock."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.store = SubmissionStore(config.store)
        self.users = UserStore(users_path(config.store))
        self.signer = Signer(self.users.secret())
        self.by_email = RateLimiter()
        self.by_ip = RateLimiter(max_failures=50)
        self._writer: ProcessPoolExecutor | None = None
        self.runner = PlanRunner(
            config.plans,
            config.runs_dir(),
            self.run_finished,
            keep=config.keep_runs,
            on_remove=self.run_removed,
        )
        self._writer_lock = threading.Lock()
        self.env = Environment(
            loader=PackageLoader("evaluation.portal", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        # texts that came from a submitted file are masked again (the store masked them)
        self.env.filters["masked"] = mask_identity_codes

    def writer(self) -> ProcessPoolExecutor:
        """The one worker process that validates and stores uploads, one at a time.

        A process of its own keeps the checks' CPU work off the server's pages (the GIL);
        a single worker makes uploads write one after the other.
        """
        with self._writer_lock:
            if self._writer is None:
                ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
                self._writer = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            return self._writer

    def close(self) -> None:
        """Stop the upload worker and a plan run going on (at server shutdown)."""
        with self._writer_lock:
            if self._writer is not None:
                self._writer.shutdown(wait=True, cancel_futures=True)
                self._writer = None
        self.runner.close()

    def run_finished(self, record: RunRecord) -> None:
        """Audit-log the end of a plan run."""
        self.users.audit(
            f"plan run {record.state}", email=record.user, detail=f"{record.run_id} {record.plan}"
        )

    def run_removed(self, record: RunRecord) -> None:
        """Audit-log the removal of an old plan run by the portal itself (``keep_runs``)."""
        self.users.audit(
            "plan run removed (keep runs)",
            detail=f"{record.run_id} {record.plan} (--keep-runs {self.config.keep_runs})",
        )

    # -- request plumbing ----------------------------------------------------------------
    def context(self, request: Request) -> Ctx:
        session = self.signer.load(request.cookies.get(SESSION_COOKIE)) or Session.new()
        user = None
        if session.user_id is not None:
            try:
                found = self.users.get(session.user_id)
            except OptionError:
                found = None
            live = found is not None and not found.disabled
            user = found if live and not self.users.session_ended(session.nonce) else None
            if user is None:
                session = Session.new()
        query = request.query_params.get("lang", "fi")
        lang: Lang = user.lang if user else next((x for x in LANGUAGES if x == query), "fi")
        return Ctx(session, user, lang)

    def render(self, ctx: Ctx, name: str, status: int = 200, **values: Any) -> Response:
        t = translator(ctx.lang)
        text = self.env.get_template(name).render(
            t=t,
            fmt=t.num,
            lang=ctx.lang,
            user=ctx.user,
            csrf=self.signer.csrf(ctx.session),
            languages=[(code, translator(code)("lang.name")) for code in LANGUAGES],
            **values,
        )
        return self.finish(ctx, HTMLResponse(text, status_code=status))

    def finish(self, ctx: Ctx, response: Response) -> Response:
        response.set_cookie(
            SESSION_COOKIE,
            self.signer.dump(ctx.session),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=self.config.secure_cookies,
            path="/",
        )
        return response

    def message(self, ctx: Ctx, key: str, status: int, **values: Any) -> Response:
        t = translator(ctx.lang)
        return self.render(
            ctx, "message.html", status, heading=t("portal.title"), text=t(key, **values)
        )

    def not_found(self, ctx: Ctx) -> Response:
        return self.message(ctx, "portal.not_found", 404)

    async def form(self, request: Request, cap: int) -> FormData:
        """The request's form, its body read with a cap (a file part spooled to disk)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLarge
        spool = tempfile.SpooledTemporaryFile(max_size=1_000_000)  # noqa: SIM115
        n = 0
        async for chunk in request.stream():
            n += len(chunk)
            if n > cap:
                spool.close()
                raise TooLarge
            spool.write(chunk)
        spool.seek(0)

        async def replay() -> Message:
            data = spool.read(65_536)
            return {"type": "http.request", "body": data, "more_body": bool(data)}

        return await Request(request.scope, replay).form(max_files=1, max_fields=10)

    def route(
        self,
        path: str,
        handler: Handler,
        roles: tuple[Role, ...] | None,
        methods: tuple[str, ...] = ("GET",),
        cap: int = FORM_BYTES,
    ) -> Route:
        """A route that loads the session, checks the role and the CSRF token of a POST."""

        async def endpoint(request: Request) -> Response:
            ctx = self.context(request)
            if roles is not None and ctx.user is None:
                return self.finish(ctx, RedirectResponse("/login", status_code=303))
            if roles is not None and ctx.user is not None and ctx.user.role not in roles:
                return self.not_found(ctx)
            form = None
            if request.method == "POST":
                try:
                    form = await self.form(request, cap)
                except TooLarge:
                    mb = f"{self.config.max_upload_bytes / 1e6:g}"
                    return self.message(ctx, "portal.too_large", 413, mb=mb)
                if not self.signer.csrf_ok(ctx.session, form.get("csrf")):
                    return self.message(ctx, "portal.csrf", 403)
            return await handler(self, ctx, request, form)

        return Route(path, endpoint, methods=list(methods))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def create_app(config: PortalConfig) -> Starlette:
    """The portal as an ASGI application (serve it with uvicorn, see :func:`serve`)."""
    from evaluation.portal import evaluator_pages as ev
    from evaluation.portal import pages

    portal = Portal(config)
    upload_cap = config.max_upload_bytes + MULTIPART_SLACK
    routes: list[Route | Mount] = [
        portal.route("/", pages.home, None),
        portal.route("/login", pages.login_page, None),
        portal.route("/login", pages.login, None, ("POST",)),
        portal.route("/logout", pages.logout, None, ("POST",)),
        portal.route("/set-password/{token}", pages.set_password_page, None),
        portal.route("/set-password/{token}", pages.set_password, None, ("POST",)),
        portal.route("/pilot", pages.pilot_home, ("pilot",)),
        portal.route("/pilot/template.xlsx", pages.template, ("pilot",)),
        portal.route("/pilot/upload", pages.upload, ("pilot",), ("POST",), upload_cap),
        portal.route("/pilot/indicators.svg", pages.chart, ("pilot",)),
        portal.route("/submissions/{sid}", pages.submission, ("pilot", "evaluator")),
        portal.route("/submissions/{sid}/workbook.xlsx", pages.stored_workbook, ("evaluator",)),
        portal.route("/evaluator", pages.evaluator_home, ("evaluator",)),
        portal.route("/evaluator/audit", pages.audit, ("evaluator",)),
        portal.route("/evaluator/runs", ev.runs_page, ("evaluator",)),
        portal.route("/evaluator/runs", ev.start_run, ("evaluator",), ("POST",)),
        portal.route("/evaluator/runs/{run_id}", ev.run_page, ("evaluator",)),
        portal.route("/evaluator/runs/{run_id}/files/{name:path}", ev.run_file, ("evaluator",)),
        portal.route("/evaluator/runs/{run_id}/delete", ev.delete_page, ("evaluator",)),
        portal.route("/evaluator/runs/{run_id}/delete", ev.delete_run, ("evaluator",), ("POST",)),
        portal.route("/evaluator/disclosure", ev.disclosure_index, ("evaluator",)),
        portal.route("/evaluator/disclosure/{name:path}", ev.disclosure_page, ("evaluator",)),
        portal.route("/funder", pages.funder_home, ("funder",)),
        portal.route("/reports/{name:path}", pages.report, ("pilot", "evaluator", "funder")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def missing(request: Request, exc: Exception) -> Response:
        return portal.not_found(portal.context(request))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        portal.close()

    app = Starlette(
        routes=routes, exception_handlers={404: missing, 405: missing}, lifespan=lifespan
    )
    app.state.portal = portal
    app.add_middleware(SecurityHeaders)
    return app


# -- helpers used by the pages -----------------------------------------------------------
@dataclass(frozen=True)
class UploadOutcome:
    """What the upload worker did: the stored receipt, or the problems of a refused file."""

    stored: StoredSubmission | None
    problems: tuple[Problem, ...] = ()


def submit_upload(
    path: Path, store: Path, key_file: Path, submitter: str, pilot: str
) -> UploadOutcome:
    """Validate and store an uploaded workbook for the account's pilot (in the worker).

    The stored pilot is the account's, whatever the workbook says, so no account can add
    to another pilot's history. A refused file comes back as its located problems.
    """
    try:
        result = submit_file(
            path,
            store=SubmissionStore(store),
            key_file=key_file,
            submitter=submitter,
            pilot=pilot,
        )
    except IntakeRefusedError as exc:
        return UploadOutcome(None, exc.problems)
    except PilotEvalError as exc:
        return UploadOutcome(None, (Problem(exc.where, exc.what, exc.fix),))
    return UploadOutcome(result.stored)


def blank_workbook(pilot: str, lang: Lang) -> bytes:
    """The pilot's blank workbook as bytes."""
    with tempfile.TemporaryDirectory(prefix="pilot-eval-portal-") as tmp:
        path = write_template(Path(tmp) / "template.xlsx", pilot=pilot, lang=lang)
        return path.read_bytes()


def report_response(portal: Portal, user: User, name: str) -> Response | None:
    """A report-folder file the user may see (``None`` if not: the caller answers 404)."""
    folder = portal.config.reports
    if folder is None or name not in visible_files(folder, user):
        return None
    return file_response(folder / name)


def file_response(path: Path) -> Response:
    """A listed file: HTML shown under :data:`REPORT_CSP`, anything else downloaded."""
    headers = {"Content-Security-Policy": REPORT_CSP}
    if not path.name.endswith(".html"):
        headers["Content-Disposition"] = "attachment"
    return FileResponse(path, headers=headers)
