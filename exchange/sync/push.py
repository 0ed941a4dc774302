"""Push: publish files atomically, in order; what cannot be delivered now waits in the outbox.

When nothing waits for the endpoint, files are published straight from where they are (no spool
copy) and recorded as delivered. From the first retryable failure on, the file and every later
one are copied into the spool and queued, so the order holds when the server is back. All of it
happens under the claim on the endpoint's queue, so pushes from several workers to one endpoint
leave one after another, oldest first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from exchange.errors import ExchangeError, TransportError
from exchange.store import Store
from exchange.store.outbox import add_entries, has_pending
from exchange.store.types import utcnow
from exchange.sync.outbox import (
    Claim,
    Delivery,
    OutboxEntry,
    OutboxStatus,
    backoff,
    claimed,
    deliver,
    deliver_claimed,
    enqueue_many,
    mark_attempt,
)
from exchange.transport import Endpoint, Transport, check_name, open_transport
from exchange.transport.endpoint import parse_endpoint

#: Delivered rows are written to the store in groups of this size.
RECORD_BATCH = 100


@dataclass(frozen=True)
class PushResult:
    """The pushed entry as it stands after the delivery attempt."""

    entry: OutboxEntry

    @property
    def delivered(self) -> bool:
        """True once the file is published under its final name."""
        return self.entry.status == OutboxStatus.DELIVERED

    @property
    def waiting(self) -> bool:
        """True when it waits in the outbox for the server to come back."""
        return self.entry.status == OutboxStatus.PENDING


def push(local_file: str | os.PathLike[str], endpoint: str | Endpoint, store: Store, *,
         remote_name: str | None = None, spool_dir: str | os.PathLike[str] = "outbox",
         connect: Callable[[Endpoint], Transport] = open_transport) -> PushResult:
    """Publish ``local_file`` atomically at ``endpoint``, in order after any earlier waiting push.

    When the server cannot be reached the file waits in the outbox (see ``exchange outbox``).
    """
    return _push([(local_file, remote_name)], endpoint, store, spool_dir, connect)[0]


def push_many(local_files: Sequence[str | os.PathLike[str]], endpoint: str | Endpoint,
              store: Store, *, spool_dir: str | os.PathLike[str] = "outbox",
              connect: Callable[[Endpoint], Transport] = open_transport) -> list[PushResult]:
    """Publish several files in order over one connection (see :func:`push`)."""
    return _push([(f, None) for f in local_files], endpoint, store, spool_dir, connect)


def _record(store: Store, rows: list[dict[str, object]], results: list[PushResult],
            claim: Claim) -> None:
    if not rows:
        return
    results += [PushResult(e) for e in add_entries(store, rows)]
    rows.clear()
    claim.renew()


def _push(files: list[tuple[str | os.PathLike[str], str | None]], endpoint: str | Endpoint,
          store: Store, spool_dir: str | os.PathLike[str],
          connect: Callable[[Endpoint], Transport]) -> list[PushResult]:
    ep = parse_endpoint(endpoint)
    pairs = []
    for f, name in files:
        path = Path(f)
        if not path.is_file():
            raise ExchangeError(f"{path}: no such file to push")
        pairs.append((path, check_name(name or path.name)))
    with claimed(store, ep.url) as claim:
        if claim is None:
            # Another process has delivered to this endpoint for long: queue behind it. It reads
            # the queue again before it lets go; if it let go meanwhile, deliver now.
            entries = enqueue_many(store, pairs, ep, spool_dir=spool_dir)
            return _queued(entries, deliver(store, endpoint=ep.url, force=True, connect=connect))
        if has_pending(store, ep.url):
            # Earlier pushes wait: queue behind them, then deliver the whole queue in order.
            entries = enqueue_many(store, pairs, ep, spool_dir=spool_dir)
            return _queued(entries, deliver_claimed(claim, ep, force=True, connect=connect))
        return _publish(pairs, ep, store, spool_dir, connect, claim)


def _queued(entries: list[OutboxEntry], result: Delivery) -> list[PushResult]:
    by_id = {e.id: e for e in (*result.delivered, *result.failed, *result.waiting)}
    return [PushResult(by_id.get(e.id, e)) for e in entries]


def _publish(pairs: list[tuple[Path, str]], ep: Endpoint, store: Store,
             spool_dir: str | os.PathLike[str], connect: Callable[[Endpoint], Transport],
             claim: Claim) -> list[PushResult]:
    """Nothing waits for the endpoint: publish straight from where the files are."""
    results: list[PushResult] = []
    rows: list[dict[str, object]] = []
    transport: Transport | None = None
    url = ep.url
    try:
        start = 0
        while start < len(pairs):
            i = 0  # index, relative to start, of the file being published
            now = utcnow()
            try:
                if transport is None:
                    transport = connect(ep)
                for i in transport.publish_many(pairs[start:]):
                    path, name = pairs[start + i]
                    now = utcnow()
                    rows.append({
                        "endpoint": url, "local_path": str(path.absolute()),
                        "remote_name": name, "status": OutboxStatus.DELIVERED.value,
                        "attempts": 1, "next_attempt_at": now, "last_error": "",
                        "created_at": now, "delivered_at": now})
                    if len(rows) >= RECORD_BATCH:
                        _record(store, rows, results, claim)
                    i += 1
                start = len(pairs)
            except TransportError as exc:
                failed = start + i
                if exc.retryable:
                    # The server is away: this file and all later ones wait, in order.
                    _record(store, rows, results, claim)
                    entries = enqueue_many(store, pairs[failed:], ep, spool_dir=spool_dir)
                    head = mark_attempt(store, entries[0], str(exc), now + backoff(1))
                    results += [PushResult(head)] + [PushResult(e) for e in entries[1:]]
                    return results
                path, name = pairs[failed]
                rows.append({
                    "endpoint": ep.url, "local_path": str(path.resolve()), "remote_name": name,
                    "status": OutboxStatus.FAILED.value, "attempts": 1, "next_attempt_at": now,
                    "last_error": str(exc), "created_at": now, "delivered_at": None})
                start = failed + 1
    finally:
        _record(store, rows, results, claim)
        if transport is not None:
            transport.close()
    return results
