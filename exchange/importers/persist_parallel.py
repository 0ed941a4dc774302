"""Reading a big file in a child process while the parent persists: two cores instead of one.

The reader (XML parsing and building canonical documents) and the persistence are both CPU-bound
Python, so a thread does not help; a forked child process runs the reader and sends the records
over a bounded queue in batches. Errors travel as plain tuples
(``DocumentError`` subclasses take keyword arguments that pickling would lose) and are rebuilt here;
a file-level error from the reader is re-raised in the parent at the point the child reached, so
the engine's "records are provisional until the reader finishes" rule is unchanged.

Used only where ``fork`` exists and the process has a single thread (forking a threaded process is
unsafe); everything else reads in-process. Documents travel as the plain tuples of
:mod:`exchange.importers.persist_codec`, from which the parent also takes the content hash.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from exchange import errors
from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.importers.persist_codec import content_hash_of, decode, encode
from exchange.profiles import DocumentKind, Profile

BATCH = 200
DEPTH = 8  # batches in flight: bounds the memory the queue holds
_END = "end"
_FAIL = "fail"


@dataclass(slots=True)
class ShippedRecord:
    """A ParsedRecord as received from the child process."""

    kind: DocumentKind
    line: int
    external_id: str
    document: Any
    error: errors.DocumentError | None = None
    review_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_on_hand: Decimal | None = None
    content_hash: str = ""


def available() -> bool:
    """True when the reader can run in a forked child here."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


_TYPES = {cls.__name__: cls for cls in (Order, Invoice, Product, StockLevel)}


def _pack_error(exc: errors.DocumentError | None) -> tuple[str, str, Any, Any, Any] | None:
    if exc is None:
        return None
    return (type(exc).__name__, exc.reason, exc.file, exc.line, exc.field)


def _unpack_error(packed: tuple[str, str, Any, Any, Any] | None) -> errors.DocumentError | None:
    if packed is None:
        return None
    name, reason, file, line, field_ = packed
    cls = getattr(errors, name, errors.DocumentError)
    if not (isinstance(cls, type) and issubclass(cls, errors.DocumentError)):
        cls = errors.DocumentError
    return cls(reason, file=file, line=line, field=field_)


def _child(out: Any, path: Path, profile: Profile, kind: DocumentKind) -> None:
    """Child process: read, send batches; then the end marker or the file-level error."""
    from exchange.importers.reader import read_records

    try:
        batch: list[tuple[Any, ...]] = []
        for rec in read_records(path, profile, kind):
            doc = rec.document
            packed = None if doc is None else (type(doc).__name__, encode(doc))
            batch.append((rec.kind.value, rec.line, rec.external_id, packed,
                          _pack_error(rec.error), rec.review_reasons, rec.warnings,
                          getattr(rec, "stock_on_hand", None)))
            if len(batch) >= BATCH:
                out.put(batch)
                batch = []
        if batch:
            out.put(batch)
        out.put((_END,))
    except errors.DocumentError as exc:
        out.put((_FAIL, _pack_error(exc)))
    except Exception as exc:  # anything else: a plain document error naming the file
        out.put((_FAIL, ("XmlSyntaxError", f"the reader failed: {exc}", str(path), None, None)))


class ChildReader:
    """Records of a file read by a forked child process, in file order.

    The child starts as soon as this object is made, so it parses while the caller still prepares
    (fingerprint, store set-up); :meth:`close` stops it whether or not it was iterated.
    """

    def __init__(self, path: Path, profile: Profile, kind: DocumentKind) -> None:
        ctx = multiprocessing.get_context("fork")
        self.path = path
        self._channel: Any = ctx.Queue(maxsize=DEPTH)
        self._child = ctx.Process(target=_child, args=(self._channel, path, profile, kind),
                                  daemon=True, name="exchange-import-reader")
        self._child.start()
        self._closed = False

    def __iter__(self) -> Iterator[ShippedRecord]:
        """Yield the records as the child sends them; re-raise its file-level error."""
        try:
            yield from self._receive()
        finally:
            self.close()

    def _receive(self) -> Iterator[ShippedRecord]:
        while True:
            try:
                item = self._channel.get(timeout=1.0)
            except queue_module.Empty:
                if not self._child.is_alive() and self._channel.empty():
                    raise errors.XmlSyntaxError("the reader process ended unexpectedly",
                                                file=str(self.path)) from None
                continue
            if isinstance(item, tuple):
                if item[0] == _END:
                    return
                error = _unpack_error(item[1])
                raise error if error is not None else errors.XmlSyntaxError(
                    "the reader failed", file=str(self.path))
            for kind_, line, ext, packed, err, reasons, warnings, stock in item:
                doc = digest = None
                if packed is not None:
                    doc = decode(_TYPES[packed[0]], packed[1])
                    digest = content_hash_of(packed[0], packed[1])  # = document_hash(doc)
                yield ShippedRecord(DocumentKind(kind_), line, ext, doc, _unpack_error(err),
                                    reasons, warnings, stock, digest or "")

    def close(self) -> None:
        """Stop the child (if still running) and release the channel; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        self._channel.close()
        self._channel.join_thread()


def read_in_child(path: Path, profile: Profile, kind: DocumentKind) -> ChildReader:
    """Start reading ``path`` in a forked child now; iterate the result for its records."""
    return ChildReader(path, profile, kind)
