"""Each bundled template rendered from the fixture catalogue, checked field by field after parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from exchange.exporters.engine import export_feed
from exchange.resources import schemas_dir
from exchange.store import Store
from tests.exporters.conftest import NASTY_NAME, profile_with

G = "{http://base.google.com/ns/1.0}"
N = "{urn:exchange:pricelist:1}"


def render(store: Store, out: Path, template: str, **spec: Any) -> etree._Element:
    target = out / "feed.xml"
    result = export_feed(store, profile_with(template, **spec), "pricelist", target)
    assert result.published
    return etree.parse(str(target)).getroot()


def by(root: etree._Element, path: str, key: str) -> dict[str, etree._Element]:
    return {el.findtext(key): el for el in root.iterfind(path)}


def test_shoptet_nested_puts_variants_under_their_parent(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "shoptet/pricelist.xml.j2", options={"nested": True})
    items = by(root, "SHOPITEM", "CODE")
    assert set(items) == {"KAVA-1", "TRI", "DOPRAVA", "KNIHA"}
    kava = items["KAVA-1"]
    assert kava.findtext("NAME") == NASTY_NAME
    assert kava.findtext("PRICE_VAT") == "121.00"
    assert kava.findtext("VAT") == "21"
    assert kava.findtext("CURRENCY") == "CZK"
    assert kava.findtext("STOCK/AMOUNT") == "12"
    variants = by(items["TRI"], "VARIANTS/VARIANT", "CODE")
    assert set(variants) == {"TRI-M", "TRI-L"}
    assert variants["TRI-M"].findtext("STOCK/AMOUNT") == "2.5"
    assert variants["TRI-L"].findtext("PRICE_VAT") == "260.50"
    assert variants["TRI-L"].findtext("STOCK/AMOUNT") == "0"
    assert items["TRI"].find("PRICE_VAT") is None
    assert items["DOPRAVA"].find("STOCK") is None  # services carry no stock


def test_shoptet_flat_without_vat(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "shoptet/pricelist_flat.xml.j2", vat_included=False)
    items = by(root, "SHOPITEM", "CODE")
    assert {"TRI", "TRI-M", "TRI-L"} <= set(items)
    assert items["KAVA-1"].findtext("PRICE") == "100.00"
    assert items["KAVA-1"].find("PRICE_VAT") is None
    assert items["KAVA-1"].findtext("NAME") == NASTY_NAME


def test_shoptet_stock_feed(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "shoptet/stock.xml.j2", warehouses=("MAIN",),
                  options={"include_services": False, "require_price": False})
    items = by(root, "SHOPITEM", "CODE")
    assert "DOPRAVA" not in items
    assert "BEZCENY" in items  # stock needs no price
    assert items["KAVA-1"].findtext("STOCK/AMOUNT") == "7"
    assert items["KNIHA"].findtext("STOCK/AMOUNT") == "0"
    assert items["KAVA-1"].findtext("NAME") == NASTY_NAME


HEUREKA_OPTIONS = {"leaf_only": True, "delivery_date": 0, "delivery_date_out_of_stock": 14,
                   "variant_param": "Velikost", "heureka_cpc": "1.5",
                   "delivery": [{"id": "ZASILKOVNA", "price": 79, "price_cod": "109.5"}]}


def test_heureka_fields(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "heureka/pricelist.xml.j2", options=HEUREKA_OPTIONS)
    items = by(root, "SHOPITEM", "ITEM_ID")
    assert "TRI" not in items  # a parent is only the group of its variants
    kava = items["KAVA-1"]
    assert kava.findtext("PRODUCTNAME") == NASTY_NAME
    assert kava.findtext("PRICE_VAT") == "121.00"
    assert kava.findtext("VAT") == "21%"
    assert kava.findtext("EAN") == "8594000000012"
    assert kava.findtext("URL") == "https://shop.example/kava?a=1&b=2"
    assert kava.findtext("DESCRIPTION") == "Výběrová <b>káva</b>"
    assert kava.findtext("HEUREKA_CPC") == "1,50"  # Heureka writes the CPC with a decimal comma
    assert kava.findtext("DELIVERY_DATE") == "0"
    assert kava.findtext("DELIVERY/DELIVERY_ID") == "ZASILKOVNA"
    assert kava.findtext("DELIVERY/DELIVERY_PRICE_COD") == "109.50"
    tri_l = items["TRI-L"]
    assert tri_l.findtext("ITEMGROUP_ID") == "TRI"
    assert tri_l.findtext("PARAM/PARAM_NAME") == "Velikost"
    assert tri_l.findtext("PARAM/VAL") == "L"
    assert tri_l.findtext("DELIVERY_DATE") == "14"  # nothing to sell now
    assert items["DOPRAVA"].findtext("DELIVERY_DATE") == "0"


GOOGLE_OPTIONS = {"leaf_only": True, "title": "Obchod & spol.", "description": "Vše",
                  "shop_url": "https://shop.example/", "condition": "new"}


def test_google_merchant_rss(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "google/pricelist.xml.j2", options=GOOGLE_OPTIONS)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert root.findtext("channel/title") == "Obchod & spol."
    items = by(root, "channel/item", f"{G}id")
    kava = items["KAVA-1"]
    assert kava.findtext(f"{G}title") == NASTY_NAME
    assert kava.findtext(f"{G}price") == "121.00 CZK"
    assert kava.findtext(f"{G}availability") == "in_stock"
    assert kava.findtext(f"{G}gtin") == "8594000000012"
    assert kava.findtext(f"{G}brand") == "Pražírna & syn"
    assert items["TRI-L"].findtext(f"{G}availability") == "out_of_stock"
    assert items["TRI-L"].findtext(f"{G}item_group_id") == "TRI"


def test_prestashop_stock_available(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "prestashop/stock.xml.j2",
                  options={"link_platform": "prestashop", "link_shop": "ps", "linked_only": True,
                           "require_price": False, "include_services": False, "id_shop": 1,
                           "out_of_stock": 2})
    docs = {(d.findtext("id_product"), d.findtext("id_product_attribute")): d
            for d in root.iterfind("stock_availables/stock_available")}
    assert set(docs) == {("10", "0"), ("11", "3")}
    assert docs[("10", "0")].findtext("quantity") == "12"
    assert docs[("11", "3")].findtext("quantity") == "2"  # PrestaShop quantities are whole
    assert docs[("10", "0")].findtext("id_shop") == "1"


def test_prestashop_price_without_vat_six_decimals(catalogue: Store, out: Path) -> None:
    root = render(catalogue, out, "prestashop/pricelist.xml.j2", vat_included=False,
                  options={"link_platform": "prestashop", "link_shop": "ps", "linked_only": True,
                           "id_lang": 1})
    products = by(root, "products/product", "reference")
    assert set(products) == {"KAVA-1"}  # a combination's price is an impact, not exported
    assert products["KAVA-1"].findtext("id") == "10"
    assert products["KAVA-1"].findtext("price") == "100.000000"
    assert products["KAVA-1"].findtext("name/language") == NASTY_NAME


@pytest.fixture(scope="module")
def pricelist_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(schemas_dir() / "pricelist.xsd"))


def test_native_pricelist_is_valid_and_complete(catalogue: Store, out: Path,
                                                pricelist_schema: xmlschema.XMLSchema) -> None:
    root = render(catalogue, out, "native/pricelist.xml.j2")
    pricelist_schema.validate(str(out / "feed.xml"))
    assert root.get("currency") == "CZK"
    assert root.get("vat-included") == "true"
    assert root.get("full") == "true"
    items = by(root, f"{N}item", f"{N}code")
    kava = items["KAVA-1"]
    assert kava.findtext(f"{N}name") == NASTY_NAME
    assert kava.findtext(f"{N}price") == "121.00"
    assert kava.find(f"{N}price").get("vat-included") == "true"
    assert kava.findtext(f"{N}available") == "12"
    assert [label.text for label in kava.iterfind(f"{N}labels/{N}label")] == ["eshop1"]
    assert items["TRI-M"].findtext(f"{N}parent") == "TRI"
    assert items["DOPRAVA"].get("service") == "true"
    assert items["DOPRAVA"].find(f"{N}available") is None


def test_native_wholesale_without_vat_is_valid(catalogue: Store, out: Path,
                                               pricelist_schema: xmlschema.XMLSchema) -> None:
    root = render(catalogue, out, "native/pricelist.xml.j2", price_list="wholesale", vat_included=False)
    pricelist_schema.validate(str(out / "feed.xml"))
    items = by(root, f"{N}item", f"{N}code")
    assert set(items) == {"KAVA-1", "BEZCENY", "KNIHA"}
    assert items["BEZCENY"].findtext(f"{N}price") == "10.00"
    assert root.get("vat-included") == "false"
