"""The words a profile is written in: document kinds, field types and the import choices."""

from __future__ import annotations

from enum import StrEnum

from exchange.documents import InvoiceKind, LineKind, OrderStatus


class DocumentKind(StrEnum):
    """What a file holds: the kinds of documents a profile can read."""

    ORDERS = "orders"
    INVOICES = "invoices"
    PRODUCTS = "products"
    STOCK = "stock"


class FieldType(StrEnum):
    """How a field's text is converted."""

    TEXT = "text"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"
    COUNTRY = "country"


DATE_TYPES = frozenset({FieldType.DATETIME, FieldType.DATE})


class UnknownProduct(StrEnum):
    """What the engine does with an order line whose product is not in the catalogue."""

    CREATE = "create"
    TEXT = "text"


class WithoutLines(StrEnum):
    """What the engine does with an order or invoice that has a total but no lines."""

    WARN = "warn"
    HOLD = "hold"


class Resolver(StrEnum):
    """Who fetches, before an import, what a platform's order names only by id."""

    PRESTASHOP = "prestashop"  # customers, addresses, countries, currencies (webservice)


class OnChanged(StrEnum):
    """What the engine does when an already imported document comes again with new content."""

    UPDATE = "update"
    REVIEW = "review"


class Direction(StrEnum):
    """Which way a status map entry works: read from the shop, sent back to it, or both."""

    IN = "in"
    OUT = "out"
    BOTH = "both"


class StatusSplit(StrEnum):
    """How a status export is cut into documents."""

    ALL = "all"
    ORDER = "order"
    COLUMNS = "columns"


class PaymentSync(StrEnum):
    """Where an order's payment is settled, so which side's paid flag counts."""

    SHOP = "shop"  # in the shop (card, PayPal): the shop's paid flag and amount mark it paid
    ERP = "erp"  # in the ERP (transfer, cash on delivery): the ERP's payment goes back as paid


class UnmappedPayment(StrEnum):
    """What an order whose payment is not in ``payments:`` gets."""

    DEFAULT = "default"  # the default, with a warning
    HOLD = "hold"  # held for review


# Statuses the ERP sends back that no shop value is read as (an entry of direction ``out``).
OUTGOING_ONLY_STATUSES = frozenset({"paid"})

# The value maps the reader applies, and the canonical values each may produce (None: free values).
# The map a ``classify`` names gives line kinds, whatever its name.
MAP_TARGETS: dict[str, frozenset[str] | None] = {
    "status": frozenset(s.value for s in OrderStatus),
    "line_kind": frozenset(k.value for k in LineKind),
    "invoice_kind": frozenset(k.value for k in InvoiceKind),
    "payment": None,
    "shipping": None,
    "country": None,
    "vat_rate": None,
    "item_type": None,
}
LINE_KINDS = frozenset(k.value for k in LineKind)

# The map a canonical field goes through when its spec names none.
DEFAULT_MAP_FOR = {
    "status": "status", "payment_method": "payment", "shipping_method": "shipping",
    "invoice_kind": "invoice_kind", "item_type": "item_type",
}
# Maps a field may name that the reader provides even when the profile declares none.
BUILT_IN_MAPS = frozenset({"country", "vat_rate"})
