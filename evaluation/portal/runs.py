"""Plan runs from the portal: an evaluator picks a plan and the portal runs it.

A run is what ``pilot-eval run PLAN --out DIR`` does (:func:`evaluation.plans.runner.
run_plan`), in a process of its own (the server's pages stay responsive), one run at a
time. Its output goes to ``<data dir>/runs/<run id>/`` and its state to ``status.json``
there (:class:`RunRecord`), so the status page and the list of runs survive a restart; a
run whose process is gone without finishing (the portal stopped) is ``interrupted``.
Plans are offered by file name from one folder (``*.yaml``, listed, never guessed).

An evaluator may delete a finished run (:meth:`PlanRunner.delete`), and the portal may keep
only the newest ``keep`` finished runs of each plan (:meth:`PlanRunner.prune`, after every
run). Only folders named by a run id directly in the runs folder are ever removed.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal, get_args

from evaluation.errors import OptionError, PilotEvalError
from evaluation.portal.files import SUFFIXES, report_files
from evaluation.portal.run_summary import RunSummary
from evaluation.privacy import mask_identity_codes
from evaluation.safe_io import output_folder, write_text

RunState = Literal["running", "done", "failed", "interrupted"]
RUN_STATES: tuple[RunState, ...] = get_args(RunState)
#: Why a run failed: its plan (a named error of the toolkit), a bug (``unexpected``), or its
#: process ended without leaving an outcome (``stopped``); ``""`` for a run that did not fail.
RunError = Literal["", "plan", "unexpected", "stopped"]
RUN_ERRORS: tuple[RunError, ...] = get_args(RunError)
#: The run's state, in its folder.
STATUS_FILE = "status.json"
#: What the run's process leaves for the portal (a dot file: never listed or served).
OUTCOME_FILE = ".outcome.json"
#: File types of a run's folder the portal lists and serves.
RUN_SUFFIXES = (*SUFFIXES, ".json")
#: Seconds the portal waits for an ended run's record when it stops.
STOP_SECONDS = 5.0
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
#: The record's fields written as text.
_TEXT_FIELDS = ("run_id", "plan", "user", "started_at", "finished_at", "message")
#: Where a run's folder goes while it is removed (a dot folder: never listed).
_REMOVING = ".removing-"


def is_run_id(text: str) -> bool:
    """Whether ``text`` has the form of a run id (``20260101T000000Z-0a1b2c``)."""
    return _RUN_ID.fullmatch(text) is not None


def check_keep(keep: int | None) -> int | None:
    """``keep`` if it is ``None`` (keep every run) or at least 1.

    Raises
    ------
    OptionError
        If ``keep`` is below 1.
    """
    if keep is not None and keep < 1:
        raise OptionError(
            f"cannot keep {keep} runs per plan",
            where="option --keep-runs",
            fix="give 1 or more, or leave the option out to keep every run",
        )
    return keep


def plan_files(folder: Path) -> tuple[str, ...]:
    """The plan files (``*.yaml``) of ``folder`` by name, sorted (no links, no dot files)."""
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            p.name
            for p in folder.glob("*.yaml")
            if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
        )
    )


@dataclass(frozen=True)
class RunRecord:
    """One plan run: which plan, who started it, when, and how it went.

    ``message`` is the run's own English text: the summary of a finished run, the located
    message of a failed one. The portal's pages show ``summary`` (the same facts, as data)
    and ``error`` in the reader's language, and ``message`` only as the located detail of
    an error.
    """

    run_id: str
    plan: str
    user: str
    state: RunState
    started_at: str
    finished_at: str = ""
    message: str = ""
    error: RunError = ""
    exit_code: int | None = None
    summary: RunSummary | None = None

    @classmethod
    def read(cls, folder: Path) -> RunRecord | None:
        """The record in ``folder/status.json`` (``None`` if missing or unreadable)."""
        try:
            return cls.from_dict(json.loads((folder / STATUS_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError, StopIteration):
            return None

    @classmethod
    def from_dict(cls, data: Any) -> RunRecord:
        """The record as :meth:`write` stored it (a record without the later fields too).

        Raises
        ------
        ValueError, TypeError, KeyError, StopIteration
            If ``data`` is not such a record.
        """
        if not isinstance(data, dict):
            raise TypeError(f"a run record is a mapping, not {type(data).__name__}")
        text = {k: str(data[k]) for k in _TEXT_FIELDS if k in data}
        summary = data.get("summary")
        code = data.get("exit_code")
        return cls(
            state=next(s for s in RUN_STATES if s == data["state"]),
            error=next(e for e in RUN_ERRORS if e == data.get("error", "")),
            exit_code=code if isinstance(code, int) else None,
            summary=RunSummary.from_dict(summary) if summary is not None else None,
            **text,
        )

    def write(self, folder: Path) -> None:
        """Write the record to ``folder/status.json``."""
        text = json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n"
        write_text(folder / STATUS_FILE, text, where=f"plan run status {folder}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _summary(outcome: dict[str, Any]) -> RunSummary | None:
    """The summary a run's process left (``None`` if it left none, or a malformed one)."""
    try:
        return RunSummary.from_dict(outcome["summary"])
    except (KeyError, ValueError):
        return None


