"""The read stage: a shop's XML file read through a profile into :class:`Record` s, one per document.

source file (:mod:`.source`) → schema validation (:mod:`.schema`) → record elements
(:mod:`.elements`) → one-pass extractor (:mod:`.extractor`) → builders (:mod:`.builders`, with
:mod:`.converters` and :mod:`.countries`) → records carrying the document and its content hash.

A record that cannot be mapped comes with ``error`` set (file, line, field, reason) and the others go
on. File-level failures (not well-formed, DTD/entities, undecodable, schema-invalid) raise
XmlSyntaxError / SchemaError — possibly after some records were yielded, so callers treat records
as provisional until the generator ends.

Products: variants are flattened — each variant is a Product of its own with ``parent_code`` set,
yielded right after its parent (a parent without a code of its own is not yielded). The stock amount
read for a product (Shoptet ``STOCK/AMOUNT``) is given in ``Record.stock_on_hand`` (None when the
file has none), to be set in ``profile.import_options.warehouse``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.errors import DocumentError, MappingError
from exchange.importers.read.builders import Builder, BuildNotes, plan
from exchange.importers.read.content_hash import document_hash
from exchange.importers.read.elements import iter_elements
from exchange.importers.read.extractor import Extractor
from exchange.importers.read.kinds import refuse_empty
from exchange.importers.read.repair import RepairLog
from exchange.importers.read.source import SourceFile
from exchange.profiles import DocumentKind, Profile, RecordMapping

__all__ = ["DocumentKind", "Record", "compile_extractor", "read_records"]

Document = Order | Invoice | Product | StockLevel


@dataclass(slots=True)
class Record:
    """One document read from a file, or the reason it could not be read; the writers' input."""

    kind: DocumentKind
    line: int
    external_id: str
    document: Document | None
    error: DocumentError | None = None
    review_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_on_hand: Decimal | None = None
    content_hash: str = ""


def compile_extractor(mapping: RecordMapping) -> Extractor:
    """The one-pass extractor for every path ``mapping`` reads."""
    fields, groups = plan(mapping)
    return Extractor(fields, groups, mapping.namespaces)


def _dedupe(values: dict[str, object], mapping: RecordMapping) -> str:
    parts = [str(values.get(key) or "") for key in mapping.dedupe_key]
    return "|".join(parts) if any(parts) else ""


def read_records(source: SourceFile | Path, profile: Profile, kind: DocumentKind | str, *,
                 validate: bool = True, hashed: bool = True) -> Iterator[Record]:
    """Stream the documents of ``kind`` from ``source`` as Records (with content hashes).

    ``hashed`` off leaves ``content_hash`` empty, for a caller that hashes the documents itself.

    Raises:
        ConfigError: the profile cannot read ``kind``.
        XmlSyntaxError: the file is not well-formed, hostile or undecodable.
        SchemaError: the file fails the profile's XSD (when ``validate``).
        FileKindError: the file holds no record of ``kind`` (another kind, an error answer, empty).
    """
    kind = DocumentKind(kind)
    mapping = profile.mapping(kind)
    if not isinstance(source, SourceFile):
        source = SourceFile.scan(source, encoding_fallback=mapping.encoding_fallback)
    source.require_sound()
    schema = stream = None
    if validate and mapping.schema is not None:
        from exchange.importers.read.schema import prepare_validation

        validation = prepare_validation(source, mapping.schema)
        schema, stream = validation.streaming_schema, validation.content
    extractor = compile_extractor(mapping)
    builder = Builder(mapping, profile.import_options, str(source.path))
    read = 0
    repairs = RepairLog() if mapping.recover else None
    for elem in iter_elements(source, mapping.records, schema=schema, stream=stream,
                              repairs=repairs):
        read += 1
        line: int = getattr(elem, "sourceline", None) or 0
        repaired = repairs_in(elem, repairs)
        values = extractor.extract(elem)
        builder.fill_defaults(values)
        for record in _build(kind, builder, values, line, mapping):
            if repaired:
                record.warnings[:0] = repaired  # each repair once, on the document it falls in
                repaired = []
            if hashed and record.document is not None:
                record.content_hash = document_hash(record.document)
            yield record
    if not read:
        # never a silent "0 imported": say what the file holds instead
        raise refuse_empty(source, profile, kind)


def repairs_in(elem: object, repairs: RepairLog | None) -> list[str]:
    """The warnings of the repairs made up to the end of ``elem`` (and not yet taken)."""
    if not repairs or not repairs.pending:
        return []
    last = max((getattr(e, "sourceline", None) or 0 for e in elem.iter()),  # type: ignore[attr-defined]
               default=0)
    return repairs.take_until(last)


def _build(kind: DocumentKind, builder: Builder, values: dict[str, object], line: int,
           mapping: RecordMapping) -> Iterator[Record]:
    notes = BuildNotes()
    external_id = _dedupe(values, mapping)
    try:
        if kind is DocumentKind.ORDERS:
            order = builder.order(values, line, notes)
            yield Record(kind, line, external_id, order, None, notes.review_reasons,
                         notes.warnings)
        elif kind is DocumentKind.INVOICES:
            invoice = builder.invoice(values, line, notes)
            yield Record(kind, line, external_id, invoice, None, notes.review_reasons,
                         notes.warnings)
        elif kind is DocumentKind.PRODUCTS:
            products = builder.products(values, line, notes)
            for index, (product, stock, pline) in enumerate(products):
                yield Record(kind, pline, product.code, product, None,
                             notes.review_reasons if index == 0 else [],
                             notes.warnings if index == 0 else [], stock)
        else:
            level = builder.stock(values, line, notes)
            yield Record(kind, line, external_id=level.product_code, document=level,
                         review_reasons=notes.review_reasons, warnings=notes.warnings)
    except MappingError as exc:
        yield Record(kind, exc.line or line, external_id, None, exc, notes.review_reasons,
                     notes.warnings)
