"""What a file holds, from its first elements: the kind to read it as, or why it has nothing to import.

A file that yields no record is never a silent "0 imported". :func:`refuse_empty` looks at the
file's outline (the local names of its first elements): a root that none of the asked kind's record
paths start with is a file of another kind ("the root is SHOP: this looks like products; use --as
products"), a POHODA response with ``state="error"`` is that error with its note, an HTML page is a
web page, and an export of the right kind with no documents in it says so. :func:`detect_kind` picks
the kind for an import given no ``--as``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from exchange.errors import FileKindError
from exchange.importers.read.elements import split_record_path
from exchange.importers.read.source import SourceFile
from exchange.profiles import DocumentKind, Profile

_OUTLINE_ELEMENTS = 400  # start tags looked at; envelopes and the first record are well within
_OUTLINE_DEPTH = 5
# roots every profile may meet, with the kind they hold (when no profile kind claims them)
_KNOWN_ROOTS = {"SHOP": DocumentKind.PRODUCTS, "ORDERS": DocumentKind.ORDERS,
                "products": DocumentKind.PRODUCTS, "orders": DocumentKind.ORDERS}
_POHODA_ITEMS = {"order": DocumentKind.ORDERS, "listOrder": DocumentKind.ORDERS,
                 "invoice": DocumentKind.INVOICES, "listInvoice": DocumentKind.INVOICES,
                 "stock": DocumentKind.PRODUCTS, "listStock": DocumentKind.PRODUCTS}


@dataclass
class Outline:
    """The root and the element paths (local names) seen at the start of a file."""

    root: str = ""
    paths: set[tuple[str, ...]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # state="error" answers with their notes


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def outline(source: SourceFile) -> Outline:
    """The file's first elements, read with the same hardened parser settings as the import."""
    found = Outline()
    encoding = source.require_sound()
    kwargs: dict[str, object] = {"encoding": encoding.override} if encoding.override else {}
    stack: list[str] = []
    with source.open() as fh:
        context = etree.iterparse(fh, events=("start", "end"), resolve_entities=False,
                                  no_network=True, load_dtd=False, huge_tree=False,
                                  recover=True, **kwargs)
        seen = 0
        try:
            for event, elem in context:
                if event == "end":
                    stack.pop()
                    continue
                name = _local(elem.tag)
                stack.append(name)
                if not found.root:
                    found.root = name
                if len(stack) <= _OUTLINE_DEPTH:
                    found.paths.add(tuple(stack))
                if elem.get("state") == "error":
                    note = elem.get("note") or ""
                    found.errors.append(f"{name}: {note}" if note else name)
                seen += 1
                if seen >= _OUTLINE_ELEMENTS:
                    break
        except etree.LxmlError:
            pass  # the outline is a best effort; the import reported the real syntax error
    return found


def _holds(paths: set[tuple[str, ...]], record_path: str) -> bool:
    """True when the outline has the record path, or the envelope it sits in."""
    steps = split_record_path(record_path)
    return steps in paths or (len(steps) > 1 and steps[:-1] in paths)


def kinds_in(found: Outline, profile: Profile) -> list[DocumentKind]:
    """The kinds of ``profile`` whose record paths (or their envelopes) the outline has."""
    return [kind for kind, mapping in profile.kinds.items()
            if any(_holds(found.paths, p) for p in mapping.records)]


def _looks_like(found: Outline, profile: Profile) -> DocumentKind | None:
    for kind, mapping in profile.kinds.items():
        if any(split_record_path(p) in found.paths for p in mapping.records):
            return kind
    pohoda = [k for path in found.paths if len(path) >= 2 and path[0] in ("responsePack", "dataPack")
              for name, k in _POHODA_ITEMS.items() if name in path[1:]]
    if pohoda:
        return pohoda[0]
    return _KNOWN_ROOTS.get(found.root)


def detect_kind(source: SourceFile, profile: Profile) -> DocumentKind:
    """The kind a file holds, by its root and the profile's record paths.

    Raises:
        FileKindError: no kind of the profile fits, or several do.
    """
    found = outline(source)
    if found.errors:
        raise _error_answer(found, str(source.path))
    complete = [kind for kind, mapping in profile.kinds.items()
                if any(split_record_path(p) in found.paths for p in mapping.records)]
    candidates = complete or kinds_in(found, profile)
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(k.value for k in profile.kinds)
    if not candidates:
        guess = _looks_like(found, profile)
        hint = f"; it looks like {guess.value}" if guess else ""
        raise FileKindError(f"the root is {found.root or 'missing'}: profile {profile.name!r} "
                            f"reads no kind from it ({known}){hint}", file=str(source.path))
    names = ", ".join(k.value for k in candidates)
    raise FileKindError(f"the file could hold {names}; say which with --as",
                        file=str(source.path))


def _error_answer(found: Outline, file: str | None = None) -> FileKindError:
    return FileKindError("the file is an error answer (state=\"error\"), not documents: "
                         + "; ".join(found.errors), file=file)


def refuse_empty(source: SourceFile, profile: Profile, kind: DocumentKind) -> FileKindError:
    """Why a file gave no record of ``kind``: an error answer, another kind, a web page, or empty."""
    found = outline(source)
    file = str(source.path)
    if found.errors:
        return _error_answer(found, file)
    if found.root.casefold() == "html":
        return FileKindError("the file is an HTML page, not an export (the root is html)", file=file)
    request = next((name for path in found.paths for name in path if name.endswith("Request")),
                   None)
    if request is not None:
        return FileKindError(f"the file is a request for data ({request}), not data", file=file)
    mapping = profile.mapping(kind)
    if any(_holds(found.paths, p) for p in mapping.records):
        return FileKindError(f"the file holds no {kind.value}: the {found.root} export is empty",
                             file=file)
    guess = _looks_like(found, profile)
    if guess is not None and guess is not kind:
        return FileKindError(f"the root is {found.root}: this looks like {guess.value}; "
                             f"use --as {guess.value}", file=file)
    paths = ", ".join(mapping.records)
    return FileKindError(f"the root is {found.root or 'missing'}: none of the {kind.value} record "
                         f"paths ({paths}) is in the file", file=file)
