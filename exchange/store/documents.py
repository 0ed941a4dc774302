"""Reading received orders and issued invoices back out of the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, select

from exchange.store.schema import customers, invoice_lines, invoices, order_lines, orders


def _listing(conn: Connection, table: Table, lines: Table, fk: str, date_col: str,
             *, shop: str | None, status: str | None, limit: int | None) -> list[dict[str, Any]]:
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
    if limit:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def list_orders(conn: Connection, *, shop: str | None = None, status: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    """Received orders, newest first, with customer name and line count."""
    return _listing(conn, orders, order_lines, "order_id", "ordered_at",
                    shop=shop, status=status, limit=limit)


def list_invoices(conn: Connection, *, shop: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Issued invoices and credit notes, newest first."""
    return _listing(conn, invoices, invoice_lines, "invoice_id", "issued_on",
                    shop=shop, status=None, limit=limit)


def order_lines_of(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    """An order's lines in position order."""
    query = select(order_lines).where(order_lines.c.order_id == order_id).order_by(
        order_lines.c.position)
    return [dict(r._mapping) for r in conn.execute(query)]
