"""The payment map: each order's shop payment (and delivery) → the ERP payment kind and sync mode.

``shop``: the payment is settled in the shop (card, PayPal), so the shop's paid flag and amount
mark the ERP document paid. ``erp``: it is settled in the ERP (bank transfer, cash on delivery),
so the shop's paid flag is ignored — the order comes in unpaid whatever the shop says — and the
ERP's payment (``orders set-status N paid``) goes back to the shop as ``paid``. A payment not in
the map takes the default with a warning, or holds the order for review, as ``unmapped:`` says.
Applied by every import of orders (``importers/run.py``) to a profile with ``payments:``.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.documents import Order
from exchange.profiles.models import Payments
from exchange.profiles.vocabulary import PaymentSync, UnmappedPayment


@dataclass(frozen=True)
class Settlement:
    """What the payment map made of one order."""

    kind: str = ""
    sync: str = ""
    mapped: bool = False
    warning: str = ""
    hold: str = ""  # a review reason: the order is held


def _what(order: Order) -> str:
    payment = order.payment_method or order.money.payment_code or "(none)"
    shipping = order.shipping_method or order.money.shipping_code
    return f"payment {payment!r}" + (f" with shipping {shipping!r}" if shipping else "")


def settle(order: Order, payments: Payments) -> Settlement:
    """Apply the map to ``order`` (an ``erp`` payment loses the shop's paid flag); what it found."""
    entry = payments.lookup((order.payment_method, order.money.payment_code),
                            (order.shipping_method, order.money.shipping_code))
    if entry is not None:
        kind, sync, mapped, warning = entry.kind, entry.sync, True, ""
    elif payments.unmapped is UnmappedPayment.HOLD or payments.default is None:
        return Settlement(hold=f"{_what(order)} is not in the profile's payments: map "
                               "(unmapped: hold)")
    else:
        kind, sync, mapped = payments.default.kind, payments.default.sync, False
        warning = (f"{_what(order)} is not in the profile's payments: map; took the default "
                   f"({kind}, settled in the {sync.value})")
    if sync is PaymentSync.ERP:
        # settled in the ERP: what the shop says about payment does not count
        order.money.paid = None
        order.money.amount_paid = None
        order.money.paid_at = None
    return Settlement(kind, sync.value, mapped, warning)
