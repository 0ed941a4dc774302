"""Opening the ERP store: engine, SQLite pragmas, migrations, transactions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from exchange.errors import ConfigError
from exchange.store import migrations
from exchange.store.errors import store_error

DEFAULT_URL = "sqlite:///exchange.db"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _normalize_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship (extra "postgres"); make it explicit.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """The ERP store: one SQLAlchemy engine plus the schema it is migrated to."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
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
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
        except NoSuchModuleError as exc:
            raise ConfigError(f"unsupported database URL {parsed.render_as_string()}") from exc
        except ImportError as exc:
            raise ConfigError(
                f"database driver missing for {parsed.drivername}: pip install 'exchange[postgres]'"
            ) from exc
        if migrate:
            self.migrate()

    def __repr__(self) -> str:
        return f"Store({make_url(self.url).render_as_string(hide_password=True)!r})"

    def migrate(self) -> list[migrations.Migration]:
        """Bring the schema up to date."""
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
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (or for managing transactions yourself)."""
        try:
            with self.engine.connect() as conn:
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
