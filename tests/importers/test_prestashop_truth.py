"""PrestaShop on its real samples: prices to the currency's precision, product ids remembered as links."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse
from tests.importers.engine_support import rows, stock_of


def test_unit_prices_are_rounded_to_the_currency_and_totals_kept_exact(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    text = (shared_samples / "prestashop" / "axelor_order.xml").read_text(encoding="utf-8")
    assert text.count("<![CDATA[180.000000]]>") == 9
    # what PrestaShop exports for a price of 10.00 with 21 % VAT, bought 3 times
    priced = tmp_path / "order.xml"
    priced.write_text(
        text.replace("<product_quantity><![CDATA[1]]>", "<product_quantity><![CDATA[3]]>")
        .replace("<unit_price_tax_incl><![CDATA[180.000000]]>",
                 "<unit_price_tax_incl><![CDATA[9.999999]]>")
        .replace("<unit_price_tax_excl><![CDATA[180.000000]]>",
                 "<unit_price_tax_excl><![CDATA[8.264463]]>")
        .replace("<total_paid_tax_incl><![CDATA[180.000000]]>",
                 "<total_paid_tax_incl><![CDATA[30.000000]]>")
        .replace("<total_paid_tax_excl><![CDATA[180.000000]]>",
                 "<total_paid_tax_excl><![CDATA[24.790000]]>"), encoding="utf-8")

    report = import_file(store, priced, "prestashop", "orders", quarantine=tmp_path)

    assert report.counts[Outcome.IMPORTED] == 1, report.details()
    (line,) = rows(store, "order_lines")
    assert (line["unit_price"], line["unit_price_gross"], line["unit_price_net"]) == (
        Decimal("10.00"), Decimal("10.00"), Decimal("8.26"))
    assert (line["vat_rate"], line["line_total_gross"], line["line_total_net"]) == (
        Decimal("21"), Decimal("30.00"), Decimal("24.79"))


def test_product_ids_are_remembered_so_that_stock_availables_match(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    import_file(store, shared_samples / "prestashop" / "axelor_order.xml", "prestashop", "orders",
                quarantine=tmp_path)
    (product,) = rows(store, "products")
    assert product["code"] == "COMP-0003"
    (link,) = [r for r in rows(store, "links") if r["kind"] == "product"]
    assert (link["platform"], link["external_id"], link["local_id"]) == (
        "prestashop", "24", product["id"])
    # the shop's stock_available of that product (id_product 24), 7 on hand
    stock = (shared_samples / "prestashop" / "axelor_available-stock.xml").read_text(
        encoding="utf-8")
    assert stock.count("<![CDATA[10]]></id_product>") == 1
    mine = tmp_path / "stock.xml"
    mine.write_text(stock.replace("<![CDATA[10]]></id_product>", "<![CDATA[24]]></id_product>")
                    .replace("<quantity><![CDATA[0]]>", "<quantity><![CDATA[7]]>"),
                    encoding="utf-8")

    report = import_file(store, mine, "prestashop", "stock", quarantine=tmp_path)

    assert report.counts[Outcome.UPDATED] == 1, report.details()
    with store.connect() as conn:
        assert stock_of(conn, product["id"], ensure_warehouse(conn, "MAIN"))[0] == Decimal("7")


def test_a_combination_is_linked_as_product_dash_combination(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    text = (shared_samples / "prestashop" / "axelor_order.xml").read_text(encoding="utf-8")
    variant = tmp_path / "order.xml"
    variant.write_text(text.replace("<product_attribute_id><![CDATA[0]]>",
                                    "<product_attribute_id><![CDATA[3]]>"), encoding="utf-8")

    import_file(store, variant, "prestashop", "orders", quarantine=tmp_path)

    assert [r["external_id"] for r in rows(store, "links") if r["kind"] == "product"] == ["24-3"]
