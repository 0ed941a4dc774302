"""The persisted FIFO outbox: pushes wait here while a server is down, and leave in order.

Each entry's file is copied into a spool folder when queued, so what is delivered is what was
pushed, even if the original changes meanwhile. Per endpoint, entries are delivered strictly in
the order they were queued; a retryable failure stops that endpoint's queue and schedules the
next attempt with exponential backoff (30 s doubling up to 1 h). Several processes (Celery workers)
keep that order by claiming the endpoint's queue in the store first (:func:`claimed`): one at a
time delivers to an endpoint, the others wait for the claim.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from exchange.errors import ExchangeError, TransportError
from exchange.store import Store
from exchange.store.outbox import (
    OutboxEntry,
    OutboxStatus,
    add_entries,
    claim_endpoint,
    list_entries,
    pending_for,
    release_claim,
    renew_claim,
    save_delivered,
    update_entry,
)
from exchange.store.types import utcnow
from exchange.transport import Endpoint, Transport, check_name, open_transport
from exchange.transport.endpoint import parse_endpoint

__all__ = ["Claim", "Delivery", "OutboxEntry", "OutboxStatus", "backoff", "claimed", "deliver",
           "deliver_claimed", "enqueue", "enqueue_many", "list_outbox", "mark_attempt"]

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
CLAIM_TTL = timedelta(minutes=10)  # renewed while delivering; a killed holder's claim ends with it
CLAIM_WAIT_S = 120.0  # a push waits so long for another process's delivery to the same endpoint
CLAIM_POLL_S = 0.1


@dataclass
class Claim:
    """The claim on one endpoint's queue, held by this process (see :func:`claimed`)."""

    store: Store
    endpoint: str
    holder: str

    def renew(self) -> None:
        """Extend the claim (between files of a long delivery)."""
        renew_claim(self.store, self.endpoint, self.holder, CLAIM_TTL)


@contextmanager
def claimed(store: Store, endpoint: str, wait: float = CLAIM_WAIT_S) -> Iterator[Claim | None]:
    """Hold the head of ``endpoint``'s queue for the block; None when another process kept it ``wait`` s.

    Only the holder publishes to the endpoint, so what is queued leaves oldest first even with many
    workers. The claim is a lease row in the store, released at the end of the block.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait
    while not claim_endpoint(store, endpoint, holder, CLAIM_TTL):
        if time.monotonic() >= deadline:
            yield None
            return
        time.sleep(CLAIM_POLL_S)
    try:
        yield Claim(store, endpoint, holder)
    finally:
        release_claim(store, endpoint, holder)


@dataclass
class Delivery:
    """What one delivery round did."""

    delivered: list[OutboxEntry] = field(default_factory=list)
    waiting: list[OutboxEntry] = field(default_factory=list)
    failed: list[OutboxEntry] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``."""
    delay: timedelta = BACKOFF_FIRST * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_MAX)


def enqueue(store: Store, local_file: str | os.PathLike[str], endpoint: str | Endpoint,
            remote_name: str | None = None, *,
            spool_dir: str | os.PathLike[str] = "outbox") -> OutboxEntry:
    """Copy ``local_file`` into the spool and queue it for ``endpoint``."""
    return enqueue_many(store, [(local_file, remote_name)], endpoint, spool_dir=spool_dir)[0]


def mark_attempt(store: Store, entry: OutboxEntry, error: str,
                 next_attempt_at: datetime) -> OutboxEntry:
    """Record a failed (retryable) delivery attempt of ``entry``."""
    return _set(store, entry, attempts=entry.attempts + 1, last_error=error,
                next_attempt_at=next_attempt_at)


def enqueue_many(store: Store, files: Iterable[tuple[str | os.PathLike[str], str | None]],
                 endpoint: str | Endpoint, *,
                 spool_dir: str | os.PathLike[str] = "outbox") -> list[OutboxEntry]:
    """Queue ``(local file, remote name or None)`` pairs, in order, in one transaction."""
    ep = parse_endpoint(endpoint)
    spool = Path(spool_dir)
    spool.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    rows = []
    for local_file, remote_name in files:
        src = Path(local_file)
        name = check_name(remote_name or src.name)
        if not src.is_file():
            raise ExchangeError(f"{src}: no such file to push")
        copy = spool / f"{uuid.uuid4().hex}-{name}"
        shutil.copyfile(src, copy)
        rows.append({"endpoint": ep.url, "local_path": str(copy.resolve()),
                     "remote_name": name, "status": OutboxStatus.PENDING.value, "attempts": 0,
                     "next_attempt_at": now, "last_error": "", "created_at": now,
                     "delivered_at": None})
    return add_entries(store, rows)


def list_outbox(store: Store, *, include_delivered: bool = False) -> list[OutboxEntry]:
    """Entries in delivery order (pending and failed; delivered too if asked)."""
    return list_entries(store, include_delivered=include_delivered)


