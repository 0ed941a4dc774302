"""Hardened streaming XML source: yields record elements one by one, clearing what was read.

The parser loads no DTD, resolves no entities, touches no network and keeps libxml2's size limits
(``huge_tree`` off). A file whose prolog declares a DOCTYPE or ENTITY is rejected before parsing
(XXE, billion laughs). Encodings: a BOM or the XML declaration is honoured by libxml2; a file with
neither that is not valid UTF-8 is read in the profile's ``encoding_fallback`` (e.g. windows-1250),
or rejected with the line of the first bad byte — never silently turned into mojibake.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from exchange.errors import XmlSyntaxError

_HEAD_BYTES = 1 << 20
_DECL_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class SourceEncoding:
    """How a file's bytes are decoded: ``declared`` by BOM/declaration, else detected or fallback."""

    name: str
    how: str  # "bom" | "declared" | "utf-8" | "fallback"
    override: str | None  # passed to libxml2 when the file itself does not say


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag.rsplit(":", 1)[-1]


def split_record_path(path: str) -> tuple[str, ...]:
    """``/dat:dataPack/ord:order`` → ``("dataPack", "order")`` (matched on local names)."""
    return tuple(_local(step) for step in path.strip("/").split("/") if step)


def detect_encoding(path: Path, fallback: str | None) -> SourceEncoding:
    """Decide how to decode ``path``; XmlSyntaxError when undeclared, not UTF-8 and no fallback."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return SourceEncoding(name, "bom", None)
    match = _DECL_RE.match(head)
    if match:
        declared = match.group(1).decode("ascii")
        try:
            codecs.lookup(declared)
        except LookupError:
            raise XmlSyntaxError(f"unknown encoding {declared!r} in the XML declaration",
                                 file=str(path), line=1) from None
        return SourceEncoding(declared, "declared", None)
    bad_line = _first_non_utf8_line(path)
    if bad_line is None:
        return SourceEncoding("utf-8", "utf-8", None)
    if fallback:
        return SourceEncoding(fallback, "fallback", fallback)
    raise XmlSyntaxError(
        "the file declares no encoding and is not valid UTF-8; add an XML declaration or set "
        "encoding_fallback in the profile", file=str(path), line=bad_line)


def _first_non_utf8_line(path: Path) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk.count(b"\n", 0, exc.start)
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def check_prolog(path: Path, encoding: SourceEncoding) -> None:
    """Reject a DOCTYPE or ENTITY declaration before the root element (XXE, billion laughs)."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    codec = encoding.name if encoding.name.lower().startswith(("utf-16", "utf-32")) else "latin-1"
    text = head.decode(codec, errors="replace").lstrip("\ufeff")
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0:
            if len(head) >= _HEAD_BYTES:
                raise XmlSyntaxError("the XML prolog is too long", file=str(path), line=1)
            return
        if text.startswith("<?", start):
            end = text.find("?>", start)
            pos = end + 2 if end >= 0 else len(text)
        elif text.startswith("<!--", start):
            end = text.find("-->", start)
            pos = end + 3 if end >= 0 else len(text)
        elif text.startswith(("<!DOCTYPE", "<!ENTITY", "<!doctype"), start):
            line = text.count("\n", 0, start) + 1
            raise XmlSyntaxError("DOCTYPE/ENTITY declarations are not allowed (XXE protection)",
                                 file=str(path), line=line)
        else:
            return


def iter_elements(path: Path, record_paths: tuple[str, ...], *, encoding_fallback: str | None = None,
                  schema: etree.XMLSchema | None = None) -> Iterator[etree._Element]:
    """Yield each record element (matching one of ``record_paths`` on local names), then clear it.

    Raises:
        XmlSyntaxError: not well-formed, hostile, or undecodable — possibly after records were yielded.
        SchemaError: with ``schema``, the file does not validate (reported when the parse ends).
    """
    from exchange.errors import SchemaError

    try:
        encoding = detect_encoding(path, encoding_fallback)
        check_prolog(path, encoding)
    except OSError as exc:
        raise XmlSyntaxError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    targets = {split_record_path(p) for p in record_paths}
    tags = sorted({f"{{*}}{t[-1]}" for t in targets if t})
    depths = {len(t) for t in targets}
    kwargs: dict[str, object] = {}
    if encoding.override:
        kwargs["encoding"] = encoding.override
    if schema is not None:
        kwargs["schema"] = schema
    try:
        context = etree.iterparse(
            str(path), events=("end",), tag=tags, resolve_entities=False, no_network=True,
            load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
            remove_pis=True, remove_blank_text=True, collect_ids=False, **kwargs,
        )
    except (OSError, LookupError) as exc:
        raise XmlSyntaxError(f"cannot open the file: {exc}", file=str(path)) from exc
    try:
        last_parent: etree._Element | None = None  # parent of the last matched record
        last_tag = ""
        for _event, elem in context:
            parent = elem.getparent()
            if parent is not None and parent is last_parent and elem.tag == last_tag:
                # Same parent as the previous record: its ancestry already matched.
                yield elem
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:
                    del parent[0]
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
    except etree.XMLSchemaError as exc:
        raise SchemaError(f"schema validation failed: {exc}", file=str(path)) from exc
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg or str(exc)
        if schema is not None and any(e.domain_name.startswith("SCHEMAS") for e in exc.error_log):
            # libxml2's streaming validation gives no line; the message names the element
            raise SchemaError(f"fails the schema: {message}", file=str(path), line=line) from exc
        raise XmlSyntaxError(f"not well-formed XML: {message}", file=str(path), line=line) from exc
    except (OSError, UnicodeError, LookupError) as exc:
        raise XmlSyntaxError(f"cannot read the file: {exc}", file=str(path)) from exc
