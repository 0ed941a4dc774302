"""The source file, read once: size, sha256, line count, encoding and prolog verdict in one pass.

:meth:`SourceFile.scan` reads the file a block at a time and finds everything the import needs to
know before parsing: its size, its sha256 (or takes the one a download already computed), its number
of lines (to estimate progress from a record's line), how its bytes are decoded and whether its
prolog is acceptable. Encodings: a BOM or the XML declaration is honoured by libxml2; UTF-16 and
UTF-32 without a BOM are told by the bytes of ``<?x`` (XML 1.0 appendix F), as libxml2 tells them,
and a declaration that names another encoding family is refused; a file with none of these that is
not valid UTF-8 is read in the profile's ``encoding_fallback`` (e.g. windows-1250), or refused with
the line of the first bad byte — never silently turned into mojibake. A prolog that declares a
DOCTYPE or ENTITY is refused before parsing (XXE, billion laughs), read in the encoding found; the
parsers check once more what libxml2 itself saw (:func:`refuse_dtd`), so no guess decides alone.

The verdict is kept, not raised, so that a refused file still has its size and sha256 for the
report; :meth:`SourceFile.require_sound` raises it when reading starts. Parsing then opens the file
once more (:meth:`SourceFile.open`): two opens per import.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from exchange.errors import XmlSyntaxError

if TYPE_CHECKING:
    from lxml import etree

HEAD_BYTES = 1 << 20
_BLOCK = 1 << 20
_DECL_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECL_TEXT_RE = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
#: XML 1.0 appendix F: the first four bytes of ``<?xm`` without a byte order mark.
_NO_BOM: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
#: Byte orders and encodings of appendix F that no shop sends: refused, never guessed.
_UNUSUAL: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00<\x00", "UCS-4 in the byte order 2143"),
    (b"\x00<\x00\x00", "UCS-4 in the byte order 3412"),
    (b"Lo\xa7\x94", "EBCDIC"),
)
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
    how: str  # "bom" | "detected" | "declared" | "utf-8" | "fallback"
    override: str | None  # passed to libxml2 when the file itself does not say


@dataclass(frozen=True)
class SourceFile:
    """What one pass over an input file found; ``problem`` is why it must be refused, if it must."""

    path: Path
    size: int
    sha256: str
    lines: int
    encoding: SourceEncoding | None
    problem: XmlSyntaxError | None = None

    @classmethod
    def scan(cls, path: str | Path, *, encoding_fallback: str | None = None,
             sha256: str | None = None) -> SourceFile:
        """Read ``path`` once; ``sha256`` given (by a download) is trusted instead of recomputed.

        Raises:
            XmlSyntaxError: the file cannot be read at all.
        """
        path = Path(path)
        digest = None if sha256 else hashlib.sha256()
        size = newlines = 0
        head = b""
        utf8: _Utf8Check | None = None
        try:
            with path.open("rb") as fh:
                while block := fh.read(_BLOCK):
                    if digest is not None:
                        digest.update(block)
                    if not size:
                        head = block[:HEAD_BYTES]
                        if not _declares_encoding(head):
                            utf8 = _Utf8Check()
                    if utf8 is not None:
                        utf8.feed(block)
                    size += len(block)
                    newlines += block.count(b"\n")
        except OSError as exc:
            raise XmlSyntaxError(f"cannot read the file: {exc.strerror or exc}",
                                 file=str(path)) from exc
        encoding: SourceEncoding | None = None
        problem: XmlSyntaxError | None = None
        try:
            encoding = _encoding(path, head, utf8, encoding_fallback)
            _check_prolog(path, head, encoding, complete=size <= len(head))
        except XmlSyntaxError as exc:
            problem = exc
        return cls(path, size, sha256 or (digest.hexdigest() if digest else ""), newlines + 1,
                   encoding, problem)

    def require_sound(self) -> SourceEncoding:
        """The encoding to parse with; raises the verdict when the file must be refused."""
        if self.problem is not None:
            raise self.problem
        assert self.encoding is not None  # scan sets one of the two
        return self.encoding

    def open(self) -> BinaryIO:
        """The file, opened for parsing."""
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise XmlSyntaxError(f"cannot read the file: {exc.strerror or exc}",
                                 file=str(self.path)) from exc


class _Utf8Check:
    """Incremental UTF-8 validation that remembers the line of the first bad byte."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._line = 1
        self.bad_line: int | None = None

    def feed(self, block: bytes) -> None:
        if self.bad_line is not None:
            return
        try:
            self._decoder.decode(block)
        except UnicodeDecodeError as exc:
            self.bad_line = self._line + block.count(b"\n", 0, exc.start)
            return
        self._line += block.count(b"\n")

    def finish(self) -> int | None:
        if self.bad_line is None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.bad_line = self._line
        return self.bad_line


