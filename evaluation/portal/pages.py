"""The portal's pages: one function per route (see :mod:`evaluation.portal.app`)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from evaluation.errors import OptionError
from evaluation.portal.app import (
    Ctx,
    Portal,
    blank_workbook,
    client_ip,
    report_response,
    submit_upload,
)
from evaluation.portal.indicators import pilot_series
from evaluation.portal.reports import pilot_slug, visible_files
from evaluation.portal.security import SESSION_SECONDS, Session
from evaluation.portal.users import MIN_PASSWORD, User
from evaluation.reporting.i18n import translator

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_FIRST_PAGE = {"pilot": "/pilot", "evaluator": "/evaluator", "funder": "/funder"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _redirect(portal: Portal, ctx: Ctx, to: str) -> Response:
    return portal.finish(ctx, RedirectResponse(to, status_code=303))


def _field(form: FormData | None, name: str) -> str:
    """A text field of a posted form ('' when absent or a file)."""
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


def _me(ctx: Ctx) -> User:
    if ctx.user is None:  # the route's role check ran before
        raise OptionError("no account in this session", where="portal")
    return ctx.user


# -- sessions ----------------------------------------------------------------------------
async def home(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    return _redirect(portal, ctx, _FIRST_PAGE[ctx.user.role] if ctx.user else "/login")


async def login_page(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    return portal.render(ctx, "login.html")


async def login(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    email = _field(form, "email").strip()
    password = _field(form, "password")
    ip = client_ip(request)
    email_key, ip_key = f"email:{email.lower()}", f"ip:{ip}"
    t = translator(ctx.lang)
    if portal.by_email.blocked(email_key) or portal.by_ip.blocked(ip_key):
        portal.users.audit("login refused (rate limit)", email=email, ip=ip)
        return portal.render(ctx, "login.html", 429, error=t("portal.rate_limited"))
    user = await run_in_threadpool(portal.users.authenticate, email, password)
    if user is None:
        portal.by_email.fail(email_key)
        portal.by_ip.fail(ip_key)
        portal.users.audit("login failed", email=email, ip=ip)
        return portal.render(ctx, "login.html", 401, error=t("portal.login_failed"))
    portal.by_email.clear(email_key)
    portal.users.audit("login", user=user, ip=ip)
    fresh = Ctx(Session.new(user.user_id), user, user.lang)  # a new nonce: no fixation
    return _redirect(portal, fresh, _FIRST_PAGE[user.role])


async def logout(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    if ctx.user is not None:  # a copy of the cookie is refused from now on
        portal.users.end_session(ctx.session.nonce, keep_seconds=SESSION_SECONDS)
        portal.users.audit("logout", user=ctx.user, ip=client_ip(request))
    return _redirect(portal, Ctx(Session.new(), None, ctx.lang), "/login")


async def set_password_page(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    token = request.path_params["token"]
    user = portal.users.link_user(token)
    t = translator(user.lang if user else ctx.lang)
    return portal.render(
        Ctx(ctx.session, ctx.user, user.lang if user else ctx.lang),
        "set_password.html",
        200 if user else 404,
        valid=user is not None,
        token=token,
        account=user.email if user else "",
        min_length=MIN_PASSWORD,
        error="" if user else t("portal.link_invalid"),
    )


async def set_password(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    token = request.path_params["token"]
    password = _field(form, "password")
    t = translator(ctx.lang)
    try:
        user = await run_in_threadpool(portal.users.set_password, token, password)
    except OptionError:
        return portal.render(
            ctx,
            "set_password.html",
            400,
            valid=True,
            token=token,
            account="",
            min_length=MIN_PASSWORD,
            error=t("portal.password_rule", n=MIN_PASSWORD),
        )
    if user is None:
        return portal.render(
            ctx, "set_password.html", 404, valid=False, error=t("portal.link_invalid")
        )
    portal.users.audit("password set", user=user, ip=client_ip(request))
    done = Ctx(ctx.session, None, user.lang)
    return portal.render(done, "login.html", notice=translator(user.lang)("portal.password_set"))


# -- pilot staff ---------------------------------------------------------------------------
def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Submission rows for the history table, newest first."""
    records = frame.sort_values("submitted_at", ascending=False).to_dict("records")
    out = [{str(k): v for k, v in r.items()} for r in records]
    for r in out:
        r["submitted_at"] = pd.Timestamp(r["submitted_at"]).strftime("%Y-%m-%d %H:%M")
    return out


def _own_report(portal: Portal, user: User) -> str | None:
    own = f"pilot-{pilot_slug(user.pilot or '')}"
    files = visible_files(portal.config.reports, user)
    return next((f for f in files if f.rsplit("/", 1)[-1].startswith(own)), None)


