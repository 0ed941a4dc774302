"""A real-shaped Shoptet product export goes in as products and comes back out as the Shoptet feed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from exchange.exporters.engine import export_feed
from exchange.importers.run import import_file
from exchange.profiles import load_profile
from exchange.store import Store

FIXTURE = Path(__file__).parent.parent / "fixtures" / "export" / "shoptet_products_complete.xml"


def shop_view(path: Path) -> dict[str, tuple[str | None, str | None]]:
    """Code → (price with VAT, stock) of every product and variant of a SHOP/SHOPITEM file."""
    seen: dict[str, tuple[str | None, str | None]] = {}
    for item in etree.parse(str(path)).getroot().iter("SHOPITEM", "VARIANT"):
        if item.tag == "SHOPITEM" and item.find("VARIANTS") is not None:
            continue
        price = item.findtext("PRICE_VAT")
        seen[item.findtext("CODE") or ""] = (
            str(Decimal(price.replace(" ", "").replace(",", "."))) if price else None,
            item.findtext("STOCK/AMOUNT"))
    return seen


@pytest.fixture
def imported(store: Store, tmp_path: Path) -> Store:
    report = import_file(store, FIXTURE, "shoptet", "products", quarantine=tmp_path / "q")
    assert report.ok, report.details()
    return store


def test_the_feed_lists_every_code_with_its_price_and_stock(imported: Store, tmp_path: Path) -> None:
    export_feed(imported, load_profile("shoptet"), "pricelist", tmp_path / "feed.xml")
    ours = shop_view(tmp_path / "feed.xml")
    assert ours == shop_view(FIXTURE)
    assert set(ours) == {"HRN-01", "TB M/modrá", "TB L/modrá", "KNV-2", "LZ-1"}


def test_images_descriptions_and_categories_go_with_the_feed_when_on(imported: Store,
                                                                     tmp_path: Path) -> None:
    shoptet = load_profile("shoptet")
    export_feed(imported, shoptet, "pricelist", tmp_path / "on.xml")
    item = next(i for i in etree.parse(str(tmp_path / "on.xml")).getroot().iter("SHOPITEM")
                if i.findtext("CODE") == "HRN-01")
    assert item.findtext("IMAGES/IMAGE") == "https://cdn.myshoptet.com/usr/shop/user/shop/big/201.jpg"
    assert item.findtext("CATEGORIES/CATEGORY") == "Kuchyně > Hrnky"
    assert item.findtext("DESCRIPTION") == "<p>Klasický plecháček</p>"
    assert item.findtext("SHORT_DESCRIPTION") == "Klasický plecháček"
    export_feed(imported, shoptet, "pricelist", tmp_path / "off.xml",
                overrides={"images": False, "descriptions": False})
    root = etree.parse(str(tmp_path / "off.xml")).getroot()
    assert root.find(".//IMAGES") is None and root.find(".//DESCRIPTION") is None
    assert shop_view(tmp_path / "off.xml") == shop_view(tmp_path / "on.xml")


def test_stock_only_and_prices_only_with_safety_stock_and_a_maximum(imported: Store,
                                                                    tmp_path: Path) -> None:
    shoptet = load_profile("shoptet")
    export_feed(imported, shoptet, "pricelist_flat", tmp_path / "stock.xml",
                overrides={"content": "stock", "safety_stock": 5, "max_stock": 10})
    stock = shop_view(tmp_path / "stock.xml")
    assert {code: amount for code, (_, amount) in stock.items()} == {
        "HRN-01": "10", "TB": "2", "TB M/modrá": "0", "TB L/modrá": "0", "KNV-2": "0", "LZ-1": "10"}
    assert all(price is None for price, _ in stock.values())
    export_feed(imported, shoptet, "pricelist_flat", tmp_path / "prices.xml",
                overrides={"content": "prices"})
    prices = shop_view(tmp_path / "prices.xml")
    assert prices["LZ-1"] == ("35.50", None)
