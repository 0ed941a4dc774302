"""Job leases in ``job_locks``: taken by one conditional statement, so two runners cannot both win.

A lease is a row with an expiry. Taking it is an update of a row whose lease has expired (or that we
hold), else an insert; a lease left by a killed process simply expires; ``release`` and
``force_unlock`` delete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.store.database import Store
from exchange.store.schema import job_locks
from exchange.store.types import utcnow


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


def acquire(store: Store, job: str, holder: str, ttl: timedelta) -> bool:
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


def renew(store: Store, job: str, holder: str, ttl: timedelta) -> bool:
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


def lock_info(store: Store, job: str) -> LockInfo | None:
    """The current lease on ``job``, if any (possibly expired)."""
    with store.connect() as conn:
        row = conn.execute(select(job_locks).where(job_locks.c.job == job)).first()
    return LockInfo(row.job, row.holder, row.acquired_at, row.expires_at) if row else None


def force_unlock(store: Store, job: str) -> LockInfo | None:
    """Clear a job's lease by hand; returns what was cleared."""
    held = lock_info(store, job)
    with store.engine.begin() as conn:
        conn.execute(delete(job_locks).where(job_locks.c.job == job))
    return held
