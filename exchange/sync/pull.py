"""Pull: take complete remote files into an inbox exactly once, and clean the remote up after import.

A file is downloaded as ``NAME.part`` and renamed when complete; a file still being written is left
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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import and_, insert, select, update

from exchange.errors import TransportError, UnsafePathError
from exchange.store import Store
from exchange.store.schema import processed_files
from exchange.store.types import utcnow
from exchange.transport import Endpoint, RemoteFile, Transport, check_name, open_transport
from exchange.transport.base import is_temp_name
from exchange.transport.endpoint import After, Stability, parse_endpoint

log = logging.getLogger(__name__)


class FileStatus(StrEnum):
    """States of a row in ``processed_files``."""

    DOWNLOADED = "downloaded"  # in the inbox, import pending
    IMPORTED = "imported"  # imported; never again
    PARTIAL = "partial"  # imported in part (per-item report); never again
    FAILED = "failed"  # import failed; the same content may be offered again
    DUPLICATE = "duplicate"  # same content as an imported one; skipped


#: Content in these states is never imported again.
DONE = (FileStatus.IMPORTED, FileStatus.PARTIAL)
#: A remote file matching a row in these states needs only its remote clean-up.
SETTLED = (*DONE, FileStatus.DUPLICATE, FileStatus.FAILED)


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


@dataclass
class PullOutcome:
    """What one pull took and what it left, with reasons."""

    pulled: list[PulledFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _local_name(inbox: Path, name: str, sha: str) -> Path:
    """``inbox/name``, unless a different file already waits there under that name."""
    target = inbox / name
    if target.exists() and _sha256(target) != sha:
        stem, dot, ext = name.rpartition(".")
        target = inbox / (f"{stem}-{sha[:12]}.{ext}" if dot and stem else f"{name}-{sha[:12]}")
    return target


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
    again = {f.name: f for f in t.list()}
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


def _find(store: Store, source: str, name: str, *conds: object) -> dict[str, object] | None:
    with store.connect() as conn:
        row = conn.execute(
            select(processed_files)
            .where(and_(processed_files.c.source == source, processed_files.c.name == name,
                        *conds))  # type: ignore[arg-type]
            .order_by(processed_files.c.id.desc())
            .limit(1)
        ).mappings().first()
    return dict(row) if row else None


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


def pull_detailed(endpoint: str | Endpoint, inbox_dir: str | os.PathLike[str], store: Store, *,
                  transport: Transport | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> PullOutcome:
    """Like :func:`pull`, also reporting what was left and why."""
    ep = parse_endpoint(endpoint)
    inbox = Path(inbox_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    out = PullOutcome()
    t = transport or open_transport(ep)
    try:
        listing = t.list()
        files = _stable(t, ep, _candidates(listing, ep, out), out, sleep)
        for f in files:
            _take(t, ep, inbox, store, f, out)
    finally:
        if transport is None:
            t.close()
    return out


def _take(t: Transport, ep: Endpoint, inbox: Path, store: Store, f: RemoteFile,
          out: PullOutcome) -> None:
    source = ep.url
    seen = _find(store, source, f.name, processed_files.c.size == f.size,
                 processed_files.c.status.in_(list(SETTLED)))
    if seen is not None and _same_time(seen["mtime"], f.mtime):  # type: ignore[arg-type]
        # Settled before, but its remote clean-up did not happen (or failed): retry only that.
        ok = seen["status"] != FileStatus.FAILED
        _cleanup_remote(t, ep, f.name, ok)
        out.skipped.append(Skipped(f.name, f"already {seen['status']} (record {seen['id']})"))
        return
    part = inbox / (f.name + ".part")
    try:
        t.download(f, part)
    except TransportError as exc:
        if exc.retryable:
            raise  # connection trouble: the whole pull is retried later
        out.skipped.append(Skipped(f.name, str(exc)))
        return
    sha = _sha256(part)
    done = _find(store, source, f.name, processed_files.c.sha256 == sha,
                 processed_files.c.status.in_(list(DONE)))
    now = utcnow()
    if done is not None:
        part.unlink()
        with store.begin() as conn:
            conn.execute(insert(processed_files).values(
                source=source, name=f.name, size=f.size, mtime=f.mtime, sha256=sha,
                status=FileStatus.DUPLICATE, report={"duplicate_of": done["id"]},
                created_at=now, updated_at=now))
        _cleanup_remote(t, ep, f.name, True)
        out.skipped.append(Skipped(f.name, f"same content already imported (record {done['id']})"))
        return
    target = _local_name(inbox, f.name, sha)
    os.replace(part, target)
    pending = _find(store, source, f.name, processed_files.c.sha256 == sha,
                    processed_files.c.status == FileStatus.DOWNLOADED)
    with store.begin() as conn:
        if pending is not None:
            record_id = int(pending["id"])  # type: ignore[call-overload]
            conn.execute(update(processed_files).where(processed_files.c.id == record_id)
                         .values(size=f.size, mtime=f.mtime, updated_at=now))
        else:
            record_id = int(conn.execute(insert(processed_files).values(
                source=source, name=f.name, size=f.size, mtime=f.mtime, sha256=sha,
                status=FileStatus.DOWNLOADED, report=None, created_at=now, updated_at=now,
            )).inserted_primary_key[0])
    out.pulled.append(PulledFile(source, f.name, f, target, sha, record_id, ep, store))


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
                report: dict[str, object] | None = None, partial: bool = False) -> bool:
    """Record the import's outcome, then move the remote copy to processed/error or delete it.

    The store is updated first, so a failed remote move never leads to a second import; the
    next pull retries the move. Returns True when the remote clean-up succeeded.
    """
    status = (FileStatus.PARTIAL if partial else FileStatus.IMPORTED) if ok else FileStatus.FAILED
    store = pulled_file.store
    with store.begin() as conn:
        conn.execute(update(processed_files)
                     .where(processed_files.c.id == pulled_file.record_id)
                     .values(status=status, report=report, updated_at=utcnow()))
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
