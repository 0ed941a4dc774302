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
from collections import deque
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from exchange.errors import ExchangeError, TransportError
from exchange.store import Store
from exchange.store.http_state import Validators, remember_all_validators, validators_of
from exchange.store.processed_files import DONE, FileStatus, NewFile, add_files, refresh_file
from exchange.sync.pull import (
    BACKGROUND_HASH_SIZE,
    Prepare,
    PulledFile,
    PullOutcome,
    Skipped,
    _Pending,
    _Seen,
    part_path,
    settle_download,
)
from exchange.transport import Endpoint, RemoteFile, check_name, open_transport
from exchange.transport.http import RING, Asked, Fetched, HTTPTransport


class _Digest:
    """sha256 of a download of unknown size, hashed up to ``RING - 1`` blocks behind in a helper
    thread once the download proves large (hashlib lets go of the GIL, so hashing overlaps the
    reading, and the reading need not wait for each block's hash).

    ``update`` returns once no more than ``RING - 1`` blocks wait, the one just given included:
    the transport refills a buffer only ``RING - 1`` blocks later
    (:data:`exchange.transport.http.ViewSink`).
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._seen = 0
        # The queue, the "block before is hashed" semaphore and the thread, made only for a large
        # download (most documents are small).
        self._helper: tuple[queue.SimpleQueue[bytes | memoryview | None], threading.Semaphore,
                            threading.Thread] | None = None

    def update(self, block: bytes | memoryview) -> None:
        if self._helper is not None:
            blocks, idle, _ = self._helper
            idle.acquire()  # fewer than RING - 1 blocks wait
            blocks.put(block)
            return
        self._hash.update(block)
        self._seen += len(block)
        if self._seen > BACKGROUND_HASH_SIZE:
            self._helper = self._start()

    def _start(self) -> tuple[queue.SimpleQueue[bytes | memoryview | None], threading.Semaphore,
                              threading.Thread]:
        blocks: queue.SimpleQueue[bytes | memoryview | None] = queue.SimpleQueue()
        idle = threading.Semaphore(RING - 1)
        thread = threading.Thread(target=self._run, args=(blocks, idle), daemon=True,
                                  name="sha256")
        thread.start()
        return blocks, idle, thread

    def _run(self, blocks: queue.SimpleQueue[bytes | memoryview | None],
             idle: threading.Semaphore) -> None:
        while (block := blocks.get()) is not None:
            self._hash.update(block)
            idle.release()

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._helper is not None:
            blocks, _, thread = self._helper
            blocks.put(None)
            thread.join()
            self._helper = None


@dataclass(frozen=True)
class _Got:
    """What a GET brought back for one document: a complete ``.part`` file, or a 304."""

    path: str
    name: str
    url: str
    part: Path
    fetched: Fetched
    sha256: str


def pull_http(ep: Endpoint, inbox: Path, store: Store,
              transport: HTTPTransport | None = None,
              prepare: Prepare | None = None) -> PullOutcome:
    """Fetch each document of ``ep`` that changed since the last pull into ``inbox``.

    ``prepare`` completes each new file in the inbox before it is recorded (PrestaShop's orders
    get what they name by id, :mod:`exchange.sync.prestashop_refs`). When it fails, the file is
    not taken: it is removed with its validators, skipped with the reason, and fetched again by
    the next pull.

    Up to ``?parallel=`` GETs are in flight at once (see :func:`_fetch_all`); the answers are
    read in the order of ``?paths=``, each streamed to its own ``.part`` file and hashed, and
    everything recorded (files, duplicates, validators) is written in that order, in one
    transaction at the end, also when the pull stops early.
    """
    out = PullOutcome()
    t = transport or open_transport(ep)
    if not isinstance(t, HTTPTransport):
        raise TypeError(f"{ep}: not an http(s) transport")
    source = ep.source
    seen = _Seen(store, source)
    with store.connect() as conn:
        known = validators_of(conn, source)
    entries: list[_Pending | NewFile] = []
    remember: list[tuple[str, Validators]] = []
    taken: dict[tuple[str, str], str] = {}  # (name, sha256) -> the path that brought it
    try:
        docs = [(path, check_name(path.rsplit("/", 1)[-1]))
                for path in dict.fromkeys(t.documents())]  # a path listed twice is fetched once
        # closing: the GETs still in flight are dropped before what was fetched is recorded
        with closing(_fetch_all(t, inbox, known, docs)) as results:
            for path, got in results:
                if isinstance(got, TransportError):
                    if got.retryable:
                        raise got  # the server is away: the whole pull is retried later
                    out.skipped.append(Skipped(path.rsplit("/", 1)[-1], str(got)))
                    continue
                entry = _settle(got, source, inbox, seen, taken, out, remember)
                if isinstance(entry, _Pending) and prepare is not None \
                        and not _prepared(prepare, entry, got, out, remember):
                    continue
                if entry is not None:
                    entries.append(entry)
    finally:
        _record_all(store, ep, entries, remember, out)
        if transport is None:
            t.close()
    return out


def _fetch_all(t: HTTPTransport, inbox: Path, known: dict[str, Validators],
               docs: list[tuple[str, str]]) -> Generator[tuple[str, _Got | TransportError]]:
    """Each document's result, in the order of ``docs``, with up to ``t.parallel`` GETs in
    flight: the next ones are asked for (each on its own connection) before one is read, so the
    server answers them while this thread writes, hashes and files that one. One thread: no
    lock is handed between workers for every socket call.

    When the caller stops early (a retryable error, an interrupt), the GETs asked for but not
    read are dropped and the documents not yet asked for are never requested.
    """
    ahead: deque[tuple[str, str, Asked]] = deque()
    todo = iter(docs)

    def ask_next() -> bool:
        for path, name in todo:
            before = known.get(t.url_of(path), Validators())
            ahead.append((path, name, t.ask(path, etag=before.etag,
                                            last_modified=before.last_modified)))
            return True
        return False

    try:
        ask_next()
        while ahead:
            path, name, asked = ahead.popleft()
            while len(ahead) < t.parallel - 1 and ask_next():
                pass  # these are in flight while this one is read
            got = _fetch(t, inbox, known, path, name, asked)
            if not ahead:
                ask_next()
            yield path, got
    finally:
        for _, _, asked in ahead:
            t.drop(asked)


def _fetch(t: HTTPTransport, inbox: Path, known: dict[str, Validators], path: str,
           name: str, asked: Asked | None) -> _Got | TransportError:
    """GET one document to its own ``.part`` file, hashing it on the way."""
    url = t.url_of(path)
    before = known.get(url, Validators())
    part = part_path(inbox, name)
    digest = _Digest()
    try:
        fetched = t.fetch(path, part, etag=before.etag, last_modified=before.last_modified,
                          on_block=digest.update, asked=asked)
    except TransportError as exc:
        return exc
    finally:
        digest.close()
    return _Got(path, name, url, part, fetched, "" if fetched.not_modified else digest.hexdigest())


def _settle(got: _Got, source: str, inbox: Path, seen: _Seen, taken: dict[tuple[str, str], str],
            out: PullOutcome, remember: list[tuple[str, Validators]]) -> _Pending | NewFile | None:
    """What a fetched document becomes: skipped, a duplicate's row, or a file in the inbox."""
    name, fetched, sha = got.name, got.fetched, got.sha256
    if fetched.not_modified:
        out.skipped.append(Skipped(name, "not modified since the last pull"))
        return None
    remote = RemoteFile(name, got.path, fetched.size, fetched.mtime())
    remember.append((got.url, Validators(fetched.etag, fetched.last_modified, sha)))
    done = seen.find(name, DONE, sha256=sha)
    if done is not None:
        got.part.unlink()
        out.skipped.append(Skipped(name, f"same content already imported (record {done['id']})"))
        return NewFile(source, name, fetched.size, sha, FileStatus.DUPLICATE, mtime=remote.mtime,
                       report={"duplicate_of": done["id"]})
    first = taken.setdefault((name, sha), got.path)
    if first != got.path:
        got.part.unlink()
        out.skipped.append(Skipped(name, f"same content as {first}, taken in this pull"))
        return None
    target = settle_download(got.part, inbox, name, sha)
    waiting = seen.find(name, (FileStatus.DOWNLOADED,), sha256=sha)
    return _Pending(remote, target, sha, int(waiting["id"]) if waiting else None)


