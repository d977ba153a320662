"""The submission store: every file a pilot sent, in one DuckDB database, nothing lost.

Tables
------
``store_meta``
    ``key, value``: the store's ``layout_version`` (:data:`LAYOUT_VERSION`) and the
    ``key_fingerprint`` of its pseudonymisation key chain (never the key).
``submissions``
    One row per submission: ``submission_id, pilot, period, version, lang, submitter,
    submitted_at`` (UTC), ``file_name, file_size, sha256, content_key, content``,
    ``status`` (``accepted`` / ``rejected``), ``n_failures, report_json, report_html,
    schema_version``. ``content`` is the workbook with every person id replaced by its
    pseudonym (:mod:`evaluation.store.redact`; empty for a file refused at intake or one
    that could not be redacted), ``sha256`` its hash; ``content_key`` is a keyed hash of
    the submitted bytes, so a retried submission is recognised without keeping them.
    ``version`` counts submissions per ``(pilot, period)``.
``submission_rows``
    The parsed tables of a submission, one row per record: ``submission_id, table_name,
    row_number, record`` (JSON); person ids pseudonymised, also inside free text.
``quarantine``
    Failing rows with the reason: ``submission_id, table_name, row_number, family, reason,
    record`` (JSON; person ids pseudonymised, identity codes masked).

Guarantees
----------
* No raw person id and no identity code is stored anywhere (see :mod:`~evaluation.store.redact`).
* Nothing is updated or deleted: a resubmission is a new version; an identical file
  (same ``content_key``) is recognised and not stored twice. Only ``pilot-eval store
  rekey`` rewrites pseudonyms, in one transaction.
* One DuckDB transaction per submission (``BEGIN`` ... ``COMMIT``): a crash mid-write
  leaves the store as it was (DuckDB's write-ahead log rolls the open transaction back).
* DuckDB lets one process open a file for writing; writers take an exclusive
  ``fcntl.flock`` on ``<store>.lock`` (readers a shared one, or none in a read-only
  folder) and wait up to ``timeout`` seconds, so concurrent submits from several
  processes all land, one after the other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from evaluation.checks.report import ValidationReport
from evaluation.errors import InputDataError, OptionError
from evaluation.privacy import mask_identity_codes
from evaluation.store.pseudonym import Pseudonymiser
from evaluation.store.redact import text_replacer

STORE_ENV = "PILOT_EVAL_STORE"
#: Default store file (in the working directory) when neither --store nor the env var is set.
DEFAULT_STORE = Path("pilot-eval-store.duckdb")
#: Seconds a process waits for another one's write before giving up.
DEFAULT_TIMEOUT = 60.0
#: The store layout this version writes and reads (1: original bytes kept, before issue 14).
LAYOUT_VERSION = 2

_DDL = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
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
    content_key VARCHAR NOT NULL,
    content BLOB NOT NULL,
    status VARCHAR NOT NULL,
    n_failures INTEGER NOT NULL,
    report_json VARCHAR,
    report_html VARCHAR,
    schema_version VARCHAR,
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
#: The store's tables (``submissions`` is listed without its ``content``).
TABLES = ("store_meta", "submissions", "submission_rows", "quarantine")

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


@dataclass(frozen=True)
class StoredSubmission:
    """The receipt of :meth:`SubmissionStore.add`.

    ``duplicate`` is true when the same file had been stored before: the receipt is then
    that earlier version's, and nothing new was written.
    """

    submission_id: str
    pilot: str
    period: str
    version: int
    status: str
    sha256: str
    submitted_at: dt.datetime
    n_rows: int
    n_quarantined: int
    duplicate: bool = False


@dataclass(frozen=True)
class StoreInfo:
    """What :meth:`SubmissionStore.info` tells: layout, key fingerprint and counts."""

    path: Path
    layout_version: int | None
    key_fingerprint: str | None
    n_submissions: int


@dataclass(frozen=True)
class NewSubmission:
    """One submission as the store keeps it (ids already replaced; see :meth:`add`)."""

    content: bytes
    content_key: str
    file_name: str
    file_size: int
    pilot: str
    period: str
    lang: str
    submitter: str
    status: str
    n_failures: int
    report_json: str
    report_html: str
    schema_version: str
    rows: list[tuple[str, int, str]]
    quarantined: list[tuple[str, int | None, str, str, str]]


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

    def _lock_fd(self, *, exclusive: bool) -> int | None:
        """An fd of the lock file; ``None`` for a reader in a folder it cannot write."""
        if exclusive:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                raise InputDataError(
                    f"cannot write to the submission store's folder: {exc.strerror}",
                    where=str(self.path.parent),
                    fix="give a store in a folder you can write to (--store or "
                    f"{STORE_ENV}); listing a read-only store works as it is",
                ) from exc
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                return os.open(self.lock_path, flags | os.O_NOFOLLOW, 0o644)
            except OSError:
                continue
        return None  # a read-only folder without a lock file: nobody can be writing

    @contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the store's lock: exclusive for a writer, shared for a reader."""
        fd = self._lock_fd(exclusive=exclusive)
        if fd is None:
            yield
            return
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
    def connection(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """A locked connection to a store of this layout (an empty in-memory one for
        reading a store that does not exist yet).

        Raises
        ------
        InputDataError
            If the file is not a store, or one of another layout, or cannot be opened.
        """
        with self.locked(exclusive=write), self.connection_unlocked(write=write) as con:
            yield con

    @contextmanager
    def connection_unlocked(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """:meth:`connection` for a caller that already holds :meth:`locked`."""
        if not write and not self.path.exists():
            con = duckdb.connect()
            try:
                create_tables(con)
                yield con
            finally:
                con.close()
            return
        con = self._open(write=write)
        try:
            _check_layout(con, self.path, write=write)
            yield con
        finally:
            con.close()

    def _open(self, *, write: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=not write)
        except duckdb.Error as exc:
            raise InputDataError(
                f"cannot open the submission store: {str(exc).splitlines()[0]}",
                where=str(self.path),
                fix="give a DuckDB file made by `pilot-eval submit` (--store or "
                f"{STORE_ENV}), or a new path; check that its folder is writable and "
                "the disk is not full",
            ) from exc

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
        person_ids: Iterable[str] = (),
        content_key: str | None = None,
        _crash_after_rows: bool = False,
    ) -> StoredSubmission:
        """Store one submission atomically and return its receipt.

        ``content`` must already be free of raw person ids (see
        :func:`~evaluation.store.redact.redact_workbook`); ``content_key`` is the keyed hash
        of the submitted bytes (default: of ``content``). ``tables`` are stored for
        accepted submissions only (a rejected one keeps its report and quarantined rows).
        Columns named in ``id_columns`` (table -> columns) are pseudonymised, and every
        id of ``person_ids`` or of those columns is replaced inside free text and reports.

        Raises
        ------
        OptionError
            If the key is not the store's (see ``pilot-eval store rekey``).
        """
        ids = dict(id_columns or {})
        known = _known_ids(report, tables, ids) | {str(i).strip() for i in person_ids}
        replace = text_replacer(known, pseudonymiser)
        new = NewSubmission(
            content=content,
            content_key=content_key or pseudonymiser.digest(content),
            file_name=file_name,
            file_size=len(content),
            pilot=pilot,
            period=period,
            lang=lang,
            submitter=submitter or _default_submitter(),
            status="accepted" if report.ok else "rejected",
            n_failures=len(report.failures),
            report_json=_exact_ids(
                replace(mask_identity_codes(report.to_json())), known, pseudonymiser
            ),
            report_html=_exact_ids(
                replace(mask_identity_codes(report.to_html())), known, pseudonymiser
            ),
            schema_version=schema_version,
            rows=_table_rows(tables, ids, pseudonymiser, replace) if report.ok else [],
            quarantined=_quarantine_rows(report.quarantine, ids, pseudonymiser, replace),
        )
        with self.connection(write=True) as con:
            check_key(con, pseudonymiser, self.path)
            earlier = _stored_duplicate(con, new.content_key)
            if earlier is not None:
                return earlier
            return _insert(con, new, crash_after_rows=_crash_after_rows)

    # -- reading -------------------------------------------------------------------------
    def verify_key(self, pseudonymiser: Pseudonymiser) -> None:
        """Check, before any work, that ``pseudonymiser`` holds this store's key chain.

        Raises
        ------
        OptionError
            As :func:`check_key` (a store without submissions takes any key).
        """
        with self.connection(write=False) as con:
            found = con.execute(
                "SELECT value FROM store_meta WHERE key = 'key_fingerprint'"
            ).fetchall()
        if found:
            compare_fingerprint(str(found[0][0]), pseudonymiser, self.path)

    def submissions(self) -> pd.DataFrame:
        """Every submission (oldest first): columns :data:`LIST_COLUMNS`."""
        cols = ", ".join(LIST_COLUMNS)
        with self.connection(write=False) as con:
            frame: pd.DataFrame = con.sql(
                f"SELECT {cols} FROM submissions ORDER BY submitted_at, pilot, version"
            ).df()
        return frame

    def content(self, submission_id: str) -> bytes:
        """The stored workbook of a submission (person ids replaced by pseudonyms)."""
        return bytes(self._one(submission_id, "content"))

    def report(self, submission_id: str) -> dict[str, Any]:
        """The stored validation report (JSON) of a submission."""
        out: dict[str, Any] = json.loads(self._one(submission_id, "report_json"))
        return out

    def _one(self, submission_id: str, column: str) -> Any:
        with self.connection(write=False) as con:
            rows = con.execute(
                f"SELECT {column} FROM submissions WHERE submission_id = ?", [submission_id]
            ).fetchall()
        if not rows:
            raise OptionError(
                f"no submission {submission_id!r}",
                where=str(self.path),
                fix="list them with `pilot-eval submissions`",
            )
        return rows[0][0]

    def table(self, name: str) -> pd.DataFrame:
        """A raw store table (:data:`TABLES`; ``submissions`` without ``content``)."""
        if name not in TABLES:
            raise OptionError(
                f"unknown store table {name!r}",
                where="SubmissionStore.table",
                fix=f"use one of {', '.join(TABLES)}",
            )
        cols = "* EXCLUDE (content)" if name == "submissions" else "*"
        with self.connection(write=False) as con:
            frame: pd.DataFrame = con.sql(f"SELECT {cols} FROM {name}").df()
        return frame

    def info(self) -> StoreInfo:
        """The store's layout version, key fingerprint and number of submissions."""
        with self.connection(write=False) as con:
            meta = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
            n = int(con.execute("SELECT count(*) FROM submissions").fetchall()[0][0])
        layout = meta.get("layout_version")
        return StoreInfo(self.path, int(layout) if layout else None, meta.get("key_fingerprint"), n)


def _check_layout(con: duckdb.DuckDBPyConnection, path: Path, *, write: bool) -> None:
    """Refuse a store of another layout; mark a new, empty one with this layout."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "store_meta" in tables:
        found = con.execute("SELECT value FROM store_meta WHERE key = 'layout_version'").fetchall()
        layout = int(found[0][0]) if found else LAYOUT_VERSION
    else:
        layout = 1 if "submissions" in tables else LAYOUT_VERSION
    if layout < LAYOUT_VERSION:
        raise InputDataError(
            f"this store was made by an older pilot-eval (store layout {layout}); it keeps "
            "the original workbooks, raw client ids included",
            where=str(path),
            fix="start a new store (another --store path), submit the workbooks again, and "
            "then delete the old store file and its .wal securely",
        )
    if layout > LAYOUT_VERSION:
        raise InputDataError(
            f"this store was made by a newer pilot-eval (store layout {layout}; this "
            f"version reads layout {LAYOUT_VERSION})",
            where=str(path),
            fix="upgrade pilot-evaluation (pip install -U pilot-evaluation)",
        )
    if write and "store_meta" not in tables:
        create_tables(con)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the store's tables in an empty database, marked with this layout."""
    con.execute(_DDL)
    con.execute("INSERT INTO store_meta VALUES ('layout_version', ?)", [str(LAYOUT_VERSION)])


def check_key(con: duckdb.DuckDBPyConnection, p: Pseudonymiser, path: Path) -> None:
    """Refuse a key chain that is not the store's; a new store takes this one's fingerprint.

    Raises
    ------
    OptionError
        If the store has another fingerprint (another key, or an interrupted rekey).
    """
    found = con.execute("SELECT value FROM store_meta WHERE key = 'key_fingerprint'").fetchall()
    if not found:
        con.execute("INSERT INTO store_meta VALUES ('key_fingerprint', ?)", [p.fingerprint])
        return
    compare_fingerprint(str(found[0][0]), p, path)


def compare_fingerprint(stored: str, p: Pseudonymiser, path: Path) -> None:
    """Raise :class:`OptionError` unless ``p`` is the key chain of fingerprint ``stored``."""
    if stored == p.fingerprint:
        return
    if len(p.keys) > 1 and Pseudonymiser(p.keys[:-1], p.origin).fingerprint == stored:
        raise OptionError(
            "a key rotation of this store was interrupted: the key file has a new key that "
            "the store does not use yet",
            where=str(path),
            fix="finish it with `pilot-eval store rekey` (same --store and --key-file)",
        )
    raise OptionError(
        f"the pseudonymisation key ({p.origin}) is not this store's key: its pseudonyms "
        "would not match the stored ones",
        where=str(path),
        fix="use the key file this store was made with; to change the key, run "
        "`pilot-eval store rekey --store STORE --key-file KEY`",
    )


def _stored_duplicate(con: duckdb.DuckDBPyConnection, content_key: str) -> StoredSubmission | None:
    found = con.execute(
        "SELECT s.submission_id, pilot, period, version, status, sha256, submitted_at, "
        "(SELECT count(*) FROM submission_rows r WHERE r.submission_id = s.submission_id), "
        "(SELECT count(*) FROM quarantine q WHERE q.submission_id = s.submission_id) "
        "FROM submissions s WHERE content_key = ? ORDER BY version LIMIT 1",
        [content_key],
    ).fetchall()
    if not found:
        return None
    r = found[0]
    return StoredSubmission(
        r[0], r[1], r[2], int(r[3]), r[4], r[5], r[6], int(r[7]), int(r[8]), duplicate=True
    )


def _insert(
    con: duckdb.DuckDBPyConnection, new: NewSubmission, *, crash_after_rows: bool
) -> StoredSubmission:
    sid = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sha = hashlib.sha256(new.content).hexdigest()
    con.execute("BEGIN TRANSACTION")
    try:
        version = int(
            con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM submissions "
                "WHERE pilot = ? AND period = ?",
                [new.pilot, new.period],
            ).fetchall()[0][0]
        )
        con.execute(
            "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                sid,
                new.pilot,
                new.period,
                version,
                new.lang,
                new.submitter,
                now,
                new.file_name,
                new.file_size,
                sha,
                new.content_key,
                new.content,
                new.status,
                new.n_failures,
                new.report_json,
                new.report_html,
                new.schema_version,
            ],
        )
        _append(con, "submission_rows", sid, new.rows, ["table_name", "row_number", "record"])
        if crash_after_rows:  # test hook: die between the writes of one submission
            os.kill(os.getpid(), 9)
        _append(
            con,
            "quarantine",
            sid,
            new.quarantined,
            ["table_name", "row_number", "family", "reason", "record"],
        )
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise InputDataError(
            f"the submission could not be stored: {str(exc).splitlines()[0]}; nothing of it "
            "was written",
            where=new.file_name,
            fix="free disk space or check the store folder's permissions, then submit again",
        ) from exc
    except BaseException:
        _rollback(con)
        raise
    return StoredSubmission(
        sid,
        new.pilot,
        new.period,
        version,
        new.status,
        sha,
        now,
        len(new.rows),
        len(new.quarantined),
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back; a failing rollback (e.g. a full disk) leaves the WAL to undo it on open."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _append(
    con: duckdb.DuckDBPyConnection, table: str, sid: str, rows: list[Any], columns: list[str]
) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "submission_id", sid)
    con.register("new_rows", frame)
    con.execute(f"INSERT INTO {table} SELECT submission_id, {', '.join(columns)} FROM new_rows")
    con.unregister("new_rows")


