"""The job task: the same run as `exchange run --once`, under the store's lease, delivery-bounded."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from exchange.config import Config, load_config
from exchange.errors import LockHeldError
from exchange.store import Store
from exchange.store.deliveries import count_delivery
from exchange.store.history import record_event

log = logging.getLogger("exchange.worker")

LEASE_RECHECK_S = 60
_stores: dict[str, Store] = {}  # one store per worker process (opened after the pool forked)
_configs: dict[str, tuple[tuple[int, int], Config]] = {}


def _config(path: str) -> Config:
    """exchange.yaml, parsed once per process and again only when the file changed.

    Parsing is not free (some 0.1-0.2 s for 200 shops), which would add to every job.
    """
    stat = Path(path).stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _configs.get(path)
    if cached is None or cached[0] != key:
        cached = _configs[path] = (key, load_config(Path(path)))
    return cached[1]


def _store(url: str) -> Store:
    if url not in _stores:
        _stores[url] = Store(url or None)
    return _stores[url]


def _note(store: Store, job: str, kind: str, message: str, level: str = "info") -> None:
    with store.begin() as conn:
        record_event(conn, kind=kind, message=message, level=level, job=job)


def run_job_task(task: Any, job_name: str, files: list[str] | None = None) -> str:
    """Run one job in this worker; ``skipped`` when it runs elsewhere, ``given_up`` past the bound."""
    from exchange.jobs.actions import ACTIONS
    from exchange.jobs.runner import run_job
    from exchange.scale.app import MAX_DELIVERIES, RetryableRun

    conf = task.app.conf
    store = _store(str(conf["exchange_database"]))
    config = _config(str(conf["exchange_config"]))
    request = task.request
    deliveries = count_delivery(store, f"{request.id}:{request.retries}", job_name)
    if deliveries > MAX_DELIVERIES:
        _note(store, job_name, "given_up", f"task {request.id} was delivered {deliveries} times "
              f"(its workers died each time): given up after {MAX_DELIVERIES}", level="error")
        return "given_up"
    try:
        outcome = run_job(store, config, config.job(job_name), actions=ACTIONS,
                          files=[Path(f) for f in files] if files else None)
    except LockHeldError as exc:
        if (request.delivery_info or {}).get("redelivered"):
            # our worker died with it, and its lease (on another host) has not expired yet: look again
            raise task.retry(countdown=LEASE_RECHECK_S) from exc
        # a duplicate delivery, or the job still runs from an earlier dispatch: one runner per job
        _note(store, job_name, "skipped", f"task {request.id}: {exc}")
        log.info("%s: skipped: %s", job_name, exc)
        return "skipped"
    log.info("%s: run %s %s %s", job_name, outcome.run_id, outcome.status, outcome.counts)
    if outcome.status == "failed" and outcome.retryable:
        raise RetryableRun(outcome.message)
    return outcome.status
