"""One scheduler per store: a second `exchange run` stands by and takes over when the first is killed."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

from sqlalchemy import func, select

from exchange.catalog import load_catalog_csv
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.schema import orders, runs
from tests.reliability.procs import Proc, drop_orders, exchange, status, wait_for, write_config

HOST = socket.gethostname()


def _run_holders(store: Store) -> set[str]:
    with store.connect() as conn:
        return {":".join(str(h).split(":")[:2]) for (h,) in conn.execute(select(runs.c.holder))}


def _orders(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar() or 0)


def _scheduler_pid(workdir: Path, db: str) -> int | None:
    held = status(workdir, db)["scheduler"]
    if held is None or held["stale"]:
        return None
    return int(held["holder"].split(":")[1])


def test_a_second_daemon_stands_by_then_takes_over_from_a_killed_one(store: Store,
                                                                     tmp_path: Path) -> None:
    write_config(tmp_path)
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    first = exchange(tmp_path, store.url, "run")
    second: Proc | None = None
    try:
        wait_for("the first daemon to hold the scheduler",
                 lambda: _scheduler_pid(tmp_path, store.url) == first.pid)
        second = exchange(tmp_path, store.url, "run")
        standby = f"standing by: the scheduler is held by {HOST}:{first.pid}"
        wait_for("the second daemon to stand by", lambda: standby in second.stderr())  # type: ignore[union-attr]
        drop_orders(tmp_path, "a.xml", 1, 2)
        wait_for("the first daemon to import a.xml", lambda: _orders(store) == 2)
        # several runs of the every-second job happened meanwhile: all of them by the first daemon
        wait_for("a few runs", lambda: status(tmp_path, store.url)["jobs"][0]["last_finished"])
        assert _run_holders(store) == {f"{HOST}:{first.pid}"}

        first.stop(signal.SIGKILL)
        wait_for("the second daemon to take over",
                 lambda: _scheduler_pid(tmp_path, store.url) == second.pid)  # type: ignore[union-attr]
        drop_orders(tmp_path, "b.xml", 3, 4)
        wait_for("the second daemon to import b.xml", lambda: _orders(store) == 4)
        assert _run_holders(store) == {f"{HOST}:{first.pid}", f"{HOST}:{second.pid}"}
        assert "taking over" in second.stderr()
        assert _orders(store) == 4
    finally:
        first.stop()
        if second is not None:
            assert second.stop(signal.SIGTERM) == 0  # a clean stop gives the lease back
    assert status(tmp_path, store.url)["scheduler"] is None


def test_a_daemon_stopped_cleanly_hands_over_at_once(store: Store, tmp_path: Path) -> None:
    write_config(tmp_path)
    first = exchange(tmp_path, store.url, "run")
    second: Proc | None = None
    try:
        wait_for("the first daemon", lambda: _scheduler_pid(tmp_path, store.url) == first.pid)
        second = exchange(tmp_path, store.url, "run")
        wait_for("the standby", lambda: "standing by" in second.stderr())  # type: ignore[union-attr]
        held = status(tmp_path, store.url)["scheduler"]
        assert held["holder"].startswith(f"{HOST}:{first.pid}:")
        assert held["since"] < held["expires"]
        assert first.stop(signal.SIGTERM) == 0
        wait_for("the standby to take over",
                 lambda: _scheduler_pid(tmp_path, store.url) == second.pid)  # type: ignore[union-attr]
    finally:
        first.stop()
        if second is not None:
            second.stop(signal.SIGTERM)
