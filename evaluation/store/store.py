"""The submission store: every file a pilot sent, in one DuckDB database, nothing lost.

Tables
------
``submissions``
    One row per submission: ``submission_id, pilot, period, version, lang, submitter,
    submitted_at`` (UTC), ``file_name, file_size, sha256, content`` (the original bytes),
    ``status`` (``accepted`` / ``rejected``), ``n_failures, report_json, report_html,
    schema_version, key_origin``. ``version`` counts submissions per ``(pilot, period)``.
``submission_rows``
    The parsed tables of a submission, one row per record: ``submission_id, table_name,
    row_number, record`` (JSON); person ids pseudonymised.
``quarantine``
    Failing rows with the reason: ``submission_id, table_name, row_number, family, reason,
    record`` (JSON; person ids pseudonymised, identity codes masked).

Guarantees
----------
* Nothing is updated or deleted: a resubmission is a new version.
* One DuckDB transaction per submission (``BEGIN`` ... ``COMMIT``): a crash mid-write
  leaves the store as it was (DuckDB's write-ahead log rolls the open transaction back).
* DuckDB lets one process open a file for writing; writers take an exclusive
  ``fcntl.flock`` on ``<store>.lock`` (readers a shared one) and wait up to ``timeout``
  seconds, so concurrent submits from several processes all land, one after the other.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from evaluation.checks.report import ValidationReport
from evaluation.checks.suites import HETU_CORE
from evaluation.errors import InputDataError, OptionError
from evaluation.store.pseudonym import Pseudonymiser

STORE_ENV = "PILOT_EVAL_STORE"
#: Default store file (in the working directory) when neither --store nor the env var is set.
DEFAULT_STORE = Path("pilot-eval-store.duckdb")
#: Seconds a process waits for another one's write before giving up.
DEFAULT_TIMEOUT = 60.0

_HETU = re.compile(rf"(?<![0-9A-Za-z]){HETU_CORE}(?![0-9A-Za-z])", re.IGNORECASE)

_DDL = """
CREATE TABLE IF NOT EXISTS submissions (
    submission_id VARCHAR PRIMARY KEY,
    pilot VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    lang VARCHAR,
    submitter VARCHAR,
    submitted_at TIMESTAMP NOT NULL,
    file_name VARCHAR,
    file_size BIGINT,
    sha256 VARCHAR NOT NULL,
    content BLOB NOT NULL,
    status VARCHAR NOT NULL,
    n_failures INTEGER NOT NULL,
    report_json VARCHAR,
    report_html VARCHAR,
    schema_version VARCHAR,
    key_origin VARCHAR,
    UNIQUE (pilot, period, version)
);
CREATE TABLE IF NOT EXISTS submission_rows (
    submission_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    record VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    submission_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_number INTEGER,
    family VARCHAR,
    reason VARCHAR,
    record VARCHAR
);
"""

#: Columns of :meth:`SubmissionStore.submissions`.
LIST_COLUMNS = (
    "pilot",
    "period",
    "version",
    "submitted_at",
    "status",
    "n_failures",
    "submitter",
    "file_name",
    "sha256",
    "submission_id",
)


def store_path(store: str | Path | None) -> Path:
    """The store file: ``store``, else ``$PILOT_EVAL_STORE``, else :data:`DEFAULT_STORE`."""
    if store is not None and str(store):
        return Path(store)
    env = os.environ.get(STORE_ENV, "")
    return Path(env) if env else DEFAULT_STORE


def mask_identity_codes(text: str) -> str:
    """Replace every Finnish personal identity code in ``text`` by a mask."""
    return _HETU.sub("[henkilötunnus]", text)


@dataclass(frozen=True)
class StoredSubmission:
    """The receipt of :meth:`SubmissionStore.add`."""

    submission_id: str
    pilot: str
    period: str
    version: int
    status: str
    sha256: str
    submitted_at: dt.datetime
    n_rows: int
    n_quarantined: int


@dataclass(frozen=True)
class SubmissionStore:
    """A DuckDB file of submissions (see the module docstring).

    Parameters
    ----------
    path:
        The database file (created with its folder on first write).
    timeout:
        Seconds to wait for the lock held by another process.
    """

    path: Path
    timeout: float = DEFAULT_TIMEOUT

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OptionError(
                            f"the submission store is busy (another process has held it for "
                            f"over {self.timeout:.0f} s)",
                            where=str(self.path),
                            fix="try again in a moment, or check for a stuck pilot-eval "
                            f"process holding {self.lock_path}",
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._locked(exclusive=write):
            if not write and not self.path.exists():
                con = duckdb.connect()
                try:
                    con.execute(_DDL)
                    yield con
                finally:
                    con.close()
                return
            try:
                con = duckdb.connect(str(self.path), read_only=not write)
            except duckdb.Error as exc:
                raise InputDataError(
                    f"cannot open the submission store: {str(exc).splitlines()[0]}",
                    where=str(self.path),
                    fix="give a DuckDB file made by `pilot-eval submit` (--store or "
                    f"{STORE_ENV}), or a new path",
                ) from exc
            try:
                if write:
                    con.execute(_DDL)
                yield con
            finally:
                con.close()

    # -- writing -------------------------------------------------------------------------
    def add(
        self,
        *,
        content: bytes,
        file_name: str,
        pilot: str,
        period: str,
        lang: str,
        submitter: str | None,
        report: ValidationReport,
        tables: Mapping[str, pd.DataFrame],
        pseudonymiser: Pseudonymiser,
        schema_version: str = "",
        id_columns: Mapping[str, tuple[str, ...]] | None = None,
        _crash_after_rows: bool = False,
    ) -> StoredSubmission:
        """Store one submission atomically and return its receipt.

        ``tables`` are stored for accepted submissions only (a rejected one keeps its file,
        report and quarantined rows). Columns named in ``id_columns`` (table -> columns)
        are pseudonymised in stored tables and quarantined records.
        """
        status = "accepted" if report.ok else "rejected"
        sha = hashlib.sha256(content).hexdigest()
        sid = str(uuid.uuid4())
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ids = dict(id_columns or {})
        who = submitter or _default_submitter()
        rows = _table_rows(tables, ids, pseudonymiser) if report.ok else []
        quarantined = _quarantine_rows(report.quarantine, ids, pseudonymiser)
        known = _known_ids(report, tables, ids)
        report_json = _replace_ids(mask_identity_codes(report.to_json()), known, pseudonymiser)
        report_html = _replace_ids(mask_identity_codes(report.to_html()), known, pseudonymiser)
        with self._connect(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                version = int(
                    con.execute(
                        "SELECT coalesce(max(version), 0) + 1 FROM submissions "
                        "WHERE pilot = ? AND period = ?",
                        [pilot, period],
                    ).fetchall()[0][0]
                )
                con.execute(
                    "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?)",
                    [
                        sid,
                        pilot,
                        period,
                        version,
                        lang,
                        who,
                        now,
                        file_name,
                        len(content),
                        sha,
                        content,
                        status,
                        len(report.failures),
                        report_json,
                        report_html,
                        schema_version,
                        pseudonymiser.origin,
                    ],
                )
                if rows:
                    frame = pd.DataFrame(rows, columns=["table_name", "row_number", "record"])
                    frame.insert(0, "submission_id", sid)
                    con.register("new_rows", frame)
                    con.execute(
                        "INSERT INTO submission_rows SELECT submission_id, table_name, "
                        "row_number, record FROM new_rows"
                    )
                    con.unregister("new_rows")
                if _crash_after_rows:  # test hook: die between the writes of one submission
                    os.kill(os.getpid(), 9)
                if quarantined:
                    q = pd.DataFrame(
                        quarantined,
                        columns=["table_name", "row_number", "family", "reason", "record"],
                    )
                    q.insert(0, "submission_id", sid)
                    con.register("new_q", q)
                    con.execute(
                        "INSERT INTO quarantine SELECT submission_id, table_name, "
                        "row_number, family, reason, record FROM new_q"
                    )
                    con.unregister("new_q")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return StoredSubmission(
            sid, pilot, period, version, status, sha, now, len(rows), len(quarantined)
        )

    # -- reading -------------------------------------------------------------------------
    def submissions(self) -> pd.DataFrame:
        """Every submission (oldest first): columns :data:`LIST_COLUMNS`."""
        cols = ", ".join(LIST_COLUMNS)
        with self._connect(write=False) as con:
            frame: pd.DataFrame = con.sql(
                f"SELECT {cols} FROM submissions ORDER BY submitted_at, pilot, version"
            ).df()
        return frame

    def content(self, submission_id: str) -> bytes:
        """The original bytes of a submission."""
        with self._connect(write=False) as con:
            rows = con.execute(
                "SELECT content FROM submissions WHERE submission_id = ?", [submission_id]
            ).fetchall()
        if not rows:
            raise OptionError(
                f"no submission {submission_id!r}",
                where=str(self.path),
                fix="list them with `pilot-eval submissions`",
            )
        return bytes(rows[0][0])

    def report(self, submission_id: str) -> dict[str, Any]:
        """The stored validation report (JSON) of a submission."""
        with self._connect(write=False) as con:
            rows = con.execute(
                "SELECT report_json FROM submissions WHERE submission_id = ?", [submission_id]
            ).fetchall()
        if not rows:
            raise OptionError(
                f"no submission {submission_id!r}",
                where=str(self.path),
                fix="list them with `pilot-eval submissions`",
            )
        out: dict[str, Any] = json.loads(rows[0][0])
        return out

    def table(self, name: str) -> pd.DataFrame:
        """A raw store table (``submissions`` without content, ``submission_rows``,
        ``quarantine``)."""
        if name not in ("submissions", "submission_rows", "quarantine"):
            raise OptionError(
                f"unknown store table {name!r}",
                where="SubmissionStore.table",
                fix="use submissions, submission_rows or quarantine",
            )
        cols = "* EXCLUDE (content)" if name == "submissions" else "*"
        with self._connect(write=False) as con:
            frame: pd.DataFrame = con.sql(f"SELECT {cols} FROM {name}").df()
        return frame


def _default_submitter() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _pseudo_record(rec: dict[str, Any], cols: tuple[str, ...], p: Pseudonymiser) -> dict[str, Any]:
    for c in cols:
        v = rec.get(c)
        if v is not None and str(v).strip():
            rec[c] = p.one(str(v))
    return rec


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def _table_rows(
    tables: Mapping[str, pd.DataFrame], ids: Mapping[str, tuple[str, ...]], p: Pseudonymiser
) -> list[tuple[str, int, str]]:
    out = []
    for name, frame in tables.items():
        cols = ids.get(name, ())
        for k, rec in enumerate(frame.to_dict(orient="records"), start=1):
            clean = {str(c): _jsonable(v) for c, v in rec.items()}
            clean = _pseudo_record(clean, cols, p)
            out.append((name, k, mask_identity_codes(json.dumps(clean, ensure_ascii=False))))
    return out


def _quarantine_rows(
    q: pd.DataFrame, ids: Mapping[str, tuple[str, ...]], p: Pseudonymiser
) -> list[tuple[str, int | None, str, str, str]]:
    out = []
    for r in q.to_dict(orient="records"):
        table = str(r.get("table"))
        try:
            rec = json.loads(str(r.get("record") or "{}"))
        except json.JSONDecodeError:
            rec = {"raw": str(r.get("record"))}
        rec = _pseudo_record(rec, ids.get(table, ()), p)
        row = r.get("row")
        out.append(
            (
                table,
                None if row is None else int(row),
                str(r.get("family")),
                mask_identity_codes(str(r.get("reason"))),
                mask_identity_codes(json.dumps(rec, ensure_ascii=False, default=str)),
            )
        )
    return out


def _known_ids(
    report: ValidationReport,
    tables: Mapping[str, pd.DataFrame],
    ids: Mapping[str, tuple[str, ...]],
) -> set[str]:
    """Raw person ids that may appear in a report's text (tables, quarantine, samples)."""
    out: set[str] = set()
    for name, frame in tables.items():
        for c in ids.get(name, ()):
            if c in frame.columns:
                out |= {str(v) for v in frame[c].dropna()}
    for r in report.quarantine.to_dict(orient="records"):
        try:
            rec = json.loads(str(r.get("record") or "{}"))
        except json.JSONDecodeError:
            continue
        out |= {str(rec[c]) for c in ids.get(str(r.get("table")), ()) if rec.get(c)}
    for f in report.failures:
        for sample in f.samples:
            out |= {str(sample[c]) for c in ids.get(f.table, ()) if sample.get(c)}
    return {i for i in out if i.strip()}


def _replace_ids(text: str, known: set[str], p: Pseudonymiser) -> str:
    """Replace every known raw id (as a whole word) in ``text`` by its pseudonym."""
    if not known:
        return text
    pattern = re.compile(
        r"(?<![0-9A-Za-z_-])("
        + "|".join(re.escape(i) for i in sorted(known, key=len, reverse=True))
        + r")(?![0-9A-Za-z_-])"
    )
    return pattern.sub(lambda m: p.one(m.group(1)), text)
