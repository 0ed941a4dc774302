"""What `exchange status` shows: per job the last run, its result, the next run; the outbox length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exchange.config import Config, JobAction
from exchange.jobs.locks import lock_info
from exchange.jobs.timing import next_run
from exchange.store import Store
from exchange.store.history import last_run
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
            last_status=last["status"] if last else "never run", next_run=upcoming,
            running_by=held.holder if held and not held.expired else "",
            last_finished=ended["finished_at"] if ended else None,
            last_duration_s=_duration(ended)))
    return rows
