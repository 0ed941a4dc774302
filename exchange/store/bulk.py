"""Lean bulk writes for hot paths (the importer): one prepared statement, rows as tuples, executemany.

SQLAlchemy Core's executemany builds and type-processes a parameter dict per row, which costs more
than writing the row. Here the statement text is built once per table and column list, values are
converted once by this module with the same storage rules as :mod:`exchange.store.types` (Decimal as
exact text and timestamps as naive UTC text on SQLite; native values on PostgreSQL), and the DBAPI
cursor's ``executemany`` does the rest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table, insert

from exchange.memo import Memo
from exchange.store.types import Dec, UtcDateTime, decimal_text

_JSON = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps without its per-call set-up


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _same_text(value: Decimal | None) -> bool:
    """True for a Decimal: equal Decimals (``1.0``, ``1.00``) may share one text, the same number."""
    return value is None or type(value) is Decimal


class PythonValues:
    """The converters of :class:`Bulk` that keep Python values (to compare rows, not to write)."""

    @staticmethod
    def dec(value: Decimal | None) -> Any:
        """A Decimal as it is."""
        return value

    @staticmethod
    def ts(value: datetime | None) -> Any:
        """A datetime as it is."""
        return value

    @staticmethod
    def day(value: date | None) -> Any:
        """A date as it is."""
        return value

    @staticmethod
    def js(value: Any) -> Any:
        """A JSON value as it is."""
        return value


class Bulk:
    """Value converters and executemany for one store dialect."""

    def __init__(self, conn: Connection) -> None:
        dialect = conn.dialect
        self.sqlite = dialect.name == "sqlite"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._plans: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._last_ts: tuple[datetime | None, Any] = (None, None)
        # SQLite keeps Decimals as exact text; a file repeats the same few prices and quantities
        self._texts: Memo[Decimal | None, str | None] = Memo(_text, _same_text)
        if self.sqlite:
            # a million calls in a big import: the memo's own C lookup, not a method around it
            self.dec = self._texts.__getitem__  # type: ignore[method-assign,assignment]

    def dec(self, value: Decimal | None) -> Any:
        """A Decimal for a ``Dec`` column."""
        return self._texts[value] if self.sqlite else value

    def ts(self, value: datetime | None) -> Any:
        """A tz-aware datetime for a ``UtcDateTime`` column."""
        if value is None:
            return None
        if value is self._last_ts[0]:  # a chunk stamps every row with the same "now"
            return self._last_ts[1]
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; timestamps must be tz-aware")
        converted = self._ts(value)
        self._last_ts = (value, converted)
        return converted

    def _ts(self, value: datetime) -> Any:
        if not self.sqlite:
            return value
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        # SQLAlchemy's SQLite DATETIME text form; isoformat is ~2x faster than strftime
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(self, value: date | None) -> Any:
        """A date for a ``Date`` column."""
        if value is None:
            return None
        return value.isoformat() if self.sqlite else value

    @staticmethod
    def js(value: Any) -> Any:
        """A value for a JSON column."""
        return None if value is None else _JSON(value)

    def insert(self, conn: Connection, table: Table, columns: tuple[str, ...],
               rows: Sequence[Sequence[Any]]) -> None:
        """INSERT many rows given as tuples in ``columns`` order."""
        if not rows:
            return
        key = (table.name, columns)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                                    f"VALUES ({', '.join([self.mark] * len(columns))})")
        conn.exec_driver_sql(sql, list(rows))

    def update(self, conn: Connection, table: Table, columns: tuple[str, ...],
               rows: Sequence[Sequence[Any]], key: str = "id") -> None:
        """UPDATE many rows given as tuples in ``columns`` order followed by the ``key`` value."""
        if not rows:
            return
        sets = ", ".join(f"{c} = {self.mark}" for c in columns)
        conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = {self.mark}",
                             list(rows))

    def execute_many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Any statement written with ``?`` marks, for many rows."""
        if rows:
            conn.exec_driver_sql(sql if self.mark == "?" else sql.replace("?", self.mark),
                                 list(rows))

    def insert_dicts(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """INSERT many rows given as dicts with the same keys, converted per column type."""
        if not rows:
            return
        columns = tuple(rows[0])
        key = (table.name, columns)
        plan = self._plans.get(key)
        if plan is None:
            converters = [(i, self._converter(table.c[c].type)) for i, c in enumerate(columns)]
            plan = self._plans[key] = (itemgetter(*columns),
                                       tuple((i, c) for i, c in converters if c is not None))
        getter, convert = plan
        out = []
        for row in rows:
            values = list(getter(row))
            for i, conv in convert:
                values[i] = conv(values[i])
            out.append(tuple(values))
        self.insert(conn, table, columns, out)

    def _converter(self, column_type: Any) -> Callable[[Any], Any] | None:
        if isinstance(column_type, Dec):
            return self.dec
        if isinstance(column_type, UtcDateTime):
            return self.ts
        if isinstance(column_type, JSON):
            return self.js
        if isinstance(column_type, Date):
            return self.day
        return None


# SQLite's page cache while a file is written: its default 2 MiB is smaller than the indexes a big
# import touches, so dirty pages were spilled to the WAL and read back within the one transaction
WRITE_CACHE_KIB = 16 * 1024


@contextmanager
def write_cache(conn: Connection, kib: int = WRITE_CACHE_KIB) -> Iterator[None]:
    """A bigger SQLite page cache on ``conn`` while the block runs (PostgreSQL: nothing to do).

    The cache grows only as pages are touched, so a small import costs no more memory.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    # on the driver's connection: a statement through SQLAlchemy would begin a transaction
    sqlite = conn.connection.driver_connection
    assert sqlite is not None
    before = int(sqlite.execute("PRAGMA cache_size").fetchone()[0])
    sqlite.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        if not conn.closed and not conn.invalidated:
            with suppress(sqlite3.Error):  # a connection that broke meanwhile is discarded anyway
                sqlite.execute(f"PRAGMA cache_size = {before}")


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their ids in row order.

    ``sort_by_parameter_order`` would make SQLAlchemy insert one row per statement on SQLite;
    instead the rows are inserted in multi-row batches and their ids are matched back through
    the inserted values (rows with equal values are interchangeable).
    """
    if not rows:
        return []
    columns = [c for c in rows[0] if c not in ("created_at", "updated_at")]
    result = conn.execute(insert(table).returning(table.c.id,
                                                  *(table.c[c] for c in columns)), rows)
    by_values: dict[tuple[Any, ...], list[int]] = {}
    for row in result:
        by_values.setdefault(tuple(row[1:]), []).append(int(row[0]))
    return [by_values[tuple(row[c] for c in columns)].pop() for row in rows]