def _declares_encoding(head: bytes) -> bool:
    starts = tuple(bom for bom, _ in (*_BOMS, *_NO_BOM, *_UNUSUAL))
    return head.startswith(starts) or _DECL_RE.match(head) is not None


def _family(name: str) -> str:
    """"utf-16" for any UTF-16 name, "utf-32" for UTF-32/UCS-4, else the name itself."""
    canonical = codecs.lookup(name).name
    if canonical.startswith("utf-16"):
        return "utf-16"
    if canonical.startswith("utf-32"):
        return "utf-32"
    return canonical


def _detected(path: Path, head: bytes, name: str) -> SourceEncoding:
    """UTF-16/32 without a BOM; its declaration, if any, must name the same encoding family."""
    usable = len(head) - len(head) % 4
    text = head[:usable].decode(name, errors="replace")
    match = _DECL_TEXT_RE.match(text)
    if match:
        declared = match.group(1)
        try:
            same = _family(declared) == _family(name)
        except LookupError:
            raise XmlSyntaxError(f"unknown encoding {declared!r} in the XML declaration",
                                 file=str(path), line=1) from None
        if not same:
            raise XmlSyntaxError(f"the XML declaration says {declared!r} but the file is "
                                 f"{name.upper()} (by its first bytes)", file=str(path), line=1)
    return SourceEncoding(name, "detected", None)


def _encoding(path: Path, head: bytes, utf8: _Utf8Check | None,
              fallback: str | None) -> SourceEncoding:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return SourceEncoding(name, "bom", None)
    for start, what in _UNUSUAL:
        if head.startswith(start):
            raise XmlSyntaxError(f"the file is in {what}: not supported, send UTF-8 or UTF-16",
                                 file=str(path), line=1)
    for start, name in _NO_BOM:
        if head.startswith(start):
            return _detected(path, head, name)
    match = _DECL_RE.match(head)
    if match:
        declared = match.group(1).decode("ascii")
        try:
            codecs.lookup(declared)
        except LookupError:
            raise XmlSyntaxError(f"unknown encoding {declared!r} in the XML declaration",
                                 file=str(path), line=1) from None
        return SourceEncoding(declared, "declared", None)
    bad_line = utf8.finish() if utf8 is not None else None
    if bad_line is None:
        return SourceEncoding("utf-8", "utf-8", None)
    if fallback:
        return SourceEncoding(fallback, "fallback", fallback)
    raise XmlSyntaxError(
        "the file declares no encoding and is not valid UTF-8; add an XML declaration or set "
        "encoding_fallback in the profile", file=str(path), line=bad_line)


def _check_prolog(path: Path, head: bytes, encoding: SourceEncoding, *, complete: bool) -> None:
    """Refuse a DOCTYPE or ENTITY declaration before the root element (XXE, billion laughs)."""
    wide = encoding.name.lower().replace("_", "-").startswith(("utf-16", "utf-32"))
    codec = encoding.name if wide else "latin-1"
    if wide:
        head = head[:len(head) - len(head) % 4]
    text = head.decode(codec, errors="replace").lstrip("\ufeff")
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0:
            if not complete:
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


def refuse_dtd(tree: etree._ElementTree, file: str) -> None:
    """Refuse a document in which libxml2 saw a DOCTYPE: an internal subset (entities), an external
    DTD or its system/public id — whatever encoding the prolog check believed the file was in."""
    info = tree.docinfo
    doctype = str(getattr(info, "doctype", ""))  # not in lxml-stubs
    if (doctype or info.internalDTD is not None or info.externalDTD is not None
            or info.system_url or info.public_id):
        raise XmlSyntaxError("DOCTYPE/ENTITY declarations are not allowed (XXE protection); "
                             "the parser found one", file=file, line=1)
