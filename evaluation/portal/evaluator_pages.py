"""The evaluator's plan runs and disclosure logs (routes in :mod:`evaluation.portal.app`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from evaluation.errors import OptionError
from evaluation.portal.app import Ctx, Portal, client_ip, file_response
from evaluation.portal.disclosure import audit, log_sets, log_view
from evaluation.portal.runs import RunRecord, is_run_id, plan_files
from evaluation.portal.users import User
from evaluation.reporting.i18n import Translator, translator

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
    deleted = request.query_params.get("deleted", "")  # after a deletion: say so
    gone = is_run_id(deleted) and all(r.run_id != deleted for r in records)
    return portal.render(
        ctx,
        "runs.html",
        plans=plan_files(portal.config.plans),
        records=records,
        busy=portal.runner.active() is not None,
        deleted=deleted if gone else "",
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


@dataclass(frozen=True)
class RunTexts:
    """What a run's page says of how the run went, in the reader's language.

    ``lead`` and ``lines`` come from the catalogue; ``detail`` is the toolkit's located
    message (English, shown as it is and escaped: paths and columns are not translated).
    """

    lead: str = ""
    lines: tuple[str, ...] = ()
    detail: str = ""


def run_texts(record: RunRecord, t: Translator) -> RunTexts:
    """The outcome of run ``record`` in ``t``'s language (nothing while it goes on)."""
    if record.state == "running":
        return RunTexts()
    if record.state == "interrupted":
        return RunTexts(t("portal.run_error.interrupted"))
    if record.state == "done":
        if record.summary is None:  # a record written before summaries were kept
            return RunTexts(t("portal.run_summary_as_written"), detail=record.message)
        summary = record.summary
        return RunTexts(t("portal.run_summary", study=summary.study), summary.lines(t))
    if record.error == "stopped":
        code = "–" if record.exit_code is None else str(record.exit_code)
        return RunTexts(t("portal.run_error.stopped", code=code))
    key = "portal.run_error.unexpected" if record.error == "unexpected" else "portal.run_error.plan"
    return RunTexts(t(key), detail=record.message)


def file_links(files: tuple[str, ...], t: Translator) -> tuple[tuple[str, str], ...]:
    """Each file's name and what it holds in words (``""`` for a file without a label)."""
    out = []
    for name in files:
        base = name.rsplit("/", 1)[-1]
        label = t.file_label(base)
        out.append((name, label if label != base else ""))
    return tuple(out)


async def run_page(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    run_id = request.path_params["run_id"]
    record = await run_in_threadpool(portal.runner.record, run_id)
    if record is None:
        return portal.not_found(ctx)
    files = await run_in_threadpool(portal.runner.files, run_id)
    running = record.state == "running"
    t = translator(ctx.lang)
    return portal.render(
        ctx,
        "run.html",
        run=record,
        texts=run_texts(record, t),
        files=file_links(files, t) if not running else (),
        written=len(files),
        seconds=_seconds_since(record.started_at) if running else 0,
        refresh=REFRESH_SECONDS if running else 0,
        logs=_run_logs(portal, record),
    )


async def delete_page(
    portal: Portal, ctx: Ctx, request: Request, form: FormData | None
) -> Response:
    """Ask the evaluator to confirm the deletion of a finished run."""
    run_id = request.path_params["run_id"]
    record = await run_in_threadpool(portal.runner.record, run_id)
    if record is None:
        return portal.not_found(ctx)
    if record.state == "running":
        return portal.message(ctx, "portal.run_delete_running", 409)
    files = await run_in_threadpool(portal.runner.files, run_id)
    return portal.render(ctx, "run_delete.html", run=record, files=len(files))


async def delete_run(portal: Portal, ctx: Ctx, request: Request, form: FormData | None) -> Response:
    """Delete a finished run the evaluator confirmed (its id in the form's ``confirm``)."""
    user = _me(ctx)
    run_id = request.path_params["run_id"]
    record = await run_in_threadpool(portal.runner.record, run_id)
    if record is None:
        return portal.not_found(ctx)
    if record.state == "running":
        return portal.message(ctx, "portal.run_delete_running", 409)
    if _field(form, "confirm") != run_id:
        return portal.message(ctx, "portal.run_delete_unconfirmed", 400)
    try:
        await run_in_threadpool(portal.runner.delete, run_id)
    except OptionError:  # deleted meanwhile (another evaluator, or --keep-runs)
        return portal.not_found(ctx)
    portal.users.audit(
        "plan run deleted", user=user, detail=f"{run_id} {record.plan}", ip=client_ip(request)
    )
    target = f"/evaluator/runs?deleted={run_id}"
    return portal.finish(ctx, RedirectResponse(target, status_code=303))


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
