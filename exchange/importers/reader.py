"""Read a shop's XML file with a profile: records streamed one by one into canonical documents.

``read_records`` yields one :class:`ParsedRecord` per document. A record that cannot be mapped comes
with ``error`` set (file, line, field, reason) and the others go on. File-level failures (not
well-formed, DTD/entities, undecodable, schema-invalid) raise XmlSyntaxError / SchemaError — possibly
after some records were yielded, so callers treat records as provisional until the generator ends.

Products: variants are flattened — each variant is a Product of its own with ``parent_code`` set,
yielded right after its parent (a parent without a code of its own is not yielded). The stock amount
read for a product (Shoptet ``STOCK/AMOUNT``) is given in ``ParsedRecord.stock_on_hand`` (None when
the file has none), to be set in ``profile.import_options.warehouse``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.errors import DocumentError, MappingError
from exchange.importers.builders import Builder, Outcome, plan
from exchange.importers.extractor import Extractor
from exchange.importers.xml_source import iter_elements
from exchange.profiles import DocumentKind, Profile, RecordMapping

__all__ = ["DocumentKind", "ParsedRecord", "compile_extractor", "read_records"]


@dataclass
class ParsedRecord:
    """One document read from a file, or the reason it could not be read."""

    kind: DocumentKind
    line: int
    external_id: str
    document: Order | Invoice | Product | StockLevel | None
    error: DocumentError | None = None
    review_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_on_hand: Decimal | None = None


def compile_extractor(mapping: RecordMapping) -> Extractor:
    """The one-pass extractor for every path ``mapping`` reads."""
    fields, groups = plan(mapping)
    return Extractor(fields, groups, mapping.namespaces)


def _dedupe(values: dict[str, object], mapping: RecordMapping) -> str:
    parts = [str(values.get(key) or "") for key in mapping.dedupe_key]
    return "|".join(parts) if any(parts) else ""


def read_records(path: Path, profile: Profile, kind: DocumentKind | str, *,
                 validate: bool = True) -> Iterator[ParsedRecord]:
    """Stream the documents of ``kind`` from ``path`` as ParsedRecords.

    Raises:
        ConfigError: the profile cannot read ``kind``.
        XmlSyntaxError: the file is not well-formed, hostile or undecodable.
        SchemaError: the file fails the profile's XSD (when ``validate``).
    """
    kind = DocumentKind(kind)
    mapping = profile.mapping(kind)
    path = Path(path)
    schema = None
    if validate and mapping.schema is not None:
        from exchange.importers.validation import prepare_validation

        schema = prepare_validation(path, mapping.schema, mapping.encoding_fallback)
    extractor = compile_extractor(mapping)
    builder = Builder(mapping, profile.import_options, str(path))
    for elem in iter_elements(path, mapping.records, encoding_fallback=mapping.encoding_fallback,
                              schema=schema):
        line = elem.sourceline or 0
        values = extractor.extract(elem)
        builder.fill_defaults(values)
        yield from _build(kind, builder, values, line, mapping)


def _build(kind: DocumentKind, builder: Builder, values: dict[str, object], line: int,
           mapping: RecordMapping) -> Iterator[ParsedRecord]:
    out = Outcome()
    external_id = _dedupe(values, mapping)
    try:
        if kind is DocumentKind.ORDERS:
            order = builder.order(values, line, out)
            yield ParsedRecord(kind, line, external_id, order, None, out.review_reasons, out.warnings)
        elif kind is DocumentKind.INVOICES:
            invoice = builder.invoice(values, line, out)
            yield ParsedRecord(kind, line, external_id, invoice, None, out.review_reasons,
                               out.warnings)
        elif kind is DocumentKind.PRODUCTS:
            products = builder.products(values, line, out)
            for index, (product, stock, pline) in enumerate(products):
                yield ParsedRecord(kind, pline, product.code, product, None,
                                   out.review_reasons if index == 0 else [],
                                   out.warnings if index == 0 else [], stock)
        else:
            level = builder.stock(values, line, out)
            yield ParsedRecord(kind, line, level.product_code, level, None, out.review_reasons,
                               out.warnings)
    except MappingError as exc:
        yield ParsedRecord(kind, exc.line or line, external_id, None, exc, out.review_reasons,
                           out.warnings)
