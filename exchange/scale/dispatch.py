"""What the scheduler of `exchange run --engine celery` does with a due job: enqueue it."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import Celery

from exchange.config import JobConfig
from exchange.jobs.locks import lock_info
from exchange.scale.app import TASK, TIME_LIMITS, queue_for
from exchange.store import Store

log = logging.getLogger("exchange.daemon")


class CeleryDispatch:
    """Sends each due job to its queue, unless its lease shows that it still runs."""

    def __init__(self, app: Celery, store: Store) -> None:
        self.app, self.store = app, store
        self.sent = 0

    def __call__(self, job: JobConfig, files: list[Path] | None) -> None:
        held = lock_info(self.store, job.name)
        if held is not None and not held.stale and not files:
            log.info("%s: still running by %s, not enqueued again", job.name, held.holder)
            return
        queue = queue_for(job.action)
        limit = int(TIME_LIMITS[queue].total_seconds())
        self.app.send_task(TASK, args=[job.name, [str(f) for f in files] if files else None],
                           queue=queue, routing_key=queue, time_limit=limit,
                           soft_time_limit=limit - 30)
        self.sent += 1
        log.info("%s: enqueued on %s", job.name, queue)
