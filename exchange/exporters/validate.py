"""Checking a rendered feed against its XSD before it is published, streaming, in flat memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from exchange.errors import ConfigError, SchemaError
from exchange.resources import schemas_dir

LOCATE_MAX_BYTES = 50 * 1024 * 1024


def resolve_schema(name: str, profile_path: Path | None) -> Path:
    """A schema named by a feed: beside the profile first, then among the bundled ``schemas/``."""
    candidates = [Path(name)] if Path(name).is_absolute() else []
    if profile_path is not None:
        candidates.append(profile_path.parent / name)
    candidates.append(schemas_dir() / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(f"schema {name!r} not found (looked in {', '.join(map(str, candidates))})")


def validate_feed(feed: Path, schema: Path, *, display_name: str) -> None:
    """Raise SchemaError (with the line) when ``feed`` does not validate against ``schema``."""
    try:
        xsd = etree.XMLSchema(etree.parse(str(schema)))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"schema {schema} cannot be used: {exc}") from exc
    parser_args = {"schema": xsd, "resolve_entities": False, "no_network": True, "huge_tree": True}
    try:
        for _event, element in etree.iterparse(str(feed), events=("end",), **parser_args):
            parent = element.getparent()
            if parent is not None and parent.getparent() is None:  # an item under the root: done
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line, message = _locate(feed, xsd) or (exc.lineno or None, exc.msg)
        raise SchemaError(f"the feed does not validate against {schema.name}: {message}",
                          file=display_name, line=line) from exc


def _locate(feed: Path, xsd: etree.XMLSchema) -> tuple[int, str] | None:
    """The line and message of the first error (streaming validation reports none): a second, tree
    validation, done only for feeds small enough to hold in memory."""
    if feed.stat().st_size > LOCATE_MAX_BYTES:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        tree = etree.parse(str(feed), parser)
    except etree.XMLSyntaxError as exc:
        return (exc.lineno, exc.msg) if exc.lineno else None
    if xsd.validate(tree):
        return None
    errors: list[Any] = list(xsd.error_log)  # type: ignore[call-overload]  # stubs leave it opaque
    if not errors:
        return None
    return int(errors[0].line), str(errors[0].message)
