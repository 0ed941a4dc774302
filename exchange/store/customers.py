"""Customers in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from exchange.store.bulk import insert_returning_ids
from exchange.store.documents import text_limits
from exchange.store.schema import customers, links

# the most characters a customer's texts and a link's external id keep
CUSTOMER_TEXT_LIMITS = text_limits(customers)
LINK_ID_LIMIT = text_limits(links)["external_id"]


def insert_customers(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Create customers (rows of the ``customers`` table); their ids in row order."""
    return insert_returning_ids(conn, customers, rows)
