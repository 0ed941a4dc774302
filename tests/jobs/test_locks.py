"""Job leases on a real database: one holder at a time, across processes, expiring, unlockable."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from exchange.errors import LockHeldError
from exchange.jobs import locks
from exchange.store import Store


def test_second_holder_is_refused_until_release(store: Store) -> None:
    assert locks.acquire(store, "pull", "runner-a")
    assert not locks.acquire(store, "pull", "runner-b")
    assert locks.acquire(store, "other-job", "runner-b")
    locks.release(store, "pull", "runner-a")
    assert locks.acquire(store, "pull", "runner-b")


def test_expired_lease_of_a_dead_holder_is_taken_over(store: Store) -> None:
    assert locks.acquire(store, "pull", "killed-process", ttl=timedelta(seconds=-1))
    info = locks.lock_info(store, "pull")
    assert info is not None
    assert info.expired
    assert locks.acquire(store, "pull", "runner-b")
    assert locks.lock_info(store, "pull").holder == "runner-b"  # type: ignore[union-attr]


def test_force_unlock_clears_a_live_lease(store: Store) -> None:
    locks.acquire(store, "pull", "stuck")
    cleared = locks.force_unlock(store, "pull")
    assert cleared is not None
    assert cleared.holder == "stuck"
    assert locks.lock_info(store, "pull") is None
    assert locks.acquire(store, "pull", "fresh")


def test_lease_context_says_who_holds_it(store: Store) -> None:
    with locks.JobLease(store, "export", holder="first"), pytest.raises(LockHeldError, match="first"):
        locks.JobLease(store, "export", holder="second").__enter__()
    assert locks.lock_info(store, "export") is None


def _race(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    store = Store(url)
    barrier.wait()
    results.put(locks.acquire(store, "raced", locks.new_holder_id()))
    store.close()


def test_only_one_of_many_processes_wins(store: Store) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(store.url, barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    wins = [results.get(timeout=5) for _ in procs]
    assert wins.count(True) == 1
