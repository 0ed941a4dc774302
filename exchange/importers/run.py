"""One file's import: the read stage (:mod:`.read`) and the write stage (:mod:`.write`) driven together.

:func:`run_import` takes an :class:`ImportRequest`: the source file is scanned once
(:class:`~exchange.importers.read.source.SourceFile`), its records are read — in a reader process for
big files (:mod:`.read.process`), else in this one — and written a chunk at a time by
:class:`FileImport`, which also keeps the history, the ``processed_files`` row and the quarantine.

Transactions. A whole file is imported in ONE outer transaction, documents are written a chunk at a
time inside it, and a chunk runs inside a SAVEPOINT; when the chunk fails, it is rolled back and
written again one document per SAVEPOINT, so only the bad document fails and nothing of it is left
half-written. Only integrity, data and document errors belong to one document; anything else (a lost
connection, a locked database, a bug in a writer) stops the run and rolls the file back. The reader
streams and may raise a file-level error (not well-formed, schema-invalid) after it has already
yielded records; then the outer transaction is rolled back, so a broken file is never half-imported,
and the file goes to quarantine with its report. The outer transaction is committed only when the
whole file has been read. ``dry_run`` runs exactly the same way and rolls the outer transaction back
at the end, so its report is the report of a real run.

Idempotence. A document is keyed on (shop, external id) with the sha256 of its canonical content.
Same key and hash → skipped; a changed hash → updated when the profile says ``on_changed: update``,
otherwise the stored document is kept unchanged, its ``review_reason`` says what changed and a
``held`` event carries the difference (documents are never duplicated and never silently dropped).
Because of this, importing the same file again adds only what failed before; the file itself is
recorded in ``processed_files`` with its size, sha256, status and report.

History. Every imported, updated, held and failed document is an event (written with one statement
per chunk); unchanged skipped documents are counted in the run's summary event instead of one event
each, so that a daily full export does not flood the history.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.errors import (
    ConfigError,
    DocumentError,
    ExchangeError,
    FileKindError,
    SchemaError,
    XmlSyntaxError,
)
from exchange.importers.collector import quiet_collector
from exchange.importers.read.kinds import detect_kind
from exchange.importers.read.records import Record, read_records
from exchange.importers.read.source import SourceFile
from exchange.importers.report import DocumentResult, ImportReport, Outcome
from exchange.importers.write.catalog import (
    CatalogResult,
    ProductItem,
    ProductWriter,
    StockItem,
    StockWriter,
    product_too_long,
)
from exchange.importers.write.documents import (
    Action,
    DocumentWriter,
    InvoiceWriter,
    OrderWriter,
    Pending,
    WriteContext,
    Written,
)
from exchange.importers.write.matching import CUSTOMER_MERGE, Matcher
from exchange.profiles import DocumentKind, Profile, load_profile
from exchange.shopreturn.events import keep_erp_status
from exchange.shopreturn.payments import settle as settle_payment
from exchange.shopreturn.watermarks import WatermarkGate, WatermarkSettings, as_utc
from exchange.store import Store
from exchange.store.bulk import Bulk, write_cache
from exchange.store.catalog import ensure_warehouse
from exchange.store.claims import claim_file
from exchange.store.history import finish_run, record_event, record_events, start_run
from exchange.store.order_status import outgoing_statuses, save_payment_terms
from exchange.store.processed_files import (
    FileOrigin,
    FileStatus,
    record_import,
    shops_of_content,
)
from exchange.store.types import utcnow

CHUNK_SIZE = 1000
#: The first chunk is smaller: writing starts as soon as the reader's first batch is in, instead of
#: waiting for a thousand records with one core idle (0.3-0.4 s of a 20,000-order import).
FIRST_CHUNK_SIZE = 200
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
JOB = "import"
DEFAULT_QUARANTINE = Path("quarantine")
Progress = Callable[[int, int], None]  # (bytes done, bytes in total)

# Errors that belong to one document: the database refused its values (a constraint, a value out
# of range, a trigger's rule) or it is wrong itself. Anything else stops the run and rolls the file
# back: a lost connection, a locked database, a ValueError or ArithmeticError from a bug.
_DOCUMENT_ERRORS = (DBAPIError, DocumentError)
_RAISE_EXCEPTION = "P0001"  # PostgreSQL: a trigger's RAISE EXCEPTION refused the row


def _belongs_to_one_document(exc: BaseException) -> bool:
    if isinstance(exc, DocumentError | IntegrityError | DataError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == _RAISE_EXCEPTION


@dataclass(frozen=True)
class HistoryRun:
    """The history run an import belongs to: a job's run opened by the scheduler, or its own."""

    job: str = JOB
    run_id: int | None = None  # None: the import opens and closes a run of its own


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how: one file, read with a profile as a kind of document, and the options."""

    path: Path
    profile: Profile | str | Path
    kind: DocumentKind | str | None = DocumentKind.ORDERS  # None: detected from the file
    shop: str | None = None
    since: date | datetime | None = None
    statuses: Sequence[str] | None = None  # orders only: ERP or shop status names
    warehouse: str | None = None
    point_of_sale: str | None = None
    dry_run: bool = False
    quarantine: Path | None = None
    history: HistoryRun | None = None
    origin: FileOrigin | None = None  # a pulled file: its processed_files row and sha256
    progress: Progress | None = None
    parallel: bool | None = None  # None: a reader process for files of PARALLEL_MIN_BYTES and more
    force: bool = False  # import a file already imported under another shop
    # the shop's since:/overlap (None: defaults); a shop with a stored watermark always uses it
    watermark: WatermarkSettings | None = None


def import_file(store: Store, path: str | Path, profile: Profile | str | Path,
                kind: DocumentKind | str = DocumentKind.ORDERS, **options: Any) -> ImportReport:
    """Import one file; ``options`` are the other fields of :class:`ImportRequest`."""
    return run_import(store, ImportRequest(Path(path), profile, kind, **options))


def run_import(store: Store, request: ImportRequest) -> ImportReport:
    """Import the request's file; returns what happened per document.

    Raises:
        ConfigError: an unknown kind, profile, time zone, or options that do not fit the kind.
        XmlSyntaxError: the file cannot be read at all.
        StoreError: the store failed (nothing of the file is kept).
    """
    from exchange.review.overlay import decisions_for

    profile = request.profile if isinstance(request.profile, Profile) \
        else load_profile(request.profile)
    # decisions remembered in the review queue apply as if the profile had them
    profile = decisions_for(store, profile, request.shop)
    detected: SourceFile | None = None
    if request.kind is None:
        # no --as: the kind is read from the file's root and the profile's record paths
        detected = SourceFile.scan(request.path, encoding_fallback=_any_fallback(profile),
                                   sha256=request.origin.sha256 if request.origin else None)
        try:
            kind = detect_kind(detected, profile)
        except FileKindError as exc:
            return _refused(request, profile, detected, exc)
    else:
        kind = _kind(request.kind)
    mapping = profile.mapping(kind)  # ConfigError now when the profile cannot read this kind
    if request.statuses and kind is not DocumentKind.ORDERS:
        raise ConfigError(f"--status filters orders, not {kind.value}")
    parallel = request.parallel
    if parallel is None:
        try:
            parallel = request.path.stat().st_size >= PARALLEL_MIN_BYTES
        except OSError:
            parallel = False
    reader = None
    if parallel:
        from exchange.importers.read import process

        reader = process.acquire()  # it starts while the file is scanned
    try:
        source = detected if detected is not None and _any_fallback(profile) \
            == mapping.encoding_fallback else SourceFile.scan(
                request.path, encoding_fallback=mapping.encoding_fallback,
                sha256=request.origin.sha256 if request.origin else None)
    except BaseException:
        if reader is not None:
            process.release(reader)
        raise
    records: Iterable[Record]
    if reader is not None:
        records = process.ProcessRecords(source, profile, kind, reader)
    else:
        records = read_records(source, profile, kind)
    return FileImport(store, request, profile, kind, source).execute(records)


def import_records(store: Store, request: ImportRequest, records: Iterable[Record]
                   ) -> ImportReport:
    """Import records already read from the request's file (what :func:`run_import` does next)."""
    profile = request.profile if isinstance(request.profile, Profile) \
        else load_profile(request.profile)
    kind = _kind(request.kind if request.kind is not None else DocumentKind.ORDERS)
    source = SourceFile.scan(request.path, encoding_fallback=profile.mapping(kind).encoding_fallback)
    return FileImport(store, request, profile, kind, source).execute(records)


