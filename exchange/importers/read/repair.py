"""``recover: true``: a filtering reader that repairs raw ampersands while the file streams through.

Some emitters write text without escaping it (``<province>Tyne & Wear</province>``): the file is
not well-formed and is refused, with the line, by default. A profile that sets ``recover: true``
reads the file through :class:`AmpersandRepair` instead, which changes only

* an ``&`` that does not start a reference (``&amp;``, ``&lt;``, ``&#38;``, ``&name;`` …) outside
  CDATA sections, comments and processing instructions: it becomes ``&amp;``;
* the ``xsi`` prefix used without a declaration (.NET serialisers' ``xsi:nil``): the root element
  gets ``xmlns:xsi`` for the XML Schema instance namespace.

Every repair is logged with its line in a :class:`RepairLog`, and the read stage turns each into a
warning of the document it falls in. Nothing else is repaired: any other error still refuses the
file. The reader works a block at a time (a small tail is held back so that a reference or a
marker cut by the block boundary is seen whole), so memory stays flat on big files. It works on
ASCII-compatible encodings (UTF-8, windows-1250, ISO-8859-x); UTF-16/32 files are passed as they are.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

BLOCK = 1 << 16
_TAIL = 512  # bytes held back: longer than any reference or marker we look at
XSI_URI = b"http://www.w3.org/2001/XMLSchema-instance"
_REFERENCE = (rb"(?:amp|lt|gt|quot|apos|#[0-9]{1,10}|#x[0-9A-Fa-f]{1,8}"
              rb"|[A-Za-z_:][-A-Za-z0-9._:]{0,200});")
# a raw '&' (one that starts no reference: valid references never match, so the regex engine
# skips them) or the start of markup whose content is left alone
_RAW = rb"&(?!" + _REFERENCE + rb")|<!\[CDATA\[|<!--|<\?"
_NORMAL = re.compile(_RAW)
_RAW_AMP = re.compile(rb"&(?!" + _REFERENCE + rb")")
_XSI_USE = re.compile(rb"[\s<]xsi:")
_CLOSERS = {b"cdata": re.compile(rb"\]\]>"), b"comment": re.compile(rb"-->"),
            b"pi": re.compile(rb"\?>")}
_SKIPPED = ((b"<?", b"?>"), (b"<!--", b"-->"), (b"<!", b">"))  # before the root element
_ROOT_TAG = re.compile(rb"<([^\s/>]+)([^>]*)>")


@dataclass(frozen=True)
class Repair:
    """One repair: the line it was made on and what was done."""

    line: int
    what: str

    def warning(self) -> str:
        """The repair as a document warning."""
        return f"line {self.line}: {self.what} (recover: true)"


@dataclass
class RepairLog:
    """The repairs made so far, in file order, taken by the documents they fall in."""

    pending: deque[Repair] = field(default_factory=deque)
    total: int = 0

    def add(self, repair: Repair) -> None:
        """Log one repair (kept in line order: the xsi: report can come ahead of its block)."""
        if self.pending and self.pending[-1].line > repair.line:
            self.pending = deque(sorted([*self.pending, repair], key=lambda r: r.line))
        else:
            self.pending.append(repair)
        self.total += 1

    def take_until(self, line: int) -> list[str]:
        """The warnings of the repairs made up to ``line`` (inclusive), removed from the log."""
        taken: list[str] = []
        while self.pending and self.pending[0].line <= line:
            taken.append(self.pending.popleft().warning())
        return taken


class AmpersandRepair:
    """A binary file-like reader over ``raw`` that escapes raw ``&`` and logs each repair."""

    def __init__(self, raw: BinaryIO, log: RepairLog) -> None:
        self._raw = raw
        self._log = log
        self._buffer = b""  # read from raw, not yet scanned
        self._out = bytearray()  # scanned, not yet returned
        self._eof = False
        self._line = 1
        self._state = b"normal"
        self._root_done = False
        self._xsi_declared = False
        self._xsi_reported = False

    # -- the file-like interface lxml reads ---------------------------------------------------
    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` repaired bytes (all that is left for a negative size)."""
        while not self._eof and (size < 0 or len(self._out) < size):
            self._fill()
        if size < 0 or size >= len(self._out):
            data = bytes(self._out)
            self._out.clear()
            return data
        data = bytes(self._out[:size])
        del self._out[:size]
        return data

    def close(self) -> None:
        """Close the underlying file."""
        self._raw.close()

    # -- scanning --------------------------------------------------------------------------------
    def _fill(self) -> None:
        chunk = self._raw.read(BLOCK)
        if not chunk:
            self._eof = True
        data = self._buffer + chunk
        if not self._root_done:
            data = self._declare_xsi(data)
            if not self._root_done and not self._eof:
                self._buffer = data  # the root's start tag is not complete yet
                return
        cut = len(data) if self._eof else max(len(data) - _TAIL, 0)
        if not self._xsi_declared and not self._xsi_reported:
            self._report_xsi(data, cut)
        pos = self._scan(data, cut)  # copies data[:pos] to the output
        self._buffer = data[pos:]
        if self._eof and self._buffer:
            self._out += self._buffer
            self._buffer = b""

    def _scan(self, data: bytes, cut: int) -> int:
        """Copy ``data`` up to ``cut`` into the output with repairs; return where scanning stopped."""
        if (self._state == b"normal" and _RAW_AMP.search(data, 0, cut) is None
                and data.find(b"<!", 0, cut + 1) < 0 and data.find(b"<?", 0, cut + 1) < 0):
            # nothing to repair and no markup to step over: the usual block, copied at C speed
            self._out += data[:cut]
            self._line += data.count(b"\n", 0, cut)
            return cut
        pos = counted = 0
        while True:
            pattern = _NORMAL if self._state == b"normal" else _CLOSERS[self._state]
            match = pattern.search(data, pos)
            if match is None or match.end() > cut:  # the rest waits for the next block
                stop = cut if match is None else min(cut, match.start())
                self._out += data[pos:stop]
                self._line += data.count(b"\n", counted, stop)
                return stop
            token = match.group()
            self._out += data[pos:match.end()]
            pos = match.end()
            if self._state != b"normal":
                self._state = b"normal"
            elif token == b"&":  # a raw one: the pattern skips references
                self._out += b"amp;"
                self._line += data.count(b"\n", counted, match.start())
                counted = match.start()
                self._log.add(Repair(self._line, "a raw '&' was read as '&amp;'"))
            elif token == b"<![CDATA[":
                self._state = b"cdata"
            elif token == b"<!--":
                self._state = b"comment"
            elif token == b"<?":
                self._state = b"pi"

    def _report_xsi(self, data: bytes, cut: int) -> None:
        """Report the first use of an undeclared ``xsi:`` prefix (searched on its own: a rare
        word, so the scan for ampersands stays one C-level search per block)."""
        match = _XSI_USE.search(data, 0, cut + 4)
        if match is not None and match.start() < cut:
            self._xsi_reported = True
            line = self._line + data.count(b"\n", 0, match.start())
            self._log.add(Repair(line, "the prefix xsi: is used without a declaration; it is "
                                       "read as the XML Schema instance namespace"))

    def _declare_xsi(self, data: bytes) -> bytes:
        """Give the root element ``xmlns:xsi`` when it declares no ``xsi`` prefix itself."""
        pos = 0
        while True:
            pos = data.find(b"<", pos)
            if pos < 0:
                self._root_done = self._eof
                return data
            skipped = next(((o, c) for o, c in _SKIPPED if data.startswith(o, pos)), None)
            if skipped is None:
                break
            end = data.find(skipped[1], pos + len(skipped[0]))
            if end < 0:
                self._root_done = self._eof
                return data
            pos = end + len(skipped[1])
        match = _ROOT_TAG.match(data, pos)
        if match is None:
            self._root_done = self._eof
            return data
        self._root_done = True
        if re.search(rb"\sxmlns:xsi\s*=", match.group(2)):
            self._xsi_declared = True
            return data
        at = match.end(1)
        return data[:at] + b' xmlns:xsi="' + XSI_URI + b'"' + data[at:]
