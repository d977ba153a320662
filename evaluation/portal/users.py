"""Portal accounts, one-time set-password links and the audit log, in one SQLite file.

The file sits next to the submission store: ``<store>.portal.db`` (:func:`users_path`),
so the store itself keeps only submissions. It holds

``users``
    ``user_id, email, role`` (:data:`Role`), ``pilot`` (pilot staff only), ``lang``,
    ``password_hash`` (argon2id, never the password), ``disabled``, ``created_at``.
``set_password``
    One-time links: the SHA-256 of the token (never the token), its user and expiry.
``ended_sessions``
    The SHA-256 of the nonce of every session ended by logging out (kept for the session
    lifetime), so a copy of its cookie is refused.
``audit``
    One row per login (and failed or rate-limited attempt), logout, upload and download:
    ``at`` (UTC), ``email, role, event, detail, ip``.
``portal_meta``
    The random secret that signs session cookies (made on first use; never shown).

A file created here has mode 600. SQLite serialises writers itself; every call opens and
closes its own connection, so the server's threads share nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from evaluation.errors import OptionError
from evaluation.reporting.i18n import Lang, check_language

Role = Literal["pilot", "evaluator", "funder"]
ROLES: tuple[Role, ...] = get_args(Role)
#: Hours a set-password link stays valid.
LINK_HOURS = 72
#: Shortest password accepted.
MIN_PASSWORD = 12

_DDL = """
CREATE TABLE IF NOT EXISTS portal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL,
    pilot TEXT,
    lang TEXT NOT NULL,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS set_password (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ended_sessions (nonce_sha256 TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    at TEXT NOT NULL,
    email TEXT,
    role TEXT,
    event TEXT NOT NULL,
    detail TEXT,
    ip TEXT
);
"""

_HASHER = PasswordHasher()
#: Verified against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


def users_path(store: Path) -> Path:
    """The portal's account file beside ``store``: ``<store>.portal.db``."""
    return store.with_name(store.name + ".portal.db")


@dataclass(frozen=True)
class User:
    """One portal account (without its password hash)."""

    user_id: int
    email: str
    role: Role
    pilot: str | None
    lang: Lang
    disabled: bool


@dataclass(frozen=True)
class NewUser:
    """:meth:`UserStore.add` result: the account and its one-time set-password token."""

    user: User
    token: str

    def link(self, base_url: str) -> str:
        """The set-password link under ``base_url`` (e.g. ``http://127.0.0.1:8000``)."""
        return f"{base_url.rstrip('/')}/set-password/{self.token}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: sqlite3.Row) -> User:
    return User(
        int(row["user_id"]),
        str(row["email"]),
        row["role"],
        row["pilot"],
        row["lang"],
        bool(row["disabled"]),
    )


@dataclass(frozen=True)
class UserStore:
    """The portal's SQLite file (see the module docstring)."""

    path: Path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        new = not self.path.exists()
        if new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        with closing(sqlite3.connect(self.path, timeout=30)) as con:
            con.row_factory = sqlite3.Row
            if new:
                con.executescript(_DDL)
            with con:
                yield con

    # -- accounts ------------------------------------------------------------------------
    def add(self, email: str, *, role: str, pilot: str | None = None, lang: str = "fi") -> NewUser:
        """Create an account without a password and return its one-time link token.

        Raises
        ------
        OptionError
            If the role is unknown, a pilot account lacks ``pilot`` (or another role has
            one), the e-mail is not an address, or it is taken.
        """
        user_role = _check_role(role, pilot)
        code = check_language(lang)
        address = email.strip()
        if "@" not in address or any(ch.isspace() for ch in address):
            raise OptionError(
                f"{email!r} is not an e-mail address",
                where="option --email",
                fix="give the person's address, e.g. name@pilot.fi",
            )
        with self._db() as con:
            try:
                cur = con.execute(
                    "INSERT INTO users (email, role, pilot, lang, created_at) VALUES (?,?,?,?,?)",
                    (address, user_role, pilot, code, _now().isoformat()),
                )
            except sqlite3.IntegrityError:
                raise OptionError(
                    f"an account for {address} exists already",
                    where="option --email",
                    fix="list accounts with `pilot-eval users list`; send a new link with "
                    "`pilot-eval users link --email ...`",
                ) from None
            uid = int(cur.lastrowid or 0)
        return NewUser(self.get(uid), self.new_link(uid))

    def new_link(self, user_id: int) -> str:
        """A new one-time set-password token for ``user_id`` (valid :data:`LINK_HOURS`)."""
        token = secrets.token_urlsafe(32)
        expires = _now() + dt.timedelta(hours=LINK_HOURS)
        with self._db() as con:
            con.execute(
                "INSERT INTO set_password VALUES (?,?,?)",
                (_sha(token), user_id, expires.isoformat()),
            )
        return token

    def link_for(self, email: str) -> str:
        """A new one-time set-password token for the account of ``email``."""
        return self.new_link(self.by_email(email).user_id)

    def get(self, user_id: int) -> User:
        """The account ``user_id``."""
        with self._db() as con:
            row = con.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            raise OptionError(f"no account {user_id}", where=str(self.path))
        return _user(row)

    def by_email(self, email: str) -> User:
        """The account of ``email``."""
        with self._db() as con:
            row = con.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if row is None:
            raise OptionError(
                f"no account for {email}",
                where="option --email",
                fix="list accounts with `pilot-eval users list`",
            )
        return _user(row)

    def users(self) -> tuple[User, ...]:
        """Every account, oldest first."""
        with self._db() as con:
            rows = con.execute("SELECT * FROM users ORDER BY user_id").fetchall()
        return tuple(_user(r) for r in rows)

    def disable(self, email: str) -> User:
        """Disable the account of ``email``: it can no longer log in, and open sessions end."""
        user = self.by_email(email)
        with self._db() as con:
            con.execute("UPDATE users SET disabled = 1 WHERE user_id = ?", (user.user_id,))
            con.execute("DELETE FROM set_password WHERE user_id = ?", (user.user_id,))
        return self.get(user.user_id)

    def end_session(self, nonce: str, *, keep_seconds: float) -> None:
        """Mark the session ``nonce`` as ended (forgotten after ``keep_seconds``)."""
        now = time.time()
        with self._db() as con:
            con.execute("DELETE FROM ended_sessions WHERE at < ?", (now - keep_seconds,))
            con.execute("INSERT OR IGNORE INTO ended_sessions VALUES (?, ?)", (_sha(nonce), now))

    def session_ended(self, nonce: str) -> bool:
        """Whether the session ``nonce`` was ended by logging out."""
        with self._db() as con:
            row = con.execute(
                "SELECT 1 FROM ended_sessions WHERE nonce_sha256 = ?", (_sha(nonce),)
            ).fetchone()
        return row is not None

    # -- passwords -----------------------------------------------------------------------
    def link_user(self, token: str) -> User | None:
        """The enabled account an unexpired, unused link token belongs to (else ``None``)."""
        with self._db() as con:
            row = con.execute(
                "SELECT u.* FROM set_password s JOIN users u USING (user_id) "
                "WHERE s.token_sha256 = ? AND s.expires_at > ? AND u.disabled = 0",
                (_sha(token), _now().isoformat()),
            ).fetchone()
        return None if row is None else _user(row)

    def set_password(self, token: str, password: str) -> User | None:
        """Set the password through a one-time link (used up); ``None`` if the link is not
        valid. Raises :class:`OptionError` for a password shorter than :data:`MIN_PASSWORD`."""
        if len(password) < MIN_PASSWORD:
            raise OptionError(
                f"the password has {len(password)} characters",
                where="password",
                fix=f"use at least {MIN_PASSWORD} characters",
            )
        user = self.link_user(token)
        if user is None:
            return None
        with self._db() as con:
            con.execute(
                "UPDATE users SET password_hash = ? WHERE user_id = ?",
                (_HASHER.hash(password), user.user_id),
            )
            con.execute("DELETE FROM set_password WHERE token_sha256 = ?", (_sha(token),))
        return user

    def authenticate(self, email: str, password: str) -> User | None:
        """The enabled account whose argon2 hash matches ``password``, else ``None``."""
        with self._db() as con:
            row = con.execute(
                "SELECT * FROM users WHERE email = ? AND disabled = 0", (email.strip(),)
            ).fetchone()
        stored = row["password_hash"] if row is not None else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return _user(row) if row is not None and stored else None

    # -- secret and audit ----------------------------------------------------------------
    def secret(self) -> str:
        """The session-signing secret (made on first use)."""
        with self._db() as con:
            con.execute(
                "INSERT OR IGNORE INTO portal_meta VALUES ('session_secret', ?)",
                (secrets.token_hex(32),),
            )
            row = con.execute(
                "SELECT value FROM portal_meta WHERE key = 'session_secret'"
            ).fetchone()
        return str(row[0])

    def audit(
        self,
        event: str,
        *,
        user: User | None = None,
        email: str = "",
        detail: str = "",
        ip: str = "",
    ) -> None:
        """Append one audit record."""
        with self._db() as con:
            con.execute(
                "INSERT INTO audit VALUES (?,?,?,?,?,?)",
                (
                    _now().isoformat(timespec="seconds"),
                    user.email if user else email,
                    user.role if user else "",
                    event,
                    detail,
                    ip,
                ),
            )

    def audit_log(self, limit: int = 500) -> list[dict[str, str]]:
        """The newest ``limit`` audit records, newest first."""
        with self._db() as con:
            rows = con.execute(
                "SELECT * FROM audit ORDER BY rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [{k: str(r[k] or "") for k in r.keys()} for r in rows]  # noqa: SIM118


def _check_role(role: str, pilot: str | None) -> Role:
    if role not in ROLES:
        raise OptionError(
            f"unknown role {role!r}", where="option --role", fix=f"use one of {', '.join(ROLES)}"
        )
    if role == "pilot" and not (pilot or "").strip():
        raise OptionError(
            "a pilot account needs its pilot",
            where="option --pilot",
            fix="give the pilot's name as in its workbook, e.g. --pilot 'Savon Ote'",
        )
    if role != "pilot" and pilot:
        raise OptionError(
            f"a {role} account sees no single pilot",
            where="option --pilot",
            fix="leave out --pilot for evaluators and funders",
        )
    return role  # type: ignore[return-value]
