"""What `exchange status` shows: per job the last run, its result, the next run; the outbox length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exchange.config import Config, JobAction
from exchange.jobs.locks import LockInfo, lock_info
from exchange.jobs.timing import next_run
from exchange.store import Store
from exchange.store.history import last_run
from exchange.store.leases import ABANDONED, SCHEDULER
from exchange.store.outbox import pending_count


@dataclass(frozen=True)
class JobStatus:
    """One row of the status table."""

    job: str
    action: str
    last_started: datetime | None
    last_status: str
    next_run: str
    running_by: str
    last_finished: datetime | None = None
    last_duration_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for --json."""
        return {"job": self.job, "action": self.action, "last_started": self.last_started,
                "last_status": self.last_status, "next_run": self.next_run,
                "running_by": self.running_by, "last_finished": self.last_finished,
                "last_duration_s": self.last_duration_s}


def _duration(run: dict[str, Any] | None) -> float | None:
    """Seconds from start to end of a finished run."""
    if run is None:
        return None
    took: timedelta = run["finished_at"] - run["started_at"]
    return round(took.total_seconds(), 3)


def outbox_length(store: Store) -> int:
    """How many pushes wait in the outbox."""
    return pending_count(store)


def _running_by(held: LockInfo | None) -> str:
    """The live holder, or the holder marked stale when it died or its lease ran out."""
    if held is None:
        return ""
    return f"{held.holder} (stale)" if held.stale else held.holder


def _last_status(last: dict[str, Any] | None, held: LockInfo | None) -> str:
    """A run still marked running whose lease is gone, stale or someone else's was abandoned."""
    if last is None:
        return "never run"
    status = str(last["status"])
    if status == "running" and last.get("holder") and (
            held is None or held.stale or held.holder != last["holder"]):
        return ABANDONED
    return status


def scheduler_status(store: Store) -> dict[str, Any] | None:
    """Who holds the scheduler lease of `exchange run`: holder, since, expires, stale."""
    held = lock_info(store, SCHEDULER)
    if held is None:
        return None
    return {"holder": held.holder, "since": held.acquired_at, "expires": held.expires_at,
            "stale": held.stale}


def job_statuses(store: Store, config: Config, now: datetime) -> list[JobStatus]:
    """The status of every configured job (``now`` is tz-aware local time)."""
    rows = []
    for job in config.jobs.values():
        with store.connect() as conn:
            last = last_run(conn, job.name)
            ended = last_run(conn, job.name, finished=True)
        started = last["started_at"] if last else None
        if job.action == JobAction.WATCH:
            upcoming = "on file arrival"
        else:
            due = next_run(job, started, now)
            upcoming = due.strftime("%Y-%m-%d %H:%M") if due else "by hand only"
        held = lock_info(store, job.name)
        rows.append(JobStatus(
            job=job.name, action=job.action, last_started=started,
            last_status=_last_status(last, held), next_run=upcoming,
            running_by=_running_by(held),
            last_finished=ended["finished_at"] if ended else None,
            last_duration_s=_duration(ended)))
    return rows
