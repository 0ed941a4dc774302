"""Canonical documents: the only shapes importers produce and exporters consume.

Money and quantities are :class:`~decimal.Decimal`; every document carries its ISO 4217 currency;
timestamps are timezone-aware. This module imports nothing else of ours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class LineKind(StrEnum):
    """What an order or invoice line stands for."""

    PRODUCT = "product"
    SHIPPING = "shipping"
    PAYMENT = "payment"
    DISCOUNT = "discount"
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
    """Issued invoice or credit note."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


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
    line_total: Decimal | None = None


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