def _any_fallback(profile: Profile) -> str | None:
    """An encoding fallback of the profile's kinds, to read a file before its kind is known."""
    return next((m.encoding_fallback for m in profile.kinds.values() if m.encoding_fallback), None)


def _refused(request: ImportRequest, profile: Profile, source: SourceFile,
             error: FileKindError) -> ImportReport:
    """The report of a file whose kind could not be told: nothing imported, the file left alone."""
    report = ImportReport(file=str(request.path), profile=profile.name, kind="unknown",
                          shop=request.shop or profile.import_options.shop,
                          dry_run=request.dry_run, size=source.size, sha256=source.sha256)
    report.void(error.reason, error.line, nothing_to_import=True)
    return report


def _kind(kind: DocumentKind | str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in DocumentKind)
        raise ConfigError(f"unknown document kind {kind!r}; known: {known}") from None


def _timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} in the profile") from exc


def _since(since: date | datetime | None, tz: tzinfo) -> datetime | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=tz)
    return datetime.combine(since, time(0), tzinfo=tz)


class FileImport:
    """One file's import: setup, chunks, bookkeeping, quarantine (all its state set here)."""

    def __init__(self, store: Store, request: ImportRequest, profile: Profile,
                 kind: DocumentKind, source: SourceFile) -> None:
        options = profile.import_options
        self.store = store
        self.request = request
        self.path = request.path
        self.profile = profile
        self.kind = kind
        self.options = options
        self.shop = request.shop or options.shop
        self.report = ImportReport(file=str(request.path), profile=profile.name, kind=kind.value,
                                   shop=self.shop, dry_run=request.dry_run, size=source.size,
                                   sha256=source.sha256)
        self.tz = _timezone(options.timezone)
        self.since = _since(request.since, self.tz)
        self.statuses = {s.casefold() for s in request.statuses or ()}
        self.warehouse_code = request.warehouse or options.warehouse
        self.point_of_sale = request.point_of_sale or ""
        self.lines = max(source.lines, 1)
        self.quarantine = request.quarantine or DEFAULT_QUARANTINE
        history = request.history or HistoryRun()
        self.job = history.job
        self.own_run = history.run_id is None
        self.run_id: int | None = history.run_id
        self.matcher = Matcher(platform=options.platform, shop=self.shop,
                               create_products=options.unknown_product == "create",
                               anonymous_customer=options.anonymous_customer,
                               update_customers=options.update_customers,
                               merged=profile.mapping(kind).maps.get(CUSTOMER_MERGE))
        self.warehouses: dict[str, int] = {}
        # set when the store connection is open (see _setup)
        self.bulk: Bulk | None = None
        self.writer: DocumentWriter | None = None
        self.product_writer: ProductWriter | None = None
        self.stock_writer: StockWriter | None = None
        self.watermark: WatermarkGate | None = None
        self.payments = profile.payments if kind is DocumentKind.ORDERS else None

    # -- the run ----------------------------------------------------------------------------
    def execute(self, records: Iterable[Record]) -> ImportReport:
        """Import every record in one transaction; commit unless dry run or file-level error."""
        try:
            with quiet_collector():
                self._execute(records)
        finally:
            # stop the reader now (a reader process, or an open file) even when we stopped early
            close = getattr(records, "close", None)
            if close is not None:
                close()
        return self.report

    def _execute(self, records: Iterable[Record]) -> None:
        report = self.report
        progress = self.request.progress
        with self.store.connect(write=True) as conn, write_cache(conn):
            trans = conn.begin()
            try:
                if not report.dry_run:  # a concurrent import of this file: wait for it, then skip
                    claim_file(conn, report.sha256)
                other = self._other_shop(conn)
                if other:
                    trans.rollback()
                    report.void(other, nothing_to_import=True)
                    if not report.dry_run:
                        # the history says so; a local file's row (maybe the very row of
                        # its import under the other shop) stays, a pulled file's own row is
                        # marked refused, so the file stays on the server
                        with conn.begin():
                            self._open_run(conn)
                            self._finish(conn, record_file=self.request.origin is not None)
                    return
                self._open_run(conn)
                self._setup(conn)
                for chunk in _chunks(records):
                    self._process(conn, chunk)
                    if progress is not None:
                        progress(self._bytes_done(chunk[-1].line), report.size)
                if self.writer is not None:
                    self.writer.flush(conn)
                if progress is not None:
                    progress(report.size, report.size)
                if not report.dry_run and report.counts[Outcome.FAILED]:
                    self._quarantine()
                self._finish(conn)
            except (XmlSyntaxError, SchemaError) as exc:
                trans.rollback()
                report.void(exc.reason, exc.line,
                            nothing_to_import=isinstance(exc, FileKindError))
                if not report.dry_run:
                    self._quarantine()
                    with conn.begin():
                        self._open_run(conn)
                        self._finish(conn)
                return
            except BaseException:
                trans.rollback()
                raise
            if report.dry_run:
                trans.rollback()
            else:
                trans.commit()

    def _other_shop(self, conn: Connection) -> str:
        """Why the file is refused: the same bytes were imported under another shop ("" if not).

        A copied profile that still names the original's shop, or a ``--shop`` mistyped, would
        otherwise book the same documents a second time under another name.
        """
        if self.request.force:
            return ""
        others = [s for s in shops_of_content(conn, self.report.sha256) if s != self.shop]
        if not others:
            return ""
        return (f"this file (sha256 {self.report.sha256[:12]}…) was already imported under shop "
                f"{others[0]!r}; importing it as shop {self.shop!r} would book its documents "
                "twice (check the profile's import.shop or --shop; --force imports it anyway)")

    def _open_run(self, conn: Connection) -> None:
        """Open a history run of our own unless the import belongs to a job's run."""
        if self.own_run:
            self.run_id = start_run(conn, self.job)

    def _setup(self, conn: Connection) -> None:
        self.bulk = Bulk(conn)
        if self.kind in (DocumentKind.ORDERS, DocumentKind.PRODUCTS, DocumentKind.STOCK):
            self._warehouse_id(conn, self.warehouse_code)
        ctx = WriteContext(shop=self.shop, source_file=self.path.name, timezone=self.tz,
                           matcher=self.matcher, point_of_sale=self.point_of_sale,
                           warehouse_id=self.warehouses.get(self.warehouse_code))
        if self.kind in (DocumentKind.ORDERS, DocumentKind.INVOICES):
            self.watermark = WatermarkGate.open(conn, self.shop, self.kind.value,
                                                self.request.watermark or WatermarkSettings())
        if self.kind is DocumentKind.ORDERS:
            self.writer = OrderWriter(ctx, self.bulk)
        elif self.kind is DocumentKind.INVOICES:
            self.writer = InvoiceWriter(ctx, self.bulk)
        elif self.kind is DocumentKind.PRODUCTS:
            self.product_writer = ProductWriter(self.matcher, self.options.price_list,
                                                self.options.currency,
                                                self.warehouses[self.warehouse_code],
                                                self.path.name)
        self.stock_writer = StockWriter(self.matcher, self.path.name)

    def _warehouse_id(self, conn: Connection, code: str) -> int:
        if code not in self.warehouses:
            self.warehouses[code] = ensure_warehouse(conn, code)
        return self.warehouses[code]

    def _bytes_done(self, line: int) -> int:
        # The reader parses the file itself; its position is estimated from the record's line.
        return min(self.report.size, self.report.size * max(line, 0) // self.lines)

    # -- one chunk --------------------------------------------------------------------------
    def _process(self, conn: Connection, chunk: list[Record]) -> None:
        if self.writer is not None:
            results = self._documents(conn, chunk, self.writer)
        else:
            results = self._catalog(conn, chunk)
        bulk = self.bulk
        assert bulk is not None
        stamp = bulk.ts(utcnow())
        prefix = f"{self.kind.value}:{self.shop}:"
        event_rows = []
        for result, details in results:
            self.report.add(result)
            outcome = result.outcome
            if outcome is Outcome.SKIPPED:
                continue
            if outcome is Outcome.FAILED:
                level = "error"
            elif outcome is Outcome.HELD or result.warnings:
                level = "warning"
            else:
                level = "info"
            info: dict[str, Any] = {"line": result.line}
            if result.warnings:
                info["warnings"] = result.warnings
            if result.field:
                info["field"] = result.field
            if details:
                info.update(details)
            event_rows.append((self.run_id, self.job, stamp, level, outcome.value,
                               prefix + result.external_id, result.reason, bulk.js(info)))
        record_events(conn, bulk, event_rows)

    @staticmethod
    def _failed(rec: Record, reason: str, field: str | None = None
                ) -> tuple[DocumentResult, None]:
        return (DocumentResult(Outcome.FAILED, rec.external_id, rec.line, reason, field,
                               list(rec.warnings)), None)

    def _read_error(self, rec: Record) -> tuple[DocumentResult, None]:
        err = rec.error
        if err is None:
            return self._failed(rec, "the reader returned no document")
        return self._failed(rec, err.reason, err.field)

    def _documents(self, conn: Connection, chunk: list[Record], writer: DocumentWriter
                   ) -> list[tuple[DocumentResult, dict[str, Any] | None]]:
        results: list[tuple[DocumentResult, dict[str, Any] | None]] = []
        pendings: list[Pending] = []
        terms: dict[str, tuple[str, str, str, bool]] = {}  # the payment map's verdict per order
        for rec in chunk:
            doc = rec.document
            if rec.error is not None or not isinstance(doc, Order | Invoice):
                results.append(self._read_error(rec))
                continue
            ext = rec.external_id or doc.external_id
            if not ext:
                results.append(self._failed(rec, "no external id: the document cannot be "
                                                 "told apart on a later import", "external_id"))
                continue
            skip = self._filtered(doc)
            if skip:
                results.append((DocumentResult(Outcome.SKIPPED, ext, rec.line, skip), None))
                continue
            if not rec.content_hash:
                raise ValueError("a record without its content hash reached the writers")
            too_long = writer.too_long(ext, doc)
            if too_long is not None:
                results.append(self._failed(rec, too_long[1], too_long[0]))
                continue
            reasons, warnings = list(rec.review_reasons), list(rec.warnings)
            if self.payments is not None and isinstance(doc, Order):
                settled = settle_payment(doc, self.payments)
                reasons += [settled.hold] if settled.hold else []
                warnings += [settled.warning] if settled.warning else []
                if settled.kind:
                    terms[ext] = (ext, settled.kind, settled.sync, settled.mapped)
            pendings.append(Pending(rec.line, ext, doc, rec.content_hash, Action.INSERT,
                                    review_reasons=reasons, base_warnings=list(warnings),
                                    warnings=warnings))
        found = writer.existing(conn, [p.external_id for p in pendings]) if pendings else {}
        # statuses the ERP set (orders set-status, realise), which a shop behind them must not undo
        erp_set = outgoing_statuses(conn, [e.id for e in found.values()]) \
            if found and self.kind is DocumentKind.ORDERS else {}
        to_write = []
        reverted = []
        for p in pendings:
            ex = found.get(p.external_id)
            if ex is not None and ex.id in erp_set:
                keep_erp_status(p, erp_set[ex.id])
            if self.watermark is not None:
                when = self._document_time(p.document)
                skip = self.watermark.skip_reason(when) if ex is None else ""
                if skip:
                    results.append((DocumentResult(Outcome.SKIPPED, p.external_id, p.line, skip),
                                    None))
                    terms.pop(p.external_id, None)
                    continue
                self.watermark.took(when)
            if ex is None:
                to_write.append(p)
            elif ex.content_hash == p.content_hash:
                note = "already imported, unchanged"
                if ex.holds_a_change:
                    reverted.append(ex.id)
                    note += "; the change held for review was reverted by the shop"
                results.append((DocumentResult(Outcome.SKIPPED, p.external_id, p.line, note), None))
            else:
                p.existing = ex
                p.behind = writer.behind(ex, p.document)
                p.action = Action.UPDATE if self.options.on_changed == "update" \
                    and not p.behind else Action.REVIEW
                to_write.append(p)
        writer.clear_change_holds(conn, reverted)
        save_payment_terms(conn, self.shop, list(terms.values()))
        for item, outcome in self._isolated(conn, writer.write, to_write, writer.accept,
                                            writer.discard):
            if isinstance(outcome, Written):
                results.append((DocumentResult(outcome.outcome, item.external_id, item.line,
                                               outcome.reason, None, list(item.warnings)),
                                outcome.details))
            else:
                results.append((DocumentResult(Outcome.FAILED, item.external_id, item.line,
                                               outcome, None, list(item.base_warnings)), None))
        return results

    def _document_time(self, doc: Order | Invoice) -> datetime:
        """The time a watermark compares: an order's creation, an invoice's issue date (UTC)."""
        return as_utc(doc.created_at if isinstance(doc, Order) else doc.issued_on, self.tz)

    def _filtered(self, doc: Order | Invoice) -> str:
        if isinstance(doc, Order):
            if self.since is not None and doc.created_at.replace(
                    tzinfo=doc.created_at.tzinfo or self.tz) < self.since:
                return f"ordered before {self.since.isoformat()} (--since)"
            if self.statuses and doc.status.value.casefold() not in self.statuses \
                    and doc.shop_status.casefold() not in self.statuses:
                return f"status {doc.status.value} ({doc.shop_status}) not selected (--status)"
        elif self.since is not None and doc.issued_on < self.since.date():
            return f"issued before {self.since.date().isoformat()} (--since)"
        return ""

    def _isolated(self, conn: Connection, write: Callable[[Connection, Sequence[Any]], list[Any]],
                  batch: Sequence[Any], accept: Callable[[], None] = lambda: None,
                  discard: Callable[[], None] = lambda: None) -> list[tuple[Any, Any]]:
        """Write a batch in a SAVEPOINT; on a document error, again one document at a time.

        Returns (item, what writing did) pairs; a failed item is paired with its reason.
        """
        if not batch:
            return []
        mark = self.matcher.mark()
        try:
            with conn.begin_nested():
                done = list(zip(batch, write(conn, batch), strict=True))
            accept()
            return done
        except _DOCUMENT_ERRORS as exc:
            if not _belongs_to_one_document(exc):
                raise
            discard()
            self.matcher.rollback_to(mark)
            if len(batch) == 1:
                return [(batch[0], _reason(exc))]
        out: list[tuple[Any, Any]] = []
        for item in batch:
            out += self._isolated(conn, write, [item], accept, discard)
        return out

    def _catalog(self, conn: Connection, chunk: list[Record]
                 ) -> list[tuple[DocumentResult, dict[str, Any] | None]]:
        results: list[tuple[DocumentResult, dict[str, Any] | None]] = []
        items: list[ProductItem | StockItem] = []
        for rec in chunk:
            doc = rec.document
            if rec.error is not None or not isinstance(doc, Product | StockLevel):
                results.append(self._read_error(rec))
                continue
            code = doc.code if isinstance(doc, Product) else doc.product_code
            if not code:
                results.append(self._failed(rec, "no product code", "code"))
                continue
            if isinstance(doc, Product):
                if self.kind is DocumentKind.STOCK:
                    results.append(self._failed(rec, "a product record in a stock import"))
                    continue
                too_long = product_too_long(doc)
                if too_long is not None:
                    results.append(self._failed(rec, too_long[1], too_long[0]))
                    continue
                on_hand = rec.stock_on_hand
                items.append(ProductItem(rec.line, rec.external_id or code, doc,
                                         Decimal(on_hand) if on_hand is not None else None,
                                         list(rec.warnings)))
            else:
                # an explicit --warehouse wins over what the record or profile says
                wh = self.warehouse_code if self.warehouse_code != self.options.warehouse \
                    else (doc.warehouse or self.warehouse_code)
                items.append(StockItem(rec.line, rec.external_id or code, code, doc.on_hand,
                                       self._warehouse_id(conn, wh)))
        for item, outcome in self._isolated(conn, self._write_catalog, items):
            if isinstance(outcome, CatalogResult):
                results.append((DocumentResult(outcome.outcome, outcome.external_id,
                                               outcome.line, outcome.reason, outcome.field,
                                               outcome.warnings), None))
            else:
                results.append((DocumentResult(Outcome.FAILED, item.external_id, item.line,
                                               outcome), None))
        return results

    def _write_catalog(self, conn: Connection, batch: Sequence[ProductItem | StockItem]
                       ) -> list[CatalogResult]:
        products_ = [(i, b) for i, b in enumerate(batch) if isinstance(b, ProductItem)]
        stock = [(i, b) for i, b in enumerate(batch) if isinstance(b, StockItem)]
        out: dict[int, CatalogResult] = {}
        if products_:
            assert self.product_writer is not None  # a ProductItem only in a products import
            written = self.product_writer.write(conn, [b for _, b in products_])
            out.update(zip((i for i, _ in products_), written, strict=True))
        if stock:
            assert self.stock_writer is not None
            written = self.stock_writer.write(conn, [b for _, b in stock])
            out.update(zip((i for i, _ in stock), written, strict=True))
        return [out[i] for i in range(len(batch))]

    # -- bookkeeping ------------------------------------------------------------------------
    def _finish(self, conn: Connection, *, record_file: bool = True) -> None:
        report = self.report
        if self.watermark is not None and report.file_error is None:
            self.watermark.save(conn)
        summary = report.as_dict()["summary"]
        level = "info" if report.ok else ("error" if report.file_error else "warning")
        record_event(conn, kind="file", level=level, job=self.job, run_id=self.run_id,
                     document=f"file:{self.path.name}", message=report.summary(),
                     details={"file": str(self.path), "sha256": report.sha256,
                              "profile": report.profile, "kind": report.kind,
                              "summary": summary, "file_error": report.file_error})
        if self.own_run and self.run_id is not None:
            finish_run(conn, self.run_id, "ok" if report.ok else (
                "failed" if report.file_error else "warning"), summary)
        if record_file:
            record_import(conn, path=self.path, size=report.size, sha256=report.sha256,
                          status=FileStatus(report.status), report=report.as_dict(),
                          origin=self.request.origin)

    def _quarantine(self) -> None:
        """Copy the file to the quarantine folder with a readable NAME.error.txt; keep the original."""
        try:
            self.quarantine.mkdir(parents=True, exist_ok=True)
            target = quarantine_target(self.quarantine, self.path.name, self.report.sha256)
            shutil.copy2(self.path, target)
            error_file = self.quarantine / f"{target.name}.error.txt"
            self.report.quarantined = str(target)
            self.report.error_report = str(error_file)
            error_file.write_text(self.report.error_text(), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write to the quarantine folder {self.quarantine}: "
                              f"{exc.strerror or exc}") from exc


def quarantine_target(folder: Path, name: str, sha256: str) -> Path:
    """Where a broken file's copy goes: its own name, unless another file already has that name.

    A file with the same content may take its own place again; a different one gets the first
    characters of its sha256 before the extension (``orders.1a2b3c4d.xml``), so nothing is overwritten.
    The original name stays in the report (``file:``).
    """
    plain = folder / name
    if not plain.exists() or _sha256_of(plain) == sha256:
        return plain
    stem, dot, ext = name.rpartition(".")
    base, suffix = (stem, f"{dot}{ext}") if stem else (name, "")
    for n in range(1000):
        tag = sha256[:8] if n == 0 else f"{sha256[:8]}-{n}"
        candidate = folder / f"{base}.{tag}{suffix}"
        if not candidate.exists() or _sha256_of(candidate) == sha256:
            return candidate
    raise ConfigError(f"the quarantine folder {folder} holds 1000 different files named {name}")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Chunks of records; a key seen again starts a new chunk, so it sees the first one."""
    chunk: list[Record] = []
    keys: set[tuple[str, str]] = set()
    size = FIRST_CHUNK_SIZE
    for rec in records:
        key = (str(rec.kind), rec.external_id)
        if rec.external_id and key in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(rec)
        keys.add(key)
        if len(chunk) >= size:
            yield chunk
            chunk, keys, size = [], set(), CHUNK_SIZE
    if chunk:
        yield chunk


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StatementError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, ExchangeError):
        text = exc.message
    else:
        text = str(exc) or exc.__class__.__name__
    first = text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
    return f"could not be written: {first}"

