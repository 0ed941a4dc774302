"""Reading PrestaShop, POHODA and Shoptet product files with the bundled profiles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from exchange.documents import Invoice, InvoiceKind, LineKind, Order, OrderStatus, Product
from exchange.importers.read.records import DocumentKind, Record, read_records
from exchange.profiles import load_profile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


def _read(name: str, profile: str, kind: DocumentKind) -> list[Record]:
    return list(read_records(FIXTURES / name, load_profile(profile), kind))


# --- PrestaShop --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def presta() -> list[Record]:
    return _read("prestashop_orders.xml", "prestashop", DocumentKind.ORDERS)


def test_prestashop_cdata_with_whitespace_is_stripped(presta: list[Record]) -> None:
    order = presta[0].document
    assert isinstance(order, Order)
    assert order.external_id == "42"
    assert order.number == "XKBKNABJK"
    assert order.customer.external_id == "7"
    assert order.lines[0].code == "demo_1"
    assert order.created_at.isoformat() == "2026-02-14T18:30:00+01:00"
    assert order.status is OrderStatus.PROCESSING
    assert order.money.payment_code == "ps_wirepayment"  # the module; payment_method is its label


def test_prestashop_vat_rate_is_derived_and_snapped(presta: list[Record]) -> None:
    order = presta[0].document
    assert isinstance(order, Order)
    shirt, book = order.lines[:2]
    assert (shirt.unit_price, shirt.vat_rate, shirt.quantity) == (
        Decimal("29.040000"), Decimal("21"), Decimal("2"))
    # 99.999999 / 89.285714 is 12.000000…%: a 6-decimal rounding artefact snapped to 12
    assert book.vat_rate == Decimal("12")
    assert book.ean == "8594001234567"


def test_prestashop_shipping_and_discount_lines_come_from_totals(presta: list[Record]) -> None:
    order = presta[0].document
    assert isinstance(order, Order)
    extra = [(ln.kind, ln.unit_price, ln.vat_rate) for ln in order.lines[2:]]
    assert extra == [(LineKind.SHIPPING, Decimal("6.050000"), Decimal("21.000")),
                     (LineKind.DISCOUNT, Decimal("-12.100000"), Decimal("21"))]
    assert order.shipping_method == "Shipping"


def test_prestashop_unknown_state_is_held_for_review(presta: list[Record]) -> None:
    record = presta[1]
    assert record.document is not None
    assert record.review_reasons == ["status '239' has no mapping and the profile has no default"]
    assert record.document.lines == []  # zero totals make no lines


# --- POHODA ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pohoda_orders_ns.xml", "pohoda_orders_plain.xml"])
def test_pohoda_orders_namespaced_or_plain_windows_1250(name: str) -> None:
    [record] = _read(name, "pohoda", DocumentKind.ORDERS)
    order = record.document
    assert isinstance(order, Order), record.error
    assert order.external_id == "OBJ2026001"
    assert order.note == "Objednávka z e-shopu: žluťoučký kůň"
    assert order.customer.company == "Řeznictví Šťastný"
    assert order.customer.billing.city == "Ústí nad Labem"
    assert order.customer.billing.country == "SK"  # alpha-3 SVK
    assert order.payment_method == "Dobírka"
    assert order.total == Decimal("659")
    meat, transport = order.lines
    assert (meat.code, meat.quantity, meat.unit, meat.unit_price, meat.vat_rate) == (
        "MASO-01", Decimal("2.5"), "kg", Decimal("224"), Decimal("12"))
    assert transport.vat_rate == Decimal("21")
    assert order.prices_include_vat is True


def test_pohoda_invoices_and_credit_notes() -> None:
    invoice, credit = (r.document for r in _read("pohoda_invoices.xml", "pohoda",
                                                 DocumentKind.INVOICES))
    assert isinstance(invoice, Invoice)
    assert isinstance(credit, Invoice)
    assert invoice.kind is InvoiceKind.INVOICE
    assert (invoice.number, invoice.variable_symbol, invoice.order_number) == (
        "2026000017", "2026000017", "2026000101")
    assert (invoice.issued_on, invoice.tax_date, invoice.due_on) == (
        date(2026, 3, 30), date(2026, 3, 30), date(2026, 4, 13))
    assert invoice.prices_include_vat is False  # payVAT=false: the unit price is without VAT
    assert invoice.lines[0].unit_price == Decimal("500")
    assert invoice.total == Decimal("1210")
    assert invoice.customer.billing.country == "CZ"
    assert credit.kind is InvoiceKind.CREDIT_NOTE
    assert credit.currency == "EUR"
    assert credit.lines[0].quantity == Decimal("1")  # the sign is carried by the kind


def test_shoptet_invoices_are_read_as_pohoda() -> None:
    shoptet = [r.document for r in _read("pohoda_invoices.xml", "shoptet", DocumentKind.INVOICES)]
    pohoda = [r.document for r in _read("pohoda_invoices.xml", "pohoda", DocumentKind.INVOICES)]
    assert shoptet == pohoda


# --- Shoptet products --------------------------------------------------------------------------

def test_shoptet_products_variants_are_flattened_after_their_parent() -> None:
    records = _read("shoptet_products.xml", "shoptet", DocumentKind.PRODUCTS)
    assert [(r.external_id, r.error is None) for r in records] == [
        ("HRN-01", True), ("TRI", True), ("TRI-M", True), ("TRI-L", True), ("", False),
        ("SRV-1", True)]
    mug = records[0].document
    assert isinstance(mug, Product)
    assert mug.name == "Hrnek smaltovaný"
    assert mug.prices[0].amount == Decimal("242.00")
    assert mug.prices[0].includes_vat is True
    assert mug.category == "Kuchyně > Hrnky"
    assert records[0].stock_on_hand == Decimal("15")
    medium = records[2].document
    assert isinstance(medium, Product)
    assert (medium.parent_code, medium.name, medium.variant_name) == ("TRI", "Tričko", "Velikost: M")
    assert medium.prices[0].amount == Decimal("1299.50")
    assert records[2].stock_on_hand == Decimal("3")
    large = records[3].document
    assert isinstance(large, Product)
    assert large.prices[0].amount == Decimal("399")  # inherited from the parent
    assert records[3].stock_on_hand is None
    assert records[4].error is not None
    assert records[4].error.line == 36
    service = records[5].document
    assert isinstance(service, Product)
    assert service.is_service
    assert service.prices[0].includes_vat is False
