"""Scale-out with the real broker: a scheduler, workers as processes, the same guarantees as one process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sqlalchemy import select

from exchange.catalog import load_catalog_csv
from exchange.jobs.locks import lock_info
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.deliveries import deliveries_of
from exchange.store.history import list_events
from exchange.store.schema import runs
from tests.reliability.procs import Proc, exchange, run_cli, wait_for
from tests.scale.cluster import count, drop, order_lines, start_worker, write_shops


def _runs(store: Store, job: str | None = None) -> list[tuple[str, str, str]]:
    query = select(runs.c.job, runs.c.status, runs.c.holder).order_by(runs.c.id)
    if job:
        query = query.where(runs.c.job == job)
    with store.connect() as conn:
        return [(r.job, r.status, r.holder) for r in conn.execute(query)]


def _stop_all(*procs: Proc | None) -> None:
    for proc in procs:
        if proc is not None:
            proc.stop(signal.SIGTERM)


def test_fifty_shops_through_two_workers_every_order_once(store: Store, tmp_path: Path,
                                                          vhost: str) -> None:
    """On PostgreSQL as an integrator runs it, and on SQLite, whose writers wait for each other."""
    write_shops(tmp_path, vhost, 50)
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    for shop in range(50):  # each shop's own orders: the same bytes under two shops are refused
        drop(tmp_path, shop, "orders.xml", range(3 * shop + 1, 3 * shop + 4))
    workers: list[Proc] = []
    scheduler = None
    try:
        workers = [start_worker(tmp_path, store.url, f"w{n}", "--queues", "import") for n in range(2)]
        scheduler = exchange(tmp_path, store.url, "run", "--engine", "celery")
        wait_for("150 orders", lambda: count(store) >= 150, timeout=240)
        wait_for("50 finished runs", lambda: sum(s == "ok" for _, s, _ in _runs(store)) == 50, timeout=120)
    finally:
        _stop_all(scheduler, *workers)
    assert count(store) == 150
    assert count(store, order_lines) == 150
    done = _runs(store)
    ok = [job for job, status, _ in done if status == "ok"]
    assert sorted(ok) == sorted(f"pull{n}" for n in range(50))  # each job done once
    # on SQLite two writers may meet a locked database: that run fails as retryable and is retried
    assert {status for _, status, _ in done} <= {"ok", "failed"}
    assert len(done) - len(ok) == sum(1 for e in _all_events(store) if e["kind"] == "run_failed"
                                      and e["details"]["retryable"])
    holders = {h.split(":")[1] for _, _, h in done}
    assert len(holders) >= 2  # both workers' pool processes ran jobs
    assert "scheduling 50 job(s) for the workers" in scheduler.stderr()
    assert all(e["kind"] == "run_failed" for e in _all_events(store) if e["level"] == "error")
    assert not [e for e in _all_events(store) if "locked" in e["message"]]
    if store.dialect == "sqlite":  # writers wait (BEGIN IMMEDIATE, busy retries): no failed run
        assert ok == [job for job, _, _ in done]


def _all_events(store: Store) -> list[dict]:  # type: ignore[type-arg]
    with store.connect() as conn:
        return list_events(conn, limit=100_000)


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_worker_killed_mid_import_hands_the_job_to_another(store: Store, tmp_path: Path,
                                                             vhost: str) -> None:
    write_shops(tmp_path, vhost, 1)
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    # Big enough that the import is still under way when it is killed, even on an idle machine.
    drop(tmp_path, 0, "big.xml", range(1, 12001))
    first = second = scheduler = None
    try:
        # Both workers are ready before the job is due, so the kill never waits for a worker to boot.
        first = start_worker(tmp_path, store.url, "first")
        second = start_worker(tmp_path, store.url, "second")
        scheduler = exchange(tmp_path, store.url, "run", "--engine", "celery")
        held = wait_for("a worker to run the job", lambda: lock_info(store, "pull0"))
        wait_for("the import to be under way", lambda: _runs(store, "pull0"))
        child = int(held.holder.split(":")[1])
        if _parent_of(child) == second.pid:  # whichever worker took the job is the one killed
            first, second = second, first
        assert _parent_of(child) == first.pid  # the job runs in that worker's pool process
        os.kill(child, signal.SIGKILL)
        first.stop(signal.SIGKILL)
        wait_for("the second worker to finish the job",
                 lambda: any(s == "ok" for _, s, _ in _runs(store, "pull0")), timeout=240)
    finally:
        _stop_all(scheduler, first, second)
    assert count(store) == 12000  # nothing lost
    assert count(store, order_lines) == 12000  # nothing twice
    statuses = [s for _, s, _ in _runs(store, "pull0")]
    assert statuses == ["abandoned", "ok"]
    assert deliveries_of(store, "pull0") == 2  # delivered to the first worker, then to the second
    assert (tmp_path / "shops" / "s0" / "processed" / "big.xml").exists()


def test_a_duplicate_delivery_ends_as_skipped(store: Store, tmp_path: Path, vhost: str) -> None:
    from exchange.config import load_config
    from exchange.scale.app import TASK, make_app
    from exchange.scale.broker import broker_url

    write_shops(tmp_path, vhost, 1)
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    drop(tmp_path, 0, "big.xml", range(1, 2001))
    app = make_app(broker_url(load_config(tmp_path / "exchange.yaml")))
    workers: list[Proc] = []
    try:
        workers = [start_worker(tmp_path, store.url, f"w{n}") for n in range(2)]
        for _ in range(2):  # the same job twice at once, as a redelivery would
            app.send_task(TASK, args=["pull0", None], queue="import")
        wait_for("one run and one skip", lambda: any(s == "ok" for _, s, _ in _runs(store, "pull0"))
                 and any(e["kind"] == "skipped" for e in _events(store)), timeout=240)
    finally:
        app.close()
        _stop_all(*workers)
    assert [s for _, s, _ in _runs(store, "pull0")] == ["ok"]
    assert count(store) == 2000
    skipped = [e for e in _events(store) if e["kind"] == "skipped"]
    assert len(skipped) == 1
    assert "already running" in skipped[0]["message"]


def _events(store: Store) -> list[dict]:  # type: ignore[type-arg]
    with store.connect() as conn:
        return list_events(conn, job="pull0", limit=100_000)


def test_without_a_broker_the_celery_engine_says_what_to_configure(tmp_path: Path) -> None:
    write_shops(tmp_path, "unused", 1)
    text = (tmp_path / "exchange.yaml").read_text().splitlines()
    (tmp_path / "exchange.yaml").write_text("\n".join(text[1:]) + "\n")  # no broker: line
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    Store(db).close()
    for args in (("run", "--engine", "celery"), ("worker",)):
        done = run_cli(tmp_path, db, *args)
        assert done.returncode == 3, done.stderr
        assert "no broker: configured" in done.stderr


def test_a_password_in_the_broker_url_is_refused(tmp_path: Path) -> None:
    (tmp_path / "exchange.yaml").write_text("broker: amqp://guest:guest@127.0.0.1:5672/x\n")
    done = run_cli(tmp_path, f"sqlite:///{tmp_path / 'exchange.db'}", "status")
    assert done.returncode == 3
    assert "EXCHANGE_BROKER_PASSWORD" in done.stderr
    assert "guest:guest" not in done.stderr
