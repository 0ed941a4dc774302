"""Catalogue in the store: products, labels, price lists, warehouses, stock levels and moves."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, type_coerce, update

from exchange.documents import Price, Product
from exchange.store.schema import (
    price_lists,
    product_labels,
    product_prices,
    products,
    stock_levels,
    stock_moves,
    warehouses,
)
from exchange.store.types import Dec, utcnow

ZERO = Decimal("0")


def ensure_price_list(
    conn: Connection, name: str, currency: str = "CZK", includes_vat: bool = True
) -> int:
    """The id of price list ``name``, created when missing."""
    found = conn.execute(select(price_lists.c.id).where(price_lists.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(price_lists).values(
        name=name, currency=currency, includes_vat=includes_vat)).inserted_primary_key[0])


def ensure_warehouse(conn: Connection, code: str, name: str = "") -> int:
    """The id of warehouse ``code``, created when missing."""
    found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(warehouses).values(code=code, name=name or code))
               .inserted_primary_key[0])


def product_id_by_code(conn: Connection, code: str) -> int | None:
    """The id of the product with this code, if any."""
    found = conn.execute(select(products.c.id).where(products.c.code == code)).scalar()
    return int(found) if found is not None else None


def find_product(
    conn: Connection, *, code: str = "", ean: str = "", name: str = ""
) -> int | None:
    """Match a product by code, then EAN, then exact name; None when nothing matches."""
    if code and (pid := product_id_by_code(conn, code)) is not None:
        return pid
    for column, value in ((products.c.ean, ean), (products.c.name, name)):
        if value:
            found = conn.execute(select(products.c.id).where(column == value)
                                 .order_by(products.c.id).limit(1)).scalar()
            if found is not None:
                return int(found)
    return None


def upsert_product(conn: Connection, product: Product) -> tuple[int, bool]:
    """Create or update a product by code, with its labels and prices; returns (id, created)."""
    now = utcnow()
    parent_id = product_id_by_code(conn, product.parent_code) if product.parent_code else None
    values: dict[str, Any] = {
        "ean": product.ean, "name": product.name, "unit": product.unit,
        "vat_rate": product.vat_rate, "is_service": product.is_service, "parent_id": parent_id,
        "variant_name": product.variant_name, "description": product.description,
        "manufacturer": product.manufacturer, "url": product.url,
        "image_url": product.image_url, "category": product.category, "updated_at": now,
    }
    pid = product_id_by_code(conn, product.code)
    created = pid is None
    if pid is None:
        pid = int(conn.execute(insert(products).values(code=product.code, created_at=now, **values))
                  .inserted_primary_key[0])
    else:
        conn.execute(update(products).where(products.c.id == pid).values(**values))
    set_labels(conn, pid, product.labels)
    for price in product.prices:
        set_price(conn, pid, price)
    return pid, created


def set_labels(conn: Connection, product_id: int, labels: Iterable[str]) -> None:
    """Replace a product's labels."""
    conn.execute(delete(product_labels).where(product_labels.c.product_id == product_id))
    unique = sorted({label.strip() for label in labels if label.strip()})
    if unique:
        conn.execute(insert(product_labels),
                     [{"product_id": product_id, "label": label} for label in unique])


def set_price(conn: Connection, product_id: int, price: Price) -> None:
    """Set a product's price in one price list (created when missing)."""
    list_id = ensure_price_list(conn, price.price_list, price.currency, price.includes_vat)
    now = utcnow()
    changed = conn.execute(
        update(product_prices)
        .where(and_(product_prices.c.product_id == product_id,
                    product_prices.c.price_list_id == list_id))
        .values(amount=price.amount, updated_at=now)
    ).rowcount
    if not changed:
        conn.execute(insert(product_prices).values(
            product_id=product_id, price_list_id=list_id, amount=price.amount, updated_at=now))


