"""Pull: take complete remote files into an inbox exactly once, and clean the remote up after import.

A file is downloaded as ``NAME.PID-TOKEN.part`` (concurrent pulls into one inbox never share it) and
linked to its final name when complete, never over a different file; a file still being written is left
for the next run (size and mtime stable across two listings, or a done-file, per endpoint). What was
seen is kept in the store's ``processed_files`` (source, name, size, mtime, sha256), never guessed
from modification times: a file with an older mtime is still taken, and content already imported
from the same source under the same name is never imported twice, even if its remote move failed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from exchange.errors import TransportError, UnsafePathError
from exchange.store import Store
from exchange.store.processed_files import (
    DONE,
    SETTLED,
    FileOrigin,
    FileStatus,
    NewFile,
    add_files,
    files_of,
    refresh_file,
    set_status,
)
from exchange.transport import Endpoint, RemoteFile, Transport, check_name, open_transport
from exchange.transport.base import is_temp_name
from exchange.transport.endpoint import HTTP_SCHEMES, After, Stability, parse_endpoint

log = logging.getLogger(__name__)


#: completes a new file in the inbox before the pull records it; raises ExchangeError when it cannot
Prepare = Callable[[Path], object]


@dataclass(frozen=True)
class Skipped:
    """A remote file this pull did not take, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class PulledFile:
    """A remote file now complete in the inbox, waiting for :func:`acknowledge`."""

    source: str
    name: str
    remote: RemoteFile
    local_path: Path
    sha256: str
    record_id: int
    endpoint: Endpoint = field(repr=False)
    store: Store = field(repr=False, compare=False)

    @property
    def origin(self) -> FileOrigin:
        """Its row in ``processed_files`` and the sha256 the download computed, for the import."""
        return FileOrigin(self.source, self.record_id, self.sha256)


