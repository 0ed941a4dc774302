"""Numbering series of issued documents: one counter per series (document kind) and year.

The next number is taken inside the caller's transaction (or SAVEPOINT): a document that is rolled
back gives its number back with it, so a series has no gaps. On PostgreSQL the counter's row is
locked by the update until the transaction ends, so two realisers never take the same number.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from exchange.store.schema import number_series
from exchange.store.types import utcnow


def take_number(conn: Connection, series: str, year: int) -> int:
    """The next number of ``series`` in ``year`` (1 for the first), counted in this transaction.

    A new series' row is made with ``ON CONFLICT DO NOTHING`` first, so two transactions starting
    the same series at once both go on to the update, one after the other.
    """
    t = number_series
    make = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(t).values(
        series=series, year=year, last_number=0, updated_at=utcnow())
    conn.execute(make.on_conflict_do_nothing(index_elements=["series", "year"]))
    taken = conn.execute(update(t).where(t.c.series == series, t.c.year == year)
                         .values(last_number=t.c.last_number + 1, updated_at=utcnow())
                         .returning(t.c.last_number)).scalar_one()
    return int(taken)


def last_numbers(conn: Connection) -> dict[tuple[str, int], int]:
    """The last number taken per (series, year)."""
    t = number_series
    return {(s, int(y)): int(n) for s, y, n in conn.execute(
        select(t.c.series, t.c.year, t.c.last_number))}
