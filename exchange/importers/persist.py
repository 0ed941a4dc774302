"""Writing imported orders and invoices to the store, a chunk at a time, with stock reservations.

A chunk's new documents are written with a few ``executemany`` statements (ids come back through
``INSERT … RETURNING``); updates and review holds are rare and written one by one. The caller wraps a
call to :meth:`DocumentWriter.write` in a SAVEPOINT and, if it fails, writes the chunk again one
document per SAVEPOINT so that only the bad document fails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring as _quote  # the C string quoting json.dumps uses
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from exchange.documents import (
    Address,
    Invoice,
    InvoiceLine,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
)
from exchange.importers.matching import Matcher, ProductRef
from exchange.importers.persist_bulk import Bulk
from exchange.importers.report import Outcome
from exchange.store.schema import (
    invoice_lines,
    invoices,
    order_lines,
    orders,
    products,
    stock_levels,
    stock_moves,
)
from exchange.store.types import utcnow

ZERO = Decimal("0")
_PRODUCT = LineKind.PRODUCT
_KIND = {kind: kind.value for kind in LineKind}  # plain str for the driver, without enum lookups
_STATUS = {status: status.value for status in OrderStatus}

# Orders in these states hold no stock; every other state (including on_hold) reserves it.
NON_RESERVING = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})


CHANGE_HELD = "changed since the last import"


class Action(StrEnum):
    """What the writer does with a document."""

    INSERT = "insert"
    UPDATE = "update"
    REVIEW = "review"


def _plain(value: Any) -> Any:
    """A JSON-ready form of a stored or imported value, for the review diff."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def address_text(address: Address) -> str:
    """:func:`address_json` already serialized, exactly as ``json.dumps`` writes it (faster)."""
    e = _quote
    return (f'{{"name": {e(address.name)}, "company": {e(address.company)}, '
            f'"street": {e(address.street)}, "house_number": {e(address.house_number)}, '
            f'"city": {e(address.city)}, "postcode": {e(address.postcode)}, '
            f'"country": {e(address.country)}}}')


def address_json(address: Address) -> dict[str, str]:
    """An address as stored in the order's JSON column."""
    return {"name": address.name, "company": address.company, "street": address.street,
            "house_number": address.house_number, "city": address.city,
            "postcode": address.postcode, "country": address.country}


# -- planning -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Existing:
    """An already imported document with the same shop and external id."""

    id: int
    content_hash: str
    status: str = ""
    warehouse_id: int | None = None
    review_reason: str = ""

    @property
    def holds_a_change(self) -> bool:
        """True when the stored document waits for review of a changed re-export."""
        return self.review_reason.startswith(CHANGE_HELD)


@dataclass(slots=True)
class Pending:
    """One document on its way to the store."""

    line: int | None
    external_id: str
    document: Any
    content_hash: str
    action: Action
    existing: Existing | None = None
    review_reasons: list[str] = field(default_factory=list)
    base_warnings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Written:
    """What writing a document did."""

    pending: Pending
    outcome: Outcome
    reason: str = ""
    details: dict[str, Any] | None = None


@dataclass
class WriteContext:
    """Run-wide settings the writers need."""

    shop: str
    source_file: str
    timezone: tzinfo
    matcher: Matcher
    warehouse_id: int | None = None
    point_of_sale: str = ""
    unknown_product_as_text: bool = False


