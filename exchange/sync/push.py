"""Push: queue a file in the outbox and deliver it (and whatever waits before it) now."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from exchange.store import Store
from exchange.sync.outbox import OutboxEntry, OutboxStatus, deliver, enqueue, enqueue_many
from exchange.transport import Endpoint, Transport, open_transport


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
    entry = enqueue(store, local_file, endpoint, remote_name, spool_dir=spool_dir)
    result = deliver(store, endpoint=entry.endpoint, force=True, connect=connect)
    for done in (*result.delivered, *result.failed, *result.waiting):
        if done.id == entry.id:
            return PushResult(done)
    return PushResult(entry)  # pragma: no cover - deliver() reports every entry it saw


def push_many(local_files: list[str | os.PathLike[str]], endpoint: str | Endpoint, store: Store,
              *, spool_dir: str | os.PathLike[str] = "outbox",
              connect: Callable[[Endpoint], Transport] = open_transport) -> list[PushResult]:
    """Queue several files in order and deliver them over one connection."""
    entries = enqueue_many(store, [(f, None) for f in local_files], endpoint, spool_dir=spool_dir)
    if not entries:
        return []
    result = deliver(store, endpoint=entries[0].endpoint, force=True, connect=connect)
    by_id = {e.id: e for e in (*result.delivered, *result.failed, *result.waiting)}
    return [PushResult(by_id.get(e.id, e)) for e in entries]