def _prepared(prepare: Prepare, entry: _Pending, got: _Got, out: PullOutcome,
              remember: list[tuple[str, Validators]]) -> bool:
    """Run ``prepare`` on a new file; on failure leave no trace of it, so the next pull takes it."""
    try:
        prepare(entry.local)
    except ExchangeError as exc:
        entry.local.unlink(missing_ok=True)
        remember[:] = [r for r in remember if r[0] != got.url]
        out.skipped.append(Skipped(got.name, f"not taken: {exc}"))
        return False
    return True


def _record_all(store: Store, ep: Endpoint, entries: list[_Pending | NewFile],
                remember: list[tuple[str, Validators]], out: PullOutcome) -> None:
    """The files, duplicates and validators of a pull, in one transaction, in document order.

    The files and the validators go together: validators kept without their file would hide
    it behind a 304.
    """
    if not entries and not remember:
        return
    source = ep.source
    fresh = [e for e in entries if not (isinstance(e, _Pending) and e.record_id is not None)]
    with store.begin() as conn:
        for e in entries:
            if isinstance(e, _Pending) and e.record_id is not None:
                refresh_file(conn, e.record_id, size=e.remote.size, mtime=e.remote.mtime)
        # One multi-row INSERT ... RETURNING, ids in the order of the rows.
        ids = add_files(conn, [e if isinstance(e, NewFile) else
                               NewFile(source, e.remote.name, e.remote.size, e.sha256,
                                       FileStatus.DOWNLOADED, mtime=e.remote.mtime)
                               for e in fresh])
        for e, record_id in zip(fresh, ids, strict=True):
            if isinstance(e, _Pending):
                e.record_id = record_id
        if remember:
            remember_all_validators(conn, source, remember)
    for e in entries:
        if isinstance(e, _Pending) and e.record_id is not None:
            out.pulled.append(PulledFile(source, e.remote.name, e.remote, e.local, e.sha256,
                                         e.record_id, ep, store))
    entries.clear()
