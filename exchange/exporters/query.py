"""The streaming price-list query: products with one list's price and the stock that can really be sold.

One SQL statement (built by ``exchange.store.feeds``) feeds a whole export, no per-item SQL. Rows are
streamed with ``yield_per`` (a server-side cursor on PostgreSQL), turned into light :class:`FeedItem`
tuples, and — for nested shapes — variants are grouped under their parent, which the ``ORDER BY``
keeps adjacent to it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection

from exchange.store.feeds import (
    LABEL_SEPARATOR,
    FeedQuery,
    PriceListInfo,
    feed_rows,
    price_list_info,
)

__all__ = ["FeedItem", "FeedQuery", "ItemStream", "PriceListInfo", "StockRule", "convert_price",
           "hidden_item"]

CENT = Decimal("0.01")
MEMO_MAX = 100_000
HUNDRED = Decimal("100")
# characters XML 1.0 cannot carry even escaped; a CSV-loaded name may hold one and break the feed
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# a C-level tuple keeps 500k items cheap to build and read (attribute access without dict lookups)
FeedItem = namedtuple(
    "FeedItem",
    "code ean name unit vat_rate is_service parent_code parent_name variant_name description manufacturer "
    "url image_url category price currency available labels external_id variants hidden",
    defaults=(False,),
)
FeedItem.__doc__ = "One feed item: a product (or variant) with its price, available stock and variants."


def _number(value: Any) -> Any:
    """A stored number as int when whole, else an exact Decimal (SQLite gives text, or floats
    from SQL arithmetic and older stores)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = Decimal(value)
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


@dataclass(frozen=True)
class StockRule:
    """What a feed shows as available: clamp(on hand - reserved - safety, 0, maximum)."""

    safety: Decimal = Decimal(0)
    maximum: Decimal | None = None

    def apply(self, available: Any) -> Any:
        """The shown amount for a raw available amount (negative stock shows as 0)."""
        if self.safety:
            available = available - self.safety
        if available < 0:
            return 0
        if self.maximum is not None and available > self.maximum:
            return _number(self.maximum)
        return _number(available) if isinstance(available, Decimal) else available


def hidden_item(code: str, currency: str, external_id: str = "") -> Any:
    """A withdrawn product: only its code (and platform id), no stock, flagged hidden."""
    return FeedItem(code, "", "", "", None, False, "", "", "", "", "", "", "", "", None, currency, 0,
                    (), external_id, (), True)


class ItemStream:
    """An iterator of :class:`FeedItem` over one query; ``count`` is the number of rows read so far.

    ``withdrawn`` codes follow the rows as hidden items; with ``collect_codes`` the codes read are
    kept in ``codes`` (a destination remembers what it shows).
    """

    def __init__(self, conn: Connection, query: FeedQuery, *, nested: bool = False,
                 stock: StockRule | None = None, withdrawn: Sequence[str] = (),
                 collect_codes: bool = False, external_ids: Mapping[str, str] | None = None) -> None:
        self.plist = price_list_info(conn, query.price_list)
        self.query = query
        self.nested = nested
        self.stock = stock if stock is not None and (stock.safety or stock.maximum is not None) \
            else None
        self.withdrawn = sorted(withdrawn)
        self.external_ids = dict(external_ids or {})
        self.codes: list[str] | None = [] if collect_codes else None
        self.count = 0
        self._result = feed_rows(conn, query, self.plist)

    @property
    def currency(self) -> str:
        """The currency of the chosen price list."""
        return self.plist.currency

    def __iter__(self) -> Iterator[Any]:
        items = self._items()
        if self.nested:
            items = self._nest(items)
        if self.withdrawn:
            items = self._with_withdrawn(items)
        return items

    def close(self) -> None:
        """Release the cursor."""
        self._result.close()

    def _with_withdrawn(self, items: Iterator[Any]) -> Iterator[Any]:
        yield from items
        for code in self.withdrawn:
            yield hidden_item(code, self.currency, self.external_ids.get(code, ""))

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
        rule = self.stock
        keep = self.codes.append if self.codes is not None else None
        # stored numbers repeat (VAT rates, stock amounts, prices): convert each distinct one once
        vat_memo: dict[Any, Any] = {}
        avail_memo: dict[Any, Any] = {}
        convert = stored_vat != want_vat
        count = 0
        try:
            rows: Iterator[Any] = iter(self._result)  # rows of the 18 columns of build_select
            for (code, ean, name, unit, vat_raw, is_service, parent_code, parent_name, variant_name,
                 description, manufacturer, url, image_url, category, amount, avail, labels,
                 external_id) in rows:
                if not_xml(f"{name}{description}{variant_name}{manufacturer}{category}{parent_name}"):
                    name, description, variant_name, manufacturer, category, parent_name = (
                        _NOT_XML.sub("", v or "") for v in (name, description, variant_name,
                                                            manufacturer, category, parent_name))
                try:
                    vat_rate = vat_memo[vat_raw]
                except KeyError:
                    vat_rate = vat_memo[vat_raw] = _number(vat_raw)
                if amount is None:
                    price = None
                else:
                    price = to_dec(repr(amount)) if amount.__class__ is float else to_dec(amount)
                    if convert:
                        price = convert_price(price, vat_rate, stored_with_vat=stored_vat,
                                              want_vat=want_vat)
                    else:
                        price = price.quantize(quant, half_up)
                if is_service:
                    available = None
                elif avail is None:
                    available = 0
                else:
                    try:
                        available = avail_memo[avail]
                    except KeyError:
                        if rule is not None:
                            shown = rule.apply(to_dec(repr(avail)) if avail.__class__ is float
                                               else to_dec(avail))
                        else:
                            shown = _number(avail)
                            if shown < 0:
                                shown = 0
                        if len(avail_memo) > MEMO_MAX:
                            avail_memo.clear()
                        available = avail_memo[avail] = shown
                count += 1
                if keep is not None:
                    keep(code)
                yield make(code, ean, name, unit, vat_rate, bool(is_service),
                           parent_code or "",
                           parent_name or "", variant_name, description, manufacturer, url, image_url,
                           category, price, currency, available,
                           tuple(labels.split(LABEL_SEPARATOR)) if labels else no_labels,
                           external_id or "", [] if nested and not parent_code else ())
        finally:
            self.count = count
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
                    "", "", "", "", "", "", "", "", None, variant.currency, None, (), "", [], False)
