"""Fixture catalogue for the exporter tests, built through the store's catalogue helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from exchange.documents import Price, Product
from exchange.profiles import ExportSpec
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse, upsert_product
from exchange.store.links import remember_link
from exchange.store.stock import reserve, set_on_hand

NASTY_NAME = "Káva & čaj <Extra> „žluťoučký“"
D = Decimal


def retail(amount: str) -> Price:
    """A retail price including VAT."""
    return Price("retail", D(amount), "CZK", True)


def wholesale(amount: str) -> Price:
    """A wholesale price without VAT."""
    return Price("wholesale", D(amount), "CZK", False)


@dataclass
class FakeProfile:
    """A profile offering the given feeds (the engine needs only name and exports)."""

    name: str
    exports: dict[str, ExportSpec] = field(default_factory=dict)


def profile_with(template: str, name: str = "test", feed: str = "pricelist", **spec: Any) -> FakeProfile:
    """A one-feed profile around a bundled template."""
    return FakeProfile(name, {feed: ExportSpec(name=feed, template=template, **spec)})


def build_catalogue(store: Store) -> dict[str, int]:
    """Products, a service, variants, prices, labels and stock over two warehouses; ids by code."""
    ids: dict[str, int] = {}
    with store.begin() as conn:
        main = ensure_warehouse(conn, "MAIN")
        second = ensure_warehouse(conn, "W2")
        products = [
            Product("KAVA-1", NASTY_NAME, ean="8594000000012", vat_rate=D("21"), labels=["eshop1"],
                    prices=[retail("121.00"), wholesale("80.00")], url="https://shop.example/kava?a=1&b=2",
                    manufacturer="Pražírna & syn", category="Nápoje | Káva",
                    description="Výběrová <b>káva</b>"),
            Product("TRI", "Tričko", vat_rate=D("21"), labels=["eshop1"], prices=[retail("250.00")]),
            Product("TRI-M", "Tričko M", parent_code="TRI", variant_name="M", vat_rate=D("21"),
                    prices=[retail("250.00")], ean="8594000000029"),
            Product("TRI-L", "Tričko L", parent_code="TRI", variant_name="L", vat_rate=D("21"),
                    prices=[retail("260.50")]),
            Product("DOPRAVA", "Doprava", vat_rate=D("21"), is_service=True, prices=[retail("99.00")]),
            Product("BEZCENY", "Bez ceny", vat_rate=D("12"), prices=[wholesale("10.00")]),
            Product("KNIHA", "Kniha", vat_rate=D("0"), unit="ks", labels=["eshop2"],
                    prices=[retail("300.00"), wholesale("280.00")]),
        ]
        for product in products:
            ids[product.code], _ = upsert_product(conn, product)
        set_on_hand(conn, ids["KAVA-1"], main, D("10"))
        reserve(conn, ids["KAVA-1"], main, D("3"))
        set_on_hand(conn, ids["KAVA-1"], second, D("5"))
        set_on_hand(conn, ids["TRI-M"], main, D("2.5"))
        set_on_hand(conn, ids["TRI-L"], main, D("1"))
        reserve(conn, ids["TRI-L"], main, D("2"))  # oversold: nothing can be sold
        set_on_hand(conn, ids["KNIHA"], second, D("4"))
        remember_link(conn, "prestashop", "ps", "product", "10", ids["KAVA-1"])
        remember_link(conn, "prestashop", "ps", "product", "11-3", ids["TRI-M"])
    return ids


@pytest.fixture
def catalogue(store: Store) -> Store:
    """The store filled with the fixture catalogue."""
    build_catalogue(store)
    return store


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder for feeds."""
    path = tmp_path / "out"
    path.mkdir()
    return path
