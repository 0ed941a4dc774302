"""Rows of the outbox: pushes that wait for a server, kept in queue order (id) per endpoint.

The head of an endpoint's queue is claimed before anything is delivered to it: the claim is a lease
row (``job_locks``, named ``:outbox:<endpoint>``), so one process at a time, on any host, delivers to
an endpoint, oldest entry first. A claim left by a killed process is taken over as a job lease is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update

from exchange.store import leases
from exchange.store.database import Store
from exchange.store.schema import outbox


class OutboxStatus(StrEnum):
    """States of an outbox entry."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # a non-retryable error; needs a person (see last_error)


@dataclass(frozen=True)
class OutboxEntry:
    """One queued push."""

    id: int
    endpoint: str
    local_path: str
    remote_name: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


def add_entries(store: Store, rows: Sequence[Mapping[str, Any]]) -> list[OutboxEntry]:
    """Insert entries (every column but ``id``) in order, in one transaction; the stored entries."""
    if not rows:
        return []
    with store.begin() as conn:
        ids = conn.execute(insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True),
                           [dict(r) for r in rows]).scalars().all()
    return [OutboxEntry(id=int(i), **row) for i, row in zip(ids, rows, strict=True)]


def has_pending(store: Store, endpoint: str) -> bool:
    """True when a push to ``endpoint`` waits."""
    with store.connect() as conn:
        return conn.execute(
            select(outbox.c.id).where(outbox.c.endpoint == endpoint,
                                      outbox.c.status == OutboxStatus.PENDING).limit(1)
        ).first() is not None


def pending_count(store: Store) -> int:
    """How many pushes wait in the outbox."""
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.status == OutboxStatus.PENDING)).scalar() or 0)


def list_entries(store: Store, *, include_delivered: bool = False) -> list[OutboxEntry]:
    """Entries in delivery order (pending and failed; delivered too if asked)."""
    query = select(outbox).order_by(outbox.c.id)
    if not include_delivered:
        query = query.where(outbox.c.status != OutboxStatus.DELIVERED)
    with store.connect() as conn:
        return [OutboxEntry(**row) for row in conn.execute(query).mappings()]


def update_entry(store: Store, entry_id: int, **values: Any) -> None:
    """Change columns of one entry."""
    with store.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == entry_id).values(**values))


def save_delivered(store: Store, entries: Iterable[OutboxEntry]) -> None:
    """Record entries as delivered (status, attempts, time), in one transaction."""
    with store.begin() as conn:
        for e in entries:
            conn.execute(update(outbox).where(outbox.c.id == e.id).values(
                status=e.status, attempts=e.attempts, delivered_at=e.delivered_at, last_error=""))


def pending_for(store: Store, endpoint: str, *, after: int = 0) -> list[OutboxEntry]:
    """The pending entries of one endpoint queued after entry ``after``, oldest first."""
    query = (select(outbox).where(outbox.c.endpoint == endpoint, outbox.c.status == OutboxStatus.PENDING,
                                  outbox.c.id > after).order_by(outbox.c.id))
    with store.connect() as conn:
        return [OutboxEntry(**row) for row in conn.execute(query).mappings()]


CLAIM_PREFIX = ":outbox:"  # job names are plain words: no job lease can be named so


def claim_name(endpoint: str) -> str:
    """The lease row that claims ``endpoint``'s queue (hashed when the URL is too long for the row)."""
    name = CLAIM_PREFIX + endpoint
    if len(name) <= 200:
        return name
    return f"{CLAIM_PREFIX}sha256:{hashlib.sha256(endpoint.encode()).hexdigest()}"


def claim_endpoint(store: Store, endpoint: str, holder: str, ttl: timedelta) -> bool:
    """Take the claim on ``endpoint``'s queue; False while another live process holds it."""
    return leases.acquire(store, claim_name(endpoint), holder, ttl)


def renew_claim(store: Store, endpoint: str, holder: str, ttl: timedelta) -> bool:
    """Extend a claim we hold (between files of a long delivery)."""
    return leases.renew(store, claim_name(endpoint), holder, ttl)


def release_claim(store: Store, endpoint: str, holder: str) -> None:
    """Give the claim on ``endpoint`` back."""
    leases.release(store, claim_name(endpoint), holder)
