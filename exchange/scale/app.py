"""The Celery app of the workers: a queue per job kind, acks_late, fair prefetch, time limits."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery
from kombu import Queue

from exchange.config import JobAction

TASK = "exchange.run_job"
# a queue per job kind, so that slow imports never starve exports (or the ERP handoff)
QUEUE_OF: dict[str, str] = {JobAction.IMPORT: "import", JobAction.WATCH: "import",
                            JobAction.EXPORT: "export", JobAction.RECONCILE: "export",
                            JobAction.STATUS: "export",  # status events back to the shop
                            JobAction.HANDOFF: "handoff", JobAction.REALISE: "handoff"}
QUEUES = ("import", "export", "handoff")
# hard time limits per queue; the soft limit (SoftTimeLimitExceeded) comes 30 s before. They stay under
# RabbitMQ's consumer_timeout (30 minutes by default), which closes the channel of an unacked message.
TIME_LIMITS: dict[str, timedelta] = {"import": timedelta(minutes=25), "export": timedelta(minutes=15),
                                     "handoff": timedelta(minutes=15)}
MAX_DELIVERIES = 3  # one task handed to workers more often than this is given up (poison job)
MAX_RETRIES = 8  # retryable failures: 10, 20, 40 … s with full jitter, capped at 600 s (some 30 min in all)
RETRY_BACKOFF_S = 10
RETRY_BACKOFF_MAX_S = 600


def queue_for(action: str) -> str:
    """The queue a job of this kind goes to."""
    return QUEUE_OF.get(action, "import")


def make_app(broker: str, *, config_path: str = "", database_url: str = "") -> Celery:
    """A Celery app on ``broker``; workers also learn which exchange.yaml and store they serve."""
    from exchange.scale.tasks import run_job_task

    app = Celery("exchange", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a job is acknowledged when it ended, so a killed worker's job comes back
        task_reject_on_worker_lost=True,  # … also when only the pool process died (bounded below)
        worker_prefetch_multiplier=1,  # fair: a worker takes one job at a time
        task_queues=[Queue(name, routing_key=name) for name in QUEUES],
        task_default_queue="import",
        task_serializer="json", accept_content=["json"],
        task_ignore_result=True,  # history and status live in the store, not in a result backend
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=True, task_send_sent_event=True,  # for Flower / celery events
        exchange_config=config_path, exchange_database=database_url,
    )
    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(RetryableRun,), max_retries=MAX_RETRIES, retry_backoff=RETRY_BACKOFF_S,
             retry_backoff_max=RETRY_BACKOFF_MAX_S, retry_jitter=True)(run_job_task)
    return app


class RetryableRun(Exception):
    """A run failed in a way that trying again later can help (the error tree says so)."""
