"""Retries on the real broker: a retryable failure is tried again (backoff, jitter, cap), a permanent one not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.config import load_config
from exchange.scale.app import RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S, TASK, make_app
from exchange.scale.broker import broker_url
from exchange.store import Store
from exchange.store.history import list_events
from tests.reliability.procs import Proc, wait_for
from tests.scale.cluster import start_worker
from tests.transport.servers import FTPServerThread, free_port


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FTPServerThread]:
    (tmp_path / "ftp" / "orders").mkdir(parents=True)
    server = FTPServerThread(tmp_path / "ftp")
    yield server
    server.stop()


def _failures(store: Store, job: str) -> list[bool]:
    """Whether each failed run of ``job`` was retryable, oldest first."""
    with store.connect() as conn:
        events = list_events(conn, job=job, limit=1000)
    return [e["details"]["retryable"] for e in sorted(events, key=lambda e: e["id"])
            if e["kind"] == "run_failed"]


def test_a_retryable_failure_is_retried_and_a_permanent_one_is_not(
        store: Store, tmp_path: Path, vhost: str, ftp: FTPServerThread,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", "not the password")
    down = free_port()  # nothing listens: connection refused, which trying later can help
    (tmp_path / "exchange.yaml").write_text(f"""\
broker: amqp://guest@127.0.0.1:5672/{vhost}
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  away: {{profile: shoptet, orders_from: 'ftp://alice@127.0.0.1:{down}/orders/'}}
  denied: {{profile: shoptet, orders_from: 'ftp://alice@127.0.0.1:{ftp.port}/orders/'}}
jobs:
  pull_away: {{do: import, shop: away, every: 1 hour}}
  pull_denied: {{do: import, shop: denied, every: 1 hour}}
""", encoding="utf-8")
    app = make_app(broker_url(load_config(tmp_path / "exchange.yaml")))
    worker: Proc | None = None
    try:
        worker = start_worker(tmp_path, store.url, "w0", "--queues", "import")
        denied = app.send_task(TASK, args=["pull_denied", None], queue="import").id
        away = app.send_task(TASK, args=["pull_away", None], queue="import").id
        # the first retry comes after a random 0-10 s (full jitter on a 10 s base)
        wait_for("the server that is away to be tried again", lambda: len(_failures(store, "pull_away")) >= 2,
                 timeout=120)
    finally:
        app.close()
        if worker is not None:
            worker.stop()
    assert set(_failures(store, "pull_away")) == {True}
    assert _failures(store, "pull_denied") == [False]  # a wrong password: once, never again
    log = worker.stderr()
    # the permanent failure ended its task at once (acknowledged, no retry scheduled) …
    assert f"{TASK}[{denied}] succeeded in" in log and f"[{denied}] retry" not in log
    # … the retryable one was retried with full jitter under an exponential, capped bound
    countdowns = [int(s) for s in re.findall(rf"\[{away}\] retry: Retry in (\d+)s", log)]
    assert countdowns, log
    for n, countdown in enumerate(countdowns):
        assert 0 <= countdown <= min(RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S * 2**n)
