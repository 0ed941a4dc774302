"""Catalogue in the store: products, labels, price lists and warehouses (stock: :mod:`.stock`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, type_coerce, update

from exchange.documents import Price, Product
from exchange.store.bulk import insert_returning_ids
from exchange.store.schema import (
    price_lists,
    product_labels,
    product_prices,
    products,
    stock_levels,
    warehouses,
)
from exchange.store.types import Dec, utcnow

ZERO = Decimal("0")
_IN_BATCH = 900


def _parts(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i:i + _IN_BATCH] for i in range(0, len(values), _IN_BATCH)]


def ensure_price_list(
    conn: Connection, name: str, currency: str = "CZK", includes_vat: bool = True
) -> int:
    """The id of price list ``name``, created when missing."""
    found = conn.execute(select(price_lists.c.id).where(price_lists.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(price_lists).values(
        name=name, currency=currency, includes_vat=includes_vat)).inserted_primary_key[0])  # type: ignore[index]


def ensure_warehouse(conn: Connection, code: str, name: str = "") -> int:
    """The id of warehouse ``code``, created when missing."""
    found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(warehouses).values(code=code, name=name or code))
               .inserted_primary_key[0])  # type: ignore[index]


def product_id_by_code(conn: Connection, code: str) -> int | None:
    """The id of the product with this code, if any."""
    found = conn.execute(select(products.c.id).where(products.c.code == code)).scalar()
    return int(found) if found is not None else None


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
                  .inserted_primary_key[0])  # type: ignore[index]
    else:
        conn.execute(update(products).where(products.c.id == pid).values(**values))
    set_labels(conn, pid, product.labels)
    for price in product.prices:
        set_price(conn, pid, price)
    return pid, created


_PRODUCT_COLUMNS = ("ean", "name", "unit", "vat_rate", "is_service", "parent_id", "variant_name",
                    "description", "manufacturer", "url", "image_url", "category")


def product_differs(conn: Connection, product: Product) -> bool:
    """True unless a stored product of this code already has exactly these values, labels and prices."""
    stored = products_by_code(conn, [product.code]).get(product.code)
    if stored is None:
        return True
    parent_id = product_id_by_code(conn, product.parent_code) if product.parent_code else None
    wanted = {"ean": product.ean, "name": product.name, "unit": product.unit,
              "vat_rate": product.vat_rate, "is_service": product.is_service, "parent_id": parent_id,
              "variant_name": product.variant_name, "description": product.description,
              "manufacturer": product.manufacturer, "url": product.url,
              "image_url": product.image_url, "category": product.category}
    if any(stored[key] != wanted[key] for key in _PRODUCT_COLUMNS):
        return True
    labels, prices = labels_and_prices(conn, [stored["id"]])
    if labels.get(stored["id"], set()) != {x.strip() for x in product.labels if x.strip()}:
        return True
    for price in product.prices:
        list_id = ensure_price_list(conn, price.price_list, price.currency, price.includes_vat)
        if prices.get((stored["id"], list_id)) != price.amount:
            return True
    return False


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


# -- batched writes for the importer ------------------------------------------------------------
def products_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Stored product rows by code."""
    found: dict[str, dict[str, Any]] = {}
    for part in _parts(codes):
        for row in conn.execute(select(products).where(products.c.code.in_(part))):
            found[row.code] = dict(row._mapping)
    return found


def labels_and_prices(conn: Connection, product_ids: Sequence[int]
                      ) -> tuple[dict[int, set[str]], dict[tuple[int, int], Decimal]]:
    """Labels per product and amounts per (product, price list) of stored products."""
    labels: dict[int, set[str]] = defaultdict(set)
    prices: dict[tuple[int, int], Decimal] = {}
    for part in _parts(product_ids):
        for pid, label in conn.execute(select(product_labels.c.product_id, product_labels.c.label)
                                       .where(product_labels.c.product_id.in_(part))):
            labels[pid].add(label)
        for pid, lid, amount in conn.execute(
                select(product_prices.c.product_id, product_prices.c.price_list_id,
                       product_prices.c.amount).where(product_prices.c.product_id.in_(part))):
            prices[(pid, lid)] = amount
    return labels, prices


def insert_products(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Create products (rows of the ``products`` table); their ids in row order."""
    return insert_returning_ids(conn, products, rows)


def update_product(conn: Connection, product_id: int, values: dict[str, Any],
                   now: datetime) -> None:
    """Change a product's own columns."""
    conn.execute(update(products).where(products.c.id == product_id)
                 .values(updated_at=now, **values))


def replace_labels_and_prices(conn: Connection, product_ids: Sequence[int],
                              labels: list[dict[str, Any]],
                              prices: list[dict[str, Any]]) -> None:
    """Replace the labels of ``product_ids`` and the given (product, price list) prices."""
    for part in _parts(product_ids):
        conn.execute(delete(product_labels).where(product_labels.c.product_id.in_(part)))
    if labels:
        conn.execute(insert(product_labels), labels)
    for row in prices:
        conn.execute(delete(product_prices).where(and_(
            product_prices.c.product_id == row["product_id"],
            product_prices.c.price_list_id == row["price_list_id"])))
    if prices:
        conn.execute(insert(product_prices), prices)
