"""Customers in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, update

from exchange.store.bulk import insert_returning_ids
from exchange.store.documents import text_limits
from exchange.store.schema import customers, links

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
