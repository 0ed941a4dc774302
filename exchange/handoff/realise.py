"""Realising received orders: each becomes an issued invoice or receipt, numbered, with its stock issued.

The document copies the order's lines and money (VAT breakdown, rounding, currency and rate, paid
state); its number comes from the series of its kind and year inside the same transaction, so a
failed or dry run leaves no gap. Its goods leave the warehouse (an ``issue`` move turns the order's
reservation into an issue). ``--auto`` applies Comarch Optima's rule — paid, every line in stock, no
customer note, not held — each criterion switchable per shop, and records for every order why it
was or was not realised.

Never realised: cancelled and returned orders, orders held for review (a review reason), and orders
realised already. An order whose status is ``on_hold`` is realised only by ``--auto`` with the
shop's ``not_held`` criterion switched off.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from exchange.config import AutoRealiseSection, DocumentType
from exchange.documents import InvoiceKind, OrderStatus
from exchange.handoff.money import breakdown
from exchange.store import Store
from exchange.store.bulk import Bulk
from exchange.store.history import EVENT_COLUMNS, record_events
from exchange.store.issued import (
    candidate_orders,
    insert_issued_document,
    order_lines_of,
    order_row,
    stock_of,
)
from exchange.store.numbering import take_number
from exchange.store.stock import StockIssue, issue_stock
from exchange.store.types import utcnow

DEFAULT_PATTERNS = {"invoice": "FV{year}/{number:05d}", "credit_note": "DD{year}/{number:05d}",
                    "receipt": "PD{year}/{number:05d}"}
_NEVER = {OrderStatus.CANCELLED.value: "cancelled", OrderStatus.RETURNED.value: "returned"}
_COPIED = ("currency", "customer_id", "payment_method", "total", "prices_include_vat",
           "total_net", "total_vat", "rounding", "vat_breakdown", "exchange_rate",
           "home_currency_total", "paid", "amount_paid", "paid_at", "payment_code",
           "shipping_code", "pickup_point_id", "pickup_point_name", "tracking_number",
           "delivery_address")
_LINE_COPIED = ("position", "kind", "product_id", "code", "name", "quantity", "unit",
                "unit_price", "vat_rate", "discount_percent", "line_total", "unit_price_gross",
                "unit_price_net", "line_total_gross", "line_total_net")


class Selection(StrEnum):
    """Which orders a realise run looks at."""

    NUMBERS = "numbers"  # the orders named
    ALL = "all"  # every order not yet realised
    AUTO = "auto"  # every order not yet realised that meets the shop's auto rule


@dataclass(frozen=True)
class ShopRules:
    """How one shop's orders are realised."""

    document_type: DocumentType = DocumentType.BY_CUSTOMER
    payment_terms_days: int = 14
    auto: AutoRealiseSection = field(default_factory=lambda: AutoRealiseSection.model_validate({}))


@dataclass(frozen=True)
class RealiseSettings:
    """Rules per shop and the number patterns per document kind."""

    shops: dict[str, ShopRules] = field(default_factory=dict)
    numbering: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))
    home_currency: str = "CZK"  # a document in it states its total as the home-currency total

    def rules(self, shop: str) -> ShopRules:
        """A shop's rules (the defaults for a shop not configured)."""
        return self.shops.get(shop) or ShopRules()


@dataclass
class Decision:
    """What happened to one order."""

    shop: str
    order: str
    realised: bool
    reasons: list[str] = field(default_factory=list)  # why not (or, realised by --auto, why)
    document: str = ""
    kind: str = ""

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"shop": self.shop, "order": self.order, "realised": self.realised,
                "document": self.document or None, "kind": self.kind or None,
                "reasons": self.reasons}


