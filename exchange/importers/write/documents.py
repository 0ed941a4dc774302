"""The order and invoice writers: records → rows, a chunk at a time, with stock reservations.

One row builder per table (:meth:`OrderWriter.row`, :meth:`OrderWriter.line_row` …) gives a
document's row as a tuple in the store's column order, converted by the value converters it is
handed: the store's :class:`~exchange.store.bulk.Bulk` for writing (the insert and the update of a
document come from the same row), :class:`~exchange.store.bulk.PythonValues` to compare a changed
re-export with what is stored. The SQL is the store's (:mod:`exchange.store.documents`,
:mod:`exchange.store.stock`).

A chunk's new documents are written with a few ``executemany`` statements; updates and review holds
are rare. The caller wraps a call to :meth:`DocumentWriter.write` in a SAVEPOINT and, if it fails,
writes the chunk again one document per SAVEPOINT so that only the bad document fails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection

from exchange.documents import (
    Address,
    Invoice,
    InvoiceLine,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
)
from exchange.importers.report import Outcome
from exchange.importers.write.matching import Matcher, ProductRef
from exchange.memo import Memo
from exchange.store.bulk import Bulk, PythonValues
from exchange.store.customers import CUSTOMER_TEXT_LIMITS, LINK_ID_LIMIT
from exchange.store.documents import (
    INVOICES,
    ORDERS,
    DocumentTables,
    document_line_quantities,
    existing_documents,
    insert_documents,
    replace_lines,
    set_review_reason,
    stored_document,
    text_limits,
    update_documents,
)
from exchange.store.issued import realised_orders
from exchange.store.stock import (
    MoveKind,
    StockChange,
    StockMove,
    apply_stock_changes,
    record_moves,
)
from exchange.store.types import utcnow

ZERO = Decimal("0")
_PRODUCT = LineKind.PRODUCT
_KIND = {kind: kind.value for kind in LineKind}  # plain str for the driver, without enum lookups
_STATUS = {status: status.value for status in OrderStatus}

# Orders in these states hold no stock; every other state (including on_hold) reserves it.
NON_RESERVING = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})
# The order an order moves through; a later export never goes back (on_hold has no place).
STATUS_ORDER = {OrderStatus.NEW.value: 0, OrderStatus.CONFIRMED.value: 1,
                OrderStatus.PROCESSING.value: 2, OrderStatus.SHIPPED.value: 3,
                OrderStatus.DELIVERED.value: 4, OrderStatus.RETURNED.value: 5,
                OrderStatus.CANCELLED.value: 5}
# An update keeps these of the stored row (where and when it first came in).
_KEPT_ON_UPDATE = frozenset({"imported_at", "warehouse_id", "point_of_sale"})

CHANGE_HELD = "changed since the last import"
# the line fields a change report compares: on the document line, and as stored
_LINE_DIFF = ("code", "name", "quantity", "unit_price")
_LINE_DIFF_STORED = _LINE_DIFF


class Action(StrEnum):
    """What the writer does with a document."""

    INSERT = "insert"
    UPDATE = "update"
    REVIEW = "review"


class Values(Protocol):
    """Value converters for a row: :class:`Bulk` (for the driver) or :class:`PythonValues`."""

    def dec(self, value: Decimal | None) -> Any: ...
    def ts(self, value: datetime | None) -> Any: ...
    def day(self, value: date | None) -> Any: ...
    def js(self, value: Any) -> Any: ...


# the bookkeeping of a document row: never "what changed" in the shop's document
_NOT_DIFFED = frozenset({"shop", "external_id", "customer_id", "warehouse_id", "point_of_sale",
                         "content_hash", "review_reason", "source_file", "imported_at",
                         "updated_at"})


def _same(old: Any, new: Any) -> bool:
    """Whether a stored and an imported value are the same (empty texts and absent keys alike)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: v for k, v in old.items() if v not in (None, "")} == {
            k: v for k, v in new.items() if v not in (None, "")}
    if old in (None, "") and new in (None, ""):
        return True
    return bool(old == new)


