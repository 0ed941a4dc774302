"""One handoff: the store's new and changed documents → a validated POHODA pack or ISDOC files → a
file, a folder or an endpoint (atomic publishing and the outbox, as feeds) → the handoff state.

Nothing is recorded as handed off unless the whole output validated and was written or queued; an
invalid pack stays beside the target as ``FILE.invalid`` and the error names its line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from exchange.errors import ConfigError, SchemaError
from exchange.handoff.pohoda import (
    ItemCheck,
    PackOutcome,
    PackSettings,
    SentLog,
    pack_attributes,
    pack_items,
    write_pack,
)
from exchange.handoff.validate import load_item_schema, load_schema, schema_dir
from exchange.importers.collector import quiet_collector
from exchange.store import Store
from exchange.store.erp import (
    HandoffDocument,
    Sent,
    documents_as_text,
    documents_to_hand_off,
    record_sent,
)
from exchange.store.history import record_event
from exchange.store.types import utcnow

FORMATS = ("pohoda", "isdoc")
KINDS = ("orders", "invoices")


@dataclass(frozen=True)
class HandoffRequest:
    """What to hand off, in which format, to where."""

    kind: str  # orders | invoices
    fmt: str = "pohoda"
    output: Path | None = None  # pohoda: the pack file; isdoc: the folder
    endpoint: str | None = None  # or publish there (a folder POHODA watches, FTP, SFTP)
    staging: Path = Path("handoff")  # where files wait for the endpoint
    shop: str | None = None
    since: date | datetime | None = None
    retry_failed: bool = False
    xsd: str | Path | None = None
    pack: PackSettings = field(default_factory=PackSettings)
    company: Any = None  # config.CompanySection: the supplier of ISDOC invoices


@dataclass
class HandoffResult:
    """What one handoff did."""

    kind: str
    fmt: str
    documents: int = 0
    updates: int = 0
    left_out: list[tuple[str, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    remote_names: list[str] = field(default_factory=list)
    push_status: str = ""  # delivered, queued, failed (with an endpoint)
    push_error: str = ""

    def summary(self) -> str:
        """One line."""
        where = (f"to {self.push_status}" if self.push_status else
                 ", ".join(str(f) for f in self.files[:3]) + (" …" if len(self.files) > 3 else ""))
        text = f"{self.documents} {self.kind} handed off as {self.fmt}"
        if self.updates:
            text += f" ({self.updates} changed)"
        if self.documents:
            text += f": {where}"
        return text + (f"; {len(self.left_out)} left out" if self.left_out else "")

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"kind": self.kind, "format": self.fmt, "documents": self.documents,
                "updates": self.updates, "files": [str(f) for f in self.files],
                "push_status": self.push_status or None, "push_error": self.push_error or None,
                "left_out": [{"document": d, "reason": r} for d, r in self.left_out]}


def request_from(config: Any, kind: str, fmt: str, *, output: Path | None, endpoint: str | None,
                 shop: str | None = None, since: date | None = None, retry_failed: bool = False,
                 xsd: str | None = None, encoding: str | None = None) -> Any:
    """A HandoffRequest from exchange.yaml (when there is one) and the command's options."""
    settings = config.handoff if config is not None else None
    company = config.company if config is not None else None
    pack = PackSettings(
        ico=(company.ico if company else ""),
        encoding=encoding or (settings.encoding.value if settings else "utf-8"),
        home_currency=(company.currency if company else "CZK"),
        link_stock=bool(settings and settings.link_stock),
        receipts=(settings.pohoda_receipts.value if settings else "invoice"))
    configured = (settings.pohoda_xsd if fmt == "pohoda" else settings.isdoc_xsd) \
        if settings else None
    staging = (config.folders.feeds.parent / "handoff") if config is not None else Path("handoff")
    return HandoffRequest(kind=kind, fmt=fmt, output=output, endpoint=endpoint, staging=staging,
                          shop=shop, since=since, retry_failed=retry_failed,
                          xsd=xsd or configured, pack=pack, company=company)


