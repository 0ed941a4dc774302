"""One stored order or invoice in full, in the shape of ``orders show`` / ``invoices show --json``.

Every key is always there (``None`` when the store does not know it); amounts are strings (the exact
stored value, without trailing zeros), so a script never meets a float. The golden tests of the
bundled profiles compare this shape field by field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from exchange.store.schema import customers, events, invoice_lines, invoices, order_lines, orders

VIEW_KEYS = ("number", "external_id", "shop", "status", "shop_status", "ordered_at", "modified_at",
             "currency", "exchange_rate", "total", "total_net", "total_vat", "rounding",
             "home_currency_total", "vat_breakdown", "paid", "amount_paid", "paid_at",
             "payment_method", "shipping_method", "pickup_point", "tracking_number", "note",
             "review_reason", "customer", "billing", "delivery", "lines", "events")
LINE_KEYS = ("kind", "code", "name", "quantity", "unit", "unit_price", "unit_price_net", "vat_rate",
             "discount_percent", "total", "total_net")
CUSTOMER_KEYS = ("name", "company", "company_id", "vat_id", "email", "phone")
ADDRESS_KEYS = ("name", "company", "street", "house_number", "city", "postcode", "country",
                "state")

_TABLES = {"orders": (orders, order_lines, "order_id"),
           "invoices": (invoices, invoice_lines, "invoice_id")}


def amount_text(value: Any) -> str | None:
    """An exact amount as plain text without trailing zeros (``10000``, ``9.5``); None stays None."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def _moment(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _address(value: Any) -> dict[str, str] | None:
    if not value or not any(value.get(k) for k in ADDRESS_KEYS):
        return None
    return {k: value.get(k, "") or "" for k in ADDRESS_KEYS}


def _method(code: str, name: str) -> dict[str, str] | None:
    return {"code": code or "", "name": name or ""} if code or name else None


def find_document_id(conn: Connection, kind: str, number: str, shop: str | None = None) -> int | None:
    """The id of the order or invoice with ``number`` (or external id), newest first."""
    table = _TABLES[kind][0]
    for column in (table.c.number, table.c.external_id):
        query = select(table.c.id).where(column == number)
        if shop:
            query = query.where(table.c.shop == shop)
        found = conn.execute(query.order_by(table.c.id.desc()).limit(1)).scalar()
        if found is not None:
            return int(found)
    return None


def document_view(conn: Connection, kind: str, doc_id: int) -> dict[str, Any]:
    """Everything stored about one order (``kind="orders"``) or invoice, in the show shape."""
    table, lines_table, fk = _TABLES[kind]
    doc = dict(conn.execute(select(table).where(table.c.id == doc_id)).one()._mapping)
    customer = None
    if doc.get("customer_id") is not None:
        found = conn.execute(select(customers).where(customers.c.id == doc["customer_id"])).first()
        if found is not None:
            customer = {k: found._mapping[k] or "" for k in CUSTOMER_KEYS}
    is_order = kind == "orders"
    lines = [dict(r._mapping) for r in conn.execute(
        select(lines_table).where(lines_table.c[fk] == doc_id).order_by(lines_table.c.position))]
    document = f"{kind}:{doc['shop']}:{doc['external_id']}"
    history = [{"at": _moment(r.at), "level": r.level, "kind": r.kind, "message": r.message}
               for r in conn.execute(select(events).where(events.c.document == document)
                                     .order_by(events.c.at, events.c.id))]
    pickup = _method(doc["pickup_point_id"], doc["pickup_point_name"])
    view: dict[str, Any] = {
        "number": doc["number"], "external_id": doc["external_id"], "shop": doc["shop"],
        # an invoice has no workflow status: its kind (invoice, credit_note) stands there
        "status": doc["status"] if is_order else doc["kind"],
        "shop_status": doc["shop_status"] if is_order else None,
        "ordered_at" if is_order else "issued_on": _moment(doc["ordered_at"] if is_order
                                                          else doc["issued_on"]),
        "modified_at": _moment(doc["modified_at"]) if is_order else None,
        "currency": doc["currency"],
        "exchange_rate": amount_text(doc["exchange_rate"]),
        "total": amount_text(doc["total"]),
        "total_net": amount_text(doc["total_net"]),
        "total_vat": amount_text(doc["total_vat"]),
        "rounding": amount_text(doc["rounding"]),
        "home_currency_total": amount_text(doc["home_currency_total"]),
        "vat_breakdown": [{"rate": amount_text(b["rate"]), "net": amount_text(b["net"]),
                           "vat": amount_text(b["vat"])} for b in doc["vat_breakdown"] or []],
        "paid": doc["paid"],
        "amount_paid": amount_text(doc["amount_paid"]),
        "paid_at": _moment(doc["paid_at"]),
        "payment_method": _method(doc["payment_code"], doc["payment_method"]),
        "shipping_method": _method(doc["shipping_code"], doc["shipping_method"]
                                   if is_order else ""),
        "pickup_point": {"id": pickup["code"], "name": pickup["name"]} if pickup else None,
        "tracking_number": doc["tracking_number"] or None,
        "note": doc["note"] or None,
        "review_reason": doc["review_reason"] or None,
        "customer": customer,
        "billing": _address(doc["billing_address"]) if is_order else _customer_address(
            conn, doc),
        "delivery": _address(doc["delivery_address"]),
        "lines": [_line(ln) for ln in lines],
        "events": history,
    }
    return view


def _customer_address(conn: Connection, doc: dict[str, Any]) -> dict[str, str] | None:
    """An invoice keeps no billing address of its own: its customer's."""
    if doc.get("customer_id") is None:
        return None
    row = conn.execute(select(customers).where(customers.c.id == doc["customer_id"])).first()
    if row is None:
        return None
    m = row._mapping
    return _address({"name": m["name"], "company": m["company"], "street": m["street"],
                     "house_number": m["house_number"], "city": m["city"],
                     "postcode": m["postcode"], "country": m["country"],
                     "state": m["state"]})


def _line(row: dict[str, Any]) -> dict[str, Any]:
    gross = row["unit_price_gross"]
    return {
        "kind": row["kind"], "code": row["code"] or None, "name": row["name"],
        "quantity": amount_text(row["quantity"]), "unit": row["unit"] or None,
        "unit_price": amount_text(gross if gross is not None else row["unit_price"]),
        "unit_price_net": amount_text(row["unit_price_net"]),
        "vat_rate": amount_text(row["vat_rate"]),
        "discount_percent": amount_text(row["discount_percent"]),
        "total": amount_text(row["line_total_gross"] if row["line_total_gross"] is not None
                             else row["line_total"]),
        "total_net": amount_text(row["line_total_net"]),
    }
