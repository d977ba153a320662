"""The evaluator's plan runs and disclosure logs (routes in :mod:`evaluation.portal.app`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from evaluation.errors import OptionError
from evaluation.portal.app import Ctx, Portal, client_ip, file_response
from evaluation.portal.disclosure import audit, log_sets, log_view
from evaluation.portal.runs import RunRecord, plan_files
from evaluation.portal.users import User

#: Seconds between reloads of the status page of a run going on (a meta refresh: no script).
REFRESH_SECONDS = 2
#: Report sets of the report folder and of plan runs, by where their names start.
REPORTS_PREFIX, RUNS_PREFIX = "reports", "runs"


def _me(ctx: Ctx) -> User:
    if ctx.user is None:  # the route's role check ran before
        raise OptionError("no account in this session", where="portal")
    return ctx.user


def _field(form: FormData | None, name: str) -> str:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


# -- plan runs -----------------------------------------------------------------------------
async def runs_page(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    records = await run_in_threadpool(portal.runner.records)
    return portal.render(
        ctx,
        "runs.html",
        plans=plan_files(portal.config.plans),
        records=records,
        busy=portal.runner.active() is not None,
    )


async def start_run(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    plan = _field(form, "plan")
    if plan not in plan_files(portal.config.plans):
        return portal.message(ctx, "portal.run_unknown_plan", 400)
    try:
        record = await run_in_threadpool(portal.runner.start, plan, user.email)
    except OptionError:  # another run is going on
        return portal.message(ctx, "portal.run_busy", 409)
    portal.users.audit(
        "plan run started", user=user, detail=f"{record.run_id} {plan}", ip=client_ip(request)
    )
    return portal.finish(ctx, RedirectResponse(f"/evaluator/runs/{record.run_id}", status_code=303))


def _seconds_since(stamp: str) -> int:
    """Seconds since a record's UTC time stamp (0 for an unreadable one)."""
    try:
        started = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return 0
    return max(0, int((dt.datetime.now(dt.UTC) - started).total_seconds()))


def _run_logs(portal: Portal, record: RunRecord) -> tuple[str, ...]:
    """Names (for the disclosure pages) of the report sets a finished run wrote."""
    if record.state != "done":
        return ()
    folder = portal.config.runs_dir() / record.run_id
    return tuple(_set_name(f"{RUNS_PREFIX}/{record.run_id}", rel) for rel in log_sets(folder))


async def run_page(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    run_id = request.path_params["run_id"]
    record = await run_in_threadpool(portal.runner.record, run_id)
    if record is None:
        return portal.not_found(ctx)
    files = await run_in_threadpool(portal.runner.files, run_id)
    running = record.state == "running"
    return portal.render(
        ctx,
        "run.html",
        run=record,
        files=files if not running else (),
        written=len(files),
        seconds=_seconds_since(record.started_at) if running else 0,
        refresh=REFRESH_SECONDS if running else 0,
        logs=_run_logs(portal, record),
    )


async def run_file(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    user = _me(ctx)
    run_id, name = request.path_params["run_id"], request.path_params["name"]
    record = await run_in_threadpool(portal.runner.record, run_id)
    files = await run_in_threadpool(portal.runner.files, run_id)
    if record is None or record.state == "running" or name not in files:
        return portal.not_found(ctx)
    portal.users.audit("download", user=user, detail=f"run {run_id} {name}", ip=client_ip(request))
    return portal.finish(ctx, file_response(portal.config.runs_dir() / run_id / name))


# -- disclosure logs -------------------------------------------------------------------------
def _set_name(prefix: str, rel: str) -> str:
    return prefix if rel == "." else f"{prefix}/{rel}"


def report_sets(portal: Portal) -> dict[str, Path]:
    """Every report set with a disclosure log: the report folder's and finished runs'."""
    out: dict[str, Path] = {}
    reports = portal.config.reports
    for rel in log_sets(reports):
        if reports is not None:
            out[_set_name(REPORTS_PREFIX, rel)] = reports / rel
    runs = portal.config.runs_dir()
    for record in portal.runner.records():
        if record.state == "done":
            for rel in log_sets(runs / record.run_id):
                out[_set_name(f"{RUNS_PREFIX}/{record.run_id}", rel)] = runs / record.run_id / rel
    return out


def _index(portal: Portal) -> list[tuple[str, int]]:
    """Each report set's name and the number of problems its re-audit finds."""
    return [(name, len(audit(folder))) for name, folder in report_sets(portal).items()]


async def disclosure_index(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    sets = await run_in_threadpool(_index, portal)
    return portal.render(ctx, "disclosure_index.html", sets=sets)


async def disclosure_page(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    name = request.path_params["name"]
    folder = (await run_in_threadpool(report_sets, portal)).get(name)
    if folder is None:
        return portal.not_found(ctx)
    view = await run_in_threadpool(log_view, folder, name)
    portal.users.audit("disclosure log viewed", user=_me(ctx), detail=name, ip=client_ip(request))
    return portal.render(ctx, "disclosure.html", view=view)