def _stock_row(conn: Connection, product_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    row = conn.execute(select(stock_levels.c.on_hand, stock_levels.c.reserved).where(and_(
        stock_levels.c.product_id == product_id, stock_levels.c.warehouse_id == warehouse_id))
    ).first()
    if row is None:
        conn.execute(insert(stock_levels).values(
            product_id=product_id, warehouse_id=warehouse_id, on_hand=ZERO, reserved=ZERO,
            updated_at=utcnow()))
        return ZERO, ZERO
    return row.on_hand, row.reserved


def _write_stock(conn: Connection, product_id: int, warehouse_id: int, **values: Any) -> None:
    conn.execute(update(stock_levels).where(and_(
        stock_levels.c.product_id == product_id, stock_levels.c.warehouse_id == warehouse_id))
        .values(updated_at=utcnow(), **values))
    # a stock change is a product change for differential feeds
    conn.execute(update(products).where(products.c.id == product_id).values(updated_at=utcnow()))


def _record_move(conn: Connection, product_id: int, warehouse_id: int, kind: str,
                 quantity: Decimal, reference: str) -> None:
    conn.execute(insert(stock_moves).values(
        product_id=product_id, warehouse_id=warehouse_id, kind=kind, quantity=quantity,
        reference=reference, created_at=utcnow()))


def set_on_hand(conn: Connection, product_id: int, warehouse_id: int, on_hand: Decimal,
                *, kind: str = "receipt", reference: str = "") -> Decimal:
    """Set on-hand stock; the difference is recorded as a stock move. Returns the difference."""
    current, _ = _stock_row(conn, product_id, warehouse_id)
    diff = on_hand - current
    if diff:
        _write_stock(conn, product_id, warehouse_id, on_hand=on_hand)
        _record_move(conn, product_id, warehouse_id, kind, diff, reference)
    return diff


def reserve(conn: Connection, product_id: int, warehouse_id: int, quantity: Decimal,
            reference: str = "") -> None:
    """Add (or, with a negative quantity, release) a reservation."""
    if not quantity:
        return
    _, reserved = _stock_row(conn, product_id, warehouse_id)
    _write_stock(conn, product_id, warehouse_id, reserved=reserved + quantity)
    _record_move(conn, product_id, warehouse_id, "reserve" if quantity > 0 else "release",
                 quantity, reference)


def stock_of(conn: Connection, product_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of a product in a warehouse; zeros when never stocked."""
    row = conn.execute(select(stock_levels.c.on_hand, stock_levels.c.reserved).where(and_(
        stock_levels.c.product_id == product_id, stock_levels.c.warehouse_id == warehouse_id))
    ).first()
    return (row.on_hand, row.reserved) if row else (ZERO, ZERO)


def list_products(conn: Connection, *, label: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Products with prices per list and stock available over all warehouses."""
    available = (select(stock_levels.c.product_id,
                        type_coerce(func.sum(stock_levels.c.on_hand - stock_levels.c.reserved), Dec)
                        .label("avail"))
                 .group_by(stock_levels.c.product_id).subquery())
    query = (select(products.c.id, products.c.code, products.c.name, products.c.ean,
                    products.c.unit, products.c.vat_rate, available.c.avail)
             .outerjoin(available, available.c.product_id == products.c.id)
             .order_by(products.c.code))
    if label:
        query = query.where(products.c.id.in_(
            select(product_labels.c.product_id).where(product_labels.c.label == label)))
    if limit:
        query = query.limit(limit)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    prices: dict[int, dict[str, Decimal]] = {}
    for r in conn.execute(select(product_prices.c.product_id, price_lists.c.name,
                                 product_prices.c.amount)
                          .join(price_lists, price_lists.c.id == product_prices.c.price_list_id)):
        prices.setdefault(r.product_id, {})[r.name] = r.amount
    for row in rows:
        row["available"] = row.pop("avail") or ZERO
        row["prices"] = prices.get(row["id"], {})
    return rows
