"""Bulk status changes: several orders at once, or a warehouse's list (``set-status --from FILE``).

A list has one order a line, ``number[,status[,tracking[,carrier]]]``, separated by ``,``, ``;``
or a tab (the first line with content decides which). Blank lines, ``#`` comments and a header
line (first cell ``number``, ``order`` or ``order_number``) are skipped; an empty status or
carrier cell takes the command's default. The encoding is told as for ``catalog load``
(:func:`exchange.catalog.detect_csv_encoding`: UTF-8 with or without a BOM, UTF-16, else
windows-1250, what Czech warehouse systems write).

Each line is its own change, in its own transaction (:func:`~exchange.shopreturn.events.set_status`):
a line that fails (an unknown order or status, cancelling a realised order) is reported with its
file and line, and the rest go on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.catalog import detect_csv_encoding
from exchange.errors import ConfigError
from exchange.shopreturn.events import StatusChange, set_status
from exchange.store import Store

_HEADER = {"number", "order", "order_number", "ordernumber"}


@dataclass(frozen=True)
class StatusLine:
    """One change asked for: where it came from (``file:line``, or ``argument N``) and what."""

    source: str
    number: str
    status: str
    tracking: str = ""
    carrier: str = ""
    line: int = 0  # its place in the list, for the report's order


@dataclass(frozen=True)
class LineFailure:
    """A line that changed nothing, and why."""

    source: str
    number: str
    reason: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.source}: {self.number or '-'}: {self.reason}"


@dataclass
class BulkResult:
    """What a bulk ``set-status`` did: the changes made and the lines that failed."""

    changes: list[StatusChange] = field(default_factory=list)
    failures: list[LineFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every line went through."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"changes": [c.as_dict() for c in self.changes],
                "failures": [{"source": f.source, "order": f.number, "reason": f.reason}
                             for f in self.failures]}

    def summary(self) -> str:
        """The closing line for the terminal."""
        events = sum(len(c.events) for c in self.changes)
        return (f"{len(self.changes)} order(s) changed ({events} event(s)), "
                f"{len(self.failures)} line(s) failed")


def read_status_file(path: Path, *, status: str = "", carrier: str = ""
                     ) -> tuple[list[StatusLine], list[LineFailure]]:
    """The changes a warehouse's list asks for, and the lines that cannot be one (no number/status).

    ``status`` and ``carrier`` are the defaults for a line that leaves them empty.
    """
    raw = path.read_bytes()
    text = raw.decode(detect_csv_encoding(raw), errors="replace")
    lines: list[StatusLine] = []
    failures: list[LineFailure] = []
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return lines, failures
    delimiter = _delimiter(numbered[0][1])
    for index, (n, line) in enumerate(numbered):
        cells = [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
        cells += [""] * (4 - len(cells))
        number, line_status, tracking, line_carrier = cells[:4]
        source = f"{path}:{n}"
        if index == 0 and number.lower() in _HEADER:
            continue
        if len(cells) > 4 and any(cells[4:]):
            failures.append(LineFailure(source, number, f"{len(cells)} cells; at most 4 "
                                        "(number, status, tracking, carrier)", n))
        elif not number:
            failures.append(LineFailure(source, "", "no order number", n))
        elif not (line_status or status):
            failures.append(LineFailure(source, number, "no status (on the line or as STATUS)",
                                        n))
        else:
            lines.append(StatusLine(source, number, line_status or status, tracking,
                                    line_carrier or carrier, n))
    return lines, failures


def _delimiter(first: str) -> str:
    for candidate in (";", "\t", ","):
        if candidate in first:
            return candidate
    return ","


def argument_lines(numbers: Sequence[str], status: str, *, tracking: str = "",
                   carrier: str = "") -> list[StatusLine]:
    """The changes ``set-status N1 N2 … STATUS`` asks for."""
    return [StatusLine(f"argument {i}", number, status, tracking, carrier, i)
            for i, number in enumerate(numbers, 1)]


def set_statuses(store: Store, lines: Iterable[StatusLine], *, shop: str | None = None,
                 job: str = "set-status", run_id: int | None = None,
                 failures: Sequence[LineFailure] = ()) -> BulkResult:
    """Apply each line in its own transaction; a line that fails is reported and the rest go on.

    ``failures`` are the lines already refused while reading; the result lists every failure in
    the list's order.
    """
    result = BulkResult(failures=list(failures))
    for line in lines:
        try:
            result.changes.append(set_status(store, line.number, line.status,
                                             tracking=line.tracking, carrier=line.carrier,
                                             shop=shop, job=job, run_id=run_id))
        except ConfigError as exc:
            result.failures.append(LineFailure(line.source, line.number, str(exc), line.line))
    result.failures.sort(key=lambda f: f.line)  # the report in the list's order
    return result