@dataclass
class RealiseReport:
    """The decisions of one run."""

    dry_run: bool = False
    decisions: list[Decision] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # numbers asked for that are not stored

    @property
    def realised(self) -> list[Decision]:
        """The orders that became documents."""
        return [d for d in self.decisions if d.realised]

    def summary(self) -> str:
        """One line."""
        done = len(self.realised)
        text = (f"{'would realise' if self.dry_run else 'realised'} {done} order(s), "
                f"{len(self.decisions) - done} not")
        return text + (f", {len(self.missing)} not found" if self.missing else "")

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"dry_run": self.dry_run, "realised": len(self.realised),
                "not_realised": len(self.decisions) - len(self.realised),
                "missing": self.missing, "decisions": [d.as_dict() for d in self.decisions]}


def document_kind(rules: ShopRules, order: dict[str, Any]) -> InvoiceKind:
    """Invoice or receipt, by the shop's rule and the customer (company id or VAT id: a company)."""
    if rules.document_type is DocumentType.INVOICE:
        return InvoiceKind.INVOICE
    if rules.document_type is DocumentType.RECEIPT:
        return InvoiceKind.RECEIPT
    company = (order.get("customer_company_id") or "").strip() or \
        (order.get("customer_vat_id") or "").strip()
    return InvoiceKind.INVOICE if company else InvoiceKind.RECEIPT


def blockers(order: dict[str, Any]) -> list[str]:
    """Why an order can never be realised now (whatever was asked)."""
    found = []
    if order["status"] in _NEVER:
        found.append(f"the order is {_NEVER[order['status']]}")
    if order["review_reason"]:
        found.append(f"the order is held for review: {order['review_reason']}")
    if order.get("issued_number"):
        found.append(f"already realised as {order['issued_number']}")
    return found


def _paid(order: dict[str, Any]) -> bool:
    if order["paid"] is not None:
        return bool(order["paid"])
    paid, total = order["amount_paid"], order["total"]
    return paid is not None and total is not None and paid >= total


def shortages(lines: Sequence[dict[str, Any]], warehouse_id: int | None,
              levels: dict[tuple[int, int], tuple[Decimal, Decimal]]) -> list[str]:
    """Product lines the warehouse cannot cover (the order's own reservation counts for it)."""
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    missing = []
    for ln in lines:
        if ln["kind"] != "product" or ln.get("is_service"):
            continue
        if ln["product_id"] is None:
            missing.append(f"{ln['code'] or ln['name']}: not a catalogue product")
            continue
        wanted[ln["product_id"]] += ln["quantity"]
        names[ln["product_id"]] = ln["code"] or ln["name"]
    for pid, quantity in wanted.items():
        if warehouse_id is None:
            missing.append(f"{names[pid]}: the order has no warehouse")
            continue
        on_hand, reserved = levels.get((pid, warehouse_id), (Decimal(0), Decimal(0)))
        available = on_hand - max(reserved - quantity, Decimal(0))  # others' reservations count
        if available < quantity:
            missing.append(f"{names[pid]}: {_num(quantity)} wanted, {_num(available)} available")
    return missing


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def auto_reasons(rules: AutoRealiseSection, order: dict[str, Any],
                 short: list[str]) -> list[str]:
    """Why ``--auto`` leaves an order, by the shop's criteria (empty: realise it)."""
    found = []
    if rules.paid and not _paid(order):
        found.append("not paid")
    if rules.in_stock and short:
        found.append("not in stock: " + "; ".join(short))
    if rules.no_note and (order["note"] or "").strip():
        found.append(f"customer note: {order['note'].strip()[:100]}")
    if rules.not_held and order["status"] == OrderStatus.ON_HOLD.value:
        found.append("the order is on hold")
    return found


