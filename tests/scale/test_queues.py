"""Per-shop isolation on the real broker: a queue per job kind, each with its time limit, fair prefetch."""

from __future__ import annotations

import json
from typing import Any

from exchange.config import JobAction, JobConfig
from exchange.scale.app import QUEUES, TIME_LIMITS, make_app
from exchange.scale.dispatch import CeleryDispatch
from exchange.store import Store
from tests.reliability.procs import wait_for

KINDS = {JobAction.IMPORT: "import", JobAction.WATCH: "import", JobAction.EXPORT: "export",
         JobAction.RECONCILE: "export", JobAction.STATUS: "export", JobAction.HANDOFF: "handoff",
         JobAction.REALISE: "handoff"}


def _take(app: Any, queue: str) -> list[tuple[str, list[int]]]:
    """Every message waiting on ``queue``: the job it runs and its [hard, soft] time limits."""
    found = []
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
            args = json.loads(message.body)[0]
            found.append((args[0], list(message.headers["timelimit"])))
    return found


def test_each_job_kind_goes_to_its_queue_with_its_time_limit(store: Store, vhost: str) -> None:
    assert set(KINDS) == set(JobAction)  # a new job kind must be given a queue here and in the app
    app = make_app(f"amqp://guest:guest@127.0.0.1:5672/{vhost}")
    try:
        assert app.conf.worker_prefetch_multiplier == 1  # fair: a worker takes one job at a time
        dispatch = CeleryDispatch(app, store)
        for action in JobAction:
            dispatch(JobConfig(f"job_{action.value}", action.value, "s0", every_seconds=60), None)
        assert dispatch.sent == len(JobAction)
        got: dict[str, list[tuple[str, list[int]]]] = {q: [] for q in QUEUES}

        def all_taken() -> bool:
            for queue in QUEUES:
                got[queue] += _take(app, queue)
            return sum(map(len, got.values())) == len(JobAction)

        wait_for("every job on a queue", all_taken, timeout=60)
    finally:
        app.close()
    for queue in QUEUES:
        expected = sorted(f"job_{a.value}" for a, q in KINDS.items() if q == queue)
        assert sorted(job for job, _ in got[queue]) == expected, queue
        hard = int(TIME_LIMITS[queue].total_seconds())
        assert {tuple(limits) for _, limits in got[queue]} == {(hard, hard - 30)}, queue
    assert TIME_LIMITS["import"] > TIME_LIMITS["export"]  # the kinds' limits differ, and are sent
