"""Opening the ERP store: engine, SQLite pragmas, migrations, transactions.

SQLite allows one writer at a time. A deferred transaction that reads and then writes cannot wait
for the lock in WAL mode (its snapshot is stale: "database is locked" at once), so every
transaction of ``begin()`` starts with ``BEGIN IMMEDIATE``: it takes the write lock first, and
waits for it. Each attempt waits the busy timeout; a busy ``BEGIN`` is tried again until
``busy_seconds`` have passed, then it is a retryable StoreError that says so. ``connect()`` is for
reads (a deferred ``BEGIN``: readers never wait in WAL mode) unless asked for ``write=True``.
PostgreSQL needs none of this.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from exchange.errors import ConfigError, StoreError
from exchange.store import migrations
from exchange.store.errors import store_error

DEFAULT_URL = "sqlite:///exchange.db"
#: How long a SQLite writer waits for another one in all (seconds), and per attempt.
BUSY_SECONDS = 180.0
_ATTEMPT_SECONDS = 10.0
#: The execution option that picks the SQLite BEGIN of a connection's transactions.
_BEGIN = "exchange_sqlite_begin"
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

log = logging.getLogger(__name__)


def _is_busy(exc: SQLAlchemyError) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    return "database is locked" in str(orig)


class _SQLiteWriters:
    """The pysqlite "begin" recipe: our own BEGIN, IMMEDIATE for writers, retried while busy."""

    def __init__(self, busy_seconds: float) -> None:
        self.busy_seconds = busy_seconds
        self.attempt_ms = max(1, int(min(_ATTEMPT_SECONDS, busy_seconds) * 1000))
        self.held = threading.local()  # this thread's open writer transaction (a Connection)

    def listen(self, engine: Engine) -> None:
        """Hook the engine's connections and transactions."""
        event.listen(engine, "connect", self.connect)
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "commit", self.end)
        event.listen(engine, "rollback", self.end)

    def end(self, conn: Connection) -> None:
        if getattr(self.held, "conn", None) is conn:
            self.held.conn = None

    def connect(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite emits no BEGIN (nor COMMIT before DDL)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={self.attempt_ms}")  # first: WAL needs the lock
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def begin(self, conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN, "IMMEDIATE")
        if mode == "IMMEDIATE":
            outer = getattr(self.held, "conn", None)
            if outer is not None and outer is not conn and not outer.closed:
                raise StoreError("a second writer transaction in one thread would wait for the "
                                 "first one forever (nested store.begin())", retryable=False)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
                if mode == "IMMEDIATE":
                    self.held.conn = conn
                return
            except OperationalError as exc:
                waited = time.monotonic() - started
                if not _is_busy(exc):
                    raise
                if waited >= self.busy_seconds:
                    raise StoreError(
                        f"the store is busy: another process held the SQLite write lock for "
                        f"{waited:.0f} s ({attempt} attempts); try again, or use PostgreSQL for "
                        "many concurrent writers", retryable=True) from exc
                log.warning("store busy: waiting for another SQLite writer (%.0f s so far)", waited)
                time.sleep(random.uniform(0.01, 0.1))  # jitter


def _normalize_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship (extra "postgres"); make it explicit.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """The ERP store: one SQLAlchemy engine plus the schema it is migrated to."""

    def __init__(self, url: str | None = None, *, migrate: bool = True,
                 busy_seconds: float = BUSY_SECONDS) -> None:
        self.url = _normalize_url(url or os.environ.get("EXCHANGE_DATABASE_URL") or DEFAULT_URL)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigError(f"invalid database URL {self.url!r}") from exc
        self.dialect = parsed.get_backend_name()
        try:
            if self.dialect == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = create_engine(self.url)
                _SQLiteWriters(busy_seconds).listen(self.engine)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
        except NoSuchModuleError as exc:
            raise ConfigError(f"unsupported database URL {parsed.render_as_string()}") from exc
        except ImportError as exc:
            raise ConfigError(
                f"database driver missing for {parsed.drivername}: pip install 'psycopg[binary]' "
                f"(the postgres extra of eshop-erp-exchange)"
            ) from exc
        if migrate:
            self.migrate()

    def __repr__(self) -> str:
        return f"Store({make_url(self.url).render_as_string(hide_password=True)!r})"

    def migrate(self) -> list[migrations.Migration]:
        """Bring the schema up to date (an up-to-date SQLite store is only read: no writer wait)."""
        if self.dialect == "sqlite":
            with self.connect() as conn:
                if inspect(conn).has_table("schema_version") and not migrations.pending(conn):
                    return []
        with self.begin() as conn:
            return migrations.migrate(conn)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise store_error(exc) from exc

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection for reads; ``write=True`` to manage write transactions yourself."""
        try:
            with self.engine.connect() as conn:
                if not write:
                    conn.execution_options(**{_BEGIN: "DEFERRED"})
                yield conn
        except SQLAlchemyError as exc:
            raise store_error(exc) from exc

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
