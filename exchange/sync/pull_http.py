"""Pull from an http(s) endpoint: conditional GETs of its documents, sha256 as their identity.

The validators a server sent (ETag, Last-Modified) are kept in the store and replayed, so an
unchanged export costs a 304 and nothing is downloaded. When a server sends no validators, or the
export is generated anew each time, the content's sha256 decides: content already imported from
the same source is recorded as a duplicate and not offered again.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path

from exchange.errors import TransportError
from exchange.store import Store
from exchange.store.http_state import Validators, remember_all_validators, validators_of
from exchange.store.processed_files import DONE, FileStatus, NewFile, add_files
from exchange.sync.pull import (
    BACKGROUND_HASH_SIZE,
    PullOutcome,
    Skipped,
    _Pending,
    _record,
    _Seen,
    part_path,
    settle_download,
)
from exchange.transport import Endpoint, RemoteFile, check_name, open_transport
from exchange.transport.http import HTTPTransport


class _Digest:
    """sha256 of a download of unknown size, hashed one block behind in a helper thread once the
    download proves large (hashlib lets go of the GIL, so hashing overlaps the reading).

    ``update`` returns once the block before is hashed: the transport refills a buffer only
    after handing over the next block (:data:`exchange.transport.http.ViewSink`).
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._seen = 0
        self._blocks: queue.SimpleQueue[bytes | memoryview | None] | None = None
        self._idle = threading.Semaphore(1)
        self._thread: threading.Thread | None = None

    def update(self, block: bytes | memoryview) -> None:
        if self._blocks is not None:
            self._idle.acquire()  # the block before is hashed
            self._blocks.put(block)
            return
        self._hash.update(block)
        self._seen += len(block)
        if self._seen > BACKGROUND_HASH_SIZE:
            self._blocks = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._run, args=(self._blocks,), daemon=True,
                                            name="sha256")
            self._thread.start()

    def _run(self, blocks: queue.SimpleQueue[bytes | memoryview | None]) -> None:
        while (block := blocks.get()) is not None:
            self._hash.update(block)
            self._idle.release()

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._thread is not None and self._blocks is not None:
            self._idle.acquire()
            self._blocks.put(None)
            self._thread.join()
            self._thread = None


def pull_http(ep: Endpoint, inbox: Path, store: Store,
              transport: HTTPTransport | None = None) -> PullOutcome:
    """Fetch each document of ``ep`` that changed since the last pull into ``inbox``."""
    out = PullOutcome()
    t = transport or open_transport(ep)
    if not isinstance(t, HTTPTransport):
        raise TypeError(f"{ep}: not an http(s) transport")
    source = ep.url
    seen = _Seen(store, source)
    with store.connect() as conn:
        known = validators_of(conn, source)
    pending: list[_Pending] = []
    remember: list[tuple[str, Validators]] = []
    try:
        for path in t.documents():
            taken = _fetch_one(t, source, inbox, store, seen, known, path, out, remember)
            if taken is not None:
                pending.append(taken)
    finally:
        # The files first: validators kept without their file would hide it behind a 304.
        _record(store, ep, pending, out)
        if remember:
            with store.begin() as conn:
                remember_all_validators(conn, source, remember)
        if transport is None:
            t.close()
    return out


def _fetch_one(t: HTTPTransport, source: str, inbox: Path, store: Store, seen: _Seen,
               known: dict[str, Validators], path: str, out: PullOutcome,
               remember: list[tuple[str, Validators]]) -> _Pending | None:
    name = check_name(path.rsplit("/", 1)[-1])
    url = t.url_of(path)
    before = known.get(url, Validators())
    part = part_path(inbox, name)
    digest = _Digest()
    try:
        fetched = t.fetch(path, part, etag=before.etag, last_modified=before.last_modified,
                          on_block=digest.update)
    except TransportError as exc:
        if exc.retryable:
            raise  # the server is away: the whole pull is retried later
        out.skipped.append(Skipped(name, str(exc)))
        return None
    finally:
        digest.close()
    if fetched.not_modified:
        out.skipped.append(Skipped(name, "not modified since the last pull"))
        return None
    sha = digest.hexdigest()
    remote = RemoteFile(name, path, fetched.size, fetched.mtime())
    remember.append((url, Validators(fetched.etag, fetched.last_modified, sha)))
    done = seen.find(name, DONE, sha256=sha)
    if done is not None:
        part.unlink()
        with store.begin() as conn:
            add_files(conn, [NewFile(source, name, fetched.size, sha, FileStatus.DUPLICATE,
                                     mtime=remote.mtime, report={"duplicate_of": done["id"]})])
        out.skipped.append(Skipped(name, f"same content already imported (record {done['id']})"))
        return None
    target = settle_download(part, inbox, name, sha)
    waiting = seen.find(name, (FileStatus.DOWNLOADED,), sha256=sha)
    return _Pending(remote, target, sha, int(waiting["id"]) if waiting else None)
