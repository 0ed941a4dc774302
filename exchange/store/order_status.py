"""Outgoing order state: the ERP's changes of each order (events), its state as the shop should show it,
and what each status destination has confirmed.

An event's id is the cursor: a destination confirmed every event up to its ``confirmed_event_id``.
An export waiting in the outbox is *pending*: it carries events up to ``pending_event_id`` and
counts as confirmed once all its outbox entries are delivered (see ``exchange.shopreturn.publish``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from exchange.errors import ConfigError
from exchange.store.schema import (
    import_watermarks,
    invoices,
    order_lines,
    order_payments,
    order_status_events,
    order_status_out,
    orders,
    outbox,
    status_destinations,
)
from exchange.store.types import utcnow

_IN_BATCH = 900


@dataclass(frozen=True)
class StatusEvent:
    """One change the ERP made to an order, as it goes back to the shop."""

    order_id: int
    shop: str
    kind: str  # status, tracking, paid, realised, cancelled
    status: str
    source: str
    tracking_number: str = ""
    carrier: str = ""
    paid: bool | None = None
    paid_at: datetime | None = None
    amount_paid: Decimal | None = None
    reference: str = ""
    #: When it happened, when that is not now (a realised order: when its document was issued).
    happened_at: datetime | None = None


def find_orders(conn: Connection, key: str, shop: str | None = None) -> list[dict[str, Any]]:
    """Orders whose number or external id is ``key`` (of ``shop``), with what a change needs."""
    query = (select(orders.c.id, orders.c.shop, orders.c.number, orders.c.external_id,
                    orders.c.status, orders.c.tracking_number, orders.c.warehouse_id,
                    orders.c.paid, orders.c.amount_paid, orders.c.paid_at)
             .where(or_(orders.c.number == key, orders.c.external_id == key))
             .order_by(orders.c.id))
    if shop:
        query = query.where(orders.c.shop == shop)
    return [dict(r._mapping) for r in conn.execute(query)]


def issued_numbers(conn: Connection, order_id: int) -> list[str]:
    """Numbers of the documents issued from the order (realised)."""
    return list(conn.execute(select(invoices.c.number).where(invoices.c.order_id == order_id)
                             .order_by(invoices.c.id)).scalars())


def reserving_lines(conn: Connection, order_id: int) -> list[tuple[int, Decimal]]:
    """(product id, quantity) of the order's lines that hold a reservation (positive, with a product)."""
    rows = conn.execute(select(order_lines.c.product_id, order_lines.c.quantity)
                        .where(order_lines.c.order_id == order_id,
                               order_lines.c.product_id.is_not(None),
                               order_lines.c.quantity > 0))
    return [(int(pid), Decimal(qty)) for pid, qty in rows]


def update_order(conn: Connection, order_id: int, **values: Any) -> None:
    """Change the stored order's status or tracking number (the ERP's own change)."""
    conn.execute(update(orders).where(orders.c.id == order_id).values(**values, updated_at=utcnow()))


def record_status_events(conn: Connection, events: Sequence[StatusEvent]) -> list[int]:
    """Append the events and lay each over its order's outgoing state; their ids, in order."""
    ids: list[int] = []
    now = utcnow()
    for event in events:
        key = conn.execute(insert(order_status_events).values(
            order_id=event.order_id, shop=event.shop, kind=event.kind, status=event.status,
            tracking_number=event.tracking_number, carrier=event.carrier, paid=event.paid,
            paid_at=event.paid_at, amount_paid=event.amount_paid, reference=event.reference,
            source=event.source, created_at=event.happened_at or now))
        event_id = int(key.inserted_primary_key[0])  # type: ignore[index]
        ids.append(event_id)
        current = conn.execute(select(order_status_out).where(
            order_status_out.c.order_id == event.order_id)).first()
        values: dict[str, Any] = {"shop": event.shop, "status": event.status,
                                  "last_event_id": event_id, "updated_at": now}
        # an event says only what it changes: a status change keeps the tracking number and payment
        if event.tracking_number:
            values["tracking_number"] = event.tracking_number
        if event.carrier:
            values["carrier"] = event.carrier
        if event.paid is not None:
            values.update(paid=event.paid, paid_at=event.paid_at, amount_paid=event.amount_paid)
        if current is None:
            conn.execute(insert(order_status_out).values(order_id=event.order_id, **values))
        else:
            conn.execute(update(order_status_out)
                         .where(order_status_out.c.order_id == event.order_id).values(**values))
    return ids


def outgoing_state(conn: Connection, order_id: int) -> dict[str, Any] | None:
    """The order's outgoing state, or None when the ERP has changed nothing yet."""
    row = conn.execute(select(order_status_out)
                       .where(order_status_out.c.order_id == order_id)).first()
    return dict(row._mapping) if row else None


