"""Reading Shoptet order exports with the bundled profile."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from exchange.documents import LineKind, Order, OrderStatus
from exchange.errors import MappingError
from exchange.importers.read.records import DocumentKind, Record, read_records
from exchange.profiles import load_profile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return list(read_records(FIXTURES / "shoptet_orders.xml", load_profile("shoptet"),
                             DocumentKind.ORDERS))


def _order(record: Record) -> Order:
    assert isinstance(record.document, Order)
    return record.document


def test_every_order_is_reported_with_its_line(records: list[Record]) -> None:
    assert [(r.external_id, r.line) for r in records] == [("1001", 3), ("1002", 125), ("1003", 153)]


def test_header_customer_and_addresses(records: list[Record]) -> None:
    order = _order(records[0])
    assert order.number == "2026000101"
    assert order.currency == "CZK"
    assert order.total == Decimal("1834.50")  # "1 834,50": space thousands, decimal comma
    assert order.status is OrderStatus.PROCESSING
    assert order.shop_status == "Vyřizuje se"
    assert order.note == "Prosím zazvonit dvakrát."
    customer = order.customer
    assert (customer.company_id, customer.vat_id, customer.email) == (
        "12345678", "CZ12345678", "jana.novakova@example.cz")
    assert customer.billing.street == "Dlouhá"
    assert customer.billing.house_number == "12"
    assert customer.billing.country == "CZ"
    assert customer.delivery.country == "SK"
    assert customer.delivery.city == "Bratislava"


def test_date_is_local_prague_time(records: list[Record]) -> None:
    created = _order(records[0]).created_at
    assert created.utcoffset() is not None
    assert created.isoformat() == "2026-03-29T01:30:00+01:00"  # before the DST switch
    assert _order(records[1]).created_at.isoformat() == "2026-07-01T14:05:09+02:00"


def test_lines_are_classified_by_item_type(records: list[Record]) -> None:
    order = _order(records[0])
    kinds = [line.kind for line in order.lines]
    assert kinds == [LineKind.PRODUCT, LineKind.PRODUCT, LineKind.SHIPPING, LineKind.PAYMENT,
                     LineKind.DISCOUNT, LineKind.OTHER]
    product = order.lines[0]
    assert (product.code, product.quantity, product.unit_price, product.vat_rate) == (
        "TRI-M-ZEL", Decimal("2"), Decimal("605.00"), Decimal("21"))
    assert product.variant == "Velikost: M"
    assert order.lines[4].unit_price == Decimal("-50.00")


def test_payment_and_shipping_come_from_the_billing_and_shipping_items(
        records: list[Record]) -> None:
    order = _order(records[0])
    assert order.payment_method == "Dobírka"
    assert order.shipping_method == "Zásilkovna - výdejní místo"


def test_unknown_item_type_is_read_as_other_with_a_warning(records: list[Record]) -> None:
    assert any("gift-certificate" in w for w in records[0].warnings)


def test_unknown_status_holds_the_order_for_review(records: list[Record]) -> None:
    record = records[1]
    assert record.document is not None
    assert record.review_reasons == [
        "status 'Čeká na vyřízení u dodavatele' has no mapping and the profile has no default"]


def test_empty_country_takes_the_profile_default(records: list[Record]) -> None:
    order = _order(records[1])
    assert order.customer.billing.country == "CZ"
    assert order.customer.delivery.is_empty()


def test_bad_date_fails_only_that_order_with_file_line_and_field(
        records: list[Record]) -> None:
    record = records[2]
    assert record.document is None
    assert isinstance(record.error, MappingError)
    assert record.error.line == 153
    assert record.error.field == "created_at"
    assert "29.3.2026" in str(record.error)
    assert str(FIXTURES / "shoptet_orders.xml") in str(record.error)