async def pilot_home(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    frame = await run_in_threadpool(portal.store.submissions)
    series = await run_in_threadpool(pilot_series, portal.store, str(user.pilot), lang=user.lang)
    return portal.render(
        ctx,
        "pilot.html",
        rows=_rows(frame[frame["pilot"] == user.pilot]),
        series=series,
        own_report=_own_report(portal, user),
        show_pilot=False,
    )


async def template(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    content = await run_in_threadpool(blank_workbook, str(user.pilot), user.lang)
    portal.users.audit("download", user=user, detail="blank workbook", ip=client_ip(request))
    name = f"self-evaluation-{pilot_slug(str(user.pilot))}-{user.lang}.xlsx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return portal.finish(ctx, Response(content, media_type=XLSX, headers=headers))


def _safe_name(name: str) -> str:
    """A file-system-safe version of an uploaded file's name (kept in the history)."""
    base = re.sub(r"[^\w.-]", "_", Path(name).name)[:100].strip("._") or "workbook"
    return base if base.lower().endswith(".xlsx") else f"{base}.xlsx"


async def upload(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    file = (form or FormData()).get("workbook")
    if not isinstance(file, UploadFile) or not file.filename:
        return portal.message(ctx, "portal.no_file", 400)
    ip = client_ip(request)
    with tempfile.TemporaryDirectory(prefix="pilot-eval-upload-") as tmp:
        path = Path(tmp) / _safe_name(file.filename)
        with path.open("wb") as out:
            while chunk := await file.read(1 << 20):
                out.write(chunk)
        job = portal.writer().submit(
            submit_upload,
            path,
            portal.config.store,
            portal.config.key_file,
            user.email,
            str(user.pilot),
        )
        outcome = await asyncio.wrap_future(job)
    stored = outcome.stored
    if stored is None:
        portal.users.audit("upload refused", user=user, detail=path.name, ip=ip)
        return portal.render(ctx, "upload_refused.html", 422, problems=outcome.problems)
    portal.users.audit(
        "upload",
        user=user,
        ip=ip,
        detail=f"{stored.submission_id} {stored.period} v{stored.version} {stored.status}",
    )
    return _redirect(portal, ctx, f"/submissions/{stored.submission_id}")


async def chart(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    series = await run_in_threadpool(pilot_series, portal.store, str(user.pilot), lang=user.lang)
    svg = await run_in_threadpool(series.plot)
    return portal.finish(ctx, Response(svg, media_type="image/svg+xml"))


# -- submissions ---------------------------------------------------------------------------
def _submission(portal: Portal, user: User, sid: str) -> dict[str, Any] | None:
    """The submission ``sid`` if ``user`` may see it (pilot staff: their pilot's only)."""
    if not _ID.match(sid):
        return None
    frame = portal.store.submissions()
    hit = frame[frame["submission_id"] == sid]
    if not len(hit):
        return None
    row = {str(k): v for k, v in hit.iloc[0].to_dict().items()}
    if user.role == "pilot" and row["pilot"] != user.pilot:
        return None
    return row


async def submission(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    sub = await run_in_threadpool(_submission, portal, user, request.path_params["sid"])
    if sub is None:
        return portal.not_found(ctx)
    report = await run_in_threadpool(portal.store.report, str(sub["submission_id"]))
    return portal.render(ctx, "submission.html", sub=sub, problems=report.get("failures", []))


async def stored_workbook(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    user = _me(ctx)
    sub = await run_in_threadpool(_submission, portal, user, request.path_params["sid"])
    if sub is None:
        return portal.not_found(ctx)
    content = await run_in_threadpool(portal.store.content, str(sub["submission_id"]))
    portal.users.audit(
        "download", user=user, detail=f"workbook {sub['submission_id']}", ip=client_ip(request)
    )
    headers = {"Content-Disposition": f'attachment; filename="{sub["submission_id"]}.xlsx"'}
    return portal.finish(ctx, Response(content, media_type=XLSX, headers=headers))


# -- evaluators and funders ------------------------------------------------------------------
async def evaluator_home(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    frame = await run_in_threadpool(portal.store.submissions)
    return portal.render(
        ctx,
        "evaluator.html",
        rows=_rows(frame),
        show_pilot=True,
        reports=visible_files(portal.config.reports, _me(ctx)),
    )


async def audit(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    rows = await run_in_threadpool(portal.users.audit_log)
    return portal.render(ctx, "audit.html", rows=rows)


async def funder_home(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    return portal.render(ctx, "funder.html", reports=visible_files(portal.config.reports, _me(ctx)))


async def report(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    name = request.path_params["name"]
    response = report_response(portal, user, name)
    if response is None:
        return portal.not_found(ctx)
    portal.users.audit("download", user=user, detail=f"report {name}", ip=client_ip(request))
    return portal.finish(ctx, response)
