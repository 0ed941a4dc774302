"""Job leases kept in the store, so one job never runs twice at once, even across processes.

A lease is a row in ``job_locks`` with an expiry. Taking it is one conditional statement (insert, or
update a row whose lease has expired), so two runners on one database cannot both win; a lease left by
a killed process simply expires; ``release`` and ``force_unlock`` delete it.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.errors import LockHeldError
from exchange.store import Store
from exchange.store.schema import job_locks
from exchange.store.types import utcnow

DEFAULT_TTL = timedelta(minutes=10)


def new_holder_id() -> str:
    """An id naming this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a job's lease and until when."""

    job: str
    holder: str
    acquired_at: datetime
    expires_at: datetime

    @property
    def expired(self) -> bool:
        """True when the lease has run out (its holder is presumed dead)."""
        return self.expires_at <= utcnow()


def acquire(store: Store, job: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Take the lease on ``job``; False when another live holder has it."""
    now = utcnow()
    with store.engine.begin() as conn:
        taken = conn.execute(
            update(job_locks)
            .where(and_(job_locks.c.job == job,
                        (job_locks.c.expires_at <= now) | (job_locks.c.holder == holder)))
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        ).rowcount
        if taken:
            return True
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(job_locks).values(job=job, holder=holder, acquired_at=now,
                                                  expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def renew(store: Store, job: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Extend a lease we hold; False when we lost it."""
    with store.engine.begin() as conn:
        return bool(conn.execute(
            update(job_locks).where(and_(job_locks.c.job == job, job_locks.c.holder == holder))
            .values(expires_at=utcnow() + ttl)).rowcount)


def release(store: Store, job: str, holder: str) -> None:
    """Give a lease back."""
    with store.engine.begin() as conn:
        conn.execute(delete(job_locks).where(and_(job_locks.c.job == job,
                                                  job_locks.c.holder == holder)))


def force_unlock(store: Store, job: str) -> LockInfo | None:
    """Clear a job's lease by hand; returns what was cleared."""
    held = lock_info(store, job)
    with store.engine.begin() as conn:
        conn.execute(delete(job_locks).where(job_locks.c.job == job))
    return held


def lock_info(store: Store, job: str) -> LockInfo | None:
    """The current lease on ``job``, if any (possibly expired)."""
    with store.connect() as conn:
        row = conn.execute(select(job_locks).where(job_locks.c.job == job)).first()
    return LockInfo(row.job, row.holder, row.acquired_at, row.expires_at) if row else None


class JobLease:
    """Context manager holding a job's lease for a block; raises LockHeldError when taken."""

    def __init__(self, store: Store, job: str, *, holder: str | None = None,
                 ttl: timedelta = DEFAULT_TTL) -> None:
        self.store, self.job, self.ttl = store, job, ttl
        self.holder = holder or new_holder_id()

    def __enter__(self) -> JobLease:
        if not acquire(self.store, self.job, self.holder, self.ttl):
            held = lock_info(self.store, self.job)
            who = f" by {held.holder} until {held.expires_at:%Y-%m-%d %H:%M:%S} UTC" if held else ""
            raise LockHeldError(f"job {self.job!r} is already running{who}")
        return self

    def renew(self) -> bool:
        """Extend the lease (call between files of a long run)."""
        return renew(self.store, self.job, self.holder, self.ttl)

    def __exit__(self, *exc: object) -> None:
        release(self.store, self.job, self.holder)
