"""Plan runs from the portal: an evaluator picks a plan and the portal runs it.

A run is what ``pilot-eval run PLAN --out DIR`` does (:func:`evaluation.plans.runner.
run_plan`), in a process of its own (the server's pages stay responsive), one run at a
time. Its output goes to ``<data dir>/runs/<run id>/`` and its state to ``status.json``
there (:class:`RunRecord`), so the status page and the list of runs survive a restart; a
run whose process is gone without finishing (the portal stopped) is ``interrupted``.
Plans are offered by file name from one folder (``*.yaml``, listed, never guessed).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Literal, get_args

from evaluation.errors import OptionError, PilotEvalError
from evaluation.portal.files import SUFFIXES, report_files
from evaluation.privacy import mask_identity_codes
from evaluation.safe_io import output_folder, write_text

RunState = Literal["running", "done", "failed", "interrupted"]
RUN_STATES: tuple[RunState, ...] = get_args(RunState)
#: The run's state, in its folder.
STATUS_FILE = "status.json"
#: What the run's process leaves for the portal (a dot file: never listed or served).
OUTCOME_FILE = ".outcome.json"
#: File types of a run's folder the portal lists and serves.
RUN_SUFFIXES = (*SUFFIXES, ".json")
#: Seconds the portal waits for an ended run's record when it stops.
STOP_SECONDS = 5.0
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")


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
    """One plan run: which plan, who started it, when, and how it went."""

    run_id: str
    plan: str
    user: str
    state: RunState
    started_at: str
    finished_at: str = ""
    message: str = ""

    @classmethod
    def read(cls, folder: Path) -> RunRecord | None:
        """The record in ``folder/status.json`` (``None`` if missing or unreadable)."""
        try:
            data = json.loads((folder / STATUS_FILE).read_text(encoding="utf-8"))
            fields = {k: str(data[k]) for k in data if k in cls.__dataclass_fields__}
            written = fields.pop("state")
            state = next(s for s in RUN_STATES if s == written)
            return cls(state=state, **fields)
        except (OSError, ValueError, TypeError, KeyError, StopIteration):
            return None

    def write(self, folder: Path) -> None:
        """Write the record to ``folder/status.json``."""
        text = json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n"
        write_text(folder / STATUS_FILE, text, where=f"plan run status {folder}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def run_in_child(plan: Path, out: Path) -> None:
    """Run ``plan`` into ``out`` and leave the outcome in ``out/.outcome.json`` (the
    body of the run's process)."""
    from evaluation.plans.runner import run_plan

    try:
        outcome = {"ok": True, "message": run_plan(plan, out).summary()}
    except PilotEvalError as exc:
        outcome = {"ok": False, "message": exc.message}
    except Exception as exc:  # a bug: the evaluator sees its type and text
        outcome = {"ok": False, "message": f"unexpected error {type(exc).__name__}: {exc}"}
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
    """

    def __init__(
        self,
        plans: Path,
        runs: Path,
        on_finish: Callable[[RunRecord], None],
        target: Callable[[Path, Path], None] = run_in_child,
    ) -> None:
        self.plans = plans
        self.runs = runs
        self.on_finish = on_finish
        self.target = target
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

    def _final(self, record: RunRecord, exitcode: int | None) -> RunRecord:
        try:
            outcome = json.loads(
                (self.runs / record.run_id / OUTCOME_FILE).read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            outcome = {"ok": False, "message": f"the run stopped (exit code {exitcode})"}
        state: RunState = "done" if outcome.get("ok") is True else "failed"
        if exitcode is not None and exitcode < 0:
            state = "interrupted"
        message = mask_identity_codes(str(outcome.get("message", "")))
        return replace(record, state=state, finished_at=_now(), message=message)

    def record(self, run_id: str) -> RunRecord | None:
        """The record of run ``run_id`` (``None`` for an unknown or malformed id)."""
        if not _RUN_ID.match(run_id):
            return None
        found = RunRecord.read(self.runs / run_id)
        if found is None or found.run_id != run_id:
            return None
        if found.state == "running" and self.active() != run_id:
            return replace(found, state="interrupted")
        return found

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
