"""Run and event history: every run and every document's outcome is an event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from exchange.store.bulk import Bulk
from exchange.store.schema import events, runs
from exchange.store.types import utcnow


def start_run(conn: Connection, job: str, *, at: datetime | None = None, holder: str = "") -> int:
    """Open a run for ``job`` (now, unless ``at`` says when) by its lease ``holder``; returns its id."""
    key = conn.execute(insert(runs).values(job=job, started_at=at or utcnow(), status="running",
                                           holder=holder))
    return int(key.inserted_primary_key[0])  # type: ignore[index]


def finish_run(conn: Connection, run_id: int, status: str,
               summary: dict[str, Any] | None = None, *, at: datetime | None = None) -> None:
    """Close a run with its result (ok, warning, failed) and a summary (now, unless ``at``)."""
    conn.execute(update(runs).where(runs.c.id == run_id).values(
        finished_at=at or utcnow(), status=status, summary=summary))


def record_event(conn: Connection, *, kind: str, message: str = "", level: str = "info",
                 job: str = "", run_id: int | None = None, document: str = "",
                 details: dict[str, Any] | None = None) -> None:
    """Append one event to the history (its document and message cut to what the store keeps)."""
    conn.execute(insert(events).values(
        run_id=run_id, job=job, at=utcnow(), level=level, kind=kind,
        document=_cut(document, DOCUMENT_LIMIT), message=_cut(message, MESSAGE_LIMIT),
        details=details))


EVENT_COLUMNS = ("run_id", "job", "at", "level", "kind", "document", "message", "details")
# An event names a document of any length (an over-long id is the very thing it reports) and its
# message quotes values: both are cut, so that recording a failure can never fail itself.
DOCUMENT_LIMIT = int(getattr(events.c.document.type, "length", None) or 300)
MESSAGE_LIMIT = 4000
_DOCUMENT, _MESSAGE = EVENT_COLUMNS.index("document"), EVENT_COLUMNS.index("message")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def record_events(conn: Connection, bulk: Bulk, rows: Sequence[Sequence[Any]]) -> None:
    """Append many events with one statement; rows in ``EVENT_COLUMNS`` order, converted by ``bulk``."""
    fitted = [row if len(row[_DOCUMENT]) <= DOCUMENT_LIMIT and len(row[_MESSAGE]) <= MESSAGE_LIMIT
              else (*row[:_DOCUMENT], _cut(row[_DOCUMENT], DOCUMENT_LIMIT),
                    _cut(row[_MESSAGE], MESSAGE_LIMIT), *row[_MESSAGE + 1:])
              for row in rows]
    bulk.insert(conn, events, EVENT_COLUMNS, fitted)


def list_events(conn: Connection, *, job: str | None = None, since: datetime | None = None,
                failed_only: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    """Events newest first, filtered by job, time and level."""
    query = select(events).order_by(events.c.at.desc(), events.c.id.desc()).limit(limit)
    if job:
        query = query.where(events.c.job == job)
    if since:
        query = query.where(events.c.at >= since)
    if failed_only:
        query = query.where(events.c.level == "error")
    return [dict(r._mapping) for r in conn.execute(query)]


def last_run(conn: Connection, job: str, *, finished: bool = False) -> dict[str, Any] | None:
    """The newest run of ``job``; with ``finished``, the newest one that has ended."""
    query = select(runs).where(runs.c.job == job)
    if finished:
        query = query.where(runs.c.finished_at.is_not(None))
    row = conn.execute(query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None
