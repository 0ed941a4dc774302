"""Ordered schema migrations; ``schema_version`` records which have run, so a database upgrades in place.

Rules: never edit a migration that has shipped; append a new one. Migration 1 creates the tables from
the current metadata, so a later migration that alters an existing table must check first (see
:func:`add_column_if_missing`) — it then works both on a fresh database and on an old one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, ForeignKey, Integer, String, inspect, select, text
from sqlalchemy.schema import CreateColumn

from exchange.documents import AMOUNT_DECIMALS
from exchange.store import schema
from exchange.store.types import DEC_PRECISION, SQLITE_DEC_LENGTH, Dec, UtcDateTime, utcnow


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


_MONEY_TABLES = ("orders", "invoices", "order_lines", "invoice_lines")


def _v7_exact_money(conn: Connection) -> None:
    # the columns of the money model (see schema.py), on old stores; fresh ones have them already
    for name in _MONEY_TABLES:
        table = schema.metadata.tables[name]
        existing = {c["name"] for c in inspect(conn).get_columns(name)}
        for column in table.columns:
            if column.name not in existing:
                add_column_if_missing(conn, name, column)
    decimal_columns = [(t.name, c.name) for t in schema.metadata.sorted_tables
                       for c in t.columns if isinstance(c.type, Dec)
                       and inspect(conn).has_table(t.name)]
    if conn.dialect.name == "sqlite":
        _sqlite_decimals_as_text(conn, decimal_columns)
    else:
        # 15 integer digits and 6 decimals, where NUMERIC(18, 6) held only 12
        for table_name, column_name in decimal_columns:
            conn.exec_driver_sql(f"ALTER TABLE {table_name} ALTER COLUMN {column_name} "
                                 f"TYPE NUMERIC({DEC_PRECISION}, {AMOUNT_DECIMALS})")


def _sqlite_decimals_as_text(conn: Connection, columns: list[tuple[str, str]]) -> None:
    """Give SQLite's decimal columns text affinity, so that amounts are kept exactly.

    SQLite cannot alter a column's type; its declared type only sets the affinity of values stored
    from then on, so the schema text is rewritten in place (the documented writable_schema way;
    the file format does not change) and the numbers already stored are turned into their text.
    """
    old_type, new_type = "NUMERIC(18, 6)", f"VARCHAR({SQLITE_DEC_LENGTH})"
    tables = sorted({t for t, _ in columns})
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table in tables:
            conn.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
                                 "WHERE type = 'table' AND name = ?", (old_type, new_type, table))
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    for table, column in columns:
        conn.exec_driver_sql(f"UPDATE {table} SET {column} = CAST({column} AS TEXT) "
                             f"WHERE typeof({column}) IN ('real', 'integer')")


def _v8_task_deliveries(conn: Connection) -> None:
    schema.task_deliveries.create(conn, checkfirst=True)


def _v9_order_modified_at(conn: Connection) -> None:
    add_column_if_missing(conn, "orders", Column("modified_at", UtcDateTime, nullable=True))


def _v10_erp_handoff(conn: Connection) -> None:
    add_column_if_missing(conn, "invoices", Column(
        "order_id", Integer, ForeignKey("orders.id", ondelete="SET NULL"), nullable=True))
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_invoices_order_id ON invoices (order_id)")
    schema.number_series.create(conn, checkfirst=True)
    schema.erp_handoffs.create(conn, checkfirst=True)


def _v11_shop_return(conn: Connection) -> None:
    for table in (schema.order_status_events, schema.order_status_out, schema.status_destinations,
                  schema.import_watermarks):
        table.create(conn, checkfirst=True)


def _v12_order_payments(conn: Connection) -> None:
    schema.order_payments.create(conn, checkfirst=True)


def _v13_customer_state(conn: Connection) -> None:
    add_column_if_missing(conn, "customers",
                          Column("state", String(100), nullable=False, server_default=""))


_MIGRATION_LOCK = 0x45584D47  # "EXMG": the advisory lock key of migrations

MIGRATIONS: list[Migration] = [
    Migration(1, "initial tables", _v1_initial),
    Migration(2, "console: mapping decisions, users, listing indexes", _v2_console),
    Migration(3, "feed state per destination", _v3_feed_destinations),
    Migration(4, "console: indexes of held documents and of shop + status listings", _v4_held_indexes),
    Migration(5, "http(s) sources: validators for conditional requests", _v5_http_validators),
    Migration(6, "runs remember their holder (host:pid), so a dead one's run reads as abandoned",
              _v6_run_holders),
    Migration(7, "exact amounts on SQLite and 15 integer digits; the money model of documents",
              _v7_exact_money),
    Migration(8, "scale-out: deliveries per task, so a redelivery is bounded", _v8_task_deliveries),
    Migration(9, "orders: the shop's own modification time, so an older export is held",
              _v9_order_modified_at),
    Migration(10, "ERP handoff: issued documents' order link, numbering series, handoff state",
              _v10_erp_handoff),
    Migration(11, "shop return: outgoing order status events, status destinations, import "
                  "watermarks", _v11_shop_return),
    Migration(12, "shop return: each order's ERP payment kind and sync mode", _v12_order_payments),
    Migration(13, "customers: the state, county or region of the address", _v13_customer_state),
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
    if conn.dialect.name == "postgresql":
        # several workers starting a new version at once: one migrates, the others wait and see it done
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _MIGRATION_LOCK})
    schema.schema_version.create(conn, checkfirst=True)
    applied = []
    for migration in pending(conn):
        migration.apply(conn)
        conn.execute(schema.schema_version.insert().values(
            version=migration.version, name=migration.name, applied_at=utcnow()))
        applied.append(migration)
    return applied
