"""The streaming price-list query: products with one list's price and the stock that can really be sold.

One SQL statement feeds a whole export (no per-item SQL). Rows are streamed with ``yield_per`` (a
server-side cursor on PostgreSQL), turned into light :class:`FeedItem` tuples, and — for nested shapes —
variants are grouped under their parent, which the ``ORDER BY`` keeps adjacent to it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType

from exchange.errors import ConfigError
from exchange.store.schema import (
    links,
    price_lists,
    product_labels,
    product_prices,
    products,
    stock_levels,
    warehouses,
)

YIELD_PER = 2000
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
LABEL_SEPARATOR = "\x1f"
# characters XML 1.0 cannot carry even escaped; a CSV-loaded name may hold one and break the feed
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# a C-level tuple keeps 500k items cheap to build and read (attribute access without dict lookups)
FeedItem = namedtuple(
    "FeedItem",
    "code ean name unit vat_rate is_service parent_code parent_name variant_name description manufacturer "
    "url image_url category price currency available labels external_id variants",
)
FeedItem.__doc__ = "One feed item: a product (or variant) with its price, available stock and variants."


@dataclass(frozen=True)
class FeedQuery:
    """What a feed selects: price list and VAT basis, warehouses, label, changes since, links."""

    price_list: str
    vat_included: bool = True
    warehouses: tuple[str, ...] = ()
    label: str | None = None
    changed_since: datetime | None = None
    require_price: bool = True
    link_platform: str | None = None
    link_shop: str | None = None
    linked_only: bool = False
    include_services: bool = True
    leaf_only: bool = False


@dataclass(frozen=True)
class PriceListInfo:
    """The chosen price list as stored."""

    id: int
    name: str
    currency: str
    includes_vat: bool


def price_list_info(conn: Connection, name: str) -> PriceListInfo:
    """The stored price list ``name``; ConfigError listing the known lists when it does not exist."""
    row = conn.execute(select(price_lists).where(price_lists.c.name == name)).first()
    if row is None:
        known = sorted(conn.execute(select(price_lists.c.name)).scalars())
        raise ConfigError(f"unknown price list {name!r}; known: {', '.join(known) or 'none'}")
    return PriceListInfo(row.id, row.name, row.currency, bool(row.includes_vat))


def warehouse_ids(conn: Connection, codes: Sequence[str]) -> list[int]:
    """Ids of the given warehouse codes; ConfigError naming the unknown ones and the known ones."""
    rows = dict(conn.execute(select(warehouses.c.code, warehouses.c.id)
                             .where(warehouses.c.code.in_(list(codes)))).all())
    missing = [c for c in codes if c not in rows]
    if missing:
        known = sorted(conn.execute(select(warehouses.c.code)).scalars())
        raise ConfigError(f"unknown warehouse {', '.join(missing)}; known: {', '.join(known) or 'none'}")
    return [rows[c] for c in codes]


def _raw(column: Any, name: str) -> Any:
    # NullType skips the Dec/UtcDateTime result processors: conversion happens once, in _items().
    return type_coerce(column, NullType()).label(name)


def build_select(conn: Connection, query: FeedQuery, plist: PriceListInfo) -> Any:
    """The one SELECT behind a feed (parents first, each followed by its variants)."""
    parent = products.alias("parent")
    stock = stock_levels.c.on_hand - stock_levels.c.reserved
    avail = select(stock_levels.c.product_id, func.sum(stock).label("avail")).group_by(
        stock_levels.c.product_id)
    if query.warehouses:
        avail = avail.where(stock_levels.c.warehouse_id.in_(warehouse_ids(conn, query.warehouses)))
    avail_sq = avail.subquery("avail")
    labels_sq = (select(func.aggregate_strings(product_labels.c.label, LABEL_SEPARATOR))
                 .where(product_labels.c.product_id == products.c.id)
                 .scalar_subquery())
    price_join = and_(product_prices.c.product_id == products.c.id,
                      product_prices.c.price_list_id == plist.id)
    columns = [
        products.c.code, products.c.ean, products.c.name, products.c.unit,
        _raw(products.c.vat_rate, "vat_rate"), products.c.is_service,
        parent.c.code.label("parent_code"), parent.c.name.label("parent_name"),
        products.c.variant_name, products.c.description, products.c.manufacturer, products.c.url,
        products.c.image_url, products.c.category, _raw(product_prices.c.amount, "amount"),
        _raw(avail_sq.c.avail, "avail"), labels_sq.label("labels"),
    ]
    stmt = select(*columns).select_from(products)
    stmt = stmt.outerjoin(parent, parent.c.id == products.c.parent_id)
    if query.require_price:
        stmt = stmt.join(product_prices, price_join)
    else:
        stmt = stmt.outerjoin(product_prices, price_join)
    stmt = stmt.outerjoin(avail_sq, avail_sq.c.product_id == products.c.id)
    if query.link_platform:
        link_on = and_(links.c.local_id == products.c.id, links.c.kind == "product",
                       links.c.platform == query.link_platform)
        if query.link_shop:
            link_on = and_(link_on, links.c.shop == query.link_shop)
        stmt = (stmt.join(links, link_on) if query.linked_only else stmt.outerjoin(links, link_on))
        stmt = stmt.add_columns(links.c.external_id)
    else:
        stmt = stmt.add_columns(literal("").label("external_id"))
    if query.label:
        labelled = select(product_labels.c.product_id).where(product_labels.c.label == query.label)
        stmt = stmt.where(or_(products.c.id.in_(labelled), products.c.parent_id.in_(labelled)))
    if not query.include_services:
        stmt = stmt.where(products.c.is_service.is_(False))
    if query.leaf_only:
        # comparison feeds list each variant on its own; the parent is only their group
        child = products.alias("child")
        stmt = stmt.where(~select(child.c.id).where(child.c.parent_id == products.c.id).exists())
    if query.changed_since is not None:
        since = query.changed_since
        stmt = stmt.where(or_(products.c.updated_at > since, product_prices.c.updated_at > since))
    group = func.coalesce(products.c.parent_id, products.c.id)
    return stmt.order_by(group, case((products.c.parent_id.is_(None), 0), else_=1), products.c.code)


def _number(value: Any) -> Any:
    """A stored number as int when whole, else an exact Decimal (SQLite gives floats)."""
    if value is None:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value.normalize()
    return value


def convert_price(amount: Decimal, vat_rate: Decimal | int, *, stored_with_vat: bool,
                  want_vat: bool) -> Decimal:
    """A price moved to the wanted VAT basis, rounded half-up to 2 decimals."""
    if stored_with_vat != want_vat and vat_rate:
        factor = (HUNDRED + Decimal(vat_rate)) / HUNDRED
        amount = amount * factor if want_vat else amount / factor
    return amount.quantize(CENT, ROUND_HALF_UP)


class ItemStream:
    """An iterator of :class:`FeedItem` over one query; ``count`` is the number of rows read so far."""

    def __init__(self, conn: Connection, query: FeedQuery, *, nested: bool = False) -> None:
        self.plist = price_list_info(conn, query.price_list)
        self.query = query
        self.nested = nested
        self.count = 0
        self._result = conn.execution_options(yield_per=YIELD_PER).execute(
            build_select(conn, query, self.plist))

    @property
    def currency(self) -> str:
        """The currency of the chosen price list."""
        return self.plist.currency

    def __iter__(self) -> Iterator[Any]:
        items = self._items()
        return self._nest(items) if self.nested else items

    def close(self) -> None:
        """Release the cursor."""
        self._result.close()

    def _items(self) -> Iterator[Any]:
        stored_vat = self.plist.includes_vat
        want_vat = self.query.vat_included
        currency = self.plist.currency
        make = FeedItem
        to_dec = Decimal
        quant = CENT
        half_up = ROUND_HALF_UP
        no_labels: tuple[str, ...] = ()
        nested = self.nested
        not_xml = _NOT_XML.search
        count = 0
        try:
            for (code, ean, name, unit, vat_raw, is_service, parent_code, parent_name, variant_name,
                 description, manufacturer, url, image_url, category, amount, avail, labels,
                 external_id) in self._result:
                if not_xml(f"{name}{description}{variant_name}{manufacturer}{category}{parent_name}"):
                    name, description, variant_name, manufacturer, category, parent_name = (
                        _NOT_XML.sub("", v or "") for v in (name, description, variant_name,
                                                            manufacturer, category, parent_name))
                vat_rate = _number(vat_raw)
                if amount is None:
                    price = None
                else:
                    price = to_dec(repr(amount)) if amount.__class__ is float else to_dec(amount)
                    if stored_vat != want_vat:
                        price = convert_price(price, vat_rate, stored_with_vat=stored_vat,
                                              want_vat=want_vat)
                    else:
                        price = price.quantize(quant, half_up)
                if is_service:
                    available = None
                elif avail is None:
                    available = 0
                else:
                    available = _number(avail)
                    if available < 0:
                        available = 0
                count += 1
                self.count = count
                yield make(code, ean, name, unit, vat_rate, bool(is_service), parent_code or "",
                           parent_name or "", variant_name, description, manufacturer, url, image_url,
                           category, price, currency, available,
                           tuple(labels.split(LABEL_SEPARATOR)) if labels else no_labels,
                           external_id or "", [] if nested and not parent_code else ())
        finally:
            self._result.close()

    def _nest(self, items: Iterator[Any]) -> Iterator[Any]:
        """Variants attached to their parent's ``variants`` list; an orphan gets a bare parent shell."""
        current: Any = None
        for item in items:
            if not item.parent_code:
                if current is not None:
                    yield current
                current = item
                continue
            if current is None or current.code != item.parent_code:
                if current is not None:
                    yield current
                current = _shell(item)
            current.variants.append(item)
        if current is not None:
            yield current


def _shell(variant: Any) -> Any:
    """A parent carrying only code and name, for variants whose parent the filters left out."""
    return FeedItem(variant.parent_code, "", variant.parent_name, variant.unit, variant.vat_rate, False,
                    "", "", "", "", "", "", "", "", None, variant.currency, None, (), "", [])
