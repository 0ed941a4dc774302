"""Customers in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from exchange.store.bulk import insert_returning_ids
from exchange.store.documents import text_limits
from exchange.store.schema import customers, invoices, links, orders

# the most characters a customer's texts and a link's external id keep
CUSTOMER_TEXT_LIMITS = text_limits(customers)
LINK_ID_LIMIT = text_limits(links)["external_id"]


def insert_customers(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Create customers (rows of the ``customers`` table); their ids in row order."""
    return insert_returning_ids(conn, customers, rows)


_UPDATED = ("name", "company", "company_id", "vat_id", "email", "phone", "street", "house_number",
            "city", "postcode", "country", "state")


def update_customers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Update customers from newer documents: each row's ``id`` and the values it carries.

    An empty value keeps what is stored (one statement for the whole batch).
    """
    if not rows:
        return
    values: dict[str, Any] = {
        name: func.coalesce(func.nullif(bindparam(f"v_{name}"), ""), customers.c[name])
        for name in _UPDATED}
    values["updated_at"] = bindparam("v_updated_at")
    statement = update(customers).where(customers.c.id == bindparam("v_id")).values(values)
    conn.execute(statement, [{f"v_{k}": row.get(k, "") for k in (*_UPDATED, "id", "updated_at")}
                             for row in rows])


def customer_of(conn: Connection, table_name: str, doc_id: int) -> dict[str, Any] | None:
    """The customer row of an order or invoice (``orders`` or ``invoices``), if it has one."""
    table = {"orders": orders, "invoices": invoices}[table_name]
    row = conn.execute(select(customers).join(table, table.c.customer_id == customers.c.id)
                       .where(table.c.id == doc_id)).first()
    return dict(row._mapping) if row else None


def merge_customer(conn: Connection, *, other: int, into: int) -> bool:
    """Make customer ``other`` one with ``into``: its documents and links move over, and the row
    goes. Returns False (nothing changed) when ``into`` does not exist."""
    if other == into or conn.execute(select(customers.c.id).where(customers.c.id == into)).first() \
            is None:
        return False
    for table in (orders, invoices):
        conn.execute(update(table).where(table.c.customer_id == other).values(customer_id=into))
    conn.execute(update(links).where(links.c.kind == "customer", links.c.local_id == other)
                 .values(local_id=into))
    conn.execute(delete(customers).where(customers.c.id == other))
    return True
