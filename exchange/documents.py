"""Canonical documents: the only shapes importers produce and exporters consume.

Money and quantities are :class:`~decimal.Decimal`; every document carries its ISO 4217 currency;
timestamps are timezone-aware. This module imports nothing else of ours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

# The store keeps every amount exactly with up to this many integer digits and decimals.
AMOUNT_INTEGER_DIGITS = 15
AMOUNT_DECIMALS = 6


def amount_problem(value: Decimal) -> str | None:
    """Why ``value`` cannot be kept exactly (out of range or too many decimals), or None."""
    if not value.is_finite():
        return "not a number"
    if value and value.adjusted() >= AMOUNT_INTEGER_DIGITS:
        return f"more than {AMOUNT_INTEGER_DIGITS} integer digits"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_DECIMALS and value != value.quantize(
            Decimal(1).scaleb(-AMOUNT_DECIMALS)):
        return f"more than {AMOUNT_DECIMALS} decimals"
    return None


class LineKind(StrEnum):
    """What an order or invoice line stands for."""

    PRODUCT = "product"
    SHIPPING = "shipping"
    PAYMENT = "payment"
    DISCOUNT = "discount"
    ADVANCE = "advance"  # a deduction of an advance already paid (negative)
    OTHER = "other"


class OrderStatus(StrEnum):
    """The ERP's own order states that shop statuses are mapped to."""

    NEW = "new"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    ON_HOLD = "on_hold"


class InvoiceKind(StrEnum):
    """Issued invoice, credit note, or receipt (a simplified tax document for a person)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    RECEIPT = "receipt"


@dataclass(slots=True)
class Address:
    """A postal address; ``country`` is ISO 3166-1 alpha-2."""

    name: str = ""
    company: str = ""
    street: str = ""
    house_number: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""
    state: str = ""  # state, county, region (WooCommerce, Magento, US/UK addresses)

    def is_empty(self) -> bool:
        """True when no field carries a value."""
        return not any(asdict(self).values())


@dataclass(slots=True)
class Customer:
    """A buyer: person or company."""

    name: str = ""
    company: str = ""
    company_id: str = ""  # IČO, NIP, …
    vat_id: str = ""  # DIČ, VAT number
    email: str = ""
    phone: str = ""
    billing: Address = field(default_factory=Address)
    delivery: Address = field(default_factory=Address)
    external_id: str = ""


@dataclass(slots=True)
class Money:
    """What an order or invoice says about its money beyond the total, and how it is paid and sent.

    Amounts are in the document's currency; ``home_currency_total`` is the total in the ERP's own
    currency when the document states both (POHODA); ``exchange_rate`` is home units per one unit.
    """

    total_net: Decimal | None = None
    total_vat: Decimal | None = None
    rounding: Decimal | None = None
    vat_breakdown: list[VatBand] = field(default_factory=list)
    exchange_rate: Decimal | None = None
    home_currency_total: Decimal | None = None
    paid: bool | None = None
    amount_paid: Decimal | None = None
    paid_at: datetime | None = None
    payment_code: str = ""
    shipping_code: str = ""
    pickup_point_id: str = ""
    pickup_point_name: str = ""
    tracking_number: str = ""


@dataclass(slots=True)
class VatBand:
    """The part of a document's total taxed at one VAT rate."""

    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(slots=True)
class OrderLine:
    """One line of an order: a product, shipping, payment, discount or other line."""

    kind: LineKind
    name: str
    quantity: Decimal
    unit_price: Decimal  # per unit, as the shop states it (see Order.prices_include_vat)
    vat_rate: Decimal | None = None  # percent, e.g. Decimal("21")
    code: str = ""
    ean: str = ""
    unit: str = ""
    variant: str = ""
    discount_percent: Decimal = Decimal("0")
    line_total: Decimal | None = None  # as the shop states it
    unit_price_gross: Decimal | None = None  # per unit with VAT
    unit_price_net: Decimal | None = None  # per unit without VAT
    total_gross: Decimal | None = None  # the line with VAT
    total_net: Decimal | None = None  # the line without VAT
    product_link: str = ""  # the shop's id of the product ("10", a combination "10-3")


@dataclass(slots=True)
class Order:
    """A received order as the shop sent it."""

    external_id: str
    number: str
    created_at: datetime
    currency: str
    customer: Customer
    lines: list[OrderLine] = field(default_factory=list)
    status: OrderStatus = OrderStatus.NEW
    shop_status: str = ""
    payment_method: str = ""
    shipping_method: str = ""
    total: Decimal | None = None
    prices_include_vat: bool = True
    note: str = ""
    money: Money = field(default_factory=Money)
    modified_at: datetime | None = None  # when the shop last changed it: an older export is held


@dataclass(slots=True)
class InvoiceLine:
    """One line of an issued invoice or credit note."""

    kind: LineKind
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal | None = None
    code: str = ""
    unit: str = ""
    discount_percent: Decimal = Decimal("0")
    line_total: Decimal | None = None  # as the document states it
    unit_price_gross: Decimal | None = None
    unit_price_net: Decimal | None = None
    total_gross: Decimal | None = None
    total_net: Decimal | None = None


@dataclass(slots=True)
class Invoice:
    """An issued invoice or credit note."""

    external_id: str
    number: str
    issued_on: date
    currency: str
    customer: Customer
    kind: InvoiceKind = InvoiceKind.INVOICE
    lines: list[InvoiceLine] = field(default_factory=list)
    tax_date: date | None = None
    due_on: date | None = None
    variable_symbol: str = ""
    order_number: str = ""
    payment_method: str = ""
    total: Decimal | None = None
    prices_include_vat: bool = True
    note: str = ""
    money: Money = field(default_factory=Money)


@dataclass(slots=True)
class Price:
    """A product's price in one price list."""

    price_list: str
    amount: Decimal
    currency: str
    includes_vat: bool = True


@dataclass(slots=True)
class Product:
    """A catalogue item; variants are products of their own linked by ``parent_code``."""

    code: str
    name: str
    ean: str = ""
    unit: str = "ks"
    vat_rate: Decimal = Decimal("21")
    labels: list[str] = field(default_factory=list)
    prices: list[Price] = field(default_factory=list)
    parent_code: str = ""
    variant_name: str = ""
    is_service: bool = False
    description: str = ""
    manufacturer: str = ""
    url: str = ""
    image_url: str = ""
    category: str = ""
    variants: list[Product] = field(default_factory=list)


@dataclass(slots=True)
class StockLevel:
    """Stock of one product in one warehouse."""

    product_code: str
    warehouse: str
    on_hand: Decimal
    reserved: Decimal = Decimal("0")

    @property
    def available(self) -> Decimal:
        """What can really be sold."""
        return self.on_hand - self.reserved
