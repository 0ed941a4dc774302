"""Loading the ERP catalogue from CSV: products, prices per price list, stock per warehouse, labels."""

from __future__ import annotations

import codecs
import csv
import io
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
    encoding: str = ""  # how the file was read (given, or detected)

    def summary(self) -> str:
        """One line for people."""
        return (f"{self.file}: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.errors)} rejected")

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return {"file": self.file, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "errors": self.errors, "encoding": self.encoding}


#: What Czech Excel saves a CSV in when it is not told "UTF-8".
LEGACY_ENCODING = "windows-1250"


def detect_csv_encoding(data: bytes) -> str:
    """UTF-8 with or without a BOM, UTF-16 (BOM, or the zero bytes of ASCII text), else windows-1250."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and not sample[0::2].count(0):
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and not sample[1::2].count(0):
        return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return LEGACY_ENCODING
    return "utf-8"


def _decoded(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was read in; ConfigError naming the line of a bad byte."""
    name = encoding or detect_csv_encoding(data)
    try:
        codecs.lookup(name)
    except LookupError:
        raise ConfigError(f"unknown encoding {name!r} (e.g. utf-8, windows-1250, utf-16)") from None
    try:
        return data.decode(name), name
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not valid {name} ({exc.reason}); "
                          "give the file's encoding with --encoding") from None


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


def load_catalog_csv(store: Store, path: Path, *, currency: str = "CZK",
                     encoding: str | None = None) -> CatalogReport:
    """Create or update products from a CSV; each good row is committed, each bad row reported.

    The encoding is ``encoding`` if given, else detected (:func:`detect_csv_encoding`).
    """
    report = CatalogReport(file=str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    text, report.encoding = _decoded(path, data, encoding)
    with io.StringIO(text.lstrip("\ufeff"), newline="") as handle:
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