def _utc(moment: datetime, tz: tzinfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _ref(line: OrderLine | InvoiceLine) -> ProductRef:
    return ProductRef(code=line.code, ean=getattr(line, "ean", ""), name=line.name,
                      unit=line.unit, vat_rate=line.vat_rate)


class DocumentWriter:
    """Shared flow of the order and invoice writers."""

    table: Table
    lines_table: Table
    fk: str
    label: str

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx = ctx
        self._bulk: Bulk | None = None
        # Reservation deltas per (product, warehouse): those of the batch being written, and those
        # of every batch written so far, applied once at the end of the file (see flush).
        self._pending: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self._reservations: dict[tuple[int, int], Decimal] = defaultdict(Decimal)

    def accept(self) -> None:
        """The last batch was written for good (its SAVEPOINT was released)."""
        for key, qty in self._pending.items():
            self._reservations[key] += qty
        self._pending.clear()

    def discard(self) -> None:
        """The last batch was rolled back."""
        self._pending.clear()

    def flush(self, conn: Connection) -> None:
        """Apply the reservations of every accepted batch: one statement per stock row touched."""
        deltas = {key: qty for key, qty in self._reservations.items() if qty}
        if deltas:
            apply_reservations(conn, self.bulk(conn), deltas, utcnow())
        self._reservations.clear()

    def bulk(self, conn: Connection) -> Bulk:
        """The bulk writer for this store's dialect."""
        if self._bulk is None:
            self._bulk = Bulk(conn)
        return self._bulk

    def existing(self, conn: Connection, external_ids: Sequence[str]) -> dict[str, Existing]:
        """Documents of this shop already in the store, by external id."""
        t = self.table
        cols = [t.c.external_id, t.c.id, t.c.content_hash, t.c.review_reason]
        if "status" in t.c:
            cols += [t.c.status, t.c.warehouse_id]
        rows = conn.execute(select(*cols).where(t.c.shop == self.ctx.shop,
                                                t.c.external_id.in_(list(external_ids))))
        found = {}
        for row in rows:
            status = row[4] if len(row) > 4 else ""
            wid = row[5] if len(row) > 5 else None
            found[row[0]] = Existing(int(row[1]), row[2], status, wid, row[3] or "")
        return found

    def clear_change_holds(self, conn: Connection, ids: Sequence[int]) -> None:
        """A held change was reverted by a later export: the stored document needs no review."""
        if ids:
            conn.execute(update(self.table).where(self.table.c.id.in_(list(ids)))
                         .values(review_reason="", updated_at=utcnow()))

    def write(self, conn: Connection, batch: Sequence[Pending]) -> list[Written]:
        """Write a batch of documents; raises on a database error (the caller isolates it)."""
        changing = [p for p in batch if p.action is not Action.REVIEW]
        written: list[Written] = []
        self._pending.clear()
        if changing:
            customer_ids = self.ctx.matcher.customer_ids(conn, [p.document.customer
                                                                 for p in changing])
            refs = [_ref(ln) for p in changing for ln in p.document.lines if ln.kind is _PRODUCT]
            product_ids = iter(self.ctx.matcher.product_ids(conn, refs))
            line_products: list[list[int | None]] = []
            for p in changing:
                p.warnings = list(p.base_warnings)  # a retried chunk must not repeat warnings
                ids: list[int | None] = []
                for ln in p.document.lines:
                    pid = next(product_ids) if ln.kind is _PRODUCT else None
                    if pid is None and ln.kind is _PRODUCT:
                        p.warnings.append(
                            f"product {ln.code or getattr(ln, 'ean', '') or ln.name!r} is not "
                            "in the catalogue; kept as a text line")
                    ids.append(pid)
                line_products.append(ids)
            written += self._write_changes(conn, changing, customer_ids, line_products)
        for p in batch:
            if p.action is Action.REVIEW:
                written.append(self._hold_change(conn, p))
        return written

    def _write_changes(self, conn: Connection, batch: list[Pending], customer_ids: list[int],
                       line_products: list[list[int | None]]) -> list[Written]:
        now = utcnow()
        new = [i for i, p in enumerate(batch) if p.action is Action.INSERT]
        bulk = self.bulk(conn)
        stamp = bulk.ts(now)
        rows = [self.header_values(bulk, batch[i], customer_ids[i], stamp) for i in new]
        ids: dict[int, int] = {}
        if rows:
            bulk.insert(conn, self.table, self.header_columns, rows)
            # the new ids, by (shop, external id): unique, and one query per chunk
            t = self.table
            by_ext = dict(conn.execute(select(t.c.external_id, t.c.id).where(
                t.c.shop == self.ctx.shop,
                t.c.external_id.in_([batch[i].external_id for i in new]))).all())
            ids.update((i, int(by_ext[batch[i].external_id])) for i in new)
        old_lines: dict[int, list[tuple[int | None, Decimal]]] = {}
        for i, p in enumerate(batch):
            if p.action is Action.UPDATE and p.existing is not None:
                ids[i] = p.existing.id
                old_lines[i] = self._old_lines(conn, p.existing.id)
                row = self.header_row(p, customer_ids[i], now)
                for keep in ("imported_at", "warehouse_id", "point_of_sale"):
                    row.pop(keep, None)
                if p.existing.warehouse_id is None and "warehouse_id" in self.table.c:
                    row["warehouse_id"] = self.ctx.warehouse_id
                conn.execute(update(self.table).where(self.table.c.id == p.existing.id)
                             .values(**row))
        replaced = [ids[i] for i in old_lines]
        if replaced:
            conn.execute(delete(self.lines_table).where(
                getattr(self.lines_table.c, self.fk).in_(replaced)))
        line_rows = [self.line_values(bulk, ids[i], pos, ln, pid)
                     for i, p in enumerate(batch)
                     for pos, (ln, pid) in enumerate(zip(p.document.lines, line_products[i],
                                                         strict=True), start=1)]
        bulk.insert(conn, self.lines_table, self.line_columns, line_rows)
        self.after_write(conn, batch, ids, line_products, old_lines)
        written = []
        for i, p in enumerate(batch):
            held = bool(p.review_reasons)
            if held:
                outcome = Outcome.HELD
            else:
                outcome = Outcome.IMPORTED if p.action is Action.INSERT else Outcome.UPDATED
            reason = "; ".join(p.review_reasons)
            if p.action is Action.UPDATE:
                reason = "changed since the last import; updated" + (f"; {reason}" if reason else "")
            written.append(Written(p, outcome, reason, {"id": ids[i]}))
        return written

    def _old_lines(self, conn: Connection, doc_id: int) -> list[tuple[int | None, Decimal]]:
        lt = self.lines_table
        query = select(lt.c.product_id, lt.c.quantity).where(getattr(lt.c, self.fk) == doc_id)
        return [(r[0], r[1]) for r in conn.execute(query)]

    def _hold_change(self, conn: Connection, p: Pending) -> Written:
        """A changed re-export under ``on_changed: review``: keep the document, flag and explain."""
        assert p.existing is not None  # planning only makes REVIEW for existing documents
        changes = self.diff(conn, p)
        what = ", ".join(changes) or "content"
        reason = (f"{CHANGE_HELD} ({what}); kept unchanged for review "
                  f"(profile on_changed: review)")
        conn.execute(update(self.table).where(self.table.c.id == p.existing.id).values(
            review_reason=f"{reason}: {self.ctx.source_file} line {p.line}",
            updated_at=utcnow()))
        return Written(p, Outcome.HELD, reason,
                       {"id": p.existing.id, "changes": changes,
                        "old_hash": p.existing.content_hash, "new_hash": p.content_hash})

    # hooks ---------------------------------------------------------------------------------
    def header_row(self, p: Pending, customer_id: int, now: datetime) -> dict[str, Any]:
        """The document's own row."""
        raise NotImplementedError

    line_columns: tuple[str, ...]
    header_columns: tuple[str, ...]

    def header_values(self, bulk: Bulk, p: Pending, customer_id: int, stamp: Any
                      ) -> tuple[Any, ...]:
        """A new document's row in ``header_columns`` order, converted for the driver."""
        raise NotImplementedError

    def line_values(self, bulk: Bulk, doc_id: int, position: int, line: Any,
                    product_id: int | None) -> tuple[Any, ...]:
        """One line's row, in ``line_columns`` order, converted for the driver."""
        raise NotImplementedError

    def after_write(self, conn: Connection, batch: list[Pending], ids: dict[int, int],
                    line_products: list[list[int | None]],
                    old_lines: dict[int, list[tuple[int | None, Decimal]]]) -> None:
        """Side effects of the written documents (stock reservations for orders)."""

    def diff(self, conn: Connection, p: Pending) -> dict[str, Any]:
        """What differs between the stored document and the new export."""
        assert p.existing is not None
        t = self.table
        stored = conn.execute(select(t).where(t.c.id == p.existing.id)).one()._mapping
        new = self.header_row(p, stored["customer_id"] or 0, utcnow())
        changes: dict[str, Any] = {}
        for key in ("number", "status", "shop_status", "currency", "payment_method",
                    "shipping_method", "total", "note", "issued_on", "due_on", "tax_date"):
            if key in new and key in stored and new[key] != stored[key]:
                changes[key] = [_plain(stored[key]), _plain(new[key])]
        lt = self.lines_table
        old = [(r.code, r.name, r.quantity, r.unit_price) for r in conn.execute(
            select(lt).where(getattr(lt.c, self.fk) == p.existing.id).order_by(lt.c.position))]
        fresh = [(ln.code, ln.name, ln.quantity, ln.unit_price) for ln in p.document.lines]
        if [_plain(list(x)) for x in old] != [_plain(list(x)) for x in fresh]:
            changes["lines"] = {"old": [_plain(list(x)) for x in old],
                                "new": [_plain(list(x)) for x in fresh]}
        return changes


class OrderWriter(DocumentWriter):
    """Received orders with their lines and stock reservations."""

    table = orders
    lines_table = order_lines
    fk = "order_id"
    label = "order"

    def header_row(self, p: Pending, customer_id: int, now: datetime) -> dict[str, Any]:
        """The orders row."""
        o: Order = p.document
        held = bool(p.review_reasons)
        return {
            "shop": self.ctx.shop, "external_id": p.external_id, "number": o.number,
            "status": _STATUS[OrderStatus.ON_HOLD if held else o.status],
            "shop_status": o.shop_status, "ordered_at": _utc(o.created_at, self.ctx.timezone),
            "currency": o.currency, "customer_id": customer_id or None,
            "payment_method": o.payment_method, "shipping_method": o.shipping_method,
            "total": o.total, "prices_include_vat": o.prices_include_vat, "note": o.note,
            "billing_address": address_json(o.customer.billing),
            "delivery_address": address_json(o.customer.delivery),
            "warehouse_id": self.ctx.warehouse_id, "point_of_sale": self.ctx.point_of_sale,
            "content_hash": p.content_hash, "review_reason": "; ".join(p.review_reasons),
            "source_file": self.ctx.source_file, "imported_at": now, "updated_at": now,
        }

    header_columns = ("shop", "external_id", "number", "status", "shop_status", "ordered_at",
                      "currency", "customer_id", "payment_method", "shipping_method", "total",
                      "prices_include_vat", "note", "billing_address", "delivery_address",
                      "warehouse_id", "point_of_sale", "content_hash", "review_reason",
                      "source_file", "imported_at", "updated_at")

    def header_values(self, bulk: Bulk, p: Pending, customer_id: int, stamp: Any
                      ) -> tuple[Any, ...]:
        """The orders row of a new order (same values as :meth:`header_row`)."""
        o: Order = p.document
        ctx = self.ctx
        return (ctx.shop, p.external_id, o.number,
                _STATUS[OrderStatus.ON_HOLD if p.review_reasons else o.status], o.shop_status,
                bulk.ts(_utc(o.created_at, ctx.timezone)), o.currency, customer_id or None,
                o.payment_method, o.shipping_method, bulk.dec(o.total), o.prices_include_vat,
                o.note, address_text(o.customer.billing), address_text(o.customer.delivery),
                ctx.warehouse_id, ctx.point_of_sale,
                p.content_hash, "; ".join(p.review_reasons), ctx.source_file, stamp, stamp)

    line_columns = ("order_id", "position", "kind", "product_id", "code", "ean", "name",
                    "variant", "quantity", "unit", "unit_price", "vat_rate", "discount_percent",
                    "line_total")

    def line_values(self, bulk: Bulk, doc_id: int, position: int, line: OrderLine,
                    product_id: int | None) -> tuple[Any, ...]:
        """The order_lines row."""
        dec = bulk.dec
        return (doc_id, position, _KIND[line.kind], product_id, line.code, line.ean, line.name,
                line.variant, dec(line.quantity), line.unit, dec(line.unit_price),
                dec(line.vat_rate), dec(line.discount_percent), dec(line.line_total))

    def after_write(self, conn: Connection, batch: list[Pending], ids: dict[int, int],
                    line_products: list[list[int | None]],
                    old_lines: dict[int, list[tuple[int | None, Decimal]]]) -> None:
        """Reserve stock for new orders; adjust updated ones by the difference."""
        deltas = self._pending
        moves: list[tuple[Any, ...]] = []
        now = utcnow()
        bulk = self.bulk(conn)
        stamp = bulk.ts(now)
        for i, p in enumerate(batch):
            o: Order = p.document
            wid = (p.existing.warehouse_id if p.existing and p.existing.warehouse_id
                   else self.ctx.warehouse_id)
            if wid is None:
                continue
            status = OrderStatus.ON_HOLD if p.review_reasons else o.status
            per_product: dict[int, Decimal] = defaultdict(Decimal)
            if status not in NON_RESERVING:
                for ln, pid in zip(o.lines, line_products[i], strict=True):
                    if pid is not None:
                        per_product[pid] += ln.quantity
            if i in old_lines and p.existing and _reserving(p.existing.status):
                for pid, qty in old_lines[i]:
                    if pid is not None:
                        per_product[pid] -= qty
            reference = f"order {self.ctx.shop}/{o.number or p.external_id}"
            for pid, qty in per_product.items():
                if qty:
                    deltas[(pid, wid)] += qty
                    moves.append((pid, wid, "reserve" if qty > 0 else "release", bulk.dec(qty),
                                  reference, stamp))
        bulk.insert(conn, stock_moves, _MOVE_COLUMNS, moves)


_MOVE_COLUMNS = ("product_id", "warehouse_id", "kind", "quantity", "reference", "created_at")


def _reserving(status: str) -> bool:
    try:
        return OrderStatus(status) not in NON_RESERVING
    except ValueError:
        return True


_RESERVE = ("UPDATE stock_levels SET reserved = reserved + ?, updated_at = ? "
            "WHERE product_id = ? AND warehouse_id = ?")


def apply_reservations(conn: Connection, bulk: Bulk, deltas: dict[tuple[int, int], Decimal],
                       now: datetime) -> None:
    """Add reservation deltas per (product, warehouse), creating missing stock rows."""
    by_wid: dict[int, list[int]] = defaultdict(list)
    for pid, wid in deltas:
        by_wid[wid].append(pid)
    present: set[tuple[int, int]] = set()
    for wid, pids in by_wid.items():
        for start in range(0, len(pids), 900):
            rows = conn.execute(select(stock_levels.c.product_id).where(
                stock_levels.c.warehouse_id == wid,
                stock_levels.c.product_id.in_(pids[start:start + 900])))
            present.update((int(r[0]), wid) for r in rows)
    stamp = bulk.ts(now)
    bulk.execute_many(conn, _RESERVE, [(bulk.dec(qty), stamp, pid, wid)
                                       for (pid, wid), qty in deltas.items() if (pid, wid) in present])
    bulk.insert_dicts(conn, stock_levels, [
        {"product_id": pid, "warehouse_id": wid, "on_hand": ZERO, "reserved": qty, "updated_at": now}
        for (pid, wid), qty in deltas.items() if (pid, wid) not in present])
    # available stock changed: a product change for differential feeds
    pids = sorted({pid for pid, _ in deltas})
    for start in range(0, len(pids), 900):
        conn.execute(update(products).where(products.c.id.in_(pids[start:start + 900]))
                     .values(updated_at=now))


class InvoiceWriter(DocumentWriter):
    """Issued invoices and credit notes with their lines."""

    table = invoices
    lines_table = invoice_lines
    fk = "invoice_id"
    label = "invoice"

    def header_row(self, p: Pending, customer_id: int, now: datetime) -> dict[str, Any]:
        """The invoices row."""
        inv: Invoice = p.document
        return {
            "shop": self.ctx.shop, "external_id": p.external_id, "number": inv.number,
            "kind": inv.kind.value, "issued_on": inv.issued_on, "tax_date": inv.tax_date,
            "due_on": inv.due_on, "variable_symbol": inv.variable_symbol,
            "order_number": inv.order_number, "currency": inv.currency,
            "customer_id": customer_id or None, "payment_method": inv.payment_method,
            "total": inv.total, "prices_include_vat": inv.prices_include_vat, "note": inv.note,
            "content_hash": p.content_hash, "review_reason": "; ".join(p.review_reasons),
            "source_file": self.ctx.source_file, "imported_at": now, "updated_at": now,
        }

    header_columns = ("shop", "external_id", "number", "kind", "issued_on", "tax_date", "due_on",
                      "variable_symbol", "order_number", "currency", "customer_id",
                      "payment_method", "total", "prices_include_vat", "note", "content_hash",
                      "review_reason", "source_file", "imported_at", "updated_at")

    def header_values(self, bulk: Bulk, p: Pending, customer_id: int, stamp: Any
                      ) -> tuple[Any, ...]:
        """The invoices row of a new invoice (same values as :meth:`header_row`)."""
        inv: Invoice = p.document
        ctx = self.ctx
        return (ctx.shop, p.external_id, inv.number, inv.kind.value, bulk.day(inv.issued_on),
                bulk.day(inv.tax_date), bulk.day(inv.due_on), inv.variable_symbol,
                inv.order_number, inv.currency, customer_id or None, inv.payment_method,
                bulk.dec(inv.total), inv.prices_include_vat, inv.note, p.content_hash,
                "; ".join(p.review_reasons), ctx.source_file, stamp, stamp)

    line_columns = ("invoice_id", "position", "kind", "product_id", "code", "name", "quantity",
                    "unit", "unit_price", "vat_rate", "discount_percent")

    def line_values(self, bulk: Bulk, doc_id: int, position: int, line: InvoiceLine,
                    product_id: int | None) -> tuple[Any, ...]:
        """The invoice_lines row."""
        dec = bulk.dec
        return (doc_id, position, _KIND[line.kind], product_id, line.code, line.name,
                dec(line.quantity), line.unit, dec(line.unit_price), dec(line.vat_rate),
                dec(line.discount_percent))
