"""What the store holds, table by table: to show that a refused document left it unchanged."""

from __future__ import annotations

from sqlalchemy import func, select

from exchange.store import Store
from exchange.store.schema import (
    customers,
    invoice_lines,
    invoices,
    order_lines,
    orders,
    products,
    stock_levels,
    stock_moves,
)

DOCUMENT_TABLES = (orders, order_lines, invoices, invoice_lines, customers, products, stock_levels,
                   stock_moves)


def document_counts(store: Store) -> dict[str, int]:
    """Rows per document table (history and file records are left out: a refusal is recorded)."""
    with store.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                for t in DOCUMENT_TABLES}


def stored_text(store: Store) -> str:
    """Every value of every table, as text: to look for a string anywhere in the store."""
    from exchange.store import schema

    out: list[str] = []
    with store.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                out.extend(str(value) for value in row)
    return "\n".join(out)