def _since(request: HandoffRequest) -> date | datetime | None:
    """``--since`` as the documents' date column takes it: an invoice's day, or, for an order's
    timestamp, the start of that day in the pack's time zone (the zone its dates are printed in)."""
    since = request.since
    if since is None:
        return None
    if request.kind == "orders":
        zone = request.pack.zone()
        if isinstance(since, datetime):
            return since if since.tzinfo is not None else since.replace(tzinfo=zone)
        return datetime.combine(since, time(), tzinfo=zone)
    return since.date() if isinstance(since, datetime) else since


def _documents(store: Store, request: HandoffRequest,
               kinds: tuple[str, ...] | None = None) -> Iterator[HandoffDocument]:
    """The documents to hand off: as exact text for POHODA (which prints them), else as values."""
    since = _since(request)
    with store.connect() as conn:
        if request.fmt == "pohoda":
            batches = documents_as_text(conn, request.kind, request.fmt, shop=request.shop,
                                        since=since, retry_failed=request.retry_failed)
        else:
            batches = documents_to_hand_off(conn, request.kind, request.fmt, shop=request.shop,
                                            since=since, kinds=kinds,
                                            retry_failed=request.retry_failed)
        for batch in batches:
            yield from batch


def hand_off(store: Store, request: HandoffRequest, *, job: str = "",
             run_id: int | None = None) -> HandoffResult:
    """Hand the new and changed documents off; see the module docstring.

    Raises:
        ConfigError: an unknown kind or format, no XSDs, no output or endpoint.
        SchemaError: the output does not validate (kept as ``.invalid``; nothing recorded).
    """
    if request.kind not in KINDS or request.fmt not in FORMATS:
        raise ConfigError(f"cannot hand off {request.kind} as {request.fmt} "
                          f"(kinds: {', '.join(KINDS)}; formats: {', '.join(FORMATS)})")
    if (request.output is None) == (request.endpoint is None):
        raise ConfigError("give an output (-o) or an endpoint (--to), one of them")
    folder = str(schema_dir(request.fmt, request.xsd))
    schema = load_schema(request.fmt, folder)
    # a pack of 100,000 documents allocates millions of short-lived strings and tuples, which
    # reference counting frees: the cyclic collector's passes over them are 5 % of the CPU
    with quiet_collector():
        if request.fmt == "isdoc":
            result = _hand_off_isdoc(store, request, schema)
        else:
            result = _hand_off_pohoda(store, request, schema, load_item_schema(folder))
    with store.begin() as conn:
        for name, reason in result.left_out:
            record_event(conn, kind="handoff_left_out", level="warning", job=job, run_id=run_id,
                         document=name, message=f"{request.fmt}: {reason}")
        if result.documents:
            record_event(conn, kind="handed_off", job=job, run_id=run_id,
                         document=", ".join(str(f.name) for f in result.files[:5]),
                         message=result.summary(), details=result.as_dict())
    return result


def _hand_off_pohoda(store: Store, request: HandoffRequest, schema: Any,
                     item_schema: Any) -> HandoffResult:
    with SentLog() as sent:  # what the pack holds, spooled until it is recorded
        return _pohoda_pack(store, request, schema, item_schema, PackOutcome(sent))