def _plain(value: Any) -> Any:
    """A JSON-ready form of a stored or imported value, for the review diff."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def changed_reason(changes: dict[str, Any]) -> str:
    """``changed since the last import (status, total): status: new → shipped; total: 1 → 2``."""
    if not changes:
        return f"{CHANGE_HELD} (content)"
    return f"{CHANGE_HELD} ({', '.join(changes)}): " + "; ".join(change_texts(changes))


def change_texts(changes: dict[str, Any]) -> list[str]:
    """Each changed field as ``field: old → new`` (a line's field as ``line N field: old → new``)."""
    texts = []
    for key, value in changes.items():
        if key != "lines":
            texts.append(f"{key}: {_shown(value[0])} → {_shown(value[1])}")
            continue
        old, new = value["old"], value["new"]
        for n in range(max(len(old), len(new))):
            if n >= len(old):
                texts.append(f"line {n + 1} added: {_line_text(new[n])}")
            elif n >= len(new):
                texts.append(f"line {n + 1} removed: {_line_text(old[n])}")
            else:
                texts += [f"line {n + 1} {name}: {_shown(a)} → {_shown(b)}"
                          for name, a, b in zip(_LINE_DIFF, old[n], new[n], strict=True) if a != b]
    return texts


def _shown(value: Any) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _line_text(values: list[Any]) -> str:
    code, name, quantity, price = values
    return f"{code or '-'} {name!r} {quantity} × {price}"


def money_values(values: Values, m: Money) -> tuple[Any, ...]:
    """The money model's columns of a document row (``MONEY_COLUMNS`` order)."""
    dec = values.dec
    bands = ([{"rate": _plain(b.rate), "net": _plain(b.net), "vat": _plain(b.vat)}
              for b in m.vat_breakdown] if m.vat_breakdown else None)
    return (dec(m.total_net), dec(m.total_vat), dec(m.rounding), values.js(bands),
            dec(m.exchange_rate), dec(m.home_currency_total), m.paid, dec(m.amount_paid),
            values.ts(m.paid_at), m.payment_code, m.shipping_code, m.pickup_point_id,
            m.pickup_point_name, m.tracking_number)


def address_json(address: Address) -> dict[str, str]:
    """An address as stored in the order's JSON column."""
    return {"name": address.name, "company": address.company, "street": address.street,
            "house_number": address.house_number, "city": address.city,
            "postcode": address.postcode, "country": address.country, "state": address.state}


_ADDRESS_KEYS = ("name", "company", "street", "house_number", "city", "postcode", "country",
                 "state")


class _AddressValues:
    """An address's column value, kept per distinct address: a file repeats its customers."""

    def __init__(self, bulk: Bulk) -> None:
        self._bulk = bulk
        self._memo: Memo[tuple[str, ...], Any] = Memo(
            lambda key: bulk.js(dict(zip(_ADDRESS_KEYS, key, strict=True))))

    def value(self, values: Values, address: Address) -> Any:
        """What ``values.js(address_json(address))`` gives, without encoding it again."""
        if values is not self._bulk:
            return values.js(address_json(address))
        a = address
        return self._memo[(a.name, a.company, a.street, a.house_number, a.city, a.postcode,
                           a.country, a.state)]


# -- planning -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Existing:
    """An already imported document with the same shop and external id."""

    id: int
    content_hash: str
    status: str = ""
    warehouse_id: int | None = None
    review_reason: str = ""
    modified_at: datetime | None = None

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
    behind: str = ""  # why this export is older than the stored document: held, never applied
    base_review_reasons: list[str] | None = None  # the reader's, before the matcher's notes


@dataclass(slots=True)
class Written:
    """What writing a document did."""

    pending: Pending
    outcome: Outcome
    reason: str = ""
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class WriteContext:
    """Run-wide settings the writers need."""

    shop: str
    source_file: str
    timezone: tzinfo
    matcher: Matcher
    warehouse_id: int | None = None
    point_of_sale: str = ""


def _utc(moment: datetime, tz: tzinfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _ref(line: OrderLine | InvoiceLine) -> ProductRef:
    return ProductRef(code=line.code, ean=getattr(line, "ean", ""), name=line.name,
                      unit=line.unit, vat_rate=line.vat_rate)


_CUSTOMER_TEXTS = tuple((n, CUSTOMER_TEXT_LIMITS[n]) for n in
                        ("name", "company", "company_id", "vat_id", "email", "phone"))
_BILLING_TEXTS = tuple((n, CUSTOMER_TEXT_LIMITS[n]) for n in
                       ("street", "house_number", "city", "postcode", "state"))


def _too_long(name: str, value: str, limit: int) -> tuple[str, str]:
    shown = value[:40] + "…"
    return name, f"{name} is {len(value)} characters long; the store keeps at most {limit} ({shown!r})"


class DocumentWriter:
    """Shared flow of the order and invoice writers."""

    tables: DocumentTables
    document_type: type
    line_type: type

    def __init__(self, ctx: WriteContext, bulk: Bulk) -> None:
        self.ctx = ctx
        self.bulk = bulk
        # the bounded texts of the document, its money and its lines: (attribute, most characters)
        doc_limits = text_limits(self.tables.table)
        doc_attrs = {f.name for f in fields(self.document_type)}
        self._doc_texts = tuple((n, k) for n, k in doc_limits.items()
                                if n in doc_attrs and n != "external_id")
        self._money_texts = tuple((n, k) for n, k in doc_limits.items()
                                  if n in {f.name for f in fields(Money)})
        line_attrs = {f.name for f in fields(self.line_type)}
        self._line_texts = tuple((n, k) for n, k in text_limits(self.tables.lines).items()
                                 if n in line_attrs and n != "kind")
        self._id_limit = doc_limits["external_id"]
        self._fits = self._compile_fits()
        # Reservation deltas per (product, warehouse): those of the batch being written, and those
        # of every batch written so far, applied once at the end of the file (see flush).
        self._pending: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self._reservations: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self.addresses = _AddressValues(bulk)

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
        changes = [StockChange(pid, wid, reserve=qty)
                   for (pid, wid), qty in self._reservations.items() if qty]
        apply_stock_changes(conn, changes, bulk=self.bulk, record=False)
        self._reservations.clear()

    def existing(self, conn: Connection, external_ids: Sequence[str]) -> dict[str, Existing]:
        """Documents of this shop already in the store, by external id."""
        found = {}
        for row in existing_documents(conn, self.tables, self.ctx.shop, external_ids):
            values = tuple(row)
            status = values[4] if len(values) > 4 else ""
            wid = values[5] if len(values) > 5 else None
            modified = values[6] if len(values) > 6 else None
            found[values[0]] = Existing(int(values[1]), values[2], status, wid, values[3] or "",
                                        modified)
        return found

    def behind(self, existing: Existing, document: Any) -> str:
        """Why the incoming document is older than the stored one ("" when it is not)."""
        return ""

    def _compile_fits(self) -> Callable[[str, Any], bool]:
        """One generated expression of every bound :meth:`too_long` checks: True when all fit.

        A big import checks some forty texts per order; the loops over (attribute, limit) pairs
        with ``getattr`` were 3 % of the writer's CPU, the expression a fifth of that. Only a
        document that does not fit is walked again, to name the field.
        """
        address = {f.name for f in fields(Address)}

        def customer_text(n: str) -> str:  # as too_long reads it: the customer's, else billing's
            return f"d.customer.{n} or " + (f"d.customer.billing.{n}" if n in address else "''")

        parts = [f"len(x) <= {self._id_limit}"]
        parts += [f"len(d.{n}) <= {k}" for n, k in self._doc_texts]
        parts += [f"len(d.money.{n}) <= {k}" for n, k in self._money_texts]
        parts += [f"len({customer_text(n)}) <= {k}" for n, k in _CUSTOMER_TEXTS]
        parts += [f"len(d.customer.billing.{n}) <= {k}" for n, k in _BILLING_TEXTS]
        parts += [f"len(d.customer.external_id) <= {LINK_ID_LIMIT}"]
        line = " and ".join(f"len(ln.{n}) <= {k}" for n, k in self._line_texts) or "True"
        parts += [f"all({line} for ln in d.lines)"]
        source = "def fits(x, d):\n    return (" + "\n            and ".join(parts) + ")\n"
        env: dict[str, Any] = {}
        exec(compile(source, f"<fits {self.document_type.__name__}>", "exec"), env)  # noqa: S102 - our own source
        return env["fits"]  # type: ignore[no-any-return]

    def too_long(self, external_id: str, document: Any) -> tuple[str, str] | None:
        """(field, reason) of the first text longer than the store keeps it, else None.

        Both stores are bounded the same way: what PostgreSQL would refuse is refused on SQLite too,
        as a document error naming the field, before anything of the document is written.
        """
        if self._fits(external_id, document):
            return None
        if len(external_id) > self._id_limit:
            return _too_long("external_id", external_id, self._id_limit)
        for n, k in self._doc_texts:
            if len(value := getattr(document, n)) > k:
                return _too_long(n, value, k)
        money = document.money
        for n, k in self._money_texts:
            if len(value := getattr(money, n)) > k:
                return _too_long(n, value, k)
        customer = document.customer
        billing = customer.billing
        for n, k in _CUSTOMER_TEXTS:
            if len(value := getattr(customer, n) or getattr(billing, n, "")) > k:
                return _too_long(f"customer.{n}", value, k)
        for n, k in _BILLING_TEXTS:
            if len(value := getattr(billing, n)) > k:
                return _too_long(f"billing.{n}", value, k)
        if len(customer.external_id) > LINK_ID_LIMIT:
            return _too_long("customer.external_id", customer.external_id, LINK_ID_LIMIT)
        line_texts = self._line_texts
        for pos, ln in enumerate(document.lines, start=1):
            for n, k in line_texts:
                if len(value := getattr(ln, n)) > k:
                    return _too_long(f"lines[{pos}].{n}", value, k)
        return None

    def clear_change_holds(self, conn: Connection, ids: Sequence[int]) -> None:
        """A held change was reverted by a later export: the stored document needs no review."""
        set_review_reason(conn, self.tables, ids, "")

    def write(self, conn: Connection, batch: Sequence[Pending]) -> list[Written]:
        """Write a batch of documents; raises on a database error (the caller isolates it)."""
        changing = [p for p in batch if p.action is not Action.REVIEW]
        written: list[Written] = []
        self._pending.clear()
        # updates say what changed, as the holds do; read before the rows are overwritten
        changes = {id(p): self.diff(conn, p) for p in changing if p.action is Action.UPDATE}
        if changing:
            matches = self.ctx.matcher.match_customers(conn, [p.document.customer
                                                              for p in changing])
            customer_ids = [m.id for m in matches]
            for p, match in zip(changing, matches, strict=True):
                # a retried chunk must not repeat the matcher's notes
                if p.base_review_reasons is None:
                    p.base_review_reasons = list(p.review_reasons)
                p.review_reasons = p.base_review_reasons + ([match.note] if match.note else [])
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
            # the shop's product ids of order lines (invoice lines have none)
            links: list[tuple[str, int]] = [
                (ln.product_link, pid) for p, pids in zip(changing, line_products, strict=True)
                for ln, pid in zip(p.document.lines, pids, strict=True)
                if pid is not None and isinstance(ln, OrderLine) and ln.product_link]
            if links:
                self.ctx.matcher.link_products(conn, links)
            written += self._write_changes(conn, changing, customer_ids, line_products, changes)
        for p in batch:
            if p.action is Action.REVIEW:
                written.append(self._hold_change(conn, p))
        # one outcome per document of the batch, in the batch's order: the caller pairs them
        by_pending = {id(w.pending): w for w in written}
        return [by_pending[id(p)] for p in batch]

    def _write_changes(self, conn: Connection, batch: list[Pending],
                       customer_ids: list[int | None],
                       line_products: list[list[int | None]],
                       changes: dict[int, dict[str, Any]]) -> list[Written]:
        bulk = self.bulk
        stamp = bulk.ts(utcnow())
        new = [i for i, p in enumerate(batch) if p.action is Action.INSERT]
        by_ext = insert_documents(conn, bulk, self.tables,
                                  [self.row(bulk, batch[i], customer_ids[i], stamp) for i in new],
                                  self.ctx.shop)
        ids = {i: by_ext[batch[i].external_id] for i in new}
        old_lines: dict[int, list[tuple[int | None, Decimal]]] = {}
        columns = self.tables.columns
        for i, p in enumerate(batch):
            if p.action is Action.UPDATE and p.existing is not None:
                ids[i] = p.existing.id
                old_lines[i] = document_line_quantities(conn, self.tables, p.existing.id)
                row = self.row(bulk, p, customer_ids[i], stamp)
                # a stored order without a warehouse takes this run's
                kept = _KEPT_ON_UPDATE - ({"warehouse_id"} if p.existing.warehouse_id is None
                                          else set())
                chosen = [n for n, c in enumerate(columns) if c not in kept]
                update_documents(conn, bulk, self.tables, tuple(columns[n] for n in chosen),
                                 [(*(row[n] for n in chosen), p.existing.id)])
        line_rows = [self.line_row(bulk, ids[i], pos, ln, pid)
                     for i, p in enumerate(batch)
                     for pos, (ln, pid) in enumerate(zip(p.document.lines, line_products[i],
                                                         strict=True), start=1)]
        replace_lines(conn, bulk, self.tables, [ids[i] for i in old_lines], line_rows)
        self.after_write(conn, batch, ids, line_products, old_lines)
        written = []
        for i, p in enumerate(batch):
            if p.review_reasons:
                outcome = Outcome.HELD
            else:
                outcome = Outcome.IMPORTED if p.action is Action.INSERT else Outcome.UPDATED
            reason = "; ".join(p.review_reasons)
            details: dict[str, Any] = {"id": ids[i]}
            if p.action is Action.UPDATE:
                diff = changes.get(id(p), {})
                details["changes"] = diff
                reason = f"{changed_reason(diff)}; updated" + (f"; {reason}" if reason else "")
            written.append(Written(p, outcome, reason, details))
        return written

    def _hold_change(self, conn: Connection, p: Pending) -> Written:
        """A changed re-export under ``on_changed: review``: keep the document, flag and explain."""
        assert p.existing is not None  # planning only makes REVIEW for existing documents
        changes = self.diff(conn, p)
        why = (f"the export is older than the stored order: {p.behind}" if p.behind
               else "profile on_changed: review")
        reason = f"{changed_reason(changes)}; kept unchanged for review ({why})"
        set_review_reason(conn, self.tables, [p.existing.id],
                          f"{reason}: {self.ctx.source_file} line {p.line}")
        return Written(p, Outcome.HELD, reason,
                       {"id": p.existing.id, "changes": changes,
                        "old_hash": p.existing.content_hash, "new_hash": p.content_hash})

    def diff(self, conn: Connection, p: Pending) -> dict[str, Any]:
        """What differs between the stored document and the new export."""
        assert p.existing is not None
        stored, stored_lines = stored_document(conn, self.tables, p.existing.id)
        new = dict(zip(self.tables.columns,
                       self.row(PythonValues(), p, stored["customer_id"] or 0, utcnow()),
                       strict=True))
        changes: dict[str, Any] = {}
        for key in self.tables.columns:  # every field the document row keeps
            if key not in _NOT_DIFFED and key in stored and not _same(stored[key], new[key]):
                changes[key] = [_plain(stored[key]), _plain(new[key])]
        old = [_plain([r[k] for k in _LINE_DIFF_STORED]) for r in stored_lines]
        fresh = [_plain([getattr(ln, k) for k in _LINE_DIFF]) for ln in p.document.lines]
        if old != fresh:
            changes["lines"] = {"old": old, "new": fresh}
        return changes

    # hooks ---------------------------------------------------------------------------------
    def row(self, values: Values, p: Pending, customer_id: int | None, stamp: Any) -> tuple[Any, ...]:
        """The document's row in ``tables.columns`` order (``stamp``: now, already converted)."""
        raise NotImplementedError

    def line_row(self, values: Values, doc_id: int, position: int, line: Any,
                 product_id: int | None) -> tuple[Any, ...]:
        """One line's row, in ``tables.line_columns`` order."""
        raise NotImplementedError

    def after_write(self, conn: Connection, batch: list[Pending], ids: dict[int, int],
                    line_products: list[list[int | None]],
                    old_lines: dict[int, list[tuple[int | None, Decimal]]]) -> None:
        """Side effects of the written documents (stock reservations for orders)."""


class OrderWriter(DocumentWriter):
    """Received orders with their lines and stock reservations."""

    tables = ORDERS
    document_type = Order
    line_type = OrderLine

    def behind(self, existing: Existing, document: Any) -> str:
        """An older export never regresses an order: its own time, else its status, is behind.

        When both the stored and the incoming order carry the shop's modification time, the time
        decides (a shop may reopen a cancelled order); otherwise the status order does.
        """
        o: Order = document
        if o.modified_at is not None and existing.modified_at is not None:
            incoming = _utc(o.modified_at, self.ctx.timezone)
            if incoming < existing.modified_at:
                return (f"modified_at {incoming.isoformat()} is before the stored "
                        f"{existing.modified_at.isoformat()}")
            return ""
        stored = STATUS_ORDER.get(existing.status)
        new = STATUS_ORDER.get(o.status.value)
        if stored is not None and new is not None and new < stored:
            return f"status {o.status.value} is behind the stored {existing.status}"
        return ""

    def row(self, values: Values, p: Pending, customer_id: int | None, stamp: Any) -> tuple[Any, ...]:
        """The orders row."""
        o: Order = p.document
        ctx = self.ctx
        return (ctx.shop, p.external_id, o.number,
                _STATUS[OrderStatus.ON_HOLD if p.review_reasons else o.status], o.shop_status,
                values.ts(_utc(o.created_at, ctx.timezone)), o.currency, customer_id or None,
                o.payment_method, o.shipping_method, values.dec(o.total), o.prices_include_vat,
                o.note, self.addresses.value(values, o.customer.billing),
                self.addresses.value(values, o.customer.delivery), ctx.warehouse_id,
                ctx.point_of_sale,
                p.content_hash, "; ".join(p.review_reasons), ctx.source_file, stamp, stamp,
                *money_values(values, o.money),
                values.ts(_utc(o.modified_at, ctx.timezone) if o.modified_at else None))

    def line_row(self, values: Values, doc_id: int, position: int, line: OrderLine,
                 product_id: int | None) -> tuple[Any, ...]:
        """The order_lines row."""
        dec = values.dec
        return (doc_id, position, _KIND[line.kind], product_id, line.code, line.ean, line.name,
                line.variant, dec(line.quantity), line.unit, dec(line.unit_price),
                dec(line.vat_rate), dec(line.discount_percent), dec(line.line_total),
                dec(line.unit_price_gross), dec(line.unit_price_net), dec(line.total_gross),
                dec(line.total_net))

    def after_write(self, conn: Connection, batch: list[Pending], ids: dict[int, int],
                    line_products: list[list[int | None]],
                    old_lines: dict[int, list[tuple[int | None, Decimal]]]) -> None:
        """Reserve stock for new orders; adjust updated ones by the difference.

        A realised order is left alone: its reservation ended as a stock issue when its goods
        left, so a later export of it (changed, or cancelled) neither reserves nor releases.
        """
        deltas = self._pending
        moves: list[StockMove] = []
        realised = realised_orders(conn, [ids[i] for i in old_lines]) if old_lines else set()
        for i, p in enumerate(batch):
            o: Order = p.document
            if p.existing is not None and p.existing.id in realised:
                continue
            wid = (p.existing.warehouse_id if p.existing and p.existing.warehouse_id
                   else self.ctx.warehouse_id)
            if wid is None:
                continue
            status = OrderStatus.ON_HOLD if p.review_reasons else o.status
            per_product: dict[int, Decimal] = defaultdict(Decimal)
            # a negative quantity (a return line, or one held for review) reserves nothing: it
            # must never lower what other orders hold
            if status not in NON_RESERVING:
                for ln, pid in zip(o.lines, line_products[i], strict=True):
                    if pid is not None and ln.quantity > 0:
                        per_product[pid] += ln.quantity
            if i in old_lines and p.existing and _reserving(p.existing.status):
                for pid, qty in old_lines[i]:
                    if pid is not None and qty > 0:
                        per_product[pid] -= qty
            reference = f"order {self.ctx.shop}/{o.number or p.external_id}"
            for pid, qty in per_product.items():
                if qty:
                    deltas[(pid, wid)] += qty
                    moves.append(StockMove(pid, wid, MoveKind.RESERVE if qty > 0
                                           else MoveKind.RELEASE, qty, reference))
        record_moves(conn, self.bulk, moves)


def _reserving(status: str) -> bool:
    try:
        return OrderStatus(status) not in NON_RESERVING
    except ValueError:
        return True


class InvoiceWriter(DocumentWriter):
    """Issued invoices and credit notes with their lines."""

    tables = INVOICES
    document_type = Invoice
    line_type = InvoiceLine

    def row(self, values: Values, p: Pending, customer_id: int | None, stamp: Any) -> tuple[Any, ...]:
        """The invoices row."""
        inv: Invoice = p.document
        ctx = self.ctx
        return (ctx.shop, p.external_id, inv.number, inv.kind.value, values.day(inv.issued_on),
                values.day(inv.tax_date), values.day(inv.due_on), inv.variable_symbol,
                inv.order_number, inv.currency, customer_id or None, inv.payment_method,
                values.dec(inv.total), inv.prices_include_vat, inv.note, p.content_hash,
                "; ".join(p.review_reasons), ctx.source_file, stamp, stamp,
                *money_values(values, inv.money),
                self.addresses.value(values, inv.customer.delivery))

    def line_row(self, values: Values, doc_id: int, position: int, line: InvoiceLine,
                 product_id: int | None) -> tuple[Any, ...]:
        """The invoice_lines row."""
        dec = values.dec
        return (doc_id, position, _KIND[line.kind], product_id, line.code, line.name,
                dec(line.quantity), line.unit, dec(line.unit_price), dec(line.vat_rate),
                dec(line.discount_percent), dec(line.line_total), dec(line.unit_price_gross),
                dec(line.unit_price_net), dec(line.total_gross), dec(line.total_net))
