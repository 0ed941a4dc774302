"""The import engine: reader → matching → persistence, per chunk of documents, with a report.

Transactions. A whole file is imported in ONE outer transaction, documents are written a chunk at a
time inside it, and a chunk runs inside a SAVEPOINT; when the chunk fails, it is rolled back and
written again one document per SAVEPOINT, so only the bad document fails and nothing of it is left
half-written. The reader streams and may raise a file-level error (not well-formed, schema-invalid)
after it has already yielded records; then the outer transaction is rolled back, so a broken file is
never half-imported, and the file goes to quarantine with its report. The outer transaction is
committed only when the whole file has been read. ``dry_run`` runs exactly the same way and rolls
the outer transaction back at the end, so its report is the report of a real run.

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
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import OperationalError, StatementError

from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.errors import (
    ConfigError,
    DocumentError,
    ExchangeError,
    SchemaError,
    XmlSyntaxError,
)
from exchange.importers import persist_parallel
from exchange.importers.matching import Matcher
from exchange.importers.persist import (
    Action,
    DocumentWriter,
    InvoiceWriter,
    OrderWriter,
    Pending,
    WriteContext,
    Written,
)
from exchange.importers.persist_bulk import Bulk
from exchange.importers.persist_catalog import (
    CatalogResult,
    ProductItem,
    ProductWriter,
    StockItem,
    StockWriter,
)
from exchange.importers.persist_codec import document_hash
from exchange.importers.report import DocumentResult, ImportReport, Outcome
from exchange.profiles import DocumentKind, Profile, load_profile
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse
from exchange.store.history import finish_run, record_event, start_run
from exchange.store.schema import events, processed_files
from exchange.store.types import utcnow

CHUNK_SIZE = 500
_EVENT_COLUMNS = ("run_id", "job", "at", "level", "kind", "document", "message", "details")
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
JOB = "import"


@dataclass(frozen=True)
class HistoryRun:
    """The history run an import belongs to: a job's run opened by the scheduler, or its own."""

    job: str = JOB
    run_id: int | None = None  # None: the import opens and closes a run of its own
DEFAULT_QUARANTINE = Path("quarantine")
Progress = Callable[[int, int], None]  # (bytes done, bytes in total)

# Errors that belong to one document; anything else (a lost connection, a locked database, a bug)
# stops the run and rolls the file back.
_DOCUMENT_ERRORS = (StatementError, ValueError, ArithmeticError, DocumentError)


class RecordLike(Protocol):
    """What the engine reads from the reader's ``ParsedRecord``."""

    kind: DocumentKind
    line: int
    external_id: str
    document: Any
    error: DocumentError | None
    review_reasons: list[str]
    warnings: list[str]


def import_file(
    store: Store,
    path: str | Path,
    profile: Profile | str | Path,
    kind: DocumentKind | str = DocumentKind.ORDERS,
    *,
    shop: str | None = None,
    dry_run: bool = False,
    since: date | datetime | None = None,
    statuses: Sequence[str] | None = None,
    warehouse: str | None = None,
    point_of_sale: str | None = None,
    progress: Progress | None = None,
    quarantine: Path | None = None,
    parallel: bool | None = None,
    history: HistoryRun | None = None,
) -> ImportReport:
    """Import one XML file of ``kind`` read with ``profile``; returns what happened per document.

    ``parallel`` reads the file in a child process while this one writes (default: for files of
    ``PARALLEL_MIN_BYTES`` and more, where ``fork`` is available and the process has one thread).

    Raises:
        ConfigError: an unknown kind, profile, time zone, or options that do not fit the kind.
        StoreError: the store failed (nothing of the file is kept).
    """
    from exchange.importers.reader import read_records
    from exchange.review.overlay import decisions_for

    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    # decisions remembered in the review queue apply as if the profile had them
    prof = decisions_for(store, prof, shop)
    doc_kind = _kind(kind)
    prof.mapping(doc_kind)  # ConfigError now when the profile cannot read this kind
    path = Path(path)
    if parallel is None:
        try:
            parallel = path.stat().st_size >= PARALLEL_MIN_BYTES
        except OSError:
            parallel = False
    records: Iterable[RecordLike]
    if parallel and persist_parallel.available():
        records = persist_parallel.read_in_child(path, prof, doc_kind)
    else:
        records = read_records(path, prof, doc_kind)
    try:
        return import_records(store, path, prof, doc_kind, records, shop=shop, dry_run=dry_run,
                              since=since, statuses=statuses, warehouse=warehouse,
                              point_of_sale=point_of_sale, progress=progress,
                              quarantine=quarantine, history=history)
    finally:
        # a reader process started above is stopped even when the run failed before reading
        close = getattr(records, "close", None)
        if close is not None:
            close()


