"""Sessions, CSRF tokens, login rate limiting and security headers of the portal.

* The session is a cookie signed with the portal's secret (itsdangerous): ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` unless the portal serves plain HTTP on loopback, and
  valid for :data:`SESSION_SECONDS`. It holds a random nonce and, after login, the
  account id; the account is looked up on every request, and a session of a disabled
  account, or one ended by logging out (a copied cookie), is refused.
* Every visitor gets a nonce; the CSRF token of every form is an HMAC of it, so a page of
  another site cannot post a form (login included).
* Failed logins are counted per e-mail and per client address: after
  :data:`MAX_FAILURES` in :data:`WINDOW_SECONDS` further attempts are refused (HTTP 429).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "pilot_eval_session"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60

#: The portal's own pages: nothing inline, nothing from elsewhere, never in a frame.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: Rendered report files: their own inline styles and data-URI figures, no script at all.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def security_headers(csp: str = PAGE_CSP) -> dict[str, str]:
    """Headers every response carries."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


@dataclass(frozen=True)
class Session:
    """A visitor's session: a nonce for CSRF and, once logged in, the account id."""

    nonce: str
    user_id: int | None = None

    @classmethod
    def new(cls, user_id: int | None = None) -> Session:
        return cls(secrets.token_urlsafe(18), user_id)


@dataclass(frozen=True)
class Signer:
    """Signs and reads session cookies and makes and checks CSRF tokens."""

    secret: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="pilot-eval-session")

    def dump(self, session: Session) -> str:
        return self._serializer().dumps({"n": session.nonce, "u": session.user_id})

    def load(self, cookie: str | None) -> Session | None:
        """The session of a valid, unexpired cookie, else ``None``."""
        if not cookie:
            return None
        try:
            data: Any = self._serializer().loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("n"), str):
            return None
        uid = data.get("u")
        return Session(data["n"], uid if isinstance(uid, int) else None)

    def csrf(self, session: Session) -> str:
        """The CSRF token of ``session``'s forms."""
        return hmac.new(
            self.secret.encode(), f"csrf:{session.nonce}".encode(), hashlib.sha256
        ).hexdigest()

    def csrf_ok(self, session: Session, token: object) -> bool:
        """Whether ``token`` is ``session``'s CSRF token (constant-time comparison)."""
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf(session))


@dataclass
class RateLimiter:
    """Failed logins per key (e-mail, client address) in a sliding window (thread-safe)."""

    max_failures: int = MAX_FAILURES
    window: float = WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        """Whether any of ``keys`` has used up its failures."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.max_failures for k in keys)

    def fail(self, *keys: str) -> None:
        """Count one failed attempt for each of ``keys``."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        with self._lock:
            self._failures.pop(key, None)
