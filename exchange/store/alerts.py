"""What alerts read from the store: failed runs, new holds, gate holds, old outbox entries, drift."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, desc, select

from exchange.store.schema import events, feed_publications, outbox, runs

ALERT_KIND = "alert"  # the event kind of every alert sent or failed
LIMIT = 200  # a digest lists at most this many items


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def last_alert_sent(conn: Connection, cause: str) -> datetime | None:
    """When the last alert for ``cause`` went out (a failed send does not count)."""
    found = conn.execute(select(events.c.at).where(
        events.c.kind == ALERT_KIND, events.c.document == f"alert:{cause}", events.c.level == "info")
        .order_by(desc(events.c.at)).limit(1)).scalar()
    return found if isinstance(found, datetime) else None


def last_alert_attempt(conn: Connection, cause: str) -> datetime | None:
    """When an alert for ``cause`` was last tried, sent or not."""
    found = conn.execute(select(events.c.at).where(
        events.c.kind == ALERT_KIND, events.c.document == f"alert:{cause}")
        .order_by(desc(events.c.at)).limit(1)).scalar()
    return found if isinstance(found, datetime) else None


def failed_runs(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Runs that ended as failed after ``since``, newest first."""
    return _rows(conn, select(runs).where(runs.c.status == "failed", runs.c.finished_at > since)
                 .order_by(desc(runs.c.finished_at)).limit(LIMIT))


def events_of(conn: Connection, kind: str, since: datetime) -> list[dict[str, Any]]:
    """Events of one kind after ``since``, newest first (held documents, quarantined files, drift)."""
    return _rows(conn, select(events).where(events.c.kind == kind, events.c.at > since)
                 .order_by(desc(events.c.at)).limit(LIMIT))


def gate_holds(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Feeds the gate held back after ``since``."""
    fp = feed_publications
    return _rows(conn, select(fp).where(fp.c.status == "held", fp.c.created_at > since)
                 .order_by(desc(fp.c.id)).limit(LIMIT))


def old_outbox(conn: Connection, created_before: datetime) -> list[dict[str, Any]]:
    """Pushes still pending that were queued before a moment."""
    return _rows(conn, select(outbox.c.id, outbox.c.endpoint, outbox.c.remote_name, outbox.c.attempts,
                              outbox.c.last_error, outbox.c.created_at)
                 .where(outbox.c.status == "pending", outbox.c.created_at < created_before)
                 .order_by(outbox.c.id).limit(LIMIT))