def import_records(
    store: Store,
    path: Path,
    profile: Profile,
    kind: DocumentKind,
    records: Iterable[RecordLike],
    *,
    shop: str | None = None,
    dry_run: bool = False,
    since: date | datetime | None = None,
    statuses: Sequence[str] | None = None,
    warehouse: str | None = None,
    point_of_sale: str | None = None,
    progress: Progress | None = None,
    quarantine: Path | None = None,
    history: HistoryRun | None = None,
) -> ImportReport:
    """Import already parsed records of ``path`` (what :func:`import_file` does after reading)."""
    if statuses and kind is not DocumentKind.ORDERS:
        raise ConfigError(f"--status filters orders, not {kind.value}")
    size, sha256, newlines = fingerprint(path)
    report = ImportReport(file=str(path), profile=profile.name, kind=kind.value,
                          shop=shop or profile.import_options.shop, dry_run=dry_run,
                          size=size, sha256=sha256)
    run = _Run(store, path, profile, kind, report, since=since, statuses=statuses,
               warehouse=warehouse, point_of_sale=point_of_sale, progress=progress,
               newlines=newlines, quarantine=quarantine or DEFAULT_QUARANTINE,
               history=history or HistoryRun())
    run.execute(records)
    return report


def _kind(kind: DocumentKind | str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in DocumentKind)
        raise ConfigError(f"unknown document kind {kind!r}; known: {known}") from None


def fingerprint(path: Path) -> tuple[int, str, int]:
    """(size, sha256, number of lines) of a file, read once in blocks."""
    digest = hashlib.sha256()
    size = newlines = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
                size += len(block)
                newlines += block.count(b"\n")
    except OSError as exc:
        raise XmlSyntaxError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    return size, digest.hexdigest(), newlines + 1


def _timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} in the profile") from exc


