"""Pull and push orchestration: safe downloads with bookkeeping, and a persisted FIFO outbox."""

from exchange.sync.outbox import OutboxEntry, deliver, enqueue, list_outbox
from exchange.sync.pull import PulledFile, PullOutcome, Skipped, acknowledge, pull, pull_detailed
from exchange.sync.push import PushResult, push, push_many

__all__ = [
    "OutboxEntry",
    "PullOutcome",
    "PulledFile",
    "PushResult",
    "Skipped",
    "acknowledge",
    "deliver",
    "enqueue",
    "list_outbox",
    "pull",
    "pull_detailed",
    "push",
    "push_many",
]
