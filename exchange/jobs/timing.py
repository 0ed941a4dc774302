"""When a job runs next: intervals, times of day and run windows, in the machine's local time."""

from __future__ import annotations

from datetime import datetime, timedelta

from exchange.config import JobConfig


def _first_allowed(job: JobConfig, start: datetime) -> datetime | None:
    """The first minute at or after ``start`` inside the job's window (within a week)."""
    probe = start
    for _ in range(7 * 24 * 60):
        if job.window.allows(probe.weekday(), probe.time()):
            return probe
        probe = (probe + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return None


def next_run(job: JobConfig, last_started: datetime | None, now: datetime) -> datetime | None:
    """The next time ``job`` is due; None for a job that runs only by hand or never fits its window.

    ``now`` and ``last_started`` must be timezone-aware; the window and ``at`` times are read in
    ``now``'s time zone.
    """
    candidates: list[datetime] = []
    if job.every_seconds:
        due = now if last_started is None else max(
            now, last_started.astimezone(now.tzinfo) + timedelta(seconds=job.every_seconds))
        candidates.append(due)
    for text in job.at:
        hour, minute = (int(x) for x in text.split(":"))
        today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        candidates.append(today if today > now else today + timedelta(days=1))
    allowed = [t for t in (_first_allowed(job, c) for c in candidates) if t is not None]
    return min(allowed) if allowed else None


def allowed_now(job: JobConfig, now: datetime) -> bool:
    """True when the job's window allows a run at ``now``."""
    return job.window.allows(now.weekday(), now.time())
