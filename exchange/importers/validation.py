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


def validate_small(path: Path, schema_path: Path) -> None:
    """Validate a whole file with xmlschema; SchemaError names the first error's line and path."""
    import xmlschema

    from exchange.importers.xml_source import check_prolog, detect_encoding

    check_prolog(path, detect_encoding(path, None))
    try:
        schema = xmlschema.XMLSchema(str(schema_path))
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise ConfigError(f"cannot load schema {schema_path}: {exc}") from exc
    try:
        errors = list(schema.iter_errors(str(path)))
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(f"not well-formed XML: {exc.msg}", file=str(path),
                             line=exc.lineno) from exc
    except xmlschema.XMLSchemaException as exc:
        raise SchemaError(str(exc), file=str(path)) from exc
    except Exception as exc:  # ElementTree's ParseError and friends from xmlschema's own parser
        if exc.__class__.__name__ == "ParseError":
            line = getattr(exc, "position", (None,))[0]
            raise XmlSyntaxError(f"not well-formed XML: {exc}", file=str(path), line=line) from exc
        raise
    if errors:
        first = errors[0]
        line = getattr(first, "sourceline", None)
        where = first.path or ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SchemaError(f"{where}: {first.reason}{more}", file=str(path), line=line,
                          field=None)


def prepare_validation(path: Path, schema_path: Path) -> etree.XMLSchema | None:
    """Validate a small file now; for a big one return the lxml schema to validate while reading."""
    if path.stat().st_size > STREAMING_THRESHOLD:
        return load_lxml_schema(schema_path)
    validate_small(path, schema_path)
    return None