def realise_orders(store: Store, selection: Selection, *, numbers: Sequence[str] = (),
                   shop: str | None = None, settings: RealiseSettings | None = None,
                   dry_run: bool = False, today: date | None = None, job: str = "",
                   run_id: int | None = None) -> RealiseReport:
    """Realise the selected orders in one transaction (each in its own SAVEPOINT).

    Raises:
        StoreError: the store failed; nothing was written.
    """
    settings = settings or RealiseSettings()
    today = today or utcnow().date()
    report = RealiseReport(dry_run=dry_run)
    with store.connect(write=True) as conn:  # SQLite: BEGIN IMMEDIATE, a writer waits its turn
        transaction = conn.begin()
        try:
            _run(conn, selection, numbers, shop, settings, today, report, job, run_id)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def _run(conn: Connection, selection: Selection, numbers: Sequence[str], shop: str | None,
         settings: RealiseSettings, today: date, report: RealiseReport, job: str,
         run_id: int | None) -> None:
    picked = candidate_orders(conn, shop=shop,
                              numbers=list(numbers) if selection is Selection.NUMBERS else None)
    if selection is Selection.NUMBERS:
        known = {o["number"] for o in picked} | {o["external_id"] for o in picked}
        report.missing = [n for n in dict.fromkeys(numbers) if n not in known]
    else:  # already realised orders are no news for --all and --auto
        picked = [o for o in picked if not o.get("issued_number")]
    lines = order_lines_of(conn, [o["id"] for o in picked])
    pairs = list({(ln["product_id"], o["warehouse_id"]) for o in picked for ln in lines[o["id"]]
                  if ln["product_id"] is not None and o["warehouse_id"] is not None})
    levels = stock_of(conn, pairs)
    bulk = Bulk(conn)
    events: list[tuple[Any, ...]] = []
    for order in picked:
        rules = settings.rules(order["shop"])
        decision = Decision(order["shop"], order["number"], realised=False)
        report.decisions.append(decision)
        reasons = blockers(order)
        short = shortages(lines[order["id"]], order["warehouse_id"], levels)
        if not reasons and selection is Selection.AUTO:
            reasons = auto_reasons(rules.auto, order, short)
        elif not reasons and order["status"] == OrderStatus.ON_HOLD.value:
            reasons = ["the order is on hold"]
        doc_key = f"orders:{order['shop']}:{order['external_id']}"
        if reasons:
            decision.reasons = reasons
            events.append(_event(bulk, run_id, job, "info" if selection is Selection.AUTO
                                 else "warning", "not_realised", doc_key, "; ".join(reasons),
                                 {"reasons": reasons}))
            continue
        kind = document_kind(rules, order)
        with conn.begin_nested():
            number = _issue(conn, bulk, order, lines[order["id"]], kind, rules, settings, today,
                            levels)
        decision.realised, decision.document, decision.kind = True, number, kind.value
        if selection is Selection.AUTO:
            decision.reasons = [c for c, on in (("paid", rules.auto.paid),
                                                ("in stock", rules.auto.in_stock),
                                                ("no customer note", rules.auto.no_note),
                                                ("not held", rules.auto.not_held)) if on]
        detail = {"document": number, "kind": kind.value, "criteria": decision.reasons}
        events.append(_event(bulk, run_id, job, "info", "realised", doc_key,
                             f"{kind.value} {number}", detail))
        events.append(_event(bulk, run_id, job, "info", "issued",
                             f"invoices:{order['shop']}:{number}",
                             f"from order {order['number']}", {"order": order["number"]}))
    for start in range(0, len(events), 500):
        record_events(conn, bulk, events[start:start + 500])


def _event(bulk: Bulk, run_id: int | None, job: str, level: str, kind: str, document: str,
           message: str, details: dict[str, Any]) -> tuple[Any, ...]:
    row = dict(zip(EVENT_COLUMNS, (run_id, job, bulk.ts(utcnow()), level, kind, document,
                                   message, bulk.js(details)), strict=True))
    return tuple(row[c] for c in EVENT_COLUMNS)


def format_number(pattern: str, year: int, number: int) -> str:
    """A document number from its series pattern, e.g. ``FV{year}/{number:05d}`` → FV2026/00001."""
    return pattern.format(year=year, number=number)


