"""Profile paths compiled into a one-pass extractor over a record element's children.

Simple child paths (``CUSTOMER/BILLING_ADDRESS/NAME``, ``ord:orderHeader/ord:date``, ``@id``) are
merged into one trie and read in a single walk over the record's subtree, matching element names on
their local part — so a POHODA file with or without namespaces reads the same. Paths that need real
XPath (predicates, functions, ``//``) are compiled once with the profile's namespaces and evaluated
per record. Repeated groups (order lines, variants) become lists of dicts.

The result of :meth:`Extractor.extract` maps each key to the stripped text (``""`` for an empty
element); a key is absent when its element was not found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

LINE_KEY = "\0line"
_SIMPLE_STEP = re.compile(r"^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def is_simple(path: str) -> bool:
    """True when ``path`` is a plain child path, optionally ending in ``@attribute``."""
    steps = path.split("/")
    last = steps[-1]
    if last.startswith("@"):
        steps = steps[:-1]
        if not _SIMPLE_STEP.match(last[1:]):
            return False
    return all(_SIMPLE_STEP.match(s) for s in steps)


def _strip_prefix(step: str) -> str:
    return step.rsplit(":", 1)[-1]


_SKIP, _LEAF, _BRANCH, _REPEAT, _GENERAL = range(5)


@dataclass
class _Node:
    """One trie level: which child tags matter and what to do with them."""

    children: dict[str, _Node] = field(default_factory=dict)  # by local name
    key: str | None = None  # text of this element goes to this key
    attrs: list[tuple[str, str]] = field(default_factory=list)  # (attribute local name, key)
    repeat: str | None = None  # each occurrence becomes a dict appended to this key
    item: _Node | None = None  # the trie inside one repeated occurrence
    item_xpaths: list[tuple[str, etree.XPath]] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (key read, key copied to)
    # exact tag (with or without namespace) → (action, key, node): filled lazily while reading
    cache: dict[Any, tuple[int, str | None, _Node | None]] = field(default_factory=dict)

    def entry(self, tag: Any) -> tuple[int, str | None, _Node | None]:
        """How to treat a child with this exact tag (computed once per distinct tag)."""
        sub = self.children.get(_local(tag)) if isinstance(tag, str) else None
        if sub is None:
            found: tuple[int, str | None, _Node | None] = (_SKIP, None, None)
        elif sub.repeat is not None:
            found = (_REPEAT, sub.repeat, sub)
        elif sub.attrs or (sub.key is not None and sub.children):
            found = (_GENERAL, sub.key, sub)
        elif sub.children:
            found = (_BRANCH, None, sub)
        else:
            found = (_LEAF, sub.key, sub)
        self.cache[tag] = found
        return found


@dataclass(frozen=True)
class Group:
    """A repeated child group: its path and the keys → paths inside one occurrence."""

    path: str
    fields: Mapping[str, str]
    groups: Mapping[str, Group] = field(default_factory=dict)


def _add_simple(root: _Node, path: str, key: str) -> None:
    steps = path.split("/")
    attr = steps.pop()[1:] if steps[-1].startswith("@") else None
    node = root
    for step in steps:
        node = node.children.setdefault(_strip_prefix(step), _Node())
    if attr is not None:
        node.attrs.append((_strip_prefix(attr), key))
    else:
        node.key = key


def _compile(fields: Mapping[str, str], groups: Mapping[str, Group],
             namespaces: Mapping[str, str]) -> tuple[_Node, list[tuple[str, etree.XPath]]]:
    root = _Node()
    xpaths: list[tuple[str, etree.XPath]] = []
    seen: dict[str, str] = {}
    for key, path in fields.items():
        if not path:
            continue
        if path in seen:
            # two keys read the same element: read it once and copy it (see _copy_aliases)
            root.aliases.append((seen[path], key))
            continue
        seen[path] = key
        if is_simple(path):
            _add_simple(root, path, key)
        else:
            xpaths.append((key, etree.XPath(path, namespaces=dict(namespaces))))
    for key, group in groups.items():
        item, item_xpaths = _compile(group.fields, group.groups, namespaces)
        if not is_simple(group.path):
            raise ValueError(f"a repeated group path must be a plain child path: {group.path!r}")
        node = root
        for step in group.path.split("/"):
            node = node.children.setdefault(_strip_prefix(step), _Node())
        node.repeat = key
        node.item = item
        node.item_xpaths = item_xpaths
    return root, xpaths


def _xpath_text(result: Any) -> str | None:
    if isinstance(result, list):
        if not result:
            return None
        result = result[0]
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, float):
        if result != result:  # NaN: XPath's number() of nothing
            return ""
        return format(round(result, 6), "f").rstrip("0").rstrip(".")
    if isinstance(result, str):
        return result.strip()
    text = getattr(result, "text", None)
    return text.strip() if text else ""


def _walk(elem: etree._Element, node: _Node, out: dict[str, Any]) -> None:
    cache = node.cache
    for child in elem:
        tag = child.tag
        entry = cache.get(tag)
        if entry is None:
            entry = node.entry(tag)
        action, key, sub = entry
        if action == _LEAF:
            text = child.text
            out.setdefault(key, text.strip() if text else "")  # type: ignore[arg-type]
        elif action == _BRANCH:
            _walk(child, sub, out)  # type: ignore[arg-type]
        elif action == _REPEAT:
            _repeat(child, sub, out)  # type: ignore[arg-type]
        elif action == _GENERAL:
            if key is not None and key not in out:
                text = child.text
                out[key] = text.strip() if text else ""
            for attr, akey in sub.attrs:  # type: ignore[union-attr]
                _put_attr(child, attr, akey, out)
            if sub.children:  # type: ignore[union-attr]
                _walk(child, sub, out)  # type: ignore[arg-type]


def _repeat(child: etree._Element, sub: _Node, out: dict[str, Any]) -> None:
    item: dict[str, Any] = {LINE_KEY: child.sourceline}
    item_node = sub.item
    if item_node is not None:
        for attr, key in item_node.attrs:
            _put_attr(child, attr, key, item)
        _walk(child, item_node, item)
    for key, xp in sub.item_xpaths:
        value = _xpath_text(xp(child))
        if value is not None:
            item.setdefault(key, value)
    if item_node is not None and item_node.aliases:
        _copy_aliases(item_node.aliases, item)
    bucket = out.get(sub.repeat)  # type: ignore[arg-type]
    if bucket is None:
        out[sub.repeat] = [item]  # type: ignore[index]
    else:
        bucket.append(item)


def _copy_aliases(aliases: list[tuple[str, str]], out: dict[str, Any]) -> None:
    for source, target in aliases:
        if source in out and target not in out:
            out[target] = out[source]


def _put_attr(elem: etree._Element, attr: str, key: str, out: dict[str, Any]) -> None:
    if key in out:
        return
    value = elem.get(attr)
    if value is None:
        for name, val in elem.attrib.items():
            if _local(str(name)) == attr:
                value = str(val)
                break
    if value is not None:
        out[key] = value.strip()


class Extractor:
    """Reads every mapped key of a record in one pass (plus compiled XPath for complex paths)."""

    def __init__(self, fields: Mapping[str, str], groups: Mapping[str, Group] | None = None,
                 namespaces: Mapping[str, str] | None = None) -> None:
        self._root, self._xpaths = _compile(fields, groups or {}, namespaces or {})

    def extract(self, record: etree._Element) -> dict[str, Any]:
        """A dict of key → stripted text (and key → list of dicts for groups)."""
        out: dict[str, Any] = {}
        for attr, key in self._root.attrs:
            _put_attr(record, attr, key, out)
        _walk(record, self._root, out)
        for key, xp in self._xpaths:
            value = _xpath_text(xp(record))
            if value is not None and key not in out:
                out[key] = value
        if self._root.aliases:
            _copy_aliases(self._root.aliases, out)
        return out
