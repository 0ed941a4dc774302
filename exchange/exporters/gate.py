"""The feed gate and feed history: a full feed that shrinks too much is held back, not published.

Platforms drop what a feed omits (Google Merchant Center deletes items missing from a full feed), so a
full feed whose item count falls by more than ``max_drop`` against the last published full feed is kept
aside. Every run is recorded in ``feed_publications``; the last *published* run's ``started_at`` is the
watermark for differential feeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select

from exchange.store.schema import feed_publications
from exchange.store.types import utcnow


class PublicationStatus(StrEnum):
    """What happened to a rendered feed."""

    PUBLISHED = "published"
    HELD = "held"


@dataclass(frozen=True)
class Publication:
    """One recorded feed run."""

    id: int
    feed: str
    status: PublicationStatus
    item_count: int
    started_at: datetime
    output: str
    full: bool


@dataclass(frozen=True)
class GateDecision:
    """Whether a feed may be published, and why not."""

    passed: bool
    previous_count: int | None
    drop_share: float
    reason: str = ""


def _publication(row: Any) -> Publication:
    report = row.report or {}
    return Publication(row.id, row.feed, PublicationStatus(row.status), row.item_count, row.started_at,
                       row.output, bool(report.get("full", True)))


def publications(conn: Connection, feed: str, *, limit: int = 20) -> list[Publication]:
    """The feed's recorded runs, newest first."""
    rows = conn.execute(select(feed_publications).where(feed_publications.c.feed == feed)
                        .order_by(feed_publications.c.id.desc()).limit(limit))
    return [_publication(r) for r in rows]


def last_published(conn: Connection, feed: str, *, full_only: bool = False) -> Publication | None:
    """The newest published run of the feed (only full ones when asked)."""
    query = (select(feed_publications)
             .where(feed_publications.c.feed == feed,
                    feed_publications.c.status == PublicationStatus.PUBLISHED.value)
             .order_by(feed_publications.c.id.desc()))
    for row in conn.execute(query):
        publication = _publication(row)
        if publication.full or not full_only:
            return publication
    return None


def check(previous: Publication | None, item_count: int, max_drop: float) -> GateDecision:
    """Pass unless the count fell by more than ``max_drop`` (a share, 0.2 = 20 %) against ``previous``."""
    if previous is None or previous.item_count <= 0:
        return GateDecision(True, previous.item_count if previous else None, 0.0)
    drop = max(0.0, (previous.item_count - item_count) / previous.item_count)
    if drop > max_drop:
        return GateDecision(
            False, previous.item_count, drop,
            f"item count fell from {previous.item_count} to {item_count} ({drop:.0%} drop, more than "
            f"the allowed {max_drop:.0%}); the last published feed stays in place — use --force to "
            f"publish anyway")
    return GateDecision(True, previous.item_count, drop)


def record(conn: Connection, feed: str, status: PublicationStatus, item_count: int,
           started_at: datetime, output: str, report: dict[str, Any]) -> int:
    """Record one run of a feed; returns its id."""
    return int(conn.execute(insert(feed_publications).values(
        feed=feed, status=status.value, item_count=item_count, started_at=started_at, output=output,
        report=report, created_at=utcnow())).inserted_primary_key[0])
