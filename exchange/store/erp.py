"""What the ERP was handed and what it answered: one ``erp_handoffs`` row per document and format.

A document is handed off when it has no row for the format yet, or when its content hash differs
from the one sent (it changed since). The ERP's answer (POHODA's response pack) sets its state:
``booked`` with the ERP's own id and number, ``warning``, or ``error`` with the ERP's note.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    String,
    Text,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from exchange.store.bulk import Bulk
from exchange.store.schema import (
    customers,
    erp_handoffs,
    invoice_lines,
    invoices,
    order_lines,
    orders,
)
from exchange.store.types import utcnow

_IN_BATCH = 900
WITHDRAWN_STATUSES = ("cancelled", "returned")  # orders the ERP should not (or no longer) hold
BATCH = 500

_TABLES = {"orders": (orders, order_lines, "order_id", "ordered_at"),
           "invoices": (invoices, invoice_lines, "invoice_id", "issued_on")}
_CUSTOMER = (customers.c.name.label("c_name"), customers.c.company.label("c_company"),
             customers.c.company_id.label("c_company_id"), customers.c.vat_id.label("c_vat_id"),
             customers.c.email.label("c_email"), customers.c.phone.label("c_phone"),
             customers.c.street.label("c_street"),
             customers.c.house_number.label("c_house_number"), customers.c.city.label("c_city"),
             customers.c.postcode.label("c_postcode"), customers.c.country.label("c_country"))


class ErpState(StrEnum):
    """Where a handed-off document stands in the ERP."""

    SENT = "sent"  # written or pushed, no answer yet
    BOOKED = "booked"  # the ERP took it (its id and number are kept)
    WARNING = "warning"  # taken, with a warning
    ERROR = "error"  # refused: the note says why


@dataclass(frozen=True)
class Previous:
    """What was handed off last time for a document (None when never)."""

    content_hash: str
    erp_state: str
    erp_id: str
    erp_number: str


@dataclass
class HandoffDocument:
    """One document to hand off: its row (with the customer's columns), lines and last handoff."""

    kind: str
    row: dict[str, Any]
    lines: list[Any]  # mappings; tuples of PACK_LINE from documents_as_text
    previous: Previous | None


# what the writers read of a document and of its lines (fewer columns: a faster read of 100,000)
_HEAD = ("id", "shop", "external_id", "number", "currency", "payment_method", "payment_code",
         "total", "prices_include_vat", "note", "content_hash", "rounding", "exchange_rate",
         "vat_breakdown", "delivery_address", "total_net", "total_vat", "customer_id")
_HEAD_OF = {"orders": (*_HEAD, "ordered_at", "billing_address", "status"),
            "invoices": (*_HEAD, "kind", "issued_on", "tax_date", "due_on", "variable_symbol",
                         "order_number")}
_LINE = ("position", "kind", "code", "name", "quantity", "unit", "unit_price", "vat_rate",
         "discount_percent", "unit_price_gross", "unit_price_net")
_LINE_SUMS = ("line_total", "line_total_gross", "line_total_net")  # ISDOC states each line's sums
_LINE_OF = {"orders": (*_LINE, "variant"), "invoices": _LINE}


def _pending_ids(conn: Connection, kind: str, fmt: str, *, shop: str | None,
                 since: date | datetime | None, retry_failed: bool,
                 kinds: Sequence[str] | None) -> list[int]:
    t, _lt, _fk, date_col = _TABLES[kind]
    h = erp_handoffs
    changed = or_(h.c.id.is_(None), h.c.content_hash != t.c.content_hash)
    if retry_failed:
        changed = or_(changed, h.c.erp_state == ErpState.ERROR.value)
    if kind == "orders":  # a cancelled order goes only to withdraw one that was handed off
        changed = and_(changed, or_(h.c.id.is_not(None),
                                    t.c.status.not_in(list(WITHDRAWN_STATUSES))))
    query = (select(t.c.id).outerjoin(h, and_(h.c.kind == kind, h.c.document_id == t.c.id,
                                              h.c.format == fmt))
             .where(changed, t.c.review_reason == "").order_by(t.c[date_col], t.c.id))
    if shop:
        query = query.where(t.c.shop == shop)
    if since is not None:
        query = query.where(t.c[date_col] >= since)
    if kinds and "kind" in t.c:
        query = query.where(t.c.kind.in_(list(kinds)))
    return [int(i) for i in conn.execute(query).scalars()]


def documents_to_hand_off(conn: Connection, kind: str, fmt: str, *, shop: str | None = None,
                          since: date | datetime | None = None, retry_failed: bool = False,
                          kinds: Sequence[str] | None = None,
                          batch: int = BATCH) -> Iterator[list[HandoffDocument]]:
    """New and changed documents (not held) in batches, oldest first, each with its lines.

    ``kind`` is ``orders`` or ``invoices``; ``kinds`` narrows invoices to some document kinds.
    """
    t, lt, fk, _date_col = _TABLES[kind]
    ids = _pending_ids(conn, kind, fmt, shop=shop, since=since, retry_failed=retry_failed,
                       kinds=kinds)
    h = erp_handoffs
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        heads = {r.id: r._asdict() for r in conn.execute(
            select(*(t.c[c] for c in _HEAD_OF[kind]), *_CUSTOMER)
            .outerjoin(customers, customers.c.id == t.c.customer_id).where(t.c.id.in_(part)))}
        lines: dict[int, list[Mapping[str, Any]]] = {i: [] for i in part}
        for r in conn.execute(select(lt.c[fk].label("document_id"),
                                     *(lt.c[c] for c in _LINE_OF[kind]),
                                     *(lt.c[c] for c in (_LINE_SUMS if fmt == "isdoc" else ())))
                              .where(lt.c[fk].in_(part)).order_by(lt.c[fk], lt.c.position)):
            lines[r[0]].append(r._asdict())  # a plain dict: .get() is the writers' hot path
        previous = {r.document_id: Previous(r.content_hash, r.erp_state, r.erp_id, r.erp_number)
                    for r in conn.execute(select(h).where(h.c.kind == kind, h.c.format == fmt,
                                                          h.c.document_id.in_(part)))}
        yield [HandoffDocument(kind, heads[i], lines[i], previous.get(i)) for i in part
               if i in heads]


# the POHODA writer's read: money and dates as the exact text they are printed as (no Decimal or
# date round trip: 460,000 type conversions per 100,000 invoices), lines as plain tuples
_TEXT_HEAD = ("total", "rounding", "exchange_rate")
_TEXT_DATES = {"invoices": ("issued_on", "tax_date", "due_on"), "orders": ()}
_PACK_HEAD = ("id", "shop", "external_id", "number", "currency", "payment_method", "payment_code",
              "prices_include_vat", "note", "content_hash", "vat_breakdown", "delivery_address")
_PACK_HEAD_OF = {"orders": (*_PACK_HEAD, "ordered_at", "billing_address", "status"),
                 "invoices": (*_PACK_HEAD, "kind", "variable_symbol", "order_number")}
PACK_LINE = ("name", "variant", "quantity", "unit", "unit_price", "unit_price_gross",
             "unit_price_net", "vat_rate", "discount_percent", "kind", "code")
"""The columns of each line tuple of :func:`documents_as_text` (money as exact text)."""
_MONEY_LINE = frozenset(("quantity", "unit_price", "unit_price_gross", "unit_price_net",
                         "vat_rate", "discount_percent"))


def _exact_text(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """A Dec column as its exact text: SQLite holds that text; PostgreSQL's NUMERIC casts to it."""
    if dialect == "sqlite":
        return type_coerce(column, String()).label(column.name)
    return cast(column, Text).label(column.name)


def _iso_date(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """A Date column as ``YYYY-MM-DD`` (SQLite holds that text; PostgreSQL formats it, whatever
    its DateStyle)."""
    if dialect == "sqlite":
        return type_coerce(column, String()).label(column.name)
    return func.to_char(column, "YYYY-MM-DD").label(column.name)


def documents_as_text(conn: Connection, kind: str, fmt: str, *, shop: str | None = None,
                      since: date | datetime | None = None, retry_failed: bool = False,
                      batch: int = BATCH) -> Iterator[list[HandoffDocument]]:
    """:func:`documents_to_hand_off` for writers that only print the values: the money and dates
    of a document as exact text (``"27.680000"`` on PostgreSQL, as stored on SQLite), its lines
    as tuples of :data:`PACK_LINE`.
    """
    t, lt, fk, _date_col = _TABLES[kind]
    dialect = conn.dialect.name
    ids = _pending_ids(conn, kind, fmt, shop=shop, since=since, retry_failed=retry_failed,
                       kinds=None)
    head_columns = (*(t.c[c] for c in _PACK_HEAD_OF[kind]),
                    *(_exact_text(t.c[c], dialect) for c in _TEXT_HEAD),
                    *(_iso_date(t.c[c], dialect) for c in _TEXT_DATES[kind]), *_CUSTOMER)
    line_columns = [_exact_text(lt.c[c], dialect) if c in _MONEY_LINE else lt.c[c]
                    if c in lt.c else literal("").label(c) for c in PACK_LINE]
    h = erp_handoffs
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        result = conn.execute(select(*head_columns)
                              .outerjoin(customers, customers.c.id == t.c.customer_id)
                              .where(t.c.id.in_(part)))
        keys = tuple(result.keys())
        heads = {r[0]: dict(zip(keys, r, strict=True)) for r in result}
        lines: dict[int, list[Any]] = {i: [] for i in part}
        for r in conn.execute(select(lt.c[fk], *line_columns).where(lt.c[fk].in_(part))
                              .order_by(lt.c[fk], lt.c.position)):
            lines[r[0]].append(r[1:])
        previous = {r.document_id: Previous(r.content_hash, r.erp_state, r.erp_id, r.erp_number)
                    for r in conn.execute(select(h).where(h.c.kind == kind, h.c.format == fmt,
                                                          h.c.document_id.in_(part)))}
        yield [HandoffDocument(kind, heads[i], lines[i], previous.get(i)) for i in part
               if i in heads]


@dataclass(frozen=True, slots=True)
class Sent:
    """One document as it was handed off."""

    kind: str
    document_id: int
    content_hash: str
    pack_item: str
    output: str


def record_sent(conn: Connection, fmt: str, sent: Iterable[Sent], *, chunk: int = 1000) -> None:
    """Remember what was handed off (state ``sent``; the ERP's id and number stay until answered).

    ``sent`` is read once, ``chunk`` rows per statement (it may be a spool that is never whole in
    memory)."""
    bulk = Bulk(conn)
    stamp = bulk.ts(utcnow())
    state = ErpState.SENT.value
    rows: list[tuple[Any, ...]] = []
    for s in sent:
        rows.append((s.kind, s.document_id, fmt, s.content_hash, s.pack_item, stamp, s.output,
                     state))
        if len(rows) >= chunk:
            _insert_sent(conn, bulk, rows)
            rows = []
    _insert_sent(conn, bulk, rows)


def _insert_sent(conn: Connection, bulk: Bulk, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    bulk.execute_many(
        conn,
        "INSERT INTO erp_handoffs (kind, document_id, format, content_hash, pack_item, sent_at, "
        "output, erp_state, erp_id, erp_number, erp_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '') "
        "ON CONFLICT (kind, document_id, format) DO UPDATE SET content_hash = excluded.content_hash, "
        "pack_item = excluded.pack_item, sent_at = excluded.sent_at, output = excluded.output, "
        "erp_state = excluded.erp_state, erp_note = '', answered_at = NULL", rows)


@dataclass(frozen=True)
class Answer:
    """The ERP's answer about one handed-off item."""

    pack_item: str
    state: ErpState
    erp_id: str = ""
    erp_number: str = ""
    note: str = ""


def record_answers(conn: Connection, fmt: str, answers: Sequence[Answer]) -> dict[str, tuple[str, int]]:
    """Store the ERP's answers; returns (kind, document id) per pack item that was known."""
    h = erp_handoffs
    items = [a.pack_item for a in answers]
    known: dict[str, tuple[str, int]] = {}
    for start in range(0, len(items), _IN_BATCH):
        for item, kind, doc_id in conn.execute(
                select(h.c.pack_item, h.c.kind, h.c.document_id).where(
                    h.c.format == fmt, h.c.pack_item.in_(items[start:start + _IN_BATCH]))):
            known[item] = (kind, int(doc_id))
    now = utcnow()
    for a in answers:
        if a.pack_item not in known:
            continue
        values: dict[str, Any] = {"erp_state": a.state.value, "erp_note": a.note,
                                  "answered_at": now}
        if a.erp_id or a.erp_number:
            values.update(erp_id=a.erp_id, erp_number=a.erp_number)
        conn.execute(update(h).where(h.c.format == fmt, h.c.pack_item == a.pack_item)
                     .values(**values))
    return known


def handoff_rows(conn: Connection, *, fmt: str | None = None, state: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """Handed-off documents with their number and shop, newest first (``state`` filters)."""
    h = erp_handoffs
    found = []
    for kind, (t, _lt, _fk, _d) in _TABLES.items():
        query = (select(h, t.c.number, t.c.shop).join(t, and_(h.c.kind == kind,
                                                            h.c.document_id == t.c.id))
                 .order_by(h.c.sent_at.desc(), h.c.id.desc()))
        if fmt:
            query = query.where(h.c.format == fmt)
        if state:
            query = query.where(h.c.erp_state == state)
        if limit:
            query = query.limit(limit)
        found += [dict(r._mapping) for r in conn.execute(query)]
    found.sort(key=lambda r: (r["sent_at"], r["id"]), reverse=True)
    return found[:limit] if limit else found


def document_keys(conn: Connection, kind: str, ids: Sequence[int]) -> dict[int, str]:
    """The history key (``orders:SHOP:EXTERNAL_ID``) of each document id."""
    t = _TABLES[kind][0]
    found: dict[int, str] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), _IN_BATCH):
        for doc_id, shop, external_id in conn.execute(
                select(t.c.id, t.c.shop, t.c.external_id).where(
                    t.c.id.in_(wanted[start:start + _IN_BATCH]))):
            found[int(doc_id)] = f"{kind}:{shop}:{external_id}"
    return found
