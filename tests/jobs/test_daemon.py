"""The runner and the daemon on a real store: history, leases, windows, watched folders, clean stop."""

from __future__ import annotations

import os
import signal
import threading
from datetime import time
from pathlib import Path

import pytest

from exchange.config import Config, Folders, JobConfig, ShopConfig, Window
from exchange.errors import LockHeldError, TransferError
from exchange.jobs.daemon import Daemon
from exchange.jobs.locks import acquire, lock_info
from exchange.jobs.runner import JobContext, RunSummary, run_job
from exchange.store import Store
from exchange.store.history import last_run, list_events


def _config(tmp_path: Path, *jobs: JobConfig) -> Config:
    folders = Folders(tmp_path / "in", tmp_path / "q", tmp_path / "f", tmp_path / "logs")
    return Config(tmp_path / "exchange.yaml", None, folders,
                  {"s": ShopConfig("s", "shoptet")}, {j.name: j for j in jobs})


def _counting(calls: list[str]):  # type: ignore[no-untyped-def]
    def action(ctx: JobContext) -> RunSummary:
        calls.append(ctx.job.name)
        ctx.event("imported", document="order 1")
        summary = RunSummary()
        summary.add("imported")
        if ctx.files:
            summary.add("files", len(ctx.files))
            calls.extend(p.name for p in ctx.files)
        return summary
    return action


def test_a_run_leaves_history(store: Store, tmp_path: Path) -> None:
    calls: list[str] = []
    job = JobConfig("pull", "import", "s")
    outcome = run_job(store, _config(tmp_path, job), job, actions={"import": _counting(calls)})
    assert (outcome.status, outcome.counts) == ("ok", {"imported": 1})
    with store.connect() as conn:
        run = last_run(conn, "pull")
        events = list_events(conn, job="pull")
    assert run is not None
    assert run["status"] == "ok"
    assert run["finished_at"] is not None
    assert [e["kind"] for e in events] == ["imported"]
    assert lock_info(store, "pull") is None  # the lease is given back


def test_a_failing_action_is_recorded_with_its_reason(store: Store, tmp_path: Path) -> None:
    def broken(ctx: JobContext) -> RunSummary:
        raise TransferError("connection cut after 10 bytes")

    job = JobConfig("pull", "import", "s")
    outcome = run_job(store, _config(tmp_path, job), job, actions={"import": broken})
    assert outcome.status == "failed"
    with store.connect() as conn:
        failed = list_events(conn, job="pull", failed_only=True)
    assert failed[0]["message"] == "connection cut after 10 bytes"
    assert failed[0]["details"] == {"retryable": True, "error": "TransferError"}


def test_a_job_running_elsewhere_is_not_run_twice(store: Store, tmp_path: Path) -> None:
    calls: list[str] = []
    job = JobConfig("pull", "import", "s", every_seconds=60)
    assert acquire(store, "pull", "other-process")
    with pytest.raises(LockHeldError, match="other-process"):
        run_job(store, _config(tmp_path, job), job, actions={"import": _counting(calls)})
    daemon = Daemon(store, _config(tmp_path, job), {"import": _counting(calls)})
    assert daemon.fire(job) is None
    assert calls == []


def test_outside_its_window_a_job_is_skipped(store: Store, tmp_path: Path) -> None:
    calls: list[str] = []
    never = Window(time(0, 0), time(0, 0), frozenset())
    job = JobConfig("pull", "import", "s", every_seconds=60, window=never)
    daemon = Daemon(store, _config(tmp_path, job), {"import": _counting(calls)})
    assert daemon.fire(job) is None
    assert calls == []


def test_interval_jobs_run_at_start_and_sigterm_stops_the_daemon(store: Store, tmp_path: Path) -> None:
    calls: list[str] = []
    job = JobConfig("pull", "import", "s", every_seconds=3600)
    daemon = Daemon(store, _config(tmp_path, job), {"import": _counting(calls)}, tick_seconds=0.05)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    daemon.serve()  # returns once SIGTERM arrived
    timer.cancel()
    assert calls == ["pull"]
    assert daemon.stop.is_set()


def test_watched_folder_hands_over_only_settled_files(store: Store, tmp_path: Path) -> None:
    calls: list[str] = []
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "early.xml").write_text("<ORDERS/>")  # arrived while the daemon was down
    job = JobConfig("drop", "watch", "s", folder=drop)
    now = [0.0]
    daemon = Daemon(store, _config(tmp_path, job), {"watch": _counting(calls)}, settle_seconds=1)
    daemon.plan()
    stable, _ = daemon._watches["drop"]
    stable.clock = lambda: now[0]
    growing = drop / "late.xml"
    with growing.open("w") as handle:
        handle.write("<ORDERS>")
        handle.flush()
        stable.note(growing)
        daemon.poll_watches()  # first look: sizes recorded
        now[0] = 5
        handle.write("<ORDER/>")
        handle.flush()
        daemon.poll_watches()  # early.xml settled, late.xml grew
        assert calls == ["drop", "early.xml"]
    now[0] = 10
    daemon.poll_watches()  # late.xml now settled
    now[0] = 20
    daemon.poll_watches()
    assert calls == ["drop", "early.xml", "drop", "late.xml"]
    daemon.stop.set()
    if daemon._observer is not None:
        daemon._observer.stop()
        daemon._observer.join(5)
