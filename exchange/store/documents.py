"""Received orders and issued invoices: listings, and the batched writes the importer uses.

The importer builds each row as a tuple in the column order given here (``ORDER_COLUMNS`` …) with
the converters of a :class:`~exchange.store.bulk.Bulk`; the functions below write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, String, Table, delete, func, select, update

from exchange.store.bulk import Bulk
from exchange.store.schema import customers, invoice_lines, invoices, order_lines, orders
from exchange.store.types import utcnow

_IN_BATCH = 900

# the money model's columns, the same on orders and invoices (see documents.Money)
MONEY_COLUMNS = ("total_net", "total_vat", "rounding", "vat_breakdown", "exchange_rate",
                 "home_currency_total", "paid", "amount_paid", "paid_at", "payment_code",
                 "shipping_code", "pickup_point_id", "pickup_point_name", "tracking_number")
LINE_MONEY_COLUMNS = ("unit_price_gross", "unit_price_net", "line_total_gross", "line_total_net")
ORDER_COLUMNS = ("shop", "external_id", "number", "status", "shop_status", "ordered_at",
                 "currency", "customer_id", "payment_method", "shipping_method", "total",
                 "prices_include_vat", "note", "billing_address", "delivery_address",
                 "warehouse_id", "point_of_sale", "content_hash", "review_reason",
                 "source_file", "imported_at", "updated_at", *MONEY_COLUMNS, "modified_at")
ORDER_LINE_COLUMNS = ("order_id", "position", "kind", "product_id", "code", "ean", "name",
                      "variant", "quantity", "unit", "unit_price", "vat_rate", "discount_percent",
                      "line_total", *LINE_MONEY_COLUMNS)
INVOICE_COLUMNS = ("shop", "external_id", "number", "kind", "issued_on", "tax_date", "due_on",
                   "variable_symbol", "order_number", "currency", "customer_id",
                   "payment_method", "total", "prices_include_vat", "note", "content_hash",
                   "review_reason", "source_file", "imported_at", "updated_at", *MONEY_COLUMNS,
                   "delivery_address")
INVOICE_LINE_COLUMNS = ("invoice_id", "position", "kind", "product_id", "code", "name",
                        "quantity", "unit", "unit_price", "vat_rate", "discount_percent",
                        "line_total", *LINE_MONEY_COLUMNS)


def text_limits(table: Table) -> dict[str, int]:
    """The most characters each bounded text column of ``table`` keeps.

    PostgreSQL refuses a longer value and SQLite would keep it; the importer checks values against
    these bounds first, so both stores take and refuse the same documents.
    """
    return {c.name: int(c.type.length) for c in table.columns
            if isinstance(c.type, String) and c.type.length}


@dataclass(frozen=True)
class DocumentTables:
    """A document table, its lines table, and their columns in row order."""

    table: Table
    lines: Table
    fk: str
    columns: tuple[str, ...]
    line_columns: tuple[str, ...]


ORDERS = DocumentTables(orders, order_lines, "order_id", ORDER_COLUMNS, ORDER_LINE_COLUMNS)
INVOICES = DocumentTables(invoices, invoice_lines, "invoice_id", INVOICE_COLUMNS,
                          INVOICE_LINE_COLUMNS)


def _listing(conn: Connection, table: Table, lines: Table, fk: str, date_col: str,
             *, shop: str | None, status: str | None, limit: int | None,
             kind: str | None = None) -> list[dict[str, Any]]:
    line_count = (select(getattr(lines.c, fk), func.count().label("line_count"))
                  .group_by(getattr(lines.c, fk)).subquery())
    query = (select(table, customers.c.name.label("customer_name"),
                    customers.c.company.label("customer_company"),
                    func.coalesce(line_count.c.line_count, 0).label("line_count"))
             .outerjoin(customers, customers.c.id == table.c.customer_id)
             .outerjoin(line_count, getattr(line_count.c, fk) == table.c.id)
             .order_by(getattr(table.c, date_col).desc(), table.c.id.desc()))
    if shop:
        query = query.where(table.c.shop == shop)
    if status:
        query = query.where(table.c.status == status) if "status" in table.c else query
    if kind:
        query = query.where(table.c.kind == kind)
    if limit:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def list_orders(conn: Connection, *, shop: str | None = None, status: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    """Received orders, newest first, with customer name and line count."""
    return _listing(conn, orders, order_lines, "order_id", "ordered_at",
                    shop=shop, status=status, limit=limit)


def list_invoices(conn: Connection, *, shop: str | None = None, kind: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Issued invoices, credit notes and receipts (``kind`` filters), newest first."""
    return _listing(conn, invoices, invoice_lines, "invoice_id", "issued_on",
                    shop=shop, status=None, limit=limit, kind=kind)


