"""History for actions run by hand (export, push, pull, catalog load, outbox, reconcile), as jobs have."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from exchange.errors import ExchangeError
from exchange.store import Store
from exchange.store.history import finish_run, record_event, start_run

MANUAL_PREFIX = "manual:"


@dataclass
class ManualRun:
    """One run of a command, recorded under the job name ``manual:ACTION``."""

    store: Store
    job: str
    run_id: int
    counts: dict[str, int] = field(default_factory=dict)
    status: str = "ok"

    def event(self, kind: str, message: str = "", *, level: str = "info", document: str = "",
              details: dict[str, Any] | None = None) -> None:
        """Record one event of this run."""
        with self.store.begin() as conn:
            record_event(conn, kind=kind, message=message, level=level, job=self.job,
                         run_id=self.run_id, document=document, details=details)
        if level == "error":
            self.status = "failed"
        elif level == "warning" and self.status == "ok":
            self.status = "warning"

    def add(self, key: str, amount: int = 1) -> None:
        """Add to one count of the run's summary."""
        self.counts[key] = self.counts.get(key, 0) + amount


@contextmanager
def manual_run(store: Store, action: str) -> Iterator[ManualRun]:
    """Open a run for a command by hand; closed with its counts, or as failed with the error."""
    job = MANUAL_PREFIX + action
    with store.begin() as conn:
        run = ManualRun(store, job, start_run(conn, job))
    try:
        yield run
    except ExchangeError as exc:
        run.event("run_failed", str(exc), level="error",
                  details={"retryable": exc.retryable, "error": type(exc).__name__})
        with store.begin() as conn:
            finish_run(conn, run.run_id, "failed", {**run.counts, "message": str(exc)})
        raise
    except BaseException as exc:
        with store.begin() as conn:
            finish_run(conn, run.run_id, "failed",
                       {**run.counts, "message": f"{type(exc).__name__}: {exc}"})
        raise
    with store.begin() as conn:
        finish_run(conn, run.run_id, run.status, dict(run.counts))
