"""Logins (argon2 hashes in the store), sessions, CSRF tokens, and the rate limit on failed logins."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from exchange.store import Store
from exchange.store.reviews import add_user, password_hash_of, set_password_hash, user_names

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# verified against when the user is unknown, so that a wrong name takes as long as a wrong password
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))

LOCAL_USER = "local"  # who decides when the console is on loopback without users
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def create_user(store: Store, name: str, password: str) -> bool:
    """Add a console user with an argon2 hash of the password; False when the name is taken."""
    with store.begin() as conn:
        return add_user(conn, name, hash_password(password))


def verify_user(store: Store, name: str, password: str) -> bool:
    """True when the password is the user's; an outdated hash is replaced on success."""
    with store.connect() as conn:
        stored = password_hash_of(conn, name)
    try:
        _hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _hasher.check_needs_rehash(stored):
        with store.begin() as conn:
            set_password_hash(conn, name, hash_password(password))
    return True


def has_users(store: Store) -> bool:
    """True when at least one console user exists."""
    with store.connect() as conn:
        return bool(user_names(conn))


class LoginLimiter:
    """At most ``attempts`` failed logins per client in a sliding window; then refuse for a while."""

    def __init__(self, attempts: int, window_s: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.attempts, self.window_s, self.clock = attempts, window_s, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        found = self._failures.setdefault(client, deque())
        cutoff = self.clock() - self.window_s
        while found and found[0] < cutoff:
            found.popleft()
        return found

    def blocked(self, client: str) -> bool:
        """True when the client has used up its failed attempts."""
        return len(self._recent(client)) >= self.attempts

    def failed(self, client: str) -> None:
        """Count one failed login."""
        self._recent(client).append(self.clock())

    def succeeded(self, client: str) -> None:
        """A good login clears the count."""
        self._failures.pop(client, None)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CsrfRefused(Exception):
    """A form POST without the session's CSRF token."""


Handler = Callable[[Request, FormData], Awaitable[Response]]


def form_post(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a POST endpoint: read its form and refuse it (403) unless it carries the CSRF token."""

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        given = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
        expected = request.session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(given, expected):
            log.warning("console: form POST to %s refused: missing or wrong CSRF token",
                        request.url.path)
            raise CsrfRefused
        return await handler(request, form)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    endpoint.csrf_protected = True  # type: ignore[attr-defined]
    return endpoint


def current_user(request: Request) -> str | None:
    """The logged-in user, LOCAL_USER when no login is needed, None when one is needed."""
    user = request.session.get("user")
    if isinstance(user, str):
        return user
    if not request.app.state.login_required():
        return LOCAL_USER
    return None


OPEN_PATHS = ("/login", "/static/")


class LoginRequired:
    """ASGI middleware: pages need a logged-in user when the console requires logins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if current_user(request) is None:
            response: Response
            if request.url.path.endswith(".json"):
                response = Response('{"error": "login required"}', status_code=401,
                                    media_type="application/json")
            else:
                response = Response(status_code=303, headers={"location": "/login"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_of(request: Request) -> str:
    """The client's address (for the login rate limit and the log)."""
    return request.client.host if request.client else "unknown"


def session_user(request: Request, name: str) -> None:
    """Start a logged-in session (a fresh session: the old CSRF token is dropped)."""
    request.session.clear()
    request.session["user"] = name


def details(request: Request) -> dict[str, Any]:
    """What the log says about a request."""
    return {"client": client_of(request), "path": request.url.path}
