"""XSD validation of input files: readable errors with lines for small files, streaming for big ones.

Files up to :data:`STREAMING_THRESHOLD` bytes are read into memory once and validated up front with
``xmlschema``, which names the failing element, its path and line; the parse then reads the same
bytes, so the file is not opened again. Bigger files are validated by lxml while they are read
(``iterparse(schema=…)``) — lxml reports a schema error only when the parse ends, so records read
before it are provisional until then.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from exchange.errors import ConfigError, SchemaError, XmlSyntaxError
from exchange.importers.read.lxml_errors import CAUGHT, translate
from exchange.importers.read.source import SourceFile, refuse_dtd

STREAMING_THRESHOLD = 20 * 1024 * 1024


@dataclass
class Validation:
    """How a file is validated: the lxml schema to stream with, or its bytes already validated."""

    streaming_schema: etree.XMLSchema | None = None
    content: BinaryIO | None = None


def load_lxml_schema(schema_path: Path) -> etree.XMLSchema:
    """The XSD compiled by lxml (no network access)."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        return etree.XMLSchema(etree.parse(str(schema_path), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise ConfigError(f"cannot load schema {schema_path}: {exc}") from exc


def validate_small(source: SourceFile, schema_path: Path) -> bytes:
    """Validate a whole file with xmlschema and return its bytes; SchemaError names the first error."""
    import xmlschema

    encoding = source.require_sound()
    try:
        schema = xmlschema.XMLSchema(str(schema_path), allow="local")
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise ConfigError(f"cannot load schema {schema_path}: {exc}") from exc
    with source.open() as fh:
        try:
            data = fh.read()
        except OSError as exc:
            raise XmlSyntaxError(f"cannot read the file: {exc.strerror or exc}",
                                 file=str(source.path)) from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, encoding=encoding.override)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except CAUGHT as exc:
        raise translate(exc, file=str(source.path)) from exc
    refuse_dtd(tree, str(source.path))
    try:
        # an lxml tree, so that each error knows its element's source line
        errors = list(schema.iter_errors(tree))
    except xmlschema.XMLSchemaException as exc:
        raise SchemaError(str(exc), file=str(source.path)) from exc
    if errors:
        first = errors[0]
        line = getattr(first, "sourceline", None)
        where = first.path or ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SchemaError(f"{where}: {first.reason}{more}", file=str(source.path), line=line,
                          field=None)
    return data


def prepare_validation(source: SourceFile, schema_path: Path) -> Validation:
    """Validate a small file now (keeping its bytes); for a big one, the schema to stream with."""
    if source.size > STREAMING_THRESHOLD:
        return Validation(streaming_schema=load_lxml_schema(schema_path))
    return Validation(content=io.BytesIO(validate_small(source, schema_path)))
