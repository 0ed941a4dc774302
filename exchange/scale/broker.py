"""The broker URL of exchange.yaml with its password from the environment or the OS keyring."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from exchange.config import Config
from exchange.errors import ConfigError

PASSWORD_ENV = "EXCHANGE_BROKER_PASSWORD"  # noqa: S105 (the name of the variable)
KEYRING_SERVICE = "exchange:broker"


def _keyring_password(user: str) -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # no keyring backend on this machine: not an error, just no secret
        return None


def broker_url(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """The AMQP URL to connect with (password filled in); ConfigError when no broker is configured."""
    if not config.broker:
        raise ConfigError(f"{config.path}: no broker: configured; add `broker: amqp://user@host:5672/vhost` "
                          "(docs/scale-out.md)")
    env = os.environ if environ is None else environ
    parts = urlsplit(config.broker)
    user = parts.username or ""
    password = env.get(PASSWORD_ENV)
    if password is None and user:
        password = _keyring_password(user)
    if password is None:
        return config.broker
    host = parts.hostname or ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def safe_url(url: str) -> str:
    """The URL as it may be shown: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def reachable(url: str, timeout: float = 3.0) -> bool:
    """True when something listens on the broker's host and port."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout).close()
    except OSError:
        return False
    return True
