"""Job leases, so one job never runs twice at once, even across processes (rows kept by store.leases)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from exchange.errors import LockHeldError
from exchange.store import Store, leases
from exchange.store.leases import LockInfo, force_unlock, holder_gone, lock_info

__all__ = ["DEFAULT_TTL", "JobLease", "LockInfo", "acquire", "force_unlock", "holder_gone",
           "lock_info", "new_holder_id", "refusal", "release", "renew"]

DEFAULT_TTL = timedelta(minutes=10)


def new_holder_id() -> str:
    """An id naming this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(store: Store, job: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Take the lease on ``job``; False when another live holder has it."""
    return leases.acquire(store, job, holder, ttl)


def renew(store: Store, job: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Extend a lease we hold; False when we lost it."""
    return leases.renew(store, job, holder, ttl)


def release(store: Store, job: str, holder: str) -> None:
    """Give a lease back."""
    leases.release(store, job, holder)


def refusal(job: str, held: LockInfo | None) -> str:
    """Why a job cannot be run now, and how to clear a lease its holder left behind."""
    if held is None:
        return f"job {job!r} is already running"
    return (f"job {job!r} is already running by {held.holder} until "
            f"{held.expires_at:%Y-%m-%d %H:%M:%S} UTC; if that process is gone (on another host), "
            f"clear its lease with `exchange unlock {job}`")


class JobLease:
    """Context manager holding a job's lease for a block; raises LockHeldError when taken."""

    def __init__(self, store: Store, job: str, *, holder: str | None = None,
                 ttl: timedelta = DEFAULT_TTL) -> None:
        self.store, self.job, self.ttl = store, job, ttl
        self.holder = holder or new_holder_id()
        self.took_over: LockInfo | None = None  # the dead holder's lease we took, if any

    def __enter__(self) -> JobLease:
        before = lock_info(self.store, self.job)
        if not acquire(self.store, self.job, self.holder, self.ttl):
            raise LockHeldError(refusal(self.job, lock_info(self.store, self.job)))
        if before is not None and before.holder != self.holder:
            self.took_over = before
        return self

    def renew(self) -> bool:
        """Extend the lease (call between files of a long run)."""
        return renew(self.store, self.job, self.holder, self.ttl)

    def __exit__(self, *exc: object) -> None:
        release(self.store, self.job, self.holder)
