"""The ``alerts:`` section of exchange.yaml: where alerts go and when they are sent.

```yaml
alerts:
  email:                       # SMTP; the password comes from EXCHANGE_SMTP_PASSWORD or the keyring
    host: smtp.example.cz      # (service exchange:smtp:HOST, user USER), never from this file
    port: 587
    starttls: true             # default true; false only for a relay on loopback
    user: alerts@example.cz    # optional: no login without it
    from: alerts@example.cz
    to: [ops@example.cz]
    cafile: /etc/ssl/private-ca.pem   # optional: a private CA to trust
  webhook: https://hooks.example.cz/exchange   # HTTP POST of JSON
  throttle_minutes: 60         # one message per cause per this many minutes, with a digest
  outbox_minutes: 30           # an outbox entry older than this alerts
  drift_threshold: 0           # a reconcile with more drifted items than this alerts
```
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exchange.errors import ConfigError

SMTP_PASSWORD_ENV = "EXCHANGE_SMTP_PASSWORD"  # noqa: S105 (a variable name)
_EMAIL_KEYS = {"host", "port", "starttls", "user", "from", "to", "cafile"}
_KEYS = {"email", "webhook", "throttle_minutes", "outbox_minutes", "drift_threshold"}


@dataclass(frozen=True)
class EmailTarget:
    """An SMTP server and who gets the message."""

    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool = True
    user: str = ""
    cafile: Path | None = None

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The SMTP password from the environment or the OS keyring (None: no login)."""
        env = os.environ if environ is None else environ
        if env.get(SMTP_PASSWORD_ENV):
            return env[SMTP_PASSWORD_ENV]
        if not self.user:
            return None
        try:
            import keyring

            return keyring.get_password(f"exchange:smtp:{self.host}", self.user)
        except Exception:  # no keyring backend on this machine: not an error, just no password
            return None


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go and when."""

    email: EmailTarget | None = None
    webhook: str | None = None
    throttle_minutes: int = 60
    outbox_minutes: int = 30
    drift_threshold: int = 0
    quarantine: Path | None = field(default=None)  # the folder quarantined files wait in

    @property
    def enabled(self) -> bool:
        """True when there is somewhere to send to."""
        return self.email is not None or self.webhook is not None


def _int(body: Mapping[str, Any], key: str, default: int, where: str, problems: list[str]) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(f"{where}.{key}: a whole number of 0 or more, not {value!r}")
        return default
    return value


def _email(body: Any, problems: list[str]) -> EmailTarget | None:
    if not isinstance(body, dict):
        problems.append("alerts.email: a mapping with host, port, from and to")
        return None
    for key in sorted(set(body) - _EMAIL_KEYS):
        problems.append(f"alerts.email.{key}: unknown key (known: {', '.join(sorted(_EMAIL_KEYS))})")
    if "password" in body:
        problems.append("alerts.email.password: not allowed here; use EXCHANGE_SMTP_PASSWORD or the keyring")
    to = body.get("to")
    recipients = (to,) if isinstance(to, str) else tuple(str(t) for t in to or ())
    for key, value in (("host", body.get("host")), ("from", body.get("from"))):
        if not isinstance(value, str) or not value:
            problems.append(f"alerts.email.{key}: required")
    if not recipients:
        problems.append("alerts.email.to: at least one address")
    port = _int(body, "port", 587, "alerts.email", problems)
    starttls = body.get("starttls", True)
    if not isinstance(starttls, bool):
        problems.append("alerts.email.starttls: true or false")
        starttls = True
    cafile = body.get("cafile")
    return EmailTarget(host=str(body.get("host") or ""), port=port, sender=str(body.get("from") or ""),
                       to=recipients, starttls=starttls, user=str(body.get("user") or ""),
                       cafile=Path(cafile) if cafile else None)


def parse_alerts(section: Any, *, quarantine: Path | None = None) -> AlertSettings:
    """Validate an ``alerts:`` section; ConfigError lists every problem at once."""
    if section is None:
        return AlertSettings(quarantine=quarantine)
    if not isinstance(section, dict):
        raise ConfigError("alerts: a mapping (email, webhook, throttle_minutes, …)")
    problems = [f"alerts.{key}: unknown key (known: {', '.join(sorted(_KEYS))})"
                for key in sorted(set(section) - _KEYS)]
    email = _email(section["email"], problems) if "email" in section else None
    webhook = section.get("webhook")
    if webhook is not None and (not isinstance(webhook, str)
                                or not webhook.startswith(("http://", "https://"))):
        problems.append(f"alerts.webhook: an http(s) URL, not {webhook!r}")
    settings = AlertSettings(
        email=email, webhook=webhook if isinstance(webhook, str) else None,
        throttle_minutes=_int(section, "throttle_minutes", 60, "alerts", problems),
        outbox_minutes=_int(section, "outbox_minutes", 30, "alerts", problems),
        drift_threshold=_int(section, "drift_threshold", 0, "alerts", problems),
        quarantine=quarantine)
    if problems:
        raise ConfigError("invalid alerts section:\n" + "\n".join(f"  {p}" for p in problems))
    return settings


def alerts_of(config_path: Path, quarantine: Path | None = None) -> AlertSettings:
    """The ``alerts:`` section of an exchange.yaml (none configured when the file has none)."""
    if not config_path.is_file():
        return AlertSettings(quarantine=quarantine)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {config_path}: {exc}") from exc
    return parse_alerts(data.get("alerts") if isinstance(data, dict) else None, quarantine=quarantine)