# -- writes for the importer --------------------------------------------------------------------
def existing_documents(conn: Connection, tables: DocumentTables, shop: str,
                       external_ids: Sequence[str]) -> list[Row[Any]]:
    """(external id, id, content hash, review reason[, status, warehouse id, modified at]) of
    stored documents."""
    t = tables.table
    cols = [t.c.external_id, t.c.id, t.c.content_hash, t.c.review_reason]
    if "status" in t.c:
        cols += [t.c.status, t.c.warehouse_id, t.c.modified_at]
    found: list[Row[Any]] = []
    ids = list(external_ids)
    for start in range(0, len(ids), _IN_BATCH):
        found += conn.execute(select(*cols).where(
            t.c.shop == shop, t.c.external_id.in_(ids[start:start + _IN_BATCH]))).all()
    return found


def insert_documents(conn: Connection, bulk: Bulk, tables: DocumentTables,
                     rows: Sequence[Sequence[Any]], shop: str) -> dict[str, int]:
    """Insert new documents (rows in ``tables.columns`` order); their ids by external id."""
    if not rows:
        return {}
    bulk.insert(conn, tables.table, tables.columns, rows)
    ext = tables.columns.index("external_id")
    t = tables.table
    # the new ids, by (shop, external id): unique, and one query per chunk
    return {e: int(i) for e, i in conn.execute(select(t.c.external_id, t.c.id).where(
        t.c.shop == shop, t.c.external_id.in_([row[ext] for row in rows]))).all()}


def update_documents(conn: Connection, bulk: Bulk, tables: DocumentTables,
                     columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
    """Update documents: each row holds ``columns`` then the document's id."""
    bulk.update(conn, tables.table, columns, rows)


def document_line_quantities(conn: Connection, tables: DocumentTables,
                             doc_id: int) -> list[tuple[int | None, Decimal]]:
    """(product id, quantity) of a stored document's lines."""
    lt = tables.lines
    query = select(lt.c.product_id, lt.c.quantity).where(lt.c[tables.fk] == doc_id)
    return [(r[0], r[1]) for r in conn.execute(query)]


def stored_document(conn: Connection, tables: DocumentTables,
                    doc_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored document's row and its lines in position order."""
    t, lt = tables.table, tables.lines
    row = dict(conn.execute(select(t).where(t.c.id == doc_id)).one()._mapping)
    lines = [dict(r._mapping) for r in conn.execute(
        select(lt).where(lt.c[tables.fk] == doc_id).order_by(lt.c.position))]
    return row, lines


def replace_lines(conn: Connection, bulk: Bulk, tables: DocumentTables,
                  replaced: Sequence[int], rows: Sequence[Sequence[Any]]) -> None:
    """Delete the lines of the ``replaced`` documents, then insert ``rows`` (line column order)."""
    ids = list(replaced)
    for start in range(0, len(ids), _IN_BATCH):
        conn.execute(delete(tables.lines).where(
            tables.lines.c[tables.fk].in_(ids[start:start + _IN_BATCH])))
    bulk.insert(conn, tables.lines, tables.line_columns, rows)


def set_review_reason(conn: Connection, tables: DocumentTables, doc_ids: Sequence[int],
                      reason: str) -> None:
    """Set (or, with ``""``, clear) the review reason of documents."""
    if doc_ids:
        conn.execute(update(tables.table).where(tables.table.c.id.in_(list(doc_ids)))
                     .values(review_reason=reason, updated_at=utcnow()))
