"""Customers in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from exchange.store.bulk import insert_returning_ids
from exchange.store.schema import customers


def insert_customers(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Create customers (rows of the ``customers`` table); their ids in row order."""
    return insert_returning_ids(conn, customers, rows)
