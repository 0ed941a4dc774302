"""The product and stock writers: product records upserted by code (variants, labels, prices), stock set.

A product whose columns, labels and price are unchanged is skipped, so that a repeated catalogue import
does not mark every product as changed for the differential feeds. On-hand stock is set to the
imported amount; the difference is recorded as a ``receipt`` stock move. The SQL is the store's
(:mod:`exchange.store.catalog`, :mod:`exchange.store.stock`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from exchange.documents import Product
from exchange.importers.report import Outcome
from exchange.importers.write.matching import Matcher
from exchange.store.catalog import (
    ensure_price_list,
    insert_products,
    labels_and_prices,
    products_by_code,
    replace_labels_and_prices,
    update_product,
)
from exchange.store.documents import text_limits
from exchange.store.schema import product_labels, products
from exchange.store.stock import StockChange, apply_stock_changes
from exchange.store.types import utcnow

ZERO = Decimal("0")
# the bounded texts of a product as its columns keep them (the same on SQLite and PostgreSQL)
_PRODUCT_TEXTS = tuple((n, k) for n, k in text_limits(products).items()
                       if n in {f.name for f in dataclasses.fields(Product)})
_LABEL_LIMIT = text_limits(product_labels)["label"]


def product_too_long(product: Product) -> tuple[str, str] | None:
    """(field, reason) of the first text of a product or its variants longer than the store
    keeps it, else None."""
    for n, k in _PRODUCT_TEXTS:
        if len(value := getattr(product, n)) > k:
            return n, f"{n} is {len(value)} characters long; the store keeps at most {k} " \
                      f"({value[:40] + '…'!r})"
    for label in product.labels:
        if len(label) > _LABEL_LIMIT:
            return "labels", (f"a label is {len(label)} characters long; the store keeps at most "
                              f"{_LABEL_LIMIT} ({label[:40] + '…'!r})")
    for variant in product.variants:
        found = product_too_long(variant)
        if found is not None:
            return f"variants.{found[0]}", found[1]
    return None
_COLUMNS = ("ean", "name", "unit", "vat_rate", "is_service", "parent_id", "variant_name",
            "description", "manufacturer", "url", "image_url", "category")


@dataclass(slots=True)
class StockItem:
    """On-hand stock to set for one product code."""

    line: int | None
    external_id: str
    code: str
    on_hand: Decimal
    warehouse_id: int


@dataclass(slots=True)
class ProductItem:
    """One product on its way to the store, with its on-hand stock when the file carries it."""

    line: int | None
    external_id: str
    product: Product
    on_hand: Decimal | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclass(slots=True)
class CatalogResult:
    """What writing one product or stock level did."""

    line: int | None
    external_id: str
    outcome: Outcome
    reason: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)
    field: str | None = None


class ProductWriter:
    """Upserts products by code into the catalogue and its price lists."""

    def __init__(self, matcher: Matcher, default_price_list: str, currency: str,
                 warehouse_id: int, source: str) -> None:
        self.matcher = matcher
        self.price_lists: dict[str, int] = {}  # name → id
        self.default_price_list = default_price_list
        self.currency = currency
        self.warehouse_id = warehouse_id
        self.source = source

    def write(self, conn: Connection, batch: Sequence[ProductItem]) -> list[CatalogResult]:
        """Create or update a batch; parents are written before their variants."""
        results: dict[int, CatalogResult] = {}
        stock: list[StockItem] = []
        roots = [i for i, it in enumerate(batch) if not it.product.parent_code]
        variants = [i for i, it in enumerate(batch) if it.product.parent_code]
        for group in (roots, variants):
            if group:
                results.update(self._write_group(conn, [batch[i] for i in group], group))
        for item in batch:
            if item.on_hand is not None:
                stock.append(StockItem(item.line, item.external_id, item.product.code,
                                       item.on_hand, self.warehouse_id))
        if stock:
            stock_results = StockWriter(self.matcher, self.source).write(conn, stock)
            by_code = {s.code: r for s, r in zip(stock, stock_results, strict=True)}
            for i, item in enumerate(batch):
                res = by_code.get(item.product.code)
                if res is not None and res.outcome is Outcome.UPDATED \
                        and results[i].outcome is Outcome.SKIPPED:
                    results[i].outcome = Outcome.UPDATED
                    results[i].reason = "stock changed"
        return [results[i] for i in range(len(batch))]

    def _write_group(self, conn: Connection, items: list[ProductItem], positions: list[int]
                     ) -> dict[int, CatalogResult]:
        now = utcnow()
        stored = products_by_code(conn, [it.product.code for it in items])
        labels, prices = labels_and_prices(conn, [r["id"] for r in stored.values()])
        results: dict[int, CatalogResult] = {}
        inserts: list[tuple[int, ProductItem, dict[str, Any]]] = []
        changed: list[tuple[int, ProductItem, int]] = []
        for pos, item in zip(positions, items, strict=True):
            p = item.product
            warnings = list(item.warnings)
            parent_id = None
            if p.parent_code:
                parent_id = self.matcher.product_id_by_code(conn, p.parent_code)
                if parent_id is None:
                    warnings.append(f"parent product {p.parent_code!r} not found; "
                                    "variant imported unlinked")
            values = {"ean": p.ean, "name": p.name, "unit": p.unit, "vat_rate": p.vat_rate,
                      "is_service": p.is_service, "parent_id": parent_id,
                      "variant_name": p.variant_name, "description": p.description,
                      "manufacturer": p.manufacturer, "url": p.url, "image_url": p.image_url,
                      "category": p.category}
            old = stored.get(p.code)
            result = CatalogResult(item.line, item.external_id, Outcome.IMPORTED,
                                   warnings=warnings)
            results[pos] = result
            if old is None:
                inserts.append((pos, item, values))
                continue
            same = all(_same(old[c], values[c]) for c in _COLUMNS)
            same = same and labels.get(old["id"], set()) == _labels(p.labels)
            same = same and all(_same(prices.get((old["id"], self._list_id(conn, pr.price_list))),
                                      pr.amount) for pr in p.prices)
            self.matcher.remember_product(p.code, p.ean, p.name, old["id"])
            if same:
                result.outcome = Outcome.SKIPPED
                result.reason = "unchanged"
                continue
            result.outcome = Outcome.UPDATED
            update_product(conn, old["id"], values, now)
            changed.append((pos, item, old["id"]))
        if inserts:
            rows = [{"code": it.product.code, "created_at": now, "updated_at": now, **values}
                    for _, it, values in inserts]
            new_ids = insert_products(conn, rows)
            for (pos, it, _), pid in zip(inserts, new_ids, strict=True):
                changed.append((pos, it, int(pid)))
                self.matcher.remember_product(it.product.code, it.product.ean, it.product.name,
                                              int(pid))
        self._write_labels_and_prices(conn, changed, now)
        return results

    def _list_id(self, conn: Connection, name: str) -> int:
        name = name or self.default_price_list
        if name not in self.price_lists:
            self.price_lists[name] = ensure_price_list(conn, name, self.currency)
        return self.price_lists[name]

    def _write_labels_and_prices(self, conn: Connection, changed: list[tuple[int, ProductItem, int]],
                                 now: datetime) -> None:
        label_rows = [{"product_id": pid, "label": label}
                      for _, it, pid in changed for label in sorted(_labels(it.product.labels))]
        price_rows = {}
        for _, it, pid in changed:
            for price in it.product.prices:
                lid = self._list_id(conn, price.price_list)
                price_rows[(pid, lid)] = {"product_id": pid, "price_list_id": lid,
                                          "amount": price.amount, "updated_at": now}
        replace_labels_and_prices(conn, [pid for _, _, pid in changed], label_rows,
                                  list(price_rows.values()))


def _labels(labels: Sequence[str]) -> set[str]:
    return {label.strip() for label in labels if label.strip()}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return bool(old == new)


class StockWriter:
    """Sets on-hand stock per product code; the difference is recorded as a receipt."""

    def __init__(self, matcher: Matcher, source: str) -> None:
        self.matcher = matcher
        self.source = source

    def write(self, conn: Connection, batch: Sequence[StockItem]) -> list[CatalogResult]:
        """Set each item's on-hand amount; an unknown product code fails that item."""
        results: list[CatalogResult] = []
        wanted: dict[tuple[int, int], tuple[Decimal, StockItem]] = {}
        for item in batch:
            pid = self.matcher.product_id_by_code(conn, item.code)
            if pid is None:
                pid = self.matcher.linked_product(conn, item.code)
            if pid is None:
                results.append(CatalogResult(item.line, item.external_id, Outcome.FAILED,
                                             f"no product with code {item.code!r} in the catalogue",
                                             field="product_code"))
                continue
            wanted[(pid, item.warehouse_id)] = (item.on_hand, item)
            results.append(CatalogResult(item.line, item.external_id, Outcome.SKIPPED,
                                         "stock unchanged"))
        diffs = apply_stock_changes(conn, [
            StockChange(pid, wid, on_hand=on_hand, reference=f"import {self.source}")
            for (pid, wid), (on_hand, _item) in wanted.items()])
        updated_codes = {wanted[pair][1].code for pair in diffs}
        for item, res in zip(batch, results, strict=True):
            if res.outcome is Outcome.SKIPPED and item.code in updated_codes:
                res.outcome = Outcome.UPDATED
                res.reason = f"on hand set to {format(item.on_hand, 'f')}"
        return results
