"""Hardened streaming XML: yields the record elements of a source file one by one, clearing what was read.

The parser loads no DTD, resolves no entities, touches no network and keeps libxml2's size limits
(``huge_tree`` off); the source file's prolog verdict (no DOCTYPE, no ENTITY) and encoding come from
:class:`~exchange.importers.read.source.SourceFile`. lxml's errors are translated by
:mod:`exchange.importers.read.lxml_errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from exchange.errors import XmlSyntaxError
from exchange.importers.read.lxml_errors import CAUGHT, translate
from exchange.importers.read.repair import AmpersandRepair, RepairLog
from exchange.importers.read.source import SourceFile, refuse_dtd


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag.rsplit(":", 1)[-1]


def split_record_path(path: str) -> tuple[str, ...]:
    """``/dat:dataPack/ord:order`` → ``("dataPack", "order")`` (matched on local names)."""
    return tuple(_local(step) for step in path.strip("/").split("/") if step)


def iter_elements(source: SourceFile | Path, record_paths: tuple[str, ...], *,
                  encoding_fallback: str | None = None, schema: etree.XMLSchema | None = None,
                  stream: BinaryIO | None = None,
                  repairs: RepairLog | None = None) -> Iterator[etree._Element]:
    """Yield each record element (matching one of ``record_paths`` on local names), then clear it.

    ``stream`` is the file's content when the caller already holds it (else the file is opened).
    With ``repairs`` (a profile's ``recover: true``), the file is read through
    :class:`~exchange.importers.read.repair.AmpersandRepair`, which logs each repair there.

    Raises:
        XmlSyntaxError: not well-formed, hostile, or undecodable — possibly after records were yielded.
        SchemaError: with ``schema``, the file does not validate (reported when the parse ends).
    """
    if not isinstance(source, SourceFile):
        source = SourceFile.scan(source, encoding_fallback=encoding_fallback)
    encoding = source.require_sound()
    file = str(source.path)
    targets = {split_record_path(p) for p in record_paths}
    tags = sorted({f"{{*}}{t[-1]}" for t in targets if t})
    depths = {len(t) for t in targets}
    kwargs: dict[str, object] = {}
    if encoding.override:
        kwargs["encoding"] = encoding.override
    if schema is not None:
        kwargs["schema"] = schema
    fh: BinaryIO = stream if stream is not None else source.open()
    if repairs is not None and not encoding.name.lower().replace("_", "-").startswith(
            ("utf-16", "utf-32", "utf16", "utf32")):
        fh = AmpersandRepair(fh, repairs)  # type: ignore[assignment]
    try:
        try:
            context = etree.iterparse(
                fh, events=("end",), tag=tags, resolve_entities=False, no_network=True,
                load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
                remove_pis=True, remove_blank_text=True, collect_ids=False, **kwargs,
            )
        except LookupError as exc:
            raise XmlSyntaxError(f"cannot open the file: {exc}", file=file) from exc
        yield from _records(context, targets, depths, file)
        if context.root is not None:  # no record at all: what the whole parse saw
            refuse_dtd(context.root.getroottree(), file)
    except CAUGHT as exc:
        raise translate(exc, file=file, schema_in_use=schema is not None) from exc
    except (OSError, UnicodeError, LookupError) as exc:
        raise XmlSyntaxError(f"cannot read the file: {exc}", file=file) from exc
    finally:
        fh.close()


def _records(context: etree.iterparse, targets: set[tuple[str, ...]], depths: set[int],
             file: str) -> Iterator[etree._Element]:
    last_parent: etree._Element | None = None  # parent of the last matched record
    last_tag = ""
    checked = False
    for _event, elem in context:
        if not checked:  # the prolog is parsed by now: refuse a DTD before the first record
            refuse_dtd(elem.getroottree(), file)
            checked = True
        parent = elem.getparent()
        if parent is not None and parent is last_parent and elem.tag == last_tag:
            # Same parent as the previous record: its ancestry already matched.
            yield elem
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:
                del last_parent[0]
            continue
        ancestors: list[etree._Element] = []
        node = parent
        while node is not None:
            ancestors.append(node)
            node = node.getparent()
        if len(ancestors) + 1 not in depths:
            continue
        steps = (*(_local(a.tag) for a in reversed(ancestors)), _local(elem.tag))
        if steps not in targets:
            continue
        last_parent, last_tag = parent, elem.tag
        yield elem
        # Free memory: the record and every finished sibling before it, at each level.
        elem.clear(keep_tail=False)
        node = elem
        for anc in ancestors:
            while node.getprevious() is not None:
                del anc[0]
            node = anc
