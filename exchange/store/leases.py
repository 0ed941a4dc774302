"""Job leases in ``job_locks``: taken by one conditional statement, so two runners cannot both win.

A lease is a row with an expiry. Taking it is an update of a row whose lease has expired, that we
hold, or whose holder is a process of this host that is gone; else an insert. A lease left by a
killed process is taken over at once on its own host and expires elsewhere; ``release`` and
``force_unlock`` delete it. Runs that a taken-over holder left ``running`` become ``abandoned``.
The scheduler of ``exchange run`` holds the lease named :data:`SCHEDULER`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.store.database import Store
from exchange.store.schema import job_locks, runs
from exchange.store.types import utcnow

SCHEDULER = ":scheduler"  # no configured job can be named so (job names are plain words)
ABANDONED = "abandoned"


def holder_gone(holder: str) -> bool:
    """True when ``holder`` (``host:pid:suffix``) names a process of this host that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another host's process cannot be seen from here: only its expiry tells
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """True for a killed process that nobody has reaped yet (it still answers signal 0)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False  # no /proc here: trust the signal
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


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

    @property
    def stale(self) -> bool:
        """True when nobody holds it any more: expired, or its process on this host is gone."""
        return self.expired or holder_gone(self.holder)


def _abandon_runs(conn: Connection, job: str, holder: str) -> None:
    """Close the runs a dead holder left ``running``."""
    conn.execute(update(runs).where(and_(runs.c.job == job, runs.c.holder == holder,
                                         runs.c.status == "running"))
                 .values(status=ABANDONED, finished_at=utcnow()))


def acquire(store: Store, job: str, holder: str, ttl: timedelta) -> bool:
    """Take the lease on ``job``; False when another live holder has it."""
    now = utcnow()
    with store.engine.begin() as conn:
        row = conn.execute(select(job_locks).where(job_locks.c.job == job)).first()
    if row is not None:
        previous = str(row.holder)
        if previous != holder and row.expires_at > now and not holder_gone(previous):
            return False
        with store.engine.begin() as conn:
            # conditional on the holder we saw: of two runners taking over, only one wins
            taken = conn.execute(
                update(job_locks).where(and_(job_locks.c.job == job, job_locks.c.holder == previous))
                .values(holder=holder, acquired_at=now, expires_at=now + ttl)).rowcount
            if taken and previous != holder:
                _abandon_runs(conn, job, previous)
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
    """Clear a job's lease by hand; returns what was cleared (its open runs become abandoned)."""
    held = lock_info(store, job)
    with store.engine.begin() as conn:
        conn.execute(delete(job_locks).where(job_locks.c.job == job))
        if held is not None:
            _abandon_runs(conn, job, held.holder)
    return held
