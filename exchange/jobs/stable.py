"""Telling when a file in a watched folder is complete: its size and mtime stay still across checks."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart", ".error.txt")


def is_candidate(path: Path) -> bool:
    """False for hidden files, temporary names and our own reports."""
    name = path.name
    return not name.startswith((".", "~")) and not name.endswith(IGNORED_SUFFIXES)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


class StableFiles:
    """Tracks files that may still be growing; a file is ready once it stood still for ``settle`` seconds.

    The clock is injectable so behaviour is testable without sleeping.
    """

    def __init__(self, settle: float = 2.0, clock: Callable[[], float] | None = None) -> None:
        import time

        self.settle = settle
        self.clock = clock or time.monotonic
        self._seen: dict[Path, _Seen] = {}

    def note(self, path: Path) -> None:
        """Start watching a path (called when the folder reports it)."""
        if is_candidate(path):
            self._seen.setdefault(path, _Seen(-1, -1, self.clock()))

    @property
    def pending(self) -> list[Path]:
        """Paths being watched, not yet ready."""
        return sorted(self._seen)

    def ready(self) -> list[Path]:
        """Paths that stood still long enough; they are handed out once and forgotten."""
        now = self.clock()
        done = []
        for path, seen in list(self._seen.items()):
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                del self._seen[path]
                continue
            if (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime_ns):
                self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                continue
            if now - seen.since >= self.settle:
                done.append(path)
                del self._seen[path]
        return sorted(done)
