"""Issuing documents from received orders: the orders to consider, their stock, the written document.

The engine (``exchange.handoff.realise``) decides; these functions read and write the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from exchange.store.schema import (
    customers,
    invoice_lines,
    invoices,
    order_lines,
    orders,
    products,
)

_IN_BATCH = 900

_CANDIDATE_COLUMNS = (
    orders.c.id, orders.c.shop, orders.c.external_id, orders.c.number, orders.c.status,
    orders.c.review_reason, orders.c.note, orders.c.paid, orders.c.amount_paid, orders.c.total,
    orders.c.warehouse_id, orders.c.ordered_at,
    customers.c.company_id.label("customer_company_id"),
    customers.c.vat_id.label("customer_vat_id"),
)


def candidate_orders(conn: Connection, *, shop: str | None = None,
                     numbers: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Orders with what realising needs to decide, oldest first, and the document already issued.

    ``numbers`` picks orders by number or external id; without it, every order (of ``shop``).
    """
    issued = (select(invoices.c.order_id, func.min(invoices.c.number).label("issued_number"))
              .where(invoices.c.order_id.is_not(None)).group_by(invoices.c.order_id).subquery())
    query = (select(*_CANDIDATE_COLUMNS, issued.c.issued_number)
             .outerjoin(customers, customers.c.id == orders.c.customer_id)
             .outerjoin(issued, issued.c.order_id == orders.c.id)
             .order_by(orders.c.ordered_at, orders.c.id))
    if shop:
        query = query.where(orders.c.shop == shop)
    if numbers is None:
        return [dict(r._mapping) for r in conn.execute(query)]
    wanted = list(dict.fromkeys(numbers))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), _IN_BATCH):
        part = wanted[start:start + _IN_BATCH]
        found += [dict(r._mapping) for r in conn.execute(
            query.where(orders.c.number.in_(part) | orders.c.external_id.in_(part)))]
    return found


def realised_orders(conn: Connection, order_ids: Sequence[int]) -> set[int]:
    """The orders among ``order_ids`` that a document was issued from (realised: their goods left,
    and the reservation they held ended as a stock issue)."""
    found: set[int] = set()
    ids = list(order_ids)
    for start in range(0, len(ids), _IN_BATCH):
        found.update(int(i) for i in conn.execute(
            select(invoices.c.order_id).where(invoices.c.order_id.in_(ids[start:start + _IN_BATCH]))
            .distinct()).scalars())
    return found


def order_lines_of(conn: Connection, order_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The lines of each order, in position order, with the product's service flag."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in order_ids}
    ids = list(order_ids)
    for start in range(0, len(ids), _IN_BATCH):
        rows = conn.execute(
            select(order_lines, products.c.is_service)
            .outerjoin(products, products.c.id == order_lines.c.product_id)
            .where(order_lines.c.order_id.in_(ids[start:start + _IN_BATCH]))
            .order_by(order_lines.c.order_id, order_lines.c.position))
        for row in rows:
            out[row.order_id].append(dict(row._mapping))
    return out


def stock_of(conn: Connection, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int],
                                                                          tuple[Decimal, Decimal]]:
    """(on hand, reserved) per (product id, warehouse id) that has a stock row."""
    from exchange.store.stock import current_levels

    return current_levels(conn, pairs)


def order_row(conn: Connection, order_id: int) -> dict[str, Any]:
    """The stored order's full row."""
    return dict(conn.execute(select(orders).where(orders.c.id == order_id)).one()._mapping)


def insert_issued_document(conn: Connection, row: dict[str, Any],
                           lines: Sequence[dict[str, Any]]) -> int:
    """Write one issued document (invoice, receipt) and its lines; returns its id."""
    key = conn.execute(insert(invoices).values(**row))
    doc_id = int(key.inserted_primary_key[0])  # type: ignore[index]
    if lines:
        conn.execute(insert(invoice_lines), [{**ln, "invoice_id": doc_id} for ln in lines])
    return doc_id
