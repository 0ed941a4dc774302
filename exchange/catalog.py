"""Loading the ERP catalogue from CSV: products, prices per price list, stock per warehouse, labels."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from exchange.documents import Price, Product
from exchange.errors import ConfigError
from exchange.store import Store
from exchange.store.catalog import (
    ensure_warehouse,
    product_differs,
    product_id_by_code,
    upsert_product,
)
from exchange.store.stock import StockChange, apply_stock_changes

REQUIRED_COLUMNS = ("code", "name")
KNOWN_COLUMNS = {"code", "ean", "name", "unit", "vat_rate", "labels", "is_service", "parent_code",
                 "variant_name", "description", "manufacturer", "url", "image_url", "category"}


@dataclass
class CatalogReport:
    """What a catalogue load did, with one line per bad row."""

    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        return (f"{self.file}: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.errors)} rejected")

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return {"file": self.file, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "errors": self.errors}


def _decimal(value: str, column: str) -> Decimal:
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"column {column}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"column {column}: {value!r} is not a number")
    return number


def _sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _row_to_product(row: dict[str, str], currency: str) -> tuple[Product, dict[str, Decimal]]:
    code = (row.get("code") or "").strip()
    name = (row.get("name") or "").strip()
    if not code:
        raise ValueError("column code: empty")
    if not name:
        raise ValueError("column name: empty")
    vat_text = (row.get("vat_rate") or "").strip().rstrip("%")
    vat = _decimal(vat_text, "vat_rate") if vat_text else Decimal("21")
    if vat < 0 or vat > 100:
        raise ValueError(f"column vat_rate: {vat} is outside 0..100")
    ean = (row.get("ean") or "").strip()
    if ean and not (ean.isdigit() and len(ean) in (8, 12, 13, 14)):
        raise ValueError(f"column ean: {ean!r} is not an EAN (8, 12, 13 or 14 digits)")
    prices = []
    stock: dict[str, Decimal] = {}
    for column, value in row.items():
        if column is None or value is None or not value.strip():
            continue
        if column.startswith("price:"):
            amount = _decimal(value, column)
            if amount < 0:
                raise ValueError(f"column {column}: negative price {amount}")
            prices.append(Price(column.split(":", 1)[1].strip(), amount, currency))
        elif column.startswith("stock:"):
            stock[column.split(":", 1)[1].strip()] = _decimal(value, column)
    labels = [x for x in (row.get("labels") or "").replace(";", ",").split(",") if x.strip()]
    product = Product(
        code=code, name=name, ean=ean, unit=(row.get("unit") or "ks").strip() or "ks", vat_rate=vat,
        labels=labels, prices=prices,
        is_service=(row.get("is_service") or "").strip().lower() in {"1", "true", "yes", "y"},
        parent_code=(row.get("parent_code") or "").strip(),
        variant_name=(row.get("variant_name") or "").strip(),
        description=(row.get("description") or "").strip(),
        manufacturer=(row.get("manufacturer") or "").strip(),
        url=(row.get("url") or "").strip(), image_url=(row.get("image_url") or "").strip(),
        category=(row.get("category") or "").strip(),
    )
    return product, stock


def load_catalog_csv(store: Store, path: Path, *, currency: str = "CZK") -> CatalogReport:
    """Create or update products from a CSV; each good row is committed, each bad row reported."""
    report = CatalogReport(file=str(path))
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        dialect = _sniff_dialect(handle.read(4096))
        handle.seek(0)
        reader = csv.DictReader(handle, dialect=dialect)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}; found {header}")
        unknown = [h for h in header if h not in KNOWN_COLUMNS
                   and not h.startswith(("price:", "stock:"))]
        if unknown:
            raise ConfigError(f"{path}: unknown column(s) {', '.join(unknown)}")
        reader.fieldnames = header
        for row in reader:
            row_number = reader.line_num
            try:
                product, stock = _row_to_product(row, currency)
            except ValueError as exc:
                report.errors.append(f"{path.name}:{row_number}: {exc}")
                continue
            with store.begin() as conn:
                # an unchanged row is not written: a differential feed must not list it
                known = product_id_by_code(conn, product.code)
                changed = known is None or product_differs(conn, product)
                if changed or known is None:
                    product_id, created = upsert_product(conn, product)
                else:
                    product_id, created = known, False
                reference = f"catalog {path.name}:{row_number}"
                moved = apply_stock_changes(conn, [
                    StockChange(product_id, ensure_warehouse(conn, warehouse), on_hand=on_hand,
                                reference=reference) for warehouse, on_hand in stock.items()])
            if created:
                report.created += 1
            elif changed or moved:
                report.updated += 1
            else:
                report.unchanged += 1
    return report
