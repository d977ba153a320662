"""Pseudonymisation of person ids with a chain of secret keys (HMAC-SHA-256, full length).

A key file holds one key per line (64 hex characters from ``pilot-eval store keygen``;
blank lines and ``#`` comments are ignored). With keys ``k1, ..., kn`` the pseudonym of a
person id is ``"PS" + d`` where ``d1 = HMAC(k1, id)`` and ``di = HMAC(ki, d(i-1))`` as hex:
``pilot-eval store rekey`` appends a key and re-pseudonymises a store by one more HMAC
step of every stored pseudonym, so it never needs the raw ids (which the store never has).
A key file that leaked before a rekey is useless against the rekeyed store.

The key comes from, in order, the ``key_file`` argument (``--key-file``), the environment
variable :data:`KEY_ENV` (keys separated by commas) or the file named by
:data:`KEY_FILE_ENV`. There is no default key: a key beside the store would let whoever
copies the store folder reverse it. A key file must be readable by its owner only and lie
outside the store's folder. The key is never written anywhere by the store; the store
keeps only its :attr:`Pseudonymiser.fingerprint`, so another key is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import OptionError
from evaluation.privacy import normalise_person_id

KEY_ENV = "PILOT_EVAL_PSEUDONYM_KEY"
KEY_FILE_ENV = "PILOT_EVAL_PSEUDONYM_KEY_FILE"
#: Random bytes of a key made by :func:`generate_key_file` (written as 64 hex characters).
KEY_BYTES = 32
#: Shortest key accepted (characters): 128 bits as hex.
MIN_KEY_CHARS = 32
#: Permission bits a key file may not have: any access by group or others.
FORBIDDEN_KEY_MODE = 0o077
#: What the fingerprint is a keyed hash of.
_FINGERPRINT_LABEL = b"pilot-eval key fingerprint v2"
_KEYGEN_HINT = (
    "make one with `pilot-eval store keygen keys/pilot-eval.key` (a folder outside the "
    "store's) and pass --key-file keys/pilot-eval.key"
)


def chain_digest(keys: Iterable[bytes], data: bytes) -> str:
    """``data`` hashed through every key in turn (HMAC-SHA-256, 64 hex characters)."""
    digest: bytes | None = None
    for key in keys:
        digest = hmac.new(key, data if digest is None else digest, hashlib.sha256).digest()
        data = digest.hex().encode("ascii")
        digest = data
    if digest is None:
        raise ValueError("a key chain needs at least one key")
    return digest.decode("ascii")


@dataclass(frozen=True)
class Pseudonymiser:
    """Maps person ids to ``"PS" + 64 hex`` with a key chain (see the module docstring).

    Attributes
    ----------
    keys:
        The key chain, oldest first (never shown).
    origin:
        Where the keys came from (for notices; never the keys themselves).
    """

    keys: tuple[bytes, ...]
    origin: str

    def __repr__(self) -> str:  # never show the keys
        return f"Pseudonymiser(origin={self.origin!r}, keys={len(self.keys)})"

    def one(self, value: str) -> str:
        """The pseudonym of one id (compared as :func:`normalise_person_id` makes it)."""
        return "PS" + chain_digest(self.keys, normalise_person_id(value).encode("utf-8"))

    def digest(self, data: bytes) -> str:
        """A keyed hash of ``data`` (the store's idempotency key of a submitted file)."""
        return chain_digest(self.keys, data)

    @property
    def fingerprint(self) -> str:
        """A keyed hash of a fixed label: tells keys apart without revealing them."""
        return chain_digest(self.keys, _FINGERPRINT_LABEL)[:32]

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


def _parse_keys(text: str, *, where: str) -> tuple[bytes, ...]:
    lines = [ln.strip() for ln in text.replace(",", "\n").splitlines()]
    keys = [ln for ln in lines if ln and not ln.startswith("#")]
    if not keys:
        raise OptionError("the pseudonymisation key is empty", where=where, fix=_KEYGEN_HINT)
    short = [n for n, k in enumerate(keys, start=1) if len(k) < MIN_KEY_CHARS]
    if short:
        raise OptionError(
            f"key {short[0]} of the pseudonymisation key chain is shorter than "
            f"{MIN_KEY_CHARS} characters",
            where=where,
            fix=_KEYGEN_HINT,
        )
    return tuple(k.encode("utf-8") for k in keys)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def read_key_file(path: Path, *, where: str, store: Path | None = None) -> tuple[bytes, ...]:
    """The key chain in ``path``, after checking where it lies and who may read it.

    Raises
    ------
    OptionError
        If the file is missing, unreadable, readable by group or others, inside the store's
        folder, or holds no key of at least :data:`MIN_KEY_CHARS` characters.
    """
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise OptionError(
            f"cannot read the pseudonymisation key file {path}: {reason}",
            where=where,
            fix=_KEYGEN_HINT,
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise OptionError(f"{path} is not a file", where=where, fix=_KEYGEN_HINT)
    if info.st_mode & FORBIDDEN_KEY_MODE:
        raise OptionError(
            f"the key file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):o})",
            where=where,
            fix=f"run `chmod 600 {path}` (only its owner may read a key)",
        )
    if store is not None and _inside(path, store.parent):
        raise OptionError(
            f"the key file {path} lies inside the store's folder {store.parent}",
            where=where,
            fix="keep the key in another folder (e.g. keys/ beside the store's folder): "
            "whoever copies the store folder would otherwise hold the key too",
        )
    return _parse_keys(text, where=f"{where} ({path})")


def load_pseudonymiser(*, key_file: Path | None = None, store: Path | None = None) -> Pseudonymiser:
    """The key chain from ``key_file``, :data:`KEY_ENV` or :data:`KEY_FILE_ENV`, in order.

    Raises
    ------
    OptionError
        If no key is set, or the key file fails :func:`read_key_file`.
    """
    if key_file is not None:
        keys = read_key_file(key_file, where="option --key-file", store=store)
        return Pseudonymiser(keys, f"file {key_file}")
    env = os.environ.get(KEY_ENV, "")
    if env:
        return Pseudonymiser(
            _parse_keys(env, where=f"environment variable {KEY_ENV}"),
            f"environment variable {KEY_ENV}",
        )
    env_file = os.environ.get(KEY_FILE_ENV, "")
    if env_file:
        where = f"environment variable {KEY_FILE_ENV}"
        return Pseudonymiser(read_key_file(Path(env_file), where=where, store=store), env_file)
    raise OptionError(
        "no pseudonymisation key is set",
        where="option --key-file",
        fix=f"{_KEYGEN_HINT}, or set {KEY_FILE_ENV} to that file",
    )


def generate_key_file(path: str | Path) -> Path:
    """Write a new random key (64 hex characters) to ``path`` with mode 0600.

    Raises
    ------
    OptionError
        If ``path`` exists (a key is never overwritten) or cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise OptionError(
            f"{path} already exists; a key file is never overwritten",
            where="argument FILE",
            fix="choose a new file name (to replace a store's key, use `pilot-eval store rekey`)",
        ) from None
    except OSError as exc:
        raise OptionError(
            f"cannot write {path}: {exc.strerror}",
            where="argument FILE",
            fix="choose a writable folder",
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


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
