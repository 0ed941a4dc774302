"""SQLAlchemy's exceptions become StoreErrors that say whether a retry can help, on a real store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc as sa
from sqlalchemy import text

from exchange.errors import ConfigError, StoreError
from exchange.store import Store
from exchange.store.errors import STORE_ERRORS, store_error
from exchange.translate import exception_classes


def test_each_core_sqlalchemy_exception_class_has_its_own_entry() -> None:
    # The ORM's classes are left out: the store uses Core only (see exchange/store/errors.py).
    classes = [c for c in exception_classes(sa.SQLAlchemyError, "sqlalchemy")
               if not c.__module__.startswith(("sqlalchemy.orm", "sqlalchemy.ext"))]
    assert len(classes) > 40
    missing = [c.__qualname__ for c in classes if not STORE_ERRORS.covers(c)]
    assert missing == [], f"untranslated SQLAlchemy exceptions: {missing}"


def test_no_such_table_is_not_retryable(store: Store) -> None:
    with pytest.raises(StoreError) as caught, store.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table_here"))
    assert not caught.value.retryable
    assert "no_such_table_here" in str(caught.value)
    assert "[SQL:" not in str(caught.value)  # the driver's reason, not SQLAlchemy's dump


def test_a_constraint_violation_is_not_retryable(store: Store) -> None:
    with pytest.raises(StoreError) as caught, store.begin() as conn:
        conn.execute(text("INSERT INTO schema_version (version) VALUES (NULL)"))
    assert not caught.value.retryable


def test_a_locked_database_is_retryable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with Store(f"sqlite:///{path}", busy_seconds=0.2) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
            # a deferred transaction (the engine's own writers wait)
            with store.connect() as conn, pytest.raises(sa.OperationalError) as raw:
                conn.exec_driver_sql("DELETE FROM schema_version WHERE version < 0")
            with pytest.raises(StoreError) as waited, store.begin() as conn:
                conn.exec_driver_sql("DELETE FROM schema_version WHERE version < 0")
        finally:
            holder.close()
    error = store_error(raw.value)
    assert isinstance(error, StoreError) and error.retryable
    assert "locked" in str(error)
    assert waited.value.retryable
    assert "busy" in str(waited.value)


def test_a_lost_connection_is_retryable() -> None:
    lost = sa.OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                               connection_invalidated=True)
    assert store_error(lost).retryable
    dropped = sa.InterfaceError("SELECT 1", {}, Exception("connection already closed"))
    assert store_error(dropped).retryable
    schema = sa.OperationalError("SELECT 1", {}, Exception("no such table: orders"))
    assert not store_error(schema).retryable


def test_a_bad_url_is_a_config_error() -> None:
    assert isinstance(store_error(sa.ArgumentError("could not parse")), ConfigError)
    with pytest.raises(ConfigError):
        Store("nosuchdialect://x")
