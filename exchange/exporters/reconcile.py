"""Reconciliation: what the shop shows (its product export) against what the ERP would publish.

The shop side is read from a product export, streaming: Shoptet's ``SHOP/SHOPITEM`` (productsComplete,
variants under ``VARIANTS/VARIANT``) or a Heureka feed. The ERP side is the profile's feed query, the
same rows an export would render. The report lists codes missing in the shop, codes only the shop
has, and price, stock and visibility drift.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from exchange.errors import ConfigError, DocumentError
from exchange.exporters.engine import ProfileLike, feed_spec
from exchange.exporters.query import ItemStream, StockRule
from exchange.store import Store
from exchange.store.feeds import FeedQuery

DRIFT_KINDS = ("missing_in_shop", "extra_in_shop", "price_drift", "stock_drift", "visibility_drift")
DEFAULT_TOLERANCE = Decimal("0.01")
HIDDEN_VALUES = {"hidden", "blocked", "0", "false"}


@dataclass(frozen=True)
class ShopItem:
    """One code as the shop shows it."""

    code: str
    price: Decimal | None
    stock: Decimal | None
    visible: bool


@dataclass(frozen=True)
class ErpItem:
    """One code as the ERP would publish it."""

    code: str
    price: Decimal | None
    stock: Decimal | None


@dataclass
class DriftReport:
    """Drift between the ERP and the shop, per kind a list of items with both sides' values."""

    profile: str
    feed: str
    shop_export: str
    erp_count: int = 0
    shop_count: int = 0
    drift: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {kind: [] for kind in DRIFT_KINDS})

    @property
    def counts(self) -> dict[str, int]:
        """How many items of each kind."""
        return {kind: len(items) for kind, items in self.drift.items()}

    @property
    def drifted(self) -> bool:
        """True when anything differs."""
        return any(self.drift.values())

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (the keys of ``--json``)."""
        return {**self.drift, "counts": self.counts, "profile": self.profile, "feed": self.feed,
                "shop_export": self.shop_export, "erp_count": self.erp_count,
                "shop_count": self.shop_count}

    def lines(self, first: int = 5) -> list[str]:
        """Counts and the first items of each kind, for people."""
        out = [f"{self.shop_export}: {self.shop_count} codes in the shop, {self.erp_count} the ERP "
               f"would publish ({self.profile}/{self.feed})"]
        for kind, items in self.drift.items():
            out.append(f"{kind.replace('_', ' ')}: {len(items)}")
            for item in items[:first]:
                values = ", ".join(f"{k} {v}" for k, v in item.items() if k != "code")
                out.append(f"  {item['code']}" + (f": {values}" if values else ""))
            if len(items) > first:
                out.append(f"  … and {len(items) - first} more")
        return out


def _number(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _text(el: Any, *paths: str) -> str | None:
    for path in paths:
        found = el.findtext(path)
        if found is not None and found.strip():
            return str(found).strip()
    return None


def _shop_item(el: Any, code: str, parent: Any | None = None) -> ShopItem:
    price = _number(_text(el, "PRICE_VAT", "PRICE"))
    stock = _number(_text(el, "STOCK/AMOUNT"))
    visibility = _text(el, "VISIBILITY")
    if visibility is None and parent is not None:
        visibility = _text(parent, "VISIBILITY")
    return ShopItem(code, price, stock, (visibility or "visible").lower() not in HIDDEN_VALUES)


def read_shop_export(path: Path) -> Iterator[ShopItem]:
    """The codes of a Shoptet (SHOP/SHOPITEM, variants nested) or Heureka product export, streaming.

    Raises:
        DocumentError: the file is not well-formed XML (with its line).
    """
    parser = etree.iterparse(str(path), events=("end",), tag="SHOPITEM", resolve_entities=False,
                             no_network=True, huge_tree=True)
    try:
        for _, el in parser:
            variants = el.findall("VARIANTS/VARIANT")
            if variants:
                for variant in variants:
                    code = _text(variant, "CODE")
                    if code:
                        yield _shop_item(variant, code, el)
            else:
                code = _text(el, "CODE", "ITEM_ID")
                if code:
                    yield _shop_item(el, code)
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del el.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"not a readable product export: {exc.msg}", file=str(path),
                            line=exc.lineno) from exc


def erp_items(store: Store, profile: ProfileLike, feed_name: str, *,
              label: str | None = None) -> dict[str, ErpItem]:
    """What the ERP would publish in the feed, by code (variants on their own, services left out)."""
    spec = feed_spec(profile, feed_name)
    options: Mapping[str, Any] = spec.options or {}
    query = FeedQuery(price_list=spec.price_list, vat_included=spec.vat_included,
                      warehouses=tuple(spec.warehouses), label=label or spec.label,
                      require_price=bool(options.get("require_price", True)),
                      link_platform=options.get("link_platform"),
                      link_shop=options.get("link_shop"),
                      linked_only=bool(options.get("linked_only", False)),
                      include_services=False, leaf_only=True)
    safety = options.get("safety_stock")
    maximum = options.get("max_stock")
    rule = StockRule(Decimal(str(safety)) if safety is not None else Decimal(0),
                     Decimal(str(maximum)) if maximum is not None else None)
    found: dict[str, ErpItem] = {}
    with store.connect() as conn:
        stream = ItemStream(conn, query, stock=rule)
        try:
            for item in stream:
                stock = None if item.available is None else Decimal(item.available)
                found[item.code] = ErpItem(item.code, item.price, stock)
        finally:
            stream.close()
    return found


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def reconcile(store: Store, profile: ProfileLike, shop_export: Path, *, feed_name: str = "pricelist",
              price_tolerance: Decimal = DEFAULT_TOLERANCE, label: str | None = None,
              shop_export_name: str | None = None) -> DriftReport:
    """Compare the shop's product export with the profile's feed and report every drift.

    Raises:
        ConfigError: unknown feed or price list; a negative tolerance.
        DocumentError: the shop export is not readable XML.
    """
    if price_tolerance < 0:
        raise ConfigError(f"the price tolerance must be 0 or more, not {price_tolerance}")
    erp = erp_items(store, profile, feed_name, label=label)
    report = DriftReport(profile.name, feed_name, shop_export_name or str(shop_export),
                         erp_count=len(erp))
    seen: set[str] = set()
    drift = report.drift
    for shop in read_shop_export(shop_export):
        if shop.code in seen:
            continue
        seen.add(shop.code)
        mine = erp.get(shop.code)
        if mine is None:
            if shop.visible:
                drift["extra_in_shop"].append({"code": shop.code, "shop_price": _plain(shop.price),
                                               "shop_stock": _plain(shop.stock)})
            continue
        if not shop.visible:
            drift["visibility_drift"].append({"code": shop.code, "erp": "visible", "shop": "hidden"})
        if mine.price is not None and shop.price is not None \
                and abs(mine.price - shop.price) > price_tolerance:
            drift["price_drift"].append({"code": shop.code, "erp": _plain(mine.price),
                                         "shop": _plain(shop.price)})
        if mine.stock is not None and shop.stock is not None and mine.stock != shop.stock:
            drift["stock_drift"].append({"code": shop.code, "erp": _plain(mine.stock),
                                         "shop": _plain(shop.stock)})
    report.shop_count = len(seen)
    drift["missing_in_shop"] = [{"code": code, "erp_price": _plain(item.price),
                                 "erp_stock": _plain(item.stock)}
                                for code, item in sorted(erp.items()) if code not in seen]
    return report