def _issue(conn: Connection, bulk: Bulk, order: dict[str, Any], lines: list[dict[str, Any]],
           kind: InvoiceKind, rules: ShopRules, settings: RealiseSettings, today: date,
           levels: dict[tuple[int, int], tuple[Decimal, Decimal]]) -> str:
    full = order_row(conn, order["id"])
    pattern = settings.numbering.get(kind.value) or DEFAULT_PATTERNS[kind.value]
    number = format_number(pattern, today.year, take_number(conn, kind.value, today.year))
    now = utcnow()
    digits = "".join(ch for ch in full["number"] if ch.isdigit())[:10] or \
        "".join(ch for ch in number if ch.isdigit())[:10]
    row: dict[str, Any] = {c: full[c] for c in _COPIED}
    row.update(shop=full["shop"], external_id=number, number=number, kind=kind.value,
               issued_on=today, tax_date=today,
               due_on=today + timedelta(days=rules.payment_terms_days),
               variable_symbol=digits, order_number=full["number"], note="",
               review_reason="", source_file="", imported_at=now, updated_at=now,
               order_id=full["id"],
               delivery_address=full["delivery_address"] or None)
    doc_lines = [{c: ln[c] for c in _LINE_COPIED} for ln in lines]
    _complete_vat(row, doc_lines)
    if row["home_currency_total"] is None and row["currency"] == settings.home_currency:
        row["home_currency_total"] = row["total"]
    row["content_hash"] = content_hash(row, doc_lines)
    insert_issued_document(conn, row, doc_lines)
    issues = _stock_issues(full, lines, f"{kind.value} {number} (order {full['number']})")
    issue_stock(conn, issues, bulk=bulk, now=now)
    for item in issues:  # later orders of the same run see the stock that left
        on_hand, reserved = levels.get((item.product_id, item.warehouse_id),
                                       (Decimal(0), Decimal(0)))
        levels[(item.product_id, item.warehouse_id)] = (on_hand - item.quantity,
                                                        max(reserved - item.reserved, Decimal(0)))
    return number


def _complete_vat(row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """A tax document states its VAT per rate: from the order, else worked out from its lines."""
    if not lines or (row["vat_breakdown"] and row["total_net"] is not None
                     and row["total_vat"] is not None):
        return
    bands = breakdown(lines, bool(row["prices_include_vat"]))
    if not row["vat_breakdown"]:
        row["vat_breakdown"] = [{k: _plain(v) for k, v in band.items()} for band in bands]
    if row["total_net"] is None:
        row["total_net"] = sum((b["net"] for b in bands), Decimal(0))
    if row["total_vat"] is None:
        row["total_vat"] = sum((b["vat"] for b in bands), Decimal(0))


def _plain(value: Decimal) -> str:
    return "0" if value == 0 else format(value.normalize(), "f")


def _stock_issues(order: dict[str, Any], lines: list[dict[str, Any]],
                  reference: str) -> list[StockIssue]:
    wid = order["warehouse_id"]
    if wid is None:
        return []
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for ln in lines:
        if ln["product_id"] is not None and not ln.get("is_service"):
            per_product[ln["product_id"]] += ln["quantity"]
    # every realisable order reserved its lines when it was imported (only cancelled and
    # returned orders hold none, and those are never realised)
    return [StockIssue(pid, wid, qty, qty, reference) for pid, qty in per_product.items() if qty]


def content_hash(row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> str:
    """A hash of an issued document's content (what a handoff compares to know it changed)."""
    keep = {k: v for k, v in row.items() if k not in ("imported_at", "updated_at",
                                                       "content_hash")}
    text = json.dumps([keep, list(lines)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def settings_from_config(config: Any | None) -> RealiseSettings:
    """Realise settings from an exchange.yaml ``Config`` (defaults without one)."""
    if config is None:
        return RealiseSettings()
    shops = {name: ShopRules(DocumentType(s.document_type), s.payment_terms_days, s.auto_realise)
             for name, s in config.shops.items()}
    home = config.company.currency if config.company is not None else "CZK"
    return RealiseSettings(shops=shops, numbering=dict(config.numbering), home_currency=home)

