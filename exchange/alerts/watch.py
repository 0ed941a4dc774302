"""The alert sweep: find what needs a person since the last alert of each cause, send, record.

Causes: a failed run, new held documents, a gate hold, an outbox entry older than N minutes, a
quarantined file, drift above a threshold. One message per cause per ``throttle_minutes``: while a
cause is throttled nothing is sent, and the next message is a digest of everything since the last one
that went out. Every alert sent, or failed, is an event (kind ``alert``) in the history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from exchange.alerts.send import post_webhook, send_email
from exchange.alerts.settings import AlertSettings
from exchange.errors import ExchangeError
from exchange.store import Store
from exchange.store.alerts import (
    ALERT_KIND,
    events_of,
    failed_runs,
    gate_holds,
    last_alert_attempt,
    last_alert_sent,
    old_outbox,
)
from exchange.store.history import record_event
from exchange.store.types import utcnow

log = logging.getLogger(__name__)
RETRY_FAILED = timedelta(minutes=10)  # a failed send is tried again after this long


class Cause(StrEnum):
    """What an alert is about."""

    RUN_FAILED = "run_failed"
    HELD = "held"
    GATE_HOLD = "gate_hold"
    OUTBOX = "outbox"
    QUARANTINE = "quarantine"
    DRIFT = "drift"


@dataclass
class Alert:
    """One message: a cause and the items it digests."""

    cause: Cause
    items: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        """The e-mail subject."""
        titles = {Cause.RUN_FAILED: "failed runs", Cause.HELD: "documents held for review",
                  Cause.GATE_HOLD: "feeds held by the gate", Cause.OUTBOX: "old outbox entries",
                  Cause.QUARANTINE: "quarantined files", Cause.DRIFT: "drift between ERP and shop"}
        return f"[exchange] {len(self.items)} {titles[self.cause]}"

    def text(self) -> str:
        """The message body: one line per item."""
        return "\n".join(f"- {item}" for item in self.items) + "\n"


def _quarantined(folder: Path | None, since: datetime) -> list[str]:
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.endswith(".error.txt") \
                and datetime.fromtimestamp(path.stat().st_mtime, UTC) > since:
            found.append(path.name)
    return found


def collect(store: Store, settings: AlertSettings, cause: Cause, since: datetime,
            now: datetime) -> list[str]:
    """The items of one cause since a moment (empty: nothing to tell)."""
    with store.connect() as conn:
        if cause is Cause.RUN_FAILED:
            return [f"{r['job']}: run {r['id']} failed at {r['finished_at']:%Y-%m-%d %H:%M} UTC"
                    + (f" ({(r['summary'] or {}).get('message')})"
                       if (r["summary"] or {}).get("message") else "") for r in failed_runs(conn, since)]
        if cause is Cause.HELD:
            return [f"{e['document']}: {e['message']}" for e in events_of(conn, "held", since)]
        if cause is Cause.GATE_HOLD:
            return [f"{p['feed']} → {p['destination'] or 'file'}: {p['item_count']} items held"
                    for p in gate_holds(conn, since)]
        if cause is Cause.OUTBOX:
            before = now - timedelta(minutes=settings.outbox_minutes)
            return [f"{o['remote_name']} → {o['endpoint']} waiting since {o['created_at']:%Y-%m-%d %H:%M}"
                    f" UTC, {o['attempts']} attempts: {o['last_error']}" for o in old_outbox(conn, before)]
        if cause is Cause.DRIFT:
            found = []
            for e in events_of(conn, "reconciled", since):
                counts = e["details"] or {}
                total = sum(int(v) for v in counts.values() if isinstance(v, int))
                if total > settings.drift_threshold:
                    found.append(f"{e['document']}: {e['message']}")
            return found
    return _quarantined(settings.quarantine, since)


def _deliver(settings: AlertSettings, alert: Alert) -> list[str]:
    """Send to every target; the errors of those that failed."""
    errors = []
    if settings.email is not None:
        try:
            send_email(settings.email, alert.subject, alert.text())
        except ExchangeError as exc:
            errors.append(str(exc))
    if settings.webhook is not None:
        try:
            post_webhook(settings.webhook, {"cause": alert.cause.value, "subject": alert.subject,
                                            "items": alert.items})
        except ExchangeError as exc:
            errors.append(str(exc))
    return errors


def sweep(store: Store, settings: AlertSettings, now: datetime | None = None) -> list[Alert]:
    """Send what is due; returns the alerts that were attempted (sent or failed)."""
    if not settings.enabled:
        return []
    now = now or utcnow()
    window = timedelta(minutes=settings.throttle_minutes)
    attempted = []
    for cause in Cause:
        with store.connect() as conn:
            last = last_alert_sent(conn, cause.value)
            tried = last_alert_attempt(conn, cause.value)
        if last is not None and now - last < window:
            continue  # throttled: the next message digests everything since ``last``
        if tried is not None and tried != last and now - tried < min(window, RETRY_FAILED):
            continue  # the last try failed: retry later, not on every sweep
        since = last or now - window
        items = collect(store, settings, cause, since, now)
        if not items:
            continue
        alert = Alert(cause, items)
        errors = _deliver(settings, alert)
        details: dict[str, Any] = {"cause": cause.value, "items": items[:50], "count": len(items),
                                   "email": bool(settings.email), "webhook": bool(settings.webhook)}
        if errors:
            details["errors"] = errors
            log.error("alert %s could not be sent: %s", cause.value, "; ".join(errors))
        with store.begin() as conn:
            record_event(conn, kind=ALERT_KIND, level="error" if errors else "info",
                         document=f"alert:{cause.value}", message=(
                             f"not sent: {'; '.join(errors)}" if errors else f"sent: {alert.subject}"),
                         details=details)
        attempted.append(alert)
    return attempted