def run_in_child(plan: Path, out: Path) -> None:
    """Run ``plan`` into ``out`` and leave the outcome in ``out/.outcome.json`` (the
    body of the run's process)."""
    from evaluation.plans.runner import run_plan

    outcome: dict[str, Any]
    try:
        result = run_plan(plan, out)
        summary = asdict(RunSummary.of(result))
        outcome = {"ok": True, "message": result.summary(), "summary": summary}
    except PilotEvalError as exc:
        outcome = {"ok": False, "error": "plan", "message": exc.message}
    except Exception as exc:  # a bug: the evaluator sees its type and text
        outcome = {"ok": False, "error": "unexpected", "message": f"{type(exc).__name__}: {exc}"}
    write_text(out / OUTCOME_FILE, json.dumps(outcome, ensure_ascii=False))


class PlanRunner:
    """Starts plan runs one at a time and keeps their records.

    Parameters
    ----------
    plans:
        Folder of the plans offered (``*.yaml``).
    runs:
        Folder the runs' output folders go into (made when the first run starts).
    on_finish:
        Called with the final record of every run (the audit log).
    target:
        The body of a run's process, called with the plan file and the output folder
        (:func:`run_in_child`; importable, as the process is spawned).
    keep:
        Finished runs kept per plan (``None``: all); after each run, the oldest finished
        runs of its plan beyond ``keep`` are removed (:meth:`prune`).
    on_remove:
        Called with the record of every run :meth:`prune` removes (the audit log).

    Raises
    ------
    OptionError
        If ``keep`` is below 1.
    """

    def __init__(
        self,
        plans: Path,
        runs: Path,
        on_finish: Callable[[RunRecord], None],
        target: Callable[[Path, Path], None] = run_in_child,
        *,
        keep: int | None = None,
        on_remove: Callable[[RunRecord], None] = lambda record: None,
    ) -> None:
        self.plans = plans
        self.runs = runs
        self.on_finish = on_finish
        self.target = target
        self.keep = check_keep(keep)
        self.on_remove = on_remove
        self._lock = threading.Lock()
        self._active: tuple[str, BaseProcess, threading.Thread] | None = None

    def active(self) -> str | None:
        """The id of the run going on now, if any."""
        with self._lock:
            return self._active[0] if self._active else None

    def start(self, plan: str, user: str) -> RunRecord:
        """Start plan ``plan`` (a name of :func:`plan_files`) for account ``user``.

        Raises
        ------
        OptionError
            If the plan is not offered, or another run is going on.
        """
        if plan not in plan_files(self.plans):
            raise OptionError(
                f"no plan {plan!r} in {self.plans}",
                where="plan run",
                fix=f"choose one of {', '.join(plan_files(self.plans)) or '(none)'}",
            )
        with self._lock:
            if self._active is not None:
                raise OptionError(
                    f"run {self._active[0]} is going on",
                    where="plan run",
                    fix="wait until it has finished, then start the next",
                )
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            run_id = f"{stamp}-{secrets.token_hex(3)}"
            folder = output_folder(self.runs / run_id, where="plan run folder")
            record = RunRecord(run_id, plan, user, "running", _now())
            record.write(folder)
            ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
            process = ctx.Process(
                target=self.target, args=(self.plans / plan, folder), name=f"plan-run-{run_id}"
            )
            process.start()
            watcher = threading.Thread(
                target=self._watch, args=(record, process), name=f"watch-{run_id}", daemon=True
            )
            self._active = (run_id, process, watcher)
            watcher.start()
        return record

    def _watch(self, record: RunRecord, process: BaseProcess) -> None:
        process.join()
        final = self._final(record, process.exitcode)
        try:
            final.write(self.runs / record.run_id)
        finally:  # the next run may start whatever happens to this one's record
            with self._lock:
                self._active = None
        self.on_finish(final)
        self.prune(record.plan)

    def _final(self, record: RunRecord, exitcode: int | None) -> RunRecord:
        try:
            outcome = json.loads(
                (self.runs / record.run_id / OUTCOME_FILE).read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            message = f"the run stopped (exit code {exitcode})"
            outcome = {"ok": False, "error": "stopped", "message": message}
        ok = outcome.get("ok") is True
        state: RunState = "done" if ok else "failed"
        if exitcode is not None and exitcode < 0:
            state = "interrupted"
        named = [e for e in RUN_ERRORS if e and e == outcome.get("error")]
        error: RunError = named[0] if named else "unexpected"
        return replace(
            record,
            state=state,
            finished_at=_now(),
            message=mask_identity_codes(str(outcome.get("message", ""))),
            error="" if ok else error,
            exit_code=exitcode,
            summary=_summary(outcome) if ok else None,
        )

    def record(self, run_id: str) -> RunRecord | None:
        """The record of run ``run_id`` (``None`` for an unknown or malformed id)."""
        return self._record(run_id, self.active())

    def _record(self, run_id: str, active: str | None) -> RunRecord | None:
        if not is_run_id(run_id):
            return None
        found = RunRecord.read(self.runs / run_id)
        if found is None or found.run_id != run_id:
            return None
        if found.state == "running" and active != run_id:
            return replace(found, state="interrupted")
        return found

    def delete(self, run_id: str) -> RunRecord:
        """Remove finished run ``run_id`` and its folder; returns its record.

        Raises
        ------
        OptionError
            If there is no such run (an unknown or malformed id), or it is going on.
        """
        with self._lock:  # no run starts or ends meanwhile
            active = self._active[0] if self._active else None
            record = self._record(run_id, active)
            if record is None:
                raise OptionError(
                    f"no run {run_id!r} in {self.runs}",
                    where="plan run",
                    fix="choose a run from the list of runs",
                )
            if record.state == "running":
                raise OptionError(
                    f"run {run_id} is going on",
                    where="plan run",
                    fix="wait until it has finished, then delete it",
                )
            self._remove(run_id)
        return record

    def _remove(self, run_id: str) -> None:
        """Remove the folder of run ``run_id``: only a real folder (no link) named by a run
        id directly in the runs folder. It is renamed to a dot folder first, so a removal
        cut short never leaves a half run in the list."""
        root = self.runs.resolve()
        folder = self.runs / run_id
        if (
            not is_run_id(run_id)
            or folder.is_symlink()
            or not folder.is_dir()
            or folder.resolve().parent != root
        ):
            raise OptionError(
                f"{run_id!r} is not a run folder in {root}",
                where="plan run",
                fix="choose a run from the list of runs",
            )
        doomed = folder.rename(root / f"{_REMOVING}{run_id}")
        shutil.rmtree(doomed)

    def prune(self, plan: str) -> tuple[RunRecord, ...]:
        """Remove the oldest finished runs of ``plan`` beyond :attr:`keep` (none when
        ``keep`` is ``None``), calling ``on_remove`` with each; returns them, newest first."""
        if self.keep is None:
            return ()
        finished = [r for r in self.records() if r.plan == plan and r.state != "running"]
        removed: list[RunRecord] = []
        for old in finished[self.keep :]:
            try:
                removed.append(self.delete(old.run_id))
            except OptionError:  # removed meanwhile (an evaluator deleted it)
                continue
            self.on_remove(old)
        return tuple(removed)

    def records(self) -> tuple[RunRecord, ...]:
        """Every run's record, newest first."""
        if not self.runs.is_dir():
            return ()
        ids = sorted((p.name for p in self.runs.iterdir() if p.is_dir()), reverse=True)
        return tuple(r for r in map(self.record, ids) if r is not None)

    def files(self, run_id: str) -> tuple[str, ...]:
        """The files of run ``run_id`` the portal serves (relative names)."""
        if self.record(run_id) is None:
            return ()
        names = report_files(self.runs / run_id, RUN_SUFFIXES)
        return tuple(n for n in names if n != STATUS_FILE)

    def close(self) -> None:
        """Stop a run going on (the portal stops): it is recorded as interrupted."""
        with self._lock:
            active = self._active
        if active is None:
            return
        _, process, watcher = active
        process.terminate()
        watcher.join(STOP_SECONDS)
