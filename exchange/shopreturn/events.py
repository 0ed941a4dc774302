"""The ERP's changes of an order, each recorded as an outgoing event for the order's shop.

``set_status`` is ``exchange orders set-status``: a new status (``shipped``, ``cancelled`` …, or
``paid`` for a payment the ERP recorded), a tracking number and carrier. Cancelling gives the
order's reservation back, and is refused for an order already realised (issue a credit note).
Realising (``exchange orders realise``) is picked up by :func:`collect_changes` before each status
export: every order with an issued document and no ``realised`` event gets one, dated when the
document was issued, so its shop hears that the order is being processed, and since when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from exchange.documents import OrderStatus
from exchange.errors import ConfigError
from exchange.store import Store
from exchange.store.history import record_event
from exchange.store.order_status import (
    StatusEvent,
    find_orders,
    issued_numbers,
    realised_without_event,
    record_status_events,
    require_one,
    reserving_lines,
    update_order,
)
from exchange.store.stock import StockChange, apply_stock_changes
from exchange.store.types import utcnow

PAID = "paid"
#: What ``set-status`` accepts: the ERP's order states, and ``paid``.
SETTABLE = (*(s.value for s in OrderStatus), PAID)
_NO_STOCK = {OrderStatus.CANCELLED.value, OrderStatus.RETURNED.value}
#: Realising moves an order that had not got this far to ``processing``.
_BEFORE_PROCESSING = {OrderStatus.NEW.value, OrderStatus.CONFIRMED.value, OrderStatus.ON_HOLD.value}


class EventKind(StrEnum):
    """What an outgoing event says changed."""

    STATUS = "status"
    TRACKING = "tracking"
    PAID = "paid"
    REALISED = "realised"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StatusChange:
    """What one ``set-status`` did."""

    shop: str
    number: str
    before: str
    status: str
    events: tuple[str, ...]
    released: int = 0  # reservation lines given back (a cancellation)

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"shop": self.shop, "order": self.number, "before": self.before,
                "status": self.status, "events": list(self.events), "released": self.released}

    def summary(self) -> str:
        """One line for the terminal."""
        what = ", ".join(self.events) or "nothing changed"
        return f"{self.shop} {self.number}: {self.before} → {self.status} ({what})"


def set_status(store: Store, key: str, status: str, *, tracking: str = "", carrier: str = "",
               shop: str | None = None, paid_at: datetime | None = None,
               amount: Decimal | None = None, job: str = "set-status",
               run_id: int | None = None) -> StatusChange:
    """Change an order the ERP's way and record what its shop should hear.

    Raises:
        ConfigError: an unknown status, no such order (or one in several shops), cancelling an
            order already realised.
    """
    status = status.strip().lower()
    if status not in SETTABLE:
        raise ConfigError(f"unknown status {status!r}; known: {', '.join(SETTABLE)}")
    with store.begin() as conn:
        order = require_one(find_orders(conn, key, shop), key)
        before = str(order["status"])
        events = _events_for(conn, order, status, tracking, carrier, paid_at, amount)
        released = 0
        if status == OrderStatus.CANCELLED.value and before != status:
            released = _release(conn, order)
        new_status = before if status == PAID else status
        changes: dict[str, Any] = {}
        if new_status != before:
            changes["status"] = new_status
        if tracking and tracking != order["tracking_number"]:
            changes["tracking_number"] = tracking
        if changes:
            update_order(conn, int(order["id"]), **changes)
        record_status_events(conn, events)
        kinds = tuple(e.kind for e in events)
        record_event(conn, kind="order_status_set", job=job, run_id=run_id,
                     document=f"order:{order['shop']}:{order['number']}",
                     message=f"{before} → {new_status}" + (f", tracking {tracking}" if tracking
                                                           else ""),
                     details={"events": list(kinds), "carrier": carrier, "released": released})
    return StatusChange(str(order["shop"]), str(order["number"]), before, new_status, kinds,
                        released)


def _events_for(conn: Connection, order: dict[str, Any], status: str, tracking: str, carrier: str,
                paid_at: datetime | None, amount: Decimal | None) -> list[StatusEvent]:
    before = str(order["status"])
    if status == OrderStatus.CANCELLED.value and before != status:
        issued = issued_numbers(conn, int(order["id"]))
        if issued:
            raise ConfigError(f"order {order['number']} is realised already ({', '.join(issued)}): "
                              "cancel it with a credit note in the ERP")
    new_tracking = tracking if tracking and tracking != order["tracking_number"] else ""

    def event(kind: EventKind, new_status: str, **payment: Any) -> StatusEvent:
        return StatusEvent(order_id=int(order["id"]), shop=str(order["shop"]), kind=kind.value,
                           status=new_status, source="cli", tracking_number=new_tracking,
                           carrier=carrier if new_tracking else "", **payment)

    if status == PAID:
        return [event(EventKind.PAID, before, paid=True, paid_at=paid_at or utcnow(),
                      amount_paid=amount)]
    if status != before:
        cancelled = status == OrderStatus.CANCELLED.value
        return [event(EventKind.CANCELLED if cancelled else EventKind.STATUS, status)]
    if new_tracking:
        return [event(EventKind.TRACKING, before)]
    return []


def _release(conn: Connection, order: dict[str, Any]) -> int:
    """Give a cancelled order's reservation back (an order that reserved nothing gives nothing)."""
    if str(order["status"]) in _NO_STOCK or order["warehouse_id"] is None:
        return 0
    lines = reserving_lines(conn, int(order["id"]))
    apply_stock_changes(conn, [StockChange(pid, int(order["warehouse_id"]), reserve=-qty,
                                           reference=f"order {order['number']} cancelled")
                               for pid, qty in lines])
    return len(lines)


def collect_changes(conn: Connection) -> int:
    """Record a ``realised`` event for every order realised since the last look; how many.

    The event carries the time its first document was issued, not this look's: the shop hears
    the true date.
    """
    found = realised_without_event(conn)
    events = []
    for order in found:
        status = str(order["status"])
        if status in _BEFORE_PROCESSING:
            status = OrderStatus.PROCESSING.value
            update_order(conn, int(order["id"]), status=status)
        events.append(StatusEvent(order_id=int(order["id"]), shop=str(order["shop"]),
                                  kind=EventKind.REALISED, status=status, source="realise",
                                  reference=str(order["document"] or ""),
                                  happened_at=order["issued_at"]))
    record_status_events(conn, events)
    return len(events)


def keep_erp_status(pending: Any, erp_status: str) -> None:
    """An import of an order the ERP moved on: a shop status behind the ERP's does not undo it.

    The shop has not taken the change yet (``export order-status`` sends it); the order's other
    changes apply, its status stays the ERP's, and the import says so in a warning.
    """
    from exchange.importers.write.documents import STATUS_ORDER

    order = pending.document
    shop = STATUS_ORDER.get(order.status.value)
    erp = STATUS_ORDER.get(erp_status)
    if shop is None or erp is None or shop >= erp:
        return
    said = (f"the shop still says {order.status.value} ({order.shop_status}); the ERP's "
            f"{erp_status} stands (export order-status sends it)")
    pending.base_warnings.append(said)  # what a write retried one by one starts from
    pending.warnings.append(said)
    order.status = OrderStatus(erp_status)
