"""What the console runs with: the store, the optional exchange.yaml, the address, and its secret."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from exchange.config import Config
from exchange.store import Store

SECRET_ENV = "EXCHANGE_WEB_SECRET"  # noqa: S105 (a variable name) — signs session cookies; else the keyring, else a random one
KEYRING_SERVICE = "exchange:web"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def session_secret(environ: dict[str, str] | None = None) -> str:
    """The cookie-signing secret: environment, OS keyring, or a fresh one (sessions end on restart)."""
    env = os.environ if environ is None else environ
    found = env.get(SECRET_ENV)
    if found:
        return found
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, "session-secret")
    except Exception:  # no keyring backend on this machine: not an error, just no stored secret
        stored = None
    return stored or secrets.token_urlsafe(32)


@dataclass
class WebSettings:
    """The console's settings; ``host`` decides whether a login is required without users."""

    store: Store
    config: Config | None = None
    host: str = "127.0.0.1"
    behind_tls: bool = False  # cookies get Secure; set when a TLS proxy fronts the console
    secret: str = field(default_factory=session_secret, repr=False)
    quarantine: Path = Path("quarantine")
    login_attempts: int = 5  # failed logins per client and window before it is refused
    login_window_s: int = 900

    @property
    def loopback(self) -> bool:
        """Bound to loopback only."""
        return is_loopback(self.host)