def outgoing_statuses(conn: Connection, order_ids: Sequence[int]) -> dict[int, str]:
    """The outgoing status of each of the orders the ERP has changed (others are absent)."""
    found: dict[int, str] = {}
    ids = list(order_ids)
    for start in range(0, len(ids), _IN_BATCH):
        rows = conn.execute(select(order_status_out.c.order_id, order_status_out.c.status)
                            .where(order_status_out.c.order_id.in_(ids[start:start + _IN_BATCH])))
        found.update({int(i): str(s) for i, s in rows})
    return found


def realised_without_event(conn: Connection) -> list[dict[str, Any]]:
    """Orders realised (a document issued from them) that have no ``realised`` event yet.

    Each with its first issued document: ``document`` (the number) and ``issued_at`` (when it was
    written, the document's ``imported_at``).
    """
    done = select(order_status_events.c.order_id).where(order_status_events.c.kind == "realised")
    nth = func.row_number().over(partition_by=invoices.c.order_id,
                                 order_by=(invoices.c.imported_at, invoices.c.id))
    issued = (select(invoices.c.order_id, invoices.c.number.label("document"),
                     invoices.c.imported_at.label("issued_at"), nth.label("nth"))
              .where(invoices.c.order_id.is_not(None)).subquery())
    query = (select(orders.c.id, orders.c.shop, orders.c.status, issued.c.document,
                    issued.c.issued_at)
             .join(issued, and_(issued.c.order_id == orders.c.id, issued.c.nth == 1))
             .where(orders.c.id.not_in(done)).order_by(orders.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def last_event_id(conn: Connection, shop: str | None = None) -> int:
    """The newest event's id (of ``shop``), 0 when there is none."""
    query = select(func.max(order_status_events.c.id))
    if shop:
        query = query.where(order_status_events.c.shop == shop)
    return int(conn.execute(query).scalar() or 0)


def changed_orders(conn: Connection, shop: str, after: int, upto: int) -> list[dict[str, Any]]:
    """The outgoing state of each order of ``shop`` with an event in (after, upto], oldest change first.

    Each row has the order's number and external id, and ``changes``: the kinds of its events in
    the range, in order.
    """
    e = order_status_events.c
    kinds: dict[int, list[str]] = defaultdict(list)
    for order_id, kind, tracking in conn.execute(select(e.order_id, e.kind, e.tracking_number).where(
            e.shop == shop, e.id > after, e.id <= upto).order_by(e.id)):
        for said in (kind, "tracking" if tracking else ""):
            if said and said not in kinds[order_id]:
                kinds[order_id].append(said)
    if not kinds:
        return []
    latest = (select(e.order_id, func.max(e.id).label("event_id"))
              .where(e.shop == shop, e.id > after, e.id <= upto).group_by(e.order_id).subquery())
    # the state as of the newest event in range (a later event is the next export's)
    out = order_status_out.c
    query = (select(order_status_events, orders.c.number, orders.c.external_id,
                    orders.c.payment_method, orders.c.shipping_method, orders.c.currency,
                    order_payments.c.kind.label("payment_kind"),
                    order_payments.c.sync.label("payment_sync"),
                    out.last_event_id.label("out_event_id"),
                    out.tracking_number.label("out_tracking_number"),
                    out.carrier.label("out_carrier"), out.paid.label("out_paid"),
                    out.paid_at.label("out_paid_at"), out.amount_paid.label("out_amount_paid"))
             .join(latest, and_(latest.c.event_id == e.id))
             .join(orders, orders.c.id == e.order_id)
             .join(order_status_out, out.order_id == e.order_id)
             .outerjoin(order_payments, and_(order_payments.c.shop == orders.c.shop,
                                             order_payments.c.external_id == orders.c.external_id))
             .order_by(e.id))
    rows = []
    for row in conn.execute(query):
        found = dict(row._mapping)
        if found["out_event_id"] == found["id"]:
            # the usual case: the outgoing state is as this event left it
            found.update({k: found[f"out_{k}"] for k in _STATE})
        else:  # a change after the export began: the state as of the newest event in range
            found.update(_state_at(conn, found["order_id"], found["id"]))
        found["changes"] = kinds[found["order_id"]]
        rows.append(found)
    return rows


_STATE = ("tracking_number", "carrier", "paid", "paid_at", "amount_paid")


def _state_at(conn: Connection, order_id: int, event_id: int) -> dict[str, Any]:
    """Tracking, carrier and payment as the events up to ``event_id`` left them."""
    e = order_status_events.c
    state: dict[str, Any] = {"tracking_number": "", "carrier": "", "paid": None, "paid_at": None,
                             "amount_paid": None}
    for row in conn.execute(select(e.tracking_number, e.carrier, e.paid, e.paid_at, e.amount_paid)
                            .where(e.order_id == order_id, e.id <= event_id).order_by(e.id)):
        if row.tracking_number:
            state["tracking_number"] = row.tracking_number
        if row.carrier:
            state["carrier"] = row.carrier
        if row.paid is not None:
            state.update(paid=row.paid, paid_at=row.paid_at, amount_paid=row.amount_paid)
    return state


@dataclass(frozen=True)
class DestinationState:
    """What a status destination confirmed, and the export of it still in the outbox."""

    destination: str
    confirmed: int = 0
    pending: int | None = None
    pending_entries: tuple[int, ...] = ()


def destination_state(conn: Connection, destination: str) -> DestinationState:
    """The destination's stored state (nothing confirmed for a new one)."""
    row = conn.execute(select(status_destinations)
                       .where(status_destinations.c.destination == destination)).first()
    if row is None:
        return DestinationState(destination)
    return DestinationState(destination, int(row.confirmed_event_id), row.pending_event_id,
                            tuple(int(i) for i in row.pending_entries or ()))


def save_destination(conn: Connection, state: DestinationState) -> None:
    """Store the destination's state."""
    values = {"confirmed_event_id": state.confirmed, "pending_event_id": state.pending,
              "pending_entries": list(state.pending_entries) or None, "updated_at": utcnow()}
    changed = conn.execute(update(status_destinations).where(
        status_destinations.c.destination == state.destination).values(**values)).rowcount
    if not changed:
        conn.execute(insert(status_destinations).values(destination=state.destination, **values))


def list_destinations(conn: Connection) -> list[DestinationState]:
    """Every status destination's state, by name."""
    return [DestinationState(r.destination, int(r.confirmed_event_id), r.pending_event_id,
                             tuple(int(i) for i in r.pending_entries or ()))
            for r in conn.execute(select(status_destinations)
                                  .order_by(status_destinations.c.destination))]


def outbox_states(conn: Connection, entry_ids: Sequence[int]) -> dict[int, str]:
    """The outbox status of each entry id (a missing entry is absent)."""
    found: dict[int, str] = {}
    ids = list(entry_ids)
    for start in range(0, len(ids), _IN_BATCH):
        rows = conn.execute(select(outbox.c.id, outbox.c.status)
                            .where(outbox.c.id.in_(ids[start:start + _IN_BATCH])))
        found.update({int(i): str(s) for i, s in rows})
    return found


def require_one(found: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The one order of a lookup; ConfigError for none or several (naming their shops)."""
    if not found:
        raise ConfigError(f"no order {key!r}")
    if len(found) > 1:
        shops = ", ".join(sorted({str(o["shop"]) for o in found}))
        raise ConfigError(f"order {key!r} exists in several shops ({shops}); give --shop")
    return found[0]


# -- import watermarks ---------------------------------------------------------------------------
def watermark_of(conn: Connection, shop: str, kind: str) -> datetime | None:
    """The shop's stored watermark for ``kind`` (UTC), None when there is none."""
    row = conn.execute(select(import_watermarks.c.watermark).where(
        import_watermarks.c.shop == shop, import_watermarks.c.kind == kind)).first()
    return row[0] if row else None


def save_watermark(conn: Connection, shop: str, kind: str, watermark: datetime, set_by: str, *,
                   forward_only: bool) -> datetime:
    """Store the watermark (only if newer, when ``forward_only``); the one that stands."""
    current = watermark_of(conn, shop, kind)
    if current is not None and forward_only and current >= watermark:
        return current
    values = {"watermark": watermark, "set_by": set_by, "updated_at": utcnow()}
    if current is None:
        conn.execute(insert(import_watermarks).values(shop=shop, kind=kind, **values))
    else:
        conn.execute(update(import_watermarks).where(
            import_watermarks.c.shop == shop, import_watermarks.c.kind == kind).values(**values))
    return watermark


def list_watermarks(conn: Connection) -> list[dict[str, Any]]:
    """Every stored watermark, by shop and kind."""
    return [dict(r._mapping) for r in conn.execute(
        select(import_watermarks).order_by(import_watermarks.c.shop, import_watermarks.c.kind))]


# -- payment terms -------------------------------------------------------------------------------
def save_payment_terms(conn: Connection, shop: str, terms: Sequence[tuple[str, str, str, bool]]
                       ) -> None:
    """(external id, kind, sync, mapped) of each order of ``shop``, replacing what was stored."""
    if not terms:
        return
    now = utcnow()
    p = order_payments.c
    ids = list(dict.fromkeys(t[0] for t in terms))
    for start in range(0, len(ids), _IN_BATCH):
        conn.execute(order_payments.delete().where(p.shop == shop,
                                                   p.external_id.in_(ids[start:start + _IN_BATCH])))
    latest = {t[0]: t for t in terms}
    conn.execute(insert(order_payments), [
        {"shop": shop, "external_id": ext, "kind": kind, "sync": sync, "mapped": mapped,
         "updated_at": now} for ext, kind, sync, mapped in latest.values()])


def payment_terms(conn: Connection, shop: str, external_id: str) -> dict[str, Any] | None:
    """The order's payment kind and sync mode, None when no payment map gave it one."""
    p = order_payments.c
    row = conn.execute(select(order_payments).where(p.shop == shop, p.external_id == external_id)
                       ).first()
    return dict(row._mapping) if row else None
