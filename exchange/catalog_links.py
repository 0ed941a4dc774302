"""Linking the catalogue to a PrestaShop shop's product and combination ids, from its product export.

Reads ``GET /api/products?display=full`` (``prestashop/products/product``) and
``GET /api/combinations?display=full`` (``prestashop/combinations/combination``), streaming. Each is
matched by ``reference`` (our product code), else by ``ean13`` when exactly one product has it, and
remembered as a link (platform prestashop, kind product): ``10`` for a product, ``10-3`` for a
combination. The PrestaShop price and stock feeds list exactly the linked products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from exchange.errors import DocumentError
from exchange.store import Store
from exchange.store.links import find_link, remember_link
from exchange.store.product_links import products_by_codes, products_by_eans

PLATFORM = "prestashop"


@dataclass(frozen=True)
class ShopProduct:
    """One product or combination of the shop's export."""

    external_id: str
    reference: str
    ean: str
    line: int


@dataclass
class LinkReport:
    """What linking did: linked, already linked, and what found no product (with why)."""

    file: str
    linked: int = 0
    known: int = 0
    unmatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every shop product found its product."""
        return not self.unmatched

    def summary(self) -> str:
        """One line for people."""
        return (f"{self.file}: {self.linked} linked, {self.known} already linked, "
                f"{len(self.unmatched)} without a product")

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return {"file": self.file, "linked": self.linked, "known": self.known,
                "unmatched": self.unmatched}


def _text(el: Any, name: str) -> str:
    found = el.findtext(name)
    return str(found).strip() if found else ""


def read_prestashop_products(path: Path) -> list[ShopProduct]:
    """The products and combinations of a PrestaShop webservice export.

    Raises:
        DocumentError: the file is not well-formed XML (with its line).
    """
    found: list[ShopProduct] = []
    try:
        for _, el in etree.iterparse(str(path), events=("end",), tag=("product", "combination"),
                                     resolve_entities=False, no_network=True):
            parent = el.getparent()
            if parent is None or parent.tag not in ("products", "combinations", "prestashop"):
                continue  # e.g. <product> inside an order's associations
            ident = _text(el, "id")
            if not ident:
                continue
            if el.tag == "combination":
                product = _text(el, "id_product")
                if not product:
                    continue
                ident = f"{product}-{ident}"
            found.append(ShopProduct(ident, _text(el, "reference"), _text(el, "ean13"),
                                     el.sourceline or 0))
            el.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"not a readable PrestaShop export: {exc.msg}", file=str(path),
                            line=exc.lineno) from exc
    return found


def link_catalogue(store: Store, path: Path, *, shop: str = PLATFORM) -> LinkReport:
    """Remember a link for each shop product whose reference or EAN names one catalogue product."""
    items = read_prestashop_products(path)
    report = LinkReport(file=str(path))
    with store.begin() as conn:
        by_code = products_by_codes(conn, [i.reference for i in items])
        by_ean = products_by_eans(conn, [i.ean for i in items if i.ean.strip("0")])
        for item in items:
            pid = by_code.get(item.reference)
            if pid is None and item.ean.strip("0"):
                candidates = by_ean.get(item.ean, [])
                if len(candidates) > 1:
                    report.unmatched.append(f"{path.name}:{item.line}: {item.external_id}: EAN "
                                            f"{item.ean} is on {len(candidates)} products")
                    continue
                pid = candidates[0] if candidates else None
            if pid is None:
                report.unmatched.append(
                    f"{path.name}:{item.line}: {item.external_id}: no product with code "
                    f"{item.reference!r}" + (f" or EAN {item.ean}" if item.ean.strip("0") else ""))
                continue
            if find_link(conn, PLATFORM, shop, "product", item.external_id) is not None:
                report.known += 1
                continue
            remember_link(conn, PLATFORM, shop, "product", item.external_id, pid)
            report.linked += 1
    return report
