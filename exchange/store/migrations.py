"""Ordered schema migrations; ``schema_version`` records which have run, so a database upgrades in place.

Rules: never edit a migration that has shipped; append a new one. Migration 1 creates the tables from
the current metadata, so a later migration that alters an existing table must check first (see
:func:`add_column_if_missing`) — it then works both on a fresh database and on an old one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, String, inspect, select
from sqlalchemy.schema import CreateColumn

from exchange.store import schema
from exchange.store.types import utcnow


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def add_column_if_missing(conn: Connection, table: str, column: Column) -> None:  # type: ignore[type-arg]
    """ALTER TABLE … ADD COLUMN unless the column is already there."""
    existing = {c["name"] for c in inspect(conn).get_columns(table)}
    if column.name in existing:
        return
    ddl = CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {ddl}")


_V1_TABLES = [
    "customers", "products", "product_labels", "price_lists", "product_prices", "warehouses",
    "stock_levels", "stock_moves", "orders", "order_lines", "invoices", "invoice_lines", "links",
    "processed_files", "runs", "events", "outbox", "job_locks", "feed_publications",
]


def _v1_initial(conn: Connection) -> None:
    tables = [schema.metadata.tables[name] for name in _V1_TABLES]
    schema.metadata.create_all(conn, tables=tables)


def _v2_console(conn: Connection) -> None:
    tables = [schema.mapping_decisions, schema.console_users]
    schema.metadata.create_all(conn, tables=tables)
    # the console lists orders newest first and filters them by status and shop
    for name, table, cols in (("ix_orders_ordered_at", "orders", "ordered_at"),
                              ("ix_orders_status", "orders", "status"),
                              ("ix_invoices_issued_on", "invoices", "issued_on"),
                              ("ix_events_kind_at", "events", "kind, at"),
                              ("ix_events_document", "events", "document")):
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})")


def _v3_feed_destinations(conn: Connection) -> None:
    add_column_if_missing(conn, "feed_publications",
                          Column("destination", String(1000), nullable=False, server_default=""))
    schema.feed_destination_codes.create(conn, checkfirst=True)


def _v4_held_indexes(conn: Connection) -> None:
    # the review queue and the held counts read only held documents: a partial index finds them
    for name, table, cols, where in (
            ("ix_orders_shop_status_ordered_at", "orders", "shop, status, ordered_at", ""),
            ("ix_orders_held", "orders", "shop, review_reason", " WHERE review_reason != ''"),
            ("ix_invoices_held", "invoices", "shop, review_reason", " WHERE review_reason != ''")):
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols}){where}")


def _v5_http_validators(conn: Connection) -> None:
    schema.http_validators.create(conn, checkfirst=True)


def _v6_run_holders(conn: Connection) -> None:
    add_column_if_missing(conn, "runs",
                          Column("holder", String(200), nullable=False, server_default=""))


MIGRATIONS: list[Migration] = [
    Migration(1, "initial tables", _v1_initial),
    Migration(2, "console: mapping decisions, users, listing indexes", _v2_console),
    Migration(3, "feed state per destination", _v3_feed_destinations),
    Migration(4, "console: indexes of held documents and of shop + status listings", _v4_held_indexes),
    Migration(5, "http(s) sources: validators for conditional requests", _v5_http_validators),
    Migration(6, "runs remember their holder (host:pid), so a dead one's run reads as abandoned",
              _v6_run_holders),
]


def current_version(conn: Connection) -> int:
    """The highest applied migration, 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    row = conn.execute(select(schema.schema_version.c.version).order_by(
        schema.schema_version.c.version.desc()).limit(1)).first()
    return int(row[0]) if row else 0


def pending(conn: Connection) -> list[Migration]:
    """Migrations not yet applied, in order."""
    done = current_version(conn)
    return [m for m in MIGRATIONS if m.version > done]


def migrate(conn: Connection) -> list[Migration]:
    """Apply every pending migration, each recorded in ``schema_version``; return those applied."""
    schema.schema_version.create(conn, checkfirst=True)
    applied = []
    for migration in pending(conn):
        migration.apply(conn)
        conn.execute(schema.schema_version.insert().values(
            version=migration.version, name=migration.name, applied_at=utcnow()))
        applied.append(migration)
    return applied
