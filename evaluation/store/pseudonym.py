"""Pseudonymisation of person identifiers with a keyed hash (HMAC-SHA256).

The key comes from, in order: the ``key_file`` argument (``--key-file``), the environment
variable :data:`KEY_ENV` (``PILOT_EVAL_PSEUDONYM_KEY``), the file named by
:data:`KEY_FILE_ENV`, or -- only when ``allow_store_key`` is true (the demo and a first,
key-less ``submit``) -- a random per-store key kept in a file *beside* the store
(``<store>.pseudonym-key``, mode 0600), created on first use with a notice. The key is
never written into the database. Without a key the same id always maps to the same
pseudonym within one store, and never across stores with different keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import OptionError

KEY_ENV = "PILOT_EVAL_PSEUDONYM_KEY"
KEY_FILE_ENV = "PILOT_EVAL_PSEUDONYM_KEY_FILE"
#: Bytes of the random per-store key.
_KEY_BYTES = 32
#: Hex characters kept of the HMAC (128 bits: collisions are negligible).
_HEX_CHARS = 32


@dataclass(frozen=True)
class Pseudonymiser:
    """Maps identifiers to ``"PS" + HMAC-SHA256(key, id)`` (first 128 bits, hex).

    Attributes
    ----------
    origin:
        Where the key came from (for notices; never the key itself).
    created:
        Whether a new per-store key file was created now.
    """

    key: bytes
    origin: str
    created: bool = False

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(origin={self.origin!r})"

    def one(self, value: str) -> str:
        """The pseudonym of one identifier."""
        digest = hmac.new(self.key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()
        return "PS" + digest[:_HEX_CHARS]

    def column(self, values: pd.Series) -> pd.Series:
        """Pseudonymise a column (missing values stay missing)."""
        cache: dict[str, str] = {}
        out = [
            None
            if v is None or (isinstance(v, float) and v != v) or v is pd.NA
            else cache.setdefault(str(v), self.one(str(v)))
            for v in values.astype(object)
        ]
        return pd.Series(out, index=values.index, dtype="string", name=values.name)


def _read_key(path: Path, *, where: str) -> bytes:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise OptionError(
            f"cannot read the pseudonymisation key file {path}: {exc.strerror}",
            where=where,
            fix="give a readable file holding the key",
        ) from exc
    if len(text) < 16:
        raise OptionError(
            f"the pseudonymisation key in {path} is shorter than 16 characters",
            where=where,
            fix="use a long random key, e.g. `openssl rand -hex 32`",
        )
    return text.encode("utf-8")


def store_key_path(store: Path) -> Path:
    """Where the per-store key of ``store`` lives (beside it, never inside it)."""
    return store.with_name(store.name + ".pseudonym-key")


def load_pseudonymiser(
    *, key_file: Path | None = None, store: Path | None = None, allow_store_key: bool = True
) -> Pseudonymiser:
    """Find the key (see the module docstring) and return a :class:`Pseudonymiser`.

    Raises
    ------
    OptionError
        If no key is set and a per-store key is not allowed, or a key file is unreadable.
    """
    if key_file is not None:
        return Pseudonymiser(_read_key(key_file, where="option --key-file"), f"file {key_file}")
    env = os.environ.get(KEY_ENV, "")
    if env:
        if len(env) < 16:
            raise OptionError(
                f"{KEY_ENV} is shorter than 16 characters",
                where=f"environment variable {KEY_ENV}",
                fix="use a long random key, e.g. `openssl rand -hex 32`",
            )
        return Pseudonymiser(env.encode("utf-8"), f"environment variable {KEY_ENV}")
    env_file = os.environ.get(KEY_FILE_ENV, "")
    if env_file:
        return Pseudonymiser(
            _read_key(Path(env_file), where=f"environment variable {KEY_FILE_ENV}"),
            f"file {env_file}",
        )
    if store is None or not allow_store_key:
        raise OptionError(
            "no pseudonymisation key is set",
            where=f"environment variable {KEY_ENV}",
            fix=f"set {KEY_ENV} to a long random secret (e.g. `export {KEY_ENV}=$(openssl rand "
            "-hex 32)`) or pass --key-file FILE",
        )
    path = store_key_path(store)
    if path.exists():
        return Pseudonymiser(_read_key(path, where=str(path)), f"store key file {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it just now
        return Pseudonymiser(_read_key(path, where=str(path)), f"store key file {path}")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return Pseudonymiser(key.encode("utf-8"), f"store key file {path}", created=True)


def pseudonymise(
    frame: pd.DataFrame, pseudonymiser: Pseudonymiser, *, columns: tuple[str, ...] = ("person_id",)
) -> pd.DataFrame:
    """A copy of ``frame`` (e.g. register spells) with ``columns`` replaced by pseudonyms.

    Raises
    ------
    OptionError
        If a column is missing.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise OptionError(
            f"column(s) {', '.join(map(repr, missing))} to pseudonymise are missing",
            where="pseudonymise(columns=...)",
            fix=f"name existing columns; the data has {', '.join(map(str, frame.columns))}",
        )
    out = frame.copy()
    for c in columns:
        out[c] = pseudonymiser.column(frame[c])
    return out
