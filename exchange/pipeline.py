"""Pull then import: a shop's new files come from an endpoint, each is imported, the remote is cleaned up.

Shared by `exchange import --from ENDPOINT` and the scheduler's import jobs. The remote copy of a file
is moved to processed/ (or error/) only after its import; the store remembers every file, so a
failed remote move never leads to a second import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from exchange.errors import TransportError
from exchange.importers.report import ImportReport
from exchange.store import Store
from exchange.store.processed_files import FileOrigin
from exchange.sync.pull import Prepare, PulledFile, Skipped, acknowledge, pull_detailed
from exchange.transport import open_transport

log = logging.getLogger(__name__)

# imports one local file; a pulled one brings its processed_files row and its download's sha256
Importer = Callable[[Path, FileOrigin | None], ImportReport]


@dataclass
class PipelineResult:
    """What one pull-and-import did: per pulled file its import report, what was left and why."""

    imported: list[tuple[PulledFile, ImportReport]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    deferred: list[PulledFile] = field(default_factory=list)  # left in the inbox after a stop


def pull_and_import(store: Store, endpoint: str, inbox: Path, importer: Importer, *,
                    stop: threading.Event | None = None, acknowledge_remote: bool = True,
                    after_each: Callable[[PulledFile, ImportReport], None] | None = None,
                    prepare: Prepare | None = None) -> PipelineResult:
    """Pull complete new files from ``endpoint`` into ``inbox`` and import each with ``importer``.

    With ``acknowledge_remote`` off (a dry run) the remote files stay where they are and are offered
    again by the next pull. ``prepare`` completes each new http(s) file before it is taken (see
    :func:`~exchange.sync.pull_http.pull_http`).
    """
    result = PipelineResult()
    outcome = pull_detailed(endpoint, inbox, store, prepare=prepare)
    result.skipped = outcome.skipped
    for pulled in outcome.pulled:
        if stop is not None and stop.is_set():
            result.deferred.append(pulled)
            continue
        report = importer(pulled.local_path, pulled.origin)
        result.imported.append((pulled, report))
        if after_each is not None:
            after_each(pulled, report)
    if acknowledge_remote and result.imported:
        _acknowledge(endpoint, result.imported)
    return result


def _acknowledge(endpoint: str, done: list[tuple[PulledFile, ImportReport]]) -> None:
    """Record each outcome and clean the remote up, over one connection when the server answers."""
    try:
        transport = open_transport(endpoint)
    except TransportError as exc:
        log.warning("%s: remote clean-up postponed to the next pull: %s", endpoint, exc)
        transport = None
    try:
        for pulled, report in done:
            acknowledge(pulled, report.file_error is None, transport=transport,
                        report=report.as_dict(), partial=not report.ok,
                        refused=report.nothing_to_import)
    finally:
        if transport is not None:
            transport.close()
