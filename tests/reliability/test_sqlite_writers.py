"""SQLite writers wait for each other (BEGIN IMMEDIATE, busy timeout, bounded retries) instead of failing."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from exchange.errors import StoreError
from exchange.store import Store

_MAX = text("SELECT COALESCE(MAX(v), 0) FROM marks")
_ADD = text("INSERT INTO marks (v) VALUES (:v)")


def _versions(store: Store) -> list[int]:
    with store.connect() as conn:
        return sorted(conn.execute(text("SELECT v FROM marks")).scalars())


def _open(path: Path, busy_seconds: float = 180.0) -> Store:
    store = Store(f"sqlite:///{path}", busy_seconds=busy_seconds)
    with store.begin() as conn:  # a table of the test's own, beside the store's
        conn.execute(text("CREATE TABLE IF NOT EXISTS marks (v INTEGER)"))
    return store


def test_two_writers_that_read_first_see_each_other(tmp_path: Path) -> None:
    """Each writer reads the highest mark and adds the next one. Before, pysqlite began the
    transaction only at the INSERT: the second writer's row slipped in between the first writer's
    read and write, and both wrote 1. With BEGIN IMMEDIATE the second writer waits for the first."""
    store = _open(tmp_path / "race.db")
    first_read, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def add_next(conn: Connection) -> None:
        conn.execute(_ADD, {"v": conn.execute(_MAX).scalar_one() + 1})

    def second() -> None:
        first_read.wait(10)
        try:
            with store.begin() as conn:
                add_next(conn)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with store.begin() as conn:
            high = conn.execute(_MAX).scalar_one()
            first_read.set()
            second_done.wait(1)  # a deferred second writer commits meanwhile; an immediate one waits
            conn.execute(_ADD, {"v": high + 1})
    finally:
        first_read.set()
        thread.join(30)
    assert errors == []
    assert _versions(store) == [1, 2]
    store.close()


def test_a_writer_waits_only_as_long_as_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    with _open(path, busy_seconds=0.3) as store:
        before = _versions(store)
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError) as caught, store.begin() as conn:
                conn.execute(_ADD, {"v": 1001})
        finally:
            holder.close()
        assert caught.value.retryable
        assert "busy" in str(caught.value) and "write lock" in str(caught.value)
        assert _versions(store) == before
        with store.begin() as conn:  # the lock is free again: the same store writes
            conn.execute(_ADD, {"v": 1001})
        assert _versions(store) == sorted([*before, 1001])


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    with _open(path, busy_seconds=0.3) as store:
        before = _versions(store)
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("INSERT INTO marks (v) VALUES (1001)")
            assert _versions(store) == before  # WAL: the committed state, at once
        finally:
            holder.close()


def test_a_new_store_waits_for_the_writer_to_migrate(tmp_path: Path) -> None:
    """Migrations run in a writer transaction: a process creating the schema waits for the lock."""
    path = tmp_path / "open.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")  # as the first process's store set it
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE other (v INTEGER)")
    opened: list[Store] = []
    thread = threading.Thread(target=lambda: opened.append(Store(f"sqlite:///{path}")))
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and not opened  # waiting, not failed
    holder.execute("COMMIT")
    holder.close()
    thread.join(30)
    assert len(opened) == 1
    with opened[0].connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM schema_version")).scalar_one() > 0
    opened[0].close()


def test_an_up_to_date_store_opens_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "open.db"
    Store(f"sqlite:///{path}").close()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with Store(f"sqlite:///{path}", busy_seconds=0.3) as store, store.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM schema_version")).scalar_one() > 0
    finally:
        holder.close()


def test_a_nested_writer_in_one_thread_fails_at_once_instead_of_waiting_for_itself(
        tmp_path: Path) -> None:
    with _open(tmp_path / "nested.db") as store:
        with pytest.raises(StoreError) as caught, store.begin() as outer:
            outer.execute(_ADD, {"v": 1})
            with store.begin() as inner:
                inner.execute(_ADD, {"v": 2})
        assert "nested" in str(caught.value) and not caught.value.retryable
        assert _versions(store) == []
        with store.begin() as conn:  # the thread's writer is free again
            conn.execute(_ADD, {"v": 3})
        assert _versions(store) == [3]
