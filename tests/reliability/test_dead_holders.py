"""Leases that know a dead holder: a SIGKILLed run reads as abandoned, and its lease is taken at once."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from exchange.jobs import locks
from exchange.store import Store
from exchange.store.history import last_run, list_events
from exchange.store.schema import runs
from tests.reliability.procs import ROOT, run_cli, status, wait_for, write_config

HANGING_RUN = """
import sys, threading
from pathlib import Path
from exchange.config import load_config
from exchange.jobs.runner import run_job
from exchange.store import Store

def hang(ctx):
    print("started", flush=True)
    threading.Event().wait()

config = load_config(Path(sys.argv[2]))
run_job(Store(sys.argv[1]), config, config.job("pull"), actions={"import": hang})
"""


def _killed_mid_run(store: Store, tmp_path: Path) -> int:
    """A real process that runs the job `pull`, SIGKILLed in the middle; returns its pid."""
    proc = subprocess.Popen([sys.executable, "-c", HANGING_RUN, store.url, str(tmp_path / "exchange.yaml")],
                            stdout=subprocess.PIPE, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"started\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()
    return proc.pid


def test_a_killed_run_is_abandoned_and_its_lease_taken_over_at_once(store: Store,
                                                                    tmp_path: Path) -> None:
    write_config(tmp_path)
    pid = _killed_mid_run(store, tmp_path)
    job = status(tmp_path, store.url)["jobs"][0]
    assert job["last_status"] == "abandoned"  # not "running" for the lease's 10 minutes
    assert job["running_by"].endswith("(stale)")
    assert f":{pid}:" in job["running_by"]

    rerun = run_cli(tmp_path, store.url, "run", "--once", "pull")
    assert rerun.returncode == 0, rerun.stderr
    assert "(no longer running) was taken over" in rerun.stderr
    with store.connect() as conn:
        killed = conn.execute(select(runs).order_by(runs.c.id)).first()
        taken = [e for e in list_events(conn, job="pull") if e["kind"] == "lease_taken_over"]
        newest = last_run(conn, "pull")
    assert killed is not None
    assert (killed.status, killed.finished_at is not None) == ("abandoned", True)
    assert newest is not None
    assert newest["status"] == "ok"
    assert len(taken) == 1
    assert f":{pid}:" in taken[0]["details"]["previous_holder"]
    job = status(tmp_path, store.url)["jobs"][0]
    assert (job["last_status"], job["running_by"]) == ("ok", "")


def test_a_lease_held_on_another_host_is_refused_with_the_unlock_command(store: Store,
                                                                          tmp_path: Path) -> None:
    write_config(tmp_path)
    assert locks.acquire(store, "pull", "other-host.example:4242:abcd", ttl=timedelta(minutes=10))
    refused = run_cli(tmp_path, store.url, "run", "--once", "pull")
    assert refused.returncode != 0
    assert "other-host.example:4242:abcd" in refused.stderr
    assert "exchange unlock pull" in refused.stderr
    assert status(tmp_path, store.url)["jobs"][0]["running_by"] == "other-host.example:4242:abcd"
    unlocked = run_cli(tmp_path, store.url, "unlock", "pull")
    assert "other-host.example:4242:abcd" in unlocked.stdout
    assert run_cli(tmp_path, store.url, "run", "--once", "pull").returncode == 0


def test_an_expired_lease_of_another_host_reads_stale(store: Store, tmp_path: Path) -> None:
    write_config(tmp_path)
    assert locks.acquire(store, "pull", "other-host.example:4242:abcd", ttl=timedelta(seconds=-1))
    assert wait_for("the stale mark",
                    lambda: status(tmp_path, store.url)["jobs"][0]["running_by"].endswith("(stale)"))
