"""Running one job once: take its lease, open a run in the history, do the work, close the run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.config import Config, JobConfig
from exchange.errors import ExchangeError
from exchange.jobs.locks import JobLease
from exchange.store import Store
from exchange.store.history import finish_run, record_event, start_run

log = logging.getLogger("exchange.jobs")


@dataclass
class JobContext:
    """What an action needs: the store, the configuration, its job and run, and the stop signal."""

    store: Store
    config: Config
    job: JobConfig
    run_id: int
    lease: JobLease
    stop: threading.Event
    files: list[Path] | None = None  # a watch job hands over the files that settled
    force: bool = False  # an export publishes even what its feed gate would hold (by hand only)

    def event(self, kind: str, message: str = "", *, level: str = "info", document: str = "",
              details: dict[str, Any] | None = None) -> None:
        """Record one event of this run in the history (and the log)."""
        with self.store.begin() as conn:
            record_event(conn, kind=kind, message=message, level=level, job=self.job.name,
                         run_id=self.run_id, document=document, details=details)
        getattr(log, "error" if level == "error" else "warning" if level == "warning" else "info")(
            "%s: %s %s %s", self.job.name, kind, document, message)


@dataclass
class RunSummary:
    """Counts of what a run did; the run's status follows from them."""

    counts: dict[str, int] = field(default_factory=dict)
    failed: bool = False

    def add(self, key: str, amount: int = 1) -> None:
        """Add to one count."""
        self.counts[key] = self.counts.get(key, 0) + amount

    @property
    def status(self) -> str:
        """ok, warning (something held, skipped with reason or queued), or failed."""
        if self.failed or self.counts.get("failed"):
            return "failed"
        if any(self.counts.get(k) for k in ("held", "queued", "quarantined", "warnings")):
            return "warning"
        return "ok"


Action = Callable[[JobContext], RunSummary]


@dataclass(frozen=True)
class RunOutcome:
    """The result of one run of one job."""

    job: str
    run_id: int
    status: str
    counts: dict[str, int]
    message: str = ""
    took_over: str = ""  # the holder whose stale lease this run took over
    retryable: bool = False  # it failed, and trying again later can help (a worker retries it)


def run_job(store: Store, config: Config, job: JobConfig, *, actions: dict[str, Action],
            stop: threading.Event | None = None, holder: str | None = None,
            files: list[Path] | None = None, force: bool = False) -> RunOutcome:
    """Run ``job`` once under its lease; LockHeldError when it runs elsewhere.

    ``force`` (asked for by a person: ``run --once JOB --force`` or the console's "publish anyway")
    lets an export job publish a feed its gate holds.
    """
    with JobLease(store, job.name, holder=holder) as lease:
        with store.begin() as conn:
            run_id = start_run(conn, job.name, holder=lease.holder)
        ctx = JobContext(store, config, job, run_id, lease, stop or threading.Event(), files,
                         force)
        if lease.took_over is not None:
            gone = lease.took_over
            ctx.event("lease_taken_over", f"the lease of {gone.holder} was taken over: "
                      + ("its process is gone" if not gone.expired else "it had expired"),
                      level="warning", details={"previous_holder": gone.holder})
        message = ""
        retryable = False
        try:
            summary = actions[job.action](ctx)
        except ExchangeError as exc:
            summary = RunSummary(failed=True)
            message = str(exc)
            retryable = exc.retryable
            ctx.event("run_failed", message, level="error",
                      details={"retryable": exc.retryable, "error": type(exc).__name__})
        except Exception as exc:  # a bug must not kill the daemon: it is recorded and the run fails
            summary = RunSummary(failed=True)
            message = f"unexpected {type(exc).__name__}: {exc}"
            log.exception("%s: unexpected error", job.name)
            ctx.event("run_failed", message, level="error")
        with store.begin() as conn:
            finish_run(conn, run_id, summary.status, {**summary.counts, "message": message})
        return RunOutcome(job.name, run_id, summary.status, summary.counts, message,
                          lease.took_over.holder if lease.took_over else "", retryable)