class _Run:
    """One file's import: setup, chunks, bookkeeping, quarantine."""

    def __init__(self, store: Store, path: Path, profile: Profile, kind: DocumentKind,
                 report: ImportReport, *, since: date | datetime | None,
                 statuses: Sequence[str] | None, warehouse: str | None,
                 point_of_sale: str | None, progress: Progress | None, newlines: int,
                 quarantine: Path, history: HistoryRun) -> None:
        self.store = store
        self.path = path
        self.profile = profile
        self.kind = kind
        self.report = report
        self.options = profile.import_options
        self.shop = report.shop
        self.tz = _timezone(self.options.timezone)
        self.since = self._since(since)
        self.statuses = {s.casefold() for s in statuses or ()}
        self.warehouse_code = warehouse or self.options.warehouse
        self.point_of_sale = point_of_sale or ""
        self.progress = progress
        self.newlines = max(newlines, 1)
        self.quarantine = quarantine
        self.job = history.job
        self.own_run = history.run_id is None
        self.run_id: int | None = history.run_id
        self.matcher = Matcher(platform=self.options.platform, shop=self.shop,
                               create_products=self.options.unknown_product == "create")
        self._warehouses: dict[str, int] = {}

    def _open_run(self, conn: Connection) -> None:
        """Open a history run of our own unless the import belongs to a job's run."""
        if self.own_run:
            self.run_id = start_run(conn, self.job)

    def _since(self, since: date | datetime | None) -> datetime | None:
        if since is None:
            return None
        if isinstance(since, datetime):
            return since if since.tzinfo else since.replace(tzinfo=self.tz)
        return datetime.combine(since, time(0), tzinfo=self.tz)

    # -- the run ----------------------------------------------------------------------------
    def execute(self, records: Iterable[RecordLike]) -> None:
        """Import every record in one transaction; commit unless dry run or file-level error."""
        try:
            self._execute(records)
        finally:
            # stop the reader now (a reader process, or an open file) even when we stopped early
            close = getattr(records, "close", None)
            if close is not None:
                close()

    def _execute(self, records: Iterable[RecordLike]) -> None:
        with self.store.connect() as conn:
            trans = conn.begin()
            try:
                self.bulk = Bulk(conn)
                self._open_run(conn)
                self._setup(conn)
                for chunk in self._chunks(records):
                    self._process(conn, chunk)
                    if self.progress is not None:
                        self.progress(self._bytes_done(chunk[-1].line), self.report.size)
                if self.writer is not None:
                    self.writer.flush(conn)
                if self.progress is not None:
                    self.progress(self.report.size, self.report.size)
                if not self.report.dry_run and self.report.counts[Outcome.FAILED]:
                    self._quarantine()
                self._finish(conn)
            except (XmlSyntaxError, SchemaError) as exc:
                trans.rollback()
                self.report.void(exc.reason, exc.line)
                if not self.report.dry_run:
                    self._quarantine()
                    with conn.begin():
                        self._open_run(conn)
                        self._finish(conn)
                return
            except BaseException:
                trans.rollback()
                raise
            if self.report.dry_run:
                trans.rollback()
            else:
                trans.commit()

    def _setup(self, conn: Connection) -> None:
        if self.kind in (DocumentKind.ORDERS, DocumentKind.PRODUCTS, DocumentKind.STOCK):
            self._warehouse_id(conn, self.warehouse_code)
        ctx = WriteContext(shop=self.shop, source_file=self.path.name, timezone=self.tz,
                           matcher=self.matcher, point_of_sale=self.point_of_sale,
                           warehouse_id=self._warehouses.get(self.warehouse_code))
        self.writer: DocumentWriter | None = None
        if self.kind is DocumentKind.ORDERS:
            self.writer = OrderWriter(ctx)
        elif self.kind is DocumentKind.INVOICES:
            self.writer = InvoiceWriter(ctx)
        if self.kind is DocumentKind.PRODUCTS:
            self.product_writer = ProductWriter(self.matcher, self.options.price_list,
                                                self.options.currency,
                                                self._warehouses[self.warehouse_code],
                                                self.path.name)
        self.stock_writer = StockWriter(self.matcher, self.path.name)

    def _warehouse_id(self, conn: Connection, code: str) -> int:
        if code not in self._warehouses:
            self._warehouses[code] = ensure_warehouse(conn, code)
        return self._warehouses[code]

    def _bytes_done(self, line: int) -> int:
        # The reader parses the file itself; its position is estimated from the record's line.
        return min(self.report.size, self.report.size * max(line, 0) // self.newlines)

    @staticmethod
    def _chunks(records: Iterable[RecordLike]) -> Iterator[list[RecordLike]]:
        """Chunks of records; a key seen again starts a new chunk, so it sees the first one."""
        chunk: list[RecordLike] = []
        keys: set[tuple[str, str]] = set()
        for rec in records:
            key = (str(rec.kind), rec.external_id)
            if rec.external_id and key in keys:
                yield chunk
                chunk, keys = [], set()
            chunk.append(rec)
            keys.add(key)
            if len(chunk) >= CHUNK_SIZE:
                yield chunk
                chunk, keys = [], set()
        if chunk:
            yield chunk

    # -- one chunk --------------------------------------------------------------------------
    def _process(self, conn: Connection, chunk: list[RecordLike]) -> None:
        if self.writer is not None:
            results = self._documents(conn, chunk, self.writer)
        else:
            results = self._catalog(conn, chunk)
        bulk = self.bulk
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
        bulk.insert(conn, events, _EVENT_COLUMNS, event_rows)

    def _failed(self, rec: RecordLike, reason: str, field: str | None = None
                ) -> tuple[DocumentResult, None]:
        return (DocumentResult(Outcome.FAILED, rec.external_id, rec.line, reason, field,
                               list(rec.warnings)), None)

    def _read_error(self, rec: RecordLike) -> tuple[DocumentResult, None]:
        err = rec.error
        if err is None:
            return self._failed(rec, "the reader returned no document")
        return self._failed(rec, err.reason, err.field)

    def _documents(self, conn: Connection, chunk: list[RecordLike], writer: DocumentWriter
                   ) -> list[tuple[DocumentResult, dict[str, Any] | None]]:
        results: list[tuple[DocumentResult, dict[str, Any] | None]] = []
        pendings: list[Pending] = []
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
            digest = getattr(rec, "content_hash", "") or document_hash(doc)
            pendings.append(Pending(rec.line, ext, doc, digest, Action.INSERT,
                                    review_reasons=list(rec.review_reasons),
                                    base_warnings=list(rec.warnings),
                                    warnings=list(rec.warnings)))
        found = writer.existing(conn, [p.external_id for p in pendings]) if pendings else {}
        to_write = []
        reverted = []
        for p in pendings:
            ex = found.get(p.external_id)
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
                p.action = Action.UPDATE if self.options.on_changed == "update" else Action.REVIEW
                to_write.append(p)
        writer.clear_change_holds(conn, reverted)
        for item, outcome in self._isolated(conn, writer.write, to_write, writer.accept,
                                            writer.discard):
            if isinstance(outcome, Written):
                results.append((DocumentResult(outcome.outcome, item.external_id, item.line,
                                               outcome.reason, None, list(item.warnings)),
                                outcome.details))
            else:
                results.append((DocumentResult(Outcome.FAILED, item.external_id, item.line,
                                               outcome, getattr(outcome, "field", None),
                                               list(item.base_warnings)), None))
        return results

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
            if isinstance(exc, OperationalError):
                raise
            discard()
            self.matcher.rollback_to(mark)
            if len(batch) == 1:
                return [(batch[0], _reason(exc))]
        out: list[tuple[Any, Any]] = []
        for item in batch:
            out += self._isolated(conn, write, [item], accept, discard)
        return out

    def _catalog(self, conn: Connection, chunk: list[RecordLike]
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
                on_hand = getattr(rec, "stock_on_hand", None)
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
            written = self.product_writer.write(conn, [b for _, b in products_])
            out.update(zip((i for i, _ in products_), written, strict=True))
        if stock:
            written = self.stock_writer.write(conn, [b for _, b in stock])
            out.update(zip((i for i, _ in stock), written, strict=True))
        return [out[i] for i in range(len(batch))]

    # -- bookkeeping ------------------------------------------------------------------------
    def _finish(self, conn: Connection) -> None:
        report = self.report
        summary = report.as_dict()["summary"]
        level = "info" if report.ok else ("error" if report.file_error else "warning")
        message = report.summary()
        record_event(conn, kind="file", level=level, job=self.job, run_id=self.run_id,
                     document=f"file:{self.path.name}", message=message,
                     details={"file": str(self.path), "sha256": report.sha256,
                              "profile": report.profile, "kind": report.kind,
                              "summary": summary, "file_error": report.file_error})
        if self.own_run and self.run_id is not None:
            finish_run(conn, self.run_id, "ok" if report.ok else (
                "failed" if report.file_error else "warning"), summary)
        self._record_file(conn)

    def _record_file(self, conn: Connection) -> None:
        pf = processed_files
        source = str(self.path.resolve().parent)
        now = utcnow()
        values = {"size": self.report.size, "status": self.report.status,
                  "report": self.report.as_dict(), "updated_at": now}
        found = conn.execute(select(pf.c.id).where(
            pf.c.source == source, pf.c.name == self.path.name,
            pf.c.sha256 == self.report.sha256).order_by(pf.c.id.desc()).limit(1)).scalar()
        if found is not None:
            conn.execute(update(pf).where(pf.c.id == found).values(**values))
        else:
            conn.execute(insert(pf).values(source=source, name=self.path.name,
                                           sha256=self.report.sha256, created_at=now, **values))

    def _quarantine(self) -> None:
        """Copy the file to the quarantine folder with a readable NAME.error.txt; keep the original."""
        try:
            self.quarantine.mkdir(parents=True, exist_ok=True)
            target = self.quarantine / self.path.name
            shutil.copy2(self.path, target)
            error_file = self.quarantine / f"{self.path.name}.error.txt"
            self.report.quarantined = str(target)
            self.report.error_report = str(error_file)
            error_file.write_text(self.report.error_text(), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write to the quarantine folder {self.quarantine}: "
                              f"{exc.strerror or exc}") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StatementError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, ExchangeError):
        text = exc.message
    else:
        text = str(exc) or exc.__class__.__name__
    first = text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
    return f"could not be written: {first}"