def _pohoda_pack(store: Store, request: HandoffRequest, schema: Any, item_schema: Any,
                 outcome: PackOutcome) -> HandoffResult:
    result = HandoffResult(request.kind, request.fmt)
    stamp = f"{utcnow():%Y%m%dT%H%M%S%f}"
    if request.output is not None:
        target = request.output
    else:
        request.staging.mkdir(parents=True, exist_ok=True)
        target = request.staging / f"pohoda-{request.kind}-{stamp}.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    attrs = pack_attributes(f"exchange-{stamp}"[:64], request.pack,
                            f"exchange: {request.kind} {stamp}")
    # every item is parsed back and validated against the official XSDs before it is written
    check = ItemCheck(schema, item_schema, attrs, request.pack)
    items = check.items(pack_items(_documents(store, request), request.pack, outcome, str(target)))
    try:
        write_pack(partial, items, attrs=attrs, settings=request.pack)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.left_out = outcome.left_out
    if check.failure is not None:
        invalid = target.with_name(target.name + ".invalid")
        os.replace(partial, invalid)
        line, message = check.failure
        raise SchemaError(f"{message} (the pack is kept as {invalid.name}; nothing was sent)",
                          file=str(invalid), line=line)
    if not outcome.sent:
        partial.unlink(missing_ok=True)
        return result
    os.replace(partial, target)
    result.files = [target]
    result.documents, result.updates = len(outcome.sent), outcome.updates
    if request.endpoint is not None:
        _push(store, request, result, [target])
        if result.push_status == "failed":
            return result
    with store.begin() as conn:
        record_sent(conn, request.fmt, outcome.sent)
    return result


def _push(store: Store, request: HandoffRequest, result: HandoffResult, files: list[Path]) -> None:
    """Publish the files at the endpoint (in order, atomically); what cannot go now is queued."""
    from exchange.sync.push import push_many

    if request.endpoint is None:
        raise ConfigError("no endpoint to push to")
    pushed = push_many(files, request.endpoint, store, spool_dir=request.staging / "outbox")
    for path in files:
        path.unlink(missing_ok=True)  # delivered, or copied into the outbox spool
    result.remote_names = [p.entry.remote_name for p in pushed]
    if all(p.delivered for p in pushed):
        result.push_status = "delivered"
    elif any(p.entry.status == "failed" for p in pushed):
        result.push_status = "failed"
        result.push_error = next(p.entry.last_error for p in pushed if p.entry.status == "failed")
    else:
        result.push_status = "queued"
        result.push_error = next((p.entry.last_error for p in pushed if p.waiting), "")


def _hand_off_isdoc(store: Store, request: HandoffRequest, schema: Any) -> HandoffResult:
    """One validated ISDOC file per invoice and credit note; all written, or none recorded."""
    from lxml import etree

    from exchange.errors import DocumentError
    from exchange.handoff.isdoc import ISDOC_KINDS, isdoc_invoice
    from exchange.handoff.validate import validate_tree

    if request.kind != "invoices":
        raise ConfigError("ISDOC carries invoices and credit notes: hand orders off as pohoda")
    if request.company is None:
        raise ConfigError("ISDOC needs the supplier: add company: (name, ico, dic, address, "
                          "bank account) to exchange.yaml")
    result = HandoffResult(request.kind, request.fmt)
    folder = request.output if request.output is not None else request.staging / "isdoc"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    sent = []
    try:
        for doc in _documents(store, request, kinds=ISDOC_KINDS):
            row = doc.row
            name = f"invoices:{row['shop']}:{row['number']}"
            try:
                tree = isdoc_invoice(doc, request.company, home_currency=request.pack.home_currency)
            except DocumentError as exc:
                result.left_out.append((name, exc.message))
                continue
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in row["number"])
            target = folder / f"{row['shop']}-{safe}.isdoc"
            data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
            try:
                validate_tree(etree.fromstring(data), schema, shown_as=str(target))
            except DocumentError:
                target.with_name(target.name + ".invalid").write_bytes(data)
                raise
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(data)
            written.append(partial)
            if doc.previous is not None:
                result.updates += 1
            sent.append(Sent("invoices", int(row["id"]), row["content_hash"],
                             f"isdoc-{row['id']}", str(target)))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finals = []
    for partial in written:
        final = partial.with_name(partial.name.removesuffix(".partial"))
        os.replace(partial, final)
        finals.append(final)
    result.files, result.documents = finals, len(finals)
    if request.endpoint is not None and finals:
        _push(store, request, result, finals)
        if result.push_status == "failed":
            return result
    if sent:
        with store.begin() as conn:
            record_sent(conn, request.fmt, sent)
    return result