@dataclass
class PullOutcome:
    """What one pull took and what it left, with reasons."""

    pulled: list[PulledFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class _BackgroundHash:
    """sha256 fed from a helper thread: hashlib releases the GIL, so it overlaps the download."""

    def __init__(self, started: Any = None) -> None:
        self._hash = started if started is not None else hashlib.sha256()
        self._blocks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sha256")
        self._thread.start()

    def _run(self) -> None:
        while (block := self._blocks.get()) is not None:
            self._hash.update(block)

    def update(self, block: bytes) -> None:
        self._blocks.put(block)

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._thread.is_alive():
            self._blocks.put(None)
            self._thread.join()


#: Files above this size are hashed in a helper thread while they download.
BACKGROUND_HASH_SIZE = 4 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


#: A download's temporary file left by a killed pull is deleted after this long (seconds).
STALE_PART_SECONDS = 3600


def part_path(inbox: Path, name: str) -> Path:
    """Where a download is written: a name of its own, so two pulls never write one file."""
    return inbox / f"{name}.{os.getpid()}-{secrets.token_hex(4)}.part"


def drop_stale_parts(inbox: Path, now: float | None = None) -> None:
    """Delete the ``.part`` files of pulls killed more than an hour ago."""
    limit = (now if now is not None else time.time()) - STALE_PART_SECONDS
    for path in inbox.glob("*.part"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue  # gone meanwhile, or not ours to delete


def settle_download(part: Path, inbox: Path, name: str, sha: str) -> Path:
    """Give a complete download its final name: ``inbox/name``, or ``name-SHA12`` when a different
    file already waits under that name. Linked, so a concurrent pull can never replace a file."""
    stem, dot, ext = name.rpartition(".")
    hashed = inbox / (f"{stem}-{sha[:12]}.{ext}" if dot and stem else f"{name}-{sha[:12]}")
    for target in (inbox / name, hashed):
        try:
            os.link(part, target)
        except FileExistsError:
            if _sha256(target) != sha:
                continue
        except OSError:  # no hard links on this file system: check, then replace
            if target.exists() and _sha256(target) != sha:
                continue
            os.replace(part, target)
            return target
        part.unlink()
        return target
    os.replace(part, hashed)  # a different file under our own hash: not expected
    return hashed


def _candidates(listing: list[RemoteFile], ep: Endpoint, out: PullOutcome) -> list[RemoteFile]:
    names = {f.name for f in listing}
    taken = []
    for f in listing:
        if is_temp_name(f.name) or f.name.endswith(".part"):
            continue  # an upload in progress, ours or someone's
        if ep.stable is Stability.DONEFILE and f.name.endswith(ep.done_suffix):
            continue
        if not fnmatch.fnmatchcase(f.name, ep.pattern):
            continue
        try:
            check_name(f.name)
        except UnsafePathError as exc:
            log.warning("%s: %s", ep, exc)
            out.skipped.append(Skipped(f.name, str(exc)))
            continue
        if ep.stable is Stability.DONEFILE and f.name + ep.done_suffix not in names:
            out.skipped.append(Skipped(f.name, f"waiting for {f.name}{ep.done_suffix}"))
            continue
        taken.append(f)
    return taken


def _stable(t: Transport, ep: Endpoint, files: list[RemoteFile], out: PullOutcome,
            sleep: Callable[[float], None]) -> list[RemoteFile]:
    if ep.stable is not Stability.LISTING or not files:
        return files
    if ep.settle:
        sleep(ep.settle)
    again = {f.name: f for f in t.list_files()}
    stable = []
    for f in files:
        now = again.get(f.name)
        if now is None:
            out.skipped.append(Skipped(f.name, "vanished between two listings"))
        elif (now.size, now.mtime) != (f.size, f.mtime):
            out.skipped.append(Skipped(f.name, "still being written (size or mtime changed)"))
        else:
            stable.append(now)
    return stable


class _Seen:
    """What the store knows about one source, read once per pull."""

    def __init__(self, store: Store, source: str) -> None:
        with store.connect() as conn:
            found = files_of(conn, source)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for row in found:
            self.rows.setdefault(row["name"], []).append(row)

    def find(self, name: str, statuses: tuple[FileStatus, ...], *, size: int | None = None,
             mtime: datetime | None = None, sha256: str | None = None) -> dict[str, Any] | None:
        """The newest row for ``name`` in one of ``statuses`` matching the given fields."""
        candidates: list[dict[str, Any]] = self.rows.get(name, [])
        for row in reversed(candidates):
            if row["status"] not in statuses:
                continue
            if size is not None and row["size"] != size:
                continue
            if mtime is not None and not _same_time(row["mtime"], mtime):
                continue
            if sha256 is not None and row["sha256"] != sha256:
                continue
            return dict(row)
        return None


def _same_time(a: datetime | None, b: datetime) -> bool:
    return a is not None and abs((a - b).total_seconds()) < 1


def pull(endpoint: str | Endpoint, inbox_dir: str | os.PathLike[str], store: Store, *,
         transport: Transport | None = None,
         sleep: Callable[[float], None] = time.sleep) -> list[PulledFile]:
    """Download every complete, not yet imported remote file into ``inbox_dir``.

    Raises the transport's errors (``retryable`` says whether to try again later); files already
    in the inbox stay there and are offered again by the next pull until acknowledged.
    """
    return pull_detailed(endpoint, inbox_dir, store, transport=transport, sleep=sleep).pulled


#: Store writes are grouped: one transaction per this many files (and one at the end).
BATCH = 200


def pull_detailed(endpoint: str | Endpoint, inbox_dir: str | os.PathLike[str], store: Store, *,
                  transport: Transport | None = None,
                  sleep: Callable[[float], None] = time.sleep,
                  prepare: Prepare | None = None) -> PullOutcome:
    """Like :func:`pull`, also reporting what was left and why.

    ``prepare`` (http(s) only, see :func:`~exchange.sync.pull_http.pull_http`) completes each new
    file before it is recorded.
    """
    ep = parse_endpoint(endpoint)
    inbox = Path(inbox_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    drop_stale_parts(inbox)
    if ep.scheme in HTTP_SCHEMES:
        from exchange.sync.pull_http import pull_http  # conditional GETs instead of listings
        from exchange.transport.http import HTTPTransport

        return pull_http(ep, inbox, store,
                         transport if isinstance(transport, HTTPTransport) else None, prepare)
    out = PullOutcome()
    t = transport or open_transport(ep)
    seen = _Seen(store, ep.source)
    pending: list[_Pending] = []
    try:
        listing = t.list_files()
        files = _stable(t, ep, _candidates(listing, ep, out), out, sleep)
        for f in files:
            taken = _take(t, ep, inbox, store, seen, f, out)
            if taken is not None:
                pending.append(taken)
            if len(pending) >= BATCH:
                _record(store, ep, pending, out)
    finally:
        # Whatever was downloaded is recorded, even when a later file failed.
        _record(store, ep, pending, out)
        if transport is None:
            t.close()
    return out


@dataclass
class _Pending:
    remote: RemoteFile
    local: Path
    sha256: str
    record_id: int | None  # an existing "downloaded" row to refresh


def _record(store: Store, ep: Endpoint, pending: list[_Pending], out: PullOutcome) -> None:
    if not pending:
        return
    source = ep.source
    fresh = [p for p in pending if p.record_id is None]
    with store.begin() as conn:
        for p in pending:
            if p.record_id is not None:
                refresh_file(conn, p.record_id, size=p.remote.size, mtime=p.remote.mtime)
        # One multi-row INSERT ... RETURNING, ids in the order of the rows.
        ids = add_files(conn, [NewFile(source, p.remote.name, p.remote.size, p.sha256,
                                       FileStatus.DOWNLOADED, mtime=p.remote.mtime)
                               for p in fresh])
        for p, record_id in zip(fresh, ids, strict=True):
            p.record_id = record_id
    for p in pending:
        assert p.record_id is not None
        out.pulled.append(PulledFile(source, p.remote.name, p.remote, p.local, p.sha256,
                                     p.record_id, ep, store))
    pending.clear()


def _take(t: Transport, ep: Endpoint, inbox: Path, store: Store, seen: _Seen, f: RemoteFile,
          out: PullOutcome) -> _Pending | None:
    refused = seen.find(f.name, (FileStatus.REFUSED,), size=f.size, mtime=f.mtime)
    if refused is not None:
        out.skipped.append(Skipped(f.name, f"refused before, left on the server: nothing to import "
                                           f"(record {refused['id']})"))
        return None
    settled = seen.find(f.name, SETTLED, size=f.size, mtime=f.mtime)
    if settled is not None:
        # Settled before, but its remote clean-up did not happen (or failed): retry only that.
        _cleanup_remote(t, ep, f.name, settled["status"] != FileStatus.FAILED)
        out.skipped.append(Skipped(f.name, f"already {settled['status']} "
                                           f"(record {settled['id']})"))
        return None
    part = part_path(inbox, f.name)
    digest: Any = _BackgroundHash() if f.size > BACKGROUND_HASH_SIZE else hashlib.sha256()
    try:
        t.download(f, part, digest.update)
    except TransportError as exc:
        if exc.retryable:
            raise  # connection trouble: the whole pull is retried later
        out.skipped.append(Skipped(f.name, str(exc)))
        return None
    finally:
        if isinstance(digest, _BackgroundHash):
            digest.close()
    sha = digest.hexdigest()
    done = seen.find(f.name, DONE, sha256=sha)
    if done is not None:
        part.unlink()
        with store.begin() as conn:
            add_files(conn, [NewFile(ep.source, f.name, f.size, sha, FileStatus.DUPLICATE,
                                     mtime=f.mtime, report={"duplicate_of": done["id"]})])
        _cleanup_remote(t, ep, f.name, True)
        out.skipped.append(Skipped(f.name, f"same content already imported (record {done['id']})"))
        return None
    target = settle_download(part, inbox, f.name, sha)
    waiting = seen.find(f.name, (FileStatus.DOWNLOADED,), sha256=sha)
    return _Pending(f, target, sha, int(waiting["id"]) if waiting else None)


def _cleanup_remote(t: Transport, ep: Endpoint, name: str, ok: bool) -> bool:
    """Move the remote input to the processed or error folder, or delete it, per endpoint."""
    if ep.after is After.KEEP:
        return True
    companions = [name + ep.done_suffix] if ep.stable is Stability.DONEFILE else []
    try:
        if ep.after is After.DELETE and ok:
            t.delete(name)
            for extra in companions:
                if t.exists(extra):
                    t.delete(extra)
        else:
            folder = (ep.processed_dir if ok else ep.error_dir).strip("/")
            t.mkdir(folder)
            t.rename(name, f"{folder}/{name}")
            for extra in companions:
                if t.exists(extra):
                    t.rename(extra, f"{folder}/{extra}")
    except TransportError as exc:
        log.warning("%s: could not clean up %s on the server: %s", ep, name, exc)
        return False
    return True


def acknowledge(pulled_file: PulledFile, ok: bool, *, transport: Transport | None = None,
                report: dict[str, object] | None = None, partial: bool = False,
                refused: bool = False) -> bool:
    """Record the import's outcome, then move the remote copy to processed/error or delete it.

    The store is updated first, so a failed remote move never leads to a second import; the
    next pull retries the move. A ``refused`` file (nothing to import in it) is only recorded:
    it stays on the server. Returns True when the remote clean-up succeeded.
    """
    status = (FileStatus.PARTIAL if partial else FileStatus.IMPORTED) if ok else FileStatus.FAILED
    store = pulled_file.store
    with store.begin() as conn:
        set_status(conn, pulled_file.record_id, FileStatus.REFUSED if refused else status, report)
    if refused:
        return True
    try:
        t = transport or open_transport(pulled_file.endpoint)
    except TransportError as exc:
        log.warning("%s: could not clean up %s: %s", pulled_file.source, pulled_file.name, exc)
        return False
    try:
        return _cleanup_remote(t, pulled_file.endpoint, pulled_file.name, ok)
    finally:
        if transport is None:
            t.close()


def acknowledge_all(pulled: Iterable[PulledFile], ok: bool, *,
                    transport: Transport | None = None) -> int:
    """Acknowledge several files over one connection; returns how many were cleaned up."""
    files = list(pulled)
    if not files:
        return 0
    t = transport or open_transport(files[0].endpoint)
    try:
        return sum(acknowledge(f, ok, transport=t) for f in files)
    finally:
        if transport is None:
            t.close()
