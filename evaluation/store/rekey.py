"""Key rotation: ``pilot-eval store rekey`` re-pseudonymises a whole store atomically.

Pseudonyms are ``"PS" + d`` with ``d`` the chain digest of a person id (see
:mod:`evaluation.store.pseudonym`), so a new key ``k`` turns every stored pseudonym ``d``
into ``HMAC(k, d)`` without the raw ids, which the store never has. The key is appended to
the key file *before* the store is rewritten: if the rewrite is cut off, the store still
matches the old chain and a second ``rekey`` finishes the job without adding another key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from evaluation.errors import OptionError
from evaluation.store.pseudonym import KEY_BYTES, Pseudonymiser, chain_digest, read_key_file
from evaluation.store.redact import rewrite_parts
from evaluation.store.store import TABLES, SubmissionStore, create_tables

_PSEUDONYM = re.compile(r"PS([0-9a-f]{64})")
#: Text columns of each table that may hold pseudonyms.
_TEXT_COLUMNS = {
    "submissions": ("report_json", "report_html"),
    "submission_rows": ("record",),
    "quarantine": ("reason", "record"),
}


@dataclass(frozen=True)
class RekeyResult:
    """What :func:`rekey_store` did."""

    store: Path
    key_file: Path
    old_fingerprint: str
    new_fingerprint: str
    n_submissions: int
    resumed: bool

    def summary(self) -> str:
        """One line for the terminal."""
        how = "finished an interrupted rotation" if self.resumed else "rotated the key"
        return (
            f"{how}: {self.n_submissions} submission(s) in {self.store} re-pseudonymised; "
            f"key fingerprint {self.old_fingerprint[:12]}… -> {self.new_fingerprint[:12]}…; "
            f"{self.key_file} now holds the new key chain (back it up; older copies no longer "
            "match this store)"
        )


def rekey_store(store: SubmissionStore, key_file: Path) -> RekeyResult:
    """Append a new key to ``key_file`` and re-pseudonymise ``store`` with it, atomically.

    Raises
    ------
    OptionError
        If the key file is not this store's (nor one key ahead of it), or cannot be written.
    """
    keys = read_key_file(key_file, where="option --key-file", store=store.path)
    current = Pseudonymiser(keys, f"file {key_file}")
    stored = store.info().key_fingerprint
    resumed = stored is not None and stored != current.fingerprint
    if resumed and Pseudonymiser(keys[:-1], "").fingerprint != stored:
        raise OptionError(
            f"the key file {key_file} is not this store's key chain",
            where="option --key-file",
            fix="give the key file the store was made with",
        )
    if not resumed:
        keys = _append_key(key_file, keys)
    new = Pseudonymiser(keys, f"file {key_file}")
    with store.locked(exclusive=True):
        frames = _read_all(store)
        for table, frame in frames.items():
            _advance_table(table, frame, keys[-1])
        _write_new_file(store.path, frames, new.fingerprint)
    n = len(frames["submissions"])
    old = stored or current.fingerprint
    return RekeyResult(store.path, key_file, old, new.fingerprint, n, resumed)


def _read_all(store: SubmissionStore) -> dict[str, pd.DataFrame]:
    with store.connection_unlocked(write=False) as con:
        return {t: con.sql(f"SELECT * FROM {t}").df() for t in TABLES}


def _advance_table(table: str, frame: pd.DataFrame, step: bytes) -> None:
    """Take every pseudonym (and content key) of ``frame`` one HMAC step further, in place."""
    if frame.empty or table not in _TEXT_COLUMNS:
        return
    for column in _TEXT_COLUMNS[table]:
        frame[column] = frame[column].map(lambda t: _advance(t, step))
    if table == "submissions":
        frame["content_key"] = frame["content_key"].map(
            lambda d: chain_digest([step], str(d).encode("ascii"))
        )
        frame["content"] = frame["content"].map(lambda b: _advance_content(b, step))
        frame["sha256"] = frame["content"].map(_sha256)


def _write_new_file(path: Path, frames: dict[str, pd.DataFrame], fingerprint: str) -> None:
    """Write the rekeyed tables to a new database file and swap it in atomically, so no
    block of the old file, old pseudonyms included, survives in the store."""
    tmp = path.with_name(path.name + ".rekey")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        create_tables(con)
        for table, frame in frames.items():
            if table == "store_meta":
                continue
            if not frame.empty:
                con.register("rekeyed", frame)
                con.execute(f"INSERT INTO {table} SELECT * FROM rekeyed")
                con.unregister("rekeyed")
        con.execute("INSERT INTO store_meta VALUES ('key_fingerprint', ?)", [fingerprint])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _advance(text: object, key: bytes) -> object:
    """Every pseudonym in ``text`` taken one HMAC step further."""
    if not isinstance(text, str):
        return text
    return _PSEUDONYM.sub(lambda m: "PS" + chain_digest([key], m.group(1).encode("ascii")), text)


def _advance_content(content: object, key: bytes) -> bytes:
    data = bytes(content) if isinstance(content, bytes | bytearray | memoryview) else b""
    if not data:
        return data
    return rewrite_parts(data, lambda text: str(_advance(text, key)))


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _append_key(key_file: Path, keys: tuple[bytes, ...]) -> tuple[bytes, ...]:
    new = secrets.token_hex(KEY_BYTES)
    try:
        with open(key_file, "a", encoding="utf-8") as fh:
            fh.write(f"\n{new}\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OptionError(
            f"cannot add a key to {key_file}: {exc.strerror}",
            where="option --key-file",
            fix="make the key file writable by you (it stays mode 600)",
        ) from exc
    return (*keys, new.encode("utf-8"))