def _set(store: Store, entry: OutboxEntry, **values: Any) -> OutboxEntry:
    update_entry(store, entry.id, **values)
    return replace(entry, **values)


class _Delivered:
    """Delivered entries, written to the store in groups (at most ``size`` or ``seconds`` late).

    A crash before a group is written only means those files are published once more, whole
    and in order, under the same names.
    """

    def __init__(self, store: Store, result: Delivery, size: int = 100,
                 seconds: float = 1.0, claim: Claim | None = None) -> None:
        self.store, self.result, self.size, self.seconds = store, result, size, seconds
        self.claim = claim
        self.waiting: list[OutboxEntry] = []
        self.since = time.monotonic()

    def add(self, entry: OutboxEntry) -> None:
        self.waiting.append(entry)
        if len(self.waiting) >= self.size or time.monotonic() - self.since > self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            save_delivered(self.store, self.waiting)
            for e in self.waiting:
                Path(e.local_path).unlink(missing_ok=True)
            self.result.delivered += self.waiting
            self.waiting = []
            if self.claim is not None:
                self.claim.renew()
        self.since = time.monotonic()


def deliver(store: Store, *, endpoint: str | Endpoint | None = None, force: bool = False,
            now: datetime | None = None,
            connect: Callable[[Endpoint], Transport] = open_transport,
            wait: float = 0.0) -> Delivery:
    """Deliver pending entries in order, per endpoint; ``force`` ignores the backoff.

    Each endpoint's queue is claimed first; one that another process delivers to (still so after
    ``wait`` seconds) is left to it and its entries are reported as waiting.
    """
    now = now or utcnow()
    only = parse_endpoint(endpoint).url if endpoint is not None else None
    urls = list(dict.fromkeys(e.endpoint for e in list_outbox(store)
                              if e.status == OutboxStatus.PENDING and only in (None, e.endpoint)))
    result = Delivery()
    for url in urls:
        ep = parse_endpoint(url)
        with claimed(store, url, wait) as claim:
            if claim is None:
                result.waiting += pending_for(store, url)
                continue
            _tidy(deliver_claimed(claim, ep, now=now, force=force, connect=connect), result)
    return result


def deliver_claimed(claim: Claim, ep: Endpoint, *, now: datetime | None = None, force: bool = False,
                    connect: Callable[[Endpoint], Transport] = open_transport) -> Delivery:
    """Deliver ``ep``'s queue under ``claim``, oldest first, and what is queued behind it meanwhile."""
    now = now or utcnow()
    result = Delivery()
    seen = 0
    while entries := pending_for(claim.store, ep.url, after=seen):
        seen = entries[-1].id
        _deliver_queue(claim.store, ep, entries, result, now, force, connect, claim)
        if result.waiting:
            # the head waits (server away): what was queued behind it meanwhile waits too
            result.waiting += pending_for(claim.store, ep.url, after=seen)
            break
    return result


def _tidy(part: Delivery, into: Delivery) -> None:
    into.delivered += part.delivered
    into.failed += part.failed
    into.waiting += list({e.id: e for e in part.waiting}.values())


def _deliver_queue(store: Store, ep: Endpoint, entries: list[OutboxEntry], result: Delivery,
                   now: datetime, force: bool,
                   connect: Callable[[Endpoint], Transport], claim: Claim | None = None) -> None:
    if not force and entries[0].next_attempt_at > now:
        result.waiting += entries  # FIFO: nothing overtakes the head of the queue
        return
    transport: Transport | None = None
    delivered = _Delivered(store, result, claim=claim)
    try:
        for i, entry in enumerate(entries):
            try:
                if transport is None:
                    transport = connect(ep)
                transport.publish(entry.local_path, entry.remote_name)
            except (TransportError, OSError) as exc:
                delivered.flush()
                error = exc if isinstance(exc, TransportError) else TransportError(
                    f"{entry.local_path}: {exc.strerror or exc}")
                attempts = entry.attempts + 1
                if error.retryable:
                    log.info("%s: %s waits (attempt %d): %s", ep, entry.remote_name, attempts,
                             error)
                    result.waiting.append(_set(
                        store, entry, attempts=attempts, last_error=str(error),
                        next_attempt_at=now + backoff(attempts)))
                    result.waiting += entries[i + 1:]
                    return
                result.failed.append(_set(store, entry, attempts=attempts,
                                          status=OutboxStatus.FAILED.value, last_error=str(error)))
                continue
            delivered.add(replace(entry, attempts=entry.attempts + 1,
                                  status=OutboxStatus.DELIVERED.value, delivered_at=utcnow(),
                                  last_error=""))
    finally:
        delivered.flush()
        if transport is not None:
            transport.close()
