"""Per-field number formatting used by the templates, and text XML cannot carry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lxml import etree

from exchange.documents import Product
from exchange.exporters.engine import export_feed
from exchange.exporters.render import dec, money, qty
from exchange.store import Store
from exchange.store.catalog import upsert_product
from tests.exporters.conftest import profile_with, retail


def test_dec_rounds_half_up_with_point_or_comma() -> None:
    assert dec(Decimal("2.675")) == "2.68"
    assert dec(Decimal("0.125"), 2, comma=True) == "0,13"
    assert dec(1.005, 2) == "1.01"  # floats from SQLite are read by their shortest repr
    assert dec(7, 0) == "7"
    assert dec("1.5", 6) == "1.500000"
    assert dec(None) == ""


def test_money_appends_the_currency() -> None:
    assert money(Decimal("15"), "CZK") == "15.00 CZK"
    assert money(None, "CZK") == ""


def test_qty_drops_trailing_zeros() -> None:
    assert qty(5) == "5"
    assert qty(Decimal("2.500")) == "2.5"
    assert qty(3.0) == "3"
    assert qty(Decimal("1.25"), comma=True) == "1,25"
    assert qty(None) == ""


def test_control_characters_are_dropped_so_the_feed_stays_well_formed(store: Store, tmp_path: Path) -> None:
    with store.begin() as conn:
        upsert_product(conn, Product("X1", "Vadný\x0b název\x08", prices=[retail("10")],
                                     description="a\x1bb"))
    export_feed(store, profile_with("heureka/pricelist.xml.j2", options={
        "delivery_date": 0, "delivery_date_out_of_stock": 7, "variant_param": "V", "delivery": []}),
        "pricelist", tmp_path / "f.xml")
    item = etree.parse(str(tmp_path / "f.xml")).getroot().find("SHOPITEM")
    assert item.findtext("PRODUCTNAME") == "Vadný název"
    assert item.findtext("DESCRIPTION") == "ab"
