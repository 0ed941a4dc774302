"""Validating ERP output against the official XSDs: the compiled schemas and a document in memory.

A POHODA pack is checked item by item as it is written (``pohoda.ItemCheck``, with
:func:`load_item_schema`); an ISDOC invoice whole, before it is written (:func:`validate_tree`).

The schemas are not shipped with `exchange` (they are Stormware's and ICT Unie's files): POHODA
installs its own under ``Info/Schéma``, and ISDOC's are published with the standard. Their folder
comes from ``handoff: pohoda_xsd / isdoc_xsd`` in exchange.yaml, ``--xsd``, or the environment
(``EXCHANGE_POHODA_XSD``, ``EXCHANGE_ISDOC_XSD``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from exchange.errors import ConfigError, SchemaError

ROOT_SCHEMAS = {"pohoda": "data.xsd", "isdoc": "isdoc-invoice-6.0.2.xsd"}
_ENV = {"pohoda": "EXCHANGE_POHODA_XSD", "isdoc": "EXCHANGE_ISDOC_XSD"}


def schema_dir(fmt: str, configured: str | Path | None = None) -> Path:
    """The folder of a format's XSDs: as configured, else from the environment.

    Raises:
        ConfigError: none given, or the folder lacks the root schema.
    """
    where = configured or os.environ.get(_ENV[fmt])
    if not where:
        raise ConfigError(
            f"the {fmt} XSDs are needed to validate what is written: give --xsd DIR, set "
            f"handoff.{fmt}_xsd in exchange.yaml or {_ENV[fmt]} (the folder holding "
            f"{ROOT_SCHEMAS[fmt]})")
    folder = Path(where)
    if not (folder / ROOT_SCHEMAS[fmt]).is_file():
        raise ConfigError(f"{folder}: no {ROOT_SCHEMAS[fmt]} there (the {fmt} XSD folder)")
    return folder


@lru_cache(maxsize=8)
def load_schema(fmt: str, folder: str) -> Any:
    """The compiled XMLSchema of a format (cached per folder)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    path = Path(folder) / ROOT_SCHEMAS[fmt]
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError(f"{path}: not a usable XSD: {exc}") from exc


_XSD = "http://www.w3.org/2001/XMLSchema"


@lru_cache(maxsize=8)
def load_item_schema(folder: str, element: str = "dataPackItem",
                     type_name: str = "dat:dataPackItemType") -> Any:
    """POHODA's data.xsd as it is, with ``element`` also declared at the top (of its named type).

    It validates one pack item as a document of its own against the official content model, so a
    pack is checked item by item without building a pack around each (cached per folder).
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    path = Path(folder) / ROOT_SCHEMAS["pohoda"]
    try:
        tree = etree.parse(str(path), parser)  # keeps its URL: the imports resolve beside it
        etree.SubElement(tree.getroot(), f"{{{_XSD}}}element", name=element, type=type_name)
        return etree.XMLSchema(tree)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError(f"{path}: not a usable XSD: {exc}") from exc


def validate_tree(tree: Any, schema: Any, *, shown_as: str, line: int | None = None) -> None:
    """Validate one document held in memory (an ISDOC invoice before it is written).

    Raises:
        SchemaError: its first problem, with the line in the document's own text.
    """
    if schema.validate(tree):
        return
    error = schema.error_log[0]
    at = error.line if line is None else line
    raise SchemaError(error.message, file=shown_as, line=at)