def _default_submitter() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _pseudo_record(
    rec: dict[str, Any], cols: tuple[str, ...], p: Pseudonymiser, replace: Callable[[str], str]
) -> dict[str, Any]:
    for key, v in rec.items():
        if key in cols and v is not None and str(v).strip():
            rec[key] = p.one(str(v))
        elif isinstance(v, str):
            rec[key] = replace(mask_identity_codes(v))  # mask codes before adding pseudonyms
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
    tables: Mapping[str, pd.DataFrame],
    ids: Mapping[str, tuple[str, ...]],
    p: Pseudonymiser,
    replace: Callable[[str], str],
) -> list[tuple[str, int, str]]:
    out = []
    for name, frame in tables.items():
        cols = ids.get(name, ())
        for k, rec in enumerate(frame.to_dict(orient="records"), start=1):
            clean = {str(c): _jsonable(v) for c, v in rec.items()}
            clean = _pseudo_record(clean, cols, p, replace)
            out.append((name, k, json.dumps(clean, ensure_ascii=False)))
    return out


def _quarantine_rows(
    q: pd.DataFrame,
    ids: Mapping[str, tuple[str, ...]],
    p: Pseudonymiser,
    replace: Callable[[str], str],
) -> list[tuple[str, int | None, str, str, str]]:
    out = []
    for r in q.to_dict(orient="records"):
        table = str(r.get("table"))
        try:
            rec = json.loads(str(r.get("record") or "{}"))
        except json.JSONDecodeError:
            rec = {"raw": str(r.get("record"))}
        rec = _pseudo_record(rec, ids.get(table, ()), p, replace)
        row = r.get("row")
        out.append(
            (
                table,
                None if row is None else int(row),
                str(r.get("family")),
                replace(mask_identity_codes(str(r.get("reason")))),
                json.dumps(rec, ensure_ascii=False, default=str),
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
                out |= {str(v).strip() for v in frame[c].dropna()}
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


def _exact_ids(text: str, known: set[str], p: Pseudonymiser) -> str:
    """Replace short ids (left out of free text) where they stand as a quoted JSON/HTML value."""
    for i in known:
        for quote in ('"', "'", ">"):
            closing = "<" if quote == ">" else quote
            text = text.replace(f"{quote}{i}{closing}", f"{quote}{p.one(i)}{closing}")
    return text
