"""XSD validation of input files: readable errors with lines for small files, streaming for big ones.

Files up to :data:`STREAMING_THRESHOLD` bytes are validated up front with ``xmlschema``, which names
the failing element, its path and line. Bigger files are validated by lxml while they are read
(``iterparse(schema=…)``) — lxml reports a schema error only when the parse ends, so records read
before it are provisional until then.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from exchange.errors import ConfigError, SchemaError, XmlSyntaxError

STREAMING_THRESHOLD = 20 * 1024 * 1024


def load_lxml_schema(schema_path: Path) -> etree.XMLSchema:
    """The XSD compiled by lxml (no network access)."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        return etree.XMLSchema(etree.parse(str(schema_path), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise ConfigError(f"cannot load schema {schema_path}: {exc}") from exc


def validate_small(path: Path, schema_path: Path, encoding_fallback: str | None = None) -> None:
    """Validate a whole file with xmlschema; SchemaError names the first error's line and path."""
    import xmlschema

    from exchange.importers.xml_source import check_prolog, detect_encoding

    encoding = detect_encoding(path, encoding_fallback)
    check_prolog(path, encoding)
    try:
        schema = xmlschema.XMLSchema(str(schema_path), allow="local")
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise ConfigError(f"cannot load schema {schema_path}: {exc}") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, encoding=encoding.override)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(f"not well-formed XML: {exc.msg}", file=str(path),
                             line=exc.lineno) from exc
    try:
        # an lxml tree, so that each error knows its element's source line
        errors = list(schema.iter_errors(tree))
    except xmlschema.XMLSchemaException as exc:
        raise SchemaError(str(exc), file=str(path)) from exc
    if errors:
        first = errors[0]
        line = getattr(first, "sourceline", None)
        where = first.path or ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SchemaError(f"{where}: {first.reason}{more}", file=str(path), line=line,
                          field=None)


def prepare_validation(path: Path, schema_path: Path,
                       encoding_fallback: str | None = None) -> etree.XMLSchema | None:
    """Validate a small file now; for a big one return the lxml schema to validate while reading."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise XmlSyntaxError(f"cannot read the file: {exc}", file=str(path)) from exc
    if size > STREAMING_THRESHOLD:
        return load_lxml_schema(schema_path)
    validate_small(path, schema_path, encoding_fallback)
    return None
