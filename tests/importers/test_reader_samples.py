"""The bundled profiles on real platform files from /work/shared/samples (skipped without them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from exchange.documents import Invoice, LineKind, Order, OrderStatus, Product, StockLevel
from exchange.importers.read.records import DocumentKind, Record, read_records
from exchange.profiles import load_profile
from exchange.profiles.check import check_profile


def _read(path: Path, profile: str, kind: DocumentKind) -> list[Record]:
    records = list(read_records(path, load_profile(profile), kind))
    for record in records:
        assert record.error is None, record.error
    return records


@pytest.mark.parametrize("name", ["axelor_order.xml", "axelor_orders.xml"])
def test_prestashop_order_in_both_envelopes(shared_samples: Path, name: str) -> None:
    [record] = _read(shared_samples / "prestashop" / name, "prestashop", DocumentKind.ORDERS)
    order = record.document
    assert isinstance(order, Order)
    assert (order.external_id, order.number) == ("1", "IMCVKMUCP")
    assert order.status is OrderStatus.CONFIRMED  # current_state 2: payment accepted
    assert (order.money.payment_code, order.payment_method) == ("ps_checkpayment", "Chèque")
    assert (order.money.shipping_code, order.shipping_method) == ("1", "Pick up in store")
    assert order.total == Decimal("180")
    [line] = order.lines  # shipping and discounts are zero in this order: no extra lines
    assert (line.code, line.name, line.unit_price, line.vat_rate) == (
        "COMP-0003", "Processeur 4x3,4 GHz", Decimal("180"), Decimal("0"))
    assert order.created_at.isoformat() == "2018-02-13T09:36:21+01:00"


def test_prestashop_stock_available(shared_samples: Path) -> None:
    [record] = _read(shared_samples / "prestashop" / "axelor_available-stock.xml", "prestashop",
                     DocumentKind.STOCK)
    assert record.document == StockLevel(product_code="10", warehouse="MAIN", on_hand=Decimal(0))


@pytest.mark.parametrize(("name", "number", "lines"), [
    ("accsync_objednavky_01_v2.0_response_cp1250.xml", "182100001", 3),
    # accsync_objednavky_02 is an issuedOrder, refused (see test_document_truth)
])
def test_pohoda_list_order_responses(shared_samples: Path, name: str, number: str,
                                     lines: int) -> None:
    records = _read(shared_samples / "pohoda" / name, "pohoda", DocumentKind.ORDERS)
    order = records[0].document
    assert isinstance(order, Order)
    assert order.external_id == number
    assert order.customer.company == "INTEAK spol. s r. o."
    assert order.customer.billing.street == "Jiřího z Poděbrad 35"  # windows-1250 decoded
    assert order.customer.vat_id == "CZ85236972"
    assert len(order.lines) >= lines
    assert all(line.vat_rate == Decimal("21") for line in order.lines)


def test_pohoda_list_invoice_responses(shared_samples: Path) -> None:
    records = _read(shared_samples / "pohoda" / "vitex_all-invoices-response_cp1250.xml", "pohoda",
                    DocumentKind.INVOICES)
    assert len(records) == 16
    first = records[0].document
    assert isinstance(first, Invoice)
    assert (first.number, first.issued_on, first.payment_method) == (
        "240100007", date(2024, 6, 30), "Príkazem")
    assert first.total == Decimal("2949")  # bands 2949.38 + rounding -0.38
    euro = next(r.document for r in records if r.external_id == "250100013")
    assert isinstance(euro, Invoice)
    assert euro.currency == "EUR"


def test_pohoda_list_invoices_masa331(shared_samples: Path) -> None:
    records = _read(shared_samples / "pohoda" / "masa331_response_pack_listInvoice.xml", "shoptet",
                    DocumentKind.INVOICES)
    invoice = records[0].document
    assert isinstance(invoice, Invoice)
    assert invoice.order_number == "2178813867"
    assert [ln.code for ln in invoice.lines] == ["VDF002", "SHIPPING6", "BILLING3"]


def test_woocommerce_v3_orders(shared_samples: Path) -> None:
    [record] = _read(shared_samples / "woocommerce" / "zynk_woocommerce_v3_orders.xml",
                     "woocommerce", DocumentKind.ORDERS)
    order = record.document
    assert isinstance(order, Order)
    assert (order.external_id, order.number, order.currency) == ("9", "20", "GBP")
    assert order.status is OrderStatus.CANCELLED
    assert order.created_at.isoformat() == "2017-05-24T14:50:53+00:00"
    assert order.prices_include_vat is False
    assert order.customer.name == "Adam Wardle"
    assert order.customer.billing.country == "GB"
    assert order.customer.email == "support@zynk.com"
    assert order.shipping_method == "Flat rate"
    assert order.payment_method == "Check payments"
    [line] = order.lines  # shipping total 0.00 adds no line
    assert (line.kind, line.code, line.unit_price, line.vat_rate) == (
        LineKind.PRODUCT, "TEST001", Decimal("20"), Decimal("20"))


def test_shoptet_shopitem_fragment_without_shop_root(shared_samples: Path) -> None:
    records = _read(shared_samples / "shoptet" / "SHOPITEM-with-variants.xml", "shoptet",
                    DocumentKind.PRODUCTS)
    # the parent has no CODE of its own, so only its two variants become products
    assert [r.external_id for r in records] == ["AD-35", "AD-28"]
    green = records[0].document
    assert isinstance(green, Product)
    assert (green.name, green.variant_name, green.manufacturer) == (
        "Tričko adidas", "Barva: Zelená, Velikost: 36", "Adidas")
    assert green.prices[0].amount == Decimal("220")


def test_check_on_a_real_sample_finds_the_unread_elements(shared_samples: Path) -> None:
    report = check_profile(load_profile("prestashop"), shared_samples / "prestashop" /
                           "axelor_order.xml")
    [orders] = report.kinds
    unknown = dict(orders.unknown_elements)
    assert "secure_key" in unknown
    assert "associations/order_rows/order_row/product_price" in unknown
    assert not report.has_problems
