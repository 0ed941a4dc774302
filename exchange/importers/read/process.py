"""The read stage in a second process while this one writes: two cores instead of one.

The reader (XML parsing and building canonical documents) and the writers are both CPU-bound
Python, so a thread does not help. A reader process is a fresh interpreter started with
``subprocess`` (fork + exec, safe in a process that runs threads, such as ``exchange run``) and fed
by a pipe: it reads a job (source file, profile, kind) from its stdin and writes the records to its
stdout in pickled batches, documents as the plain tuples of :mod:`exchange.importers.read.wire`.
Their content hash (sha256 of the same tuples) is taken by whichever side has time for it: the reader
hashes a batch itself when the parent has not yet read what it sent before (the parent is the
slower side then), else it leaves the hash to the parent. Errors pickle as they are. A file-level
error from the reader is re-raised in the parent at the point the reader reached, so the rule
"records are provisional until the reader finishes" is unchanged.

It never outlives its parent: on Linux it asks for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``;
readers are started from one long-lived thread, since the signal follows the thread that started
the child), and everywhere a thread watching its stdin ends it on end-of-file; a write to a parent
that is gone fails with a broken pipe. It holds no database connection. A reader that finished its
job waits, warm, for the next file of the same process; one left in the middle of a job is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

from exchange import errors
from exchange.documents import Invoice, Order, Product, StockLevel
from exchange.importers.collector import quiet_collector
from exchange.importers.read.content_hash import content_hash_of
from exchange.importers.read.records import Record
from exchange.importers.read.source import SourceFile
from exchange.importers.read.wire import decode, encode
from exchange.profiles import DocumentKind, Profile

BATCH = 200
IDLE_LIMIT = 2  # warm readers kept per process
_END = "end"
_FAIL = "fail"
_TYPES = {cls.__name__: cls for cls in (Order, Invoice, Product, StockLevel)}
_PR_SET_PDEATHSIG = 1
_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20
# unread records in the pipe from which the reader counts itself ahead of the parent (two batches)
AHEAD_BYTES = 256 * 1024


# -- the reader process -------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent dies (Linux); exit now if it already did."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def _watch_stdin(stdin: IO[bytes], jobs: queue.Queue[Any]) -> None:
    """Jobs from the parent; end of file means the parent is gone or done: exit at once."""
    while True:
        try:
            job = pickle.load(stdin)  # noqa: S301 - our parent, over a private pipe
        except (EOFError, OSError, pickle.UnpicklingError):
            os._exit(0)
        jobs.put(job)


def _run_job(out: IO[bytes], source: SourceFile, profile: Profile, kind: DocumentKind) -> None:
    """Read one file and send its records, then the end marker or the file-level error."""

    def send(message: object) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        with quiet_collector():
            _send_records(send, source, profile, kind, out.fileno())
        send((_END,))
    except errors.ExchangeError as exc:
        send((_FAIL, exc))
    except Exception as exc:  # a bug in the reader: the parent names it with the file
        send((_FAIL, errors.XmlSyntaxError(f"the reader failed: {type(exc).__name__}: {exc}",
                                           file=str(source.path))))


def _send_records(send: Callable[[object], None], source: SourceFile, profile: Profile,
                  kind: DocumentKind, out_fd: int) -> None:
    """The records of the file, in pickled batches of plain tuples (hashed here when we are ahead)."""
    from exchange.importers.read.records import read_records

    batch: list[tuple[Any, ...]] = []
    hashing = False
    for rec in read_records(source, profile, kind, hashed=False):
        doc = rec.document
        packed = digest = None
        if doc is not None:
            packed = (type(doc).__name__, encode(doc))
            if hashing:
                digest = content_hash_of(*packed)
        batch.append((rec.line, rec.external_id, packed, digest, rec.error, rec.review_reasons,
                      rec.warnings, rec.stock_on_hand))
        if len(batch) >= BATCH:
            send(batch)
            batch = []
            hashing = _unread_bytes(out_fd) >= AHEAD_BYTES
    if batch:
        send(batch)


def _unread_bytes(fd: int) -> int:
    """Bytes in the pipe that the parent has not read yet (0 where that cannot be told)."""
    if not sys.platform.startswith("linux"):
        return 0
    import fcntl
    import termios

    try:
        unread: int = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0
    return unread


def main() -> None:
    """Entry point of a reader process: ``python -m exchange.importers.read.process PARENT_PID``."""
    _die_with_parent(int(sys.argv[1]))
    stdin, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the record stream
    jobs: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_watch_stdin, args=(stdin, jobs), daemon=True,
                     name="parent-watch").start()
    while True:
        source, profile, kind = jobs.get()
        try:
            _run_job(out, source, profile, kind)
        except (BrokenPipeError, OSError):
            os._exit(0)  # the parent stopped listening


# -- the parent's side --------------------------------------------------------------------------
class _Spawner:
    """Starts reader processes from one thread that lives as long as the process."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, make: Callable[[], Any]) -> Any:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, daemon=True,
                                                name="exchange-reader-spawner")
                self._thread.start()
        answer: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._requests.put((make, answer))
        result = answer.get()
        if isinstance(result, BaseException):
            raise result
        return result

    def _serve(self) -> None:
        while True:
            make, answer = self._requests.get()
            try:
                answer.put(make())
            except BaseException as exc:  # handed to the caller
                answer.put(exc)


_SPAWNER = _Spawner()
_IDLE: list[ReaderProcess] = []
_IDLE_LOCK = threading.Lock()


def _widen(fd: int) -> None:
    """Let the reader run up to a megabyte of records ahead (Linux; elsewhere the pipe stays).

    A pipe holds 64 KiB, two batches: while the parent writes a chunk to the store, the reader
    would stop after two batches and wait, and the two processes would take turns instead of
    working side by side (a 20,000-order import took 5.6 s for 3.5 s of CPU on each side).
    """
    if not sys.platform.startswith("linux"):
        return
    import fcntl

    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as limit:
            size = min(int(limit.read()), PIPE_BYTES)
        fcntl.fcntl(fd, _F_SETPIPE_SZ, size)
    except (OSError, ValueError):
        pass  # a smaller pipe only costs speed


class ReaderProcess:
    """One reader process and its two pipes."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] = _SPAWNER.call(lambda: subprocess.Popen(
            [sys.executable, "-m", "exchange.importers.read.process", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True))
        assert self.proc.stdout is not None
        _widen(self.proc.stdout.fileno())

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def send_job(self, source: SourceFile, profile: Profile, kind: DocumentKind) -> None:
        """Give the reader a file to read."""
        assert self.proc.stdin is not None
        pickle.dump((source, profile, kind), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()

    def receive(self) -> Any:
        """The next message of the reader; ProcessLostError when it ended without one."""
        assert self.proc.stdout is not None
        try:
            return pickle.load(self.proc.stdout)  # noqa: S301 - our own reader process
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            raise errors.ProcessLostError(f"the import's reader process {self.proc.pid} "
                                          f"{self._how_it_ended()}; nothing of the file was "
                                          "booked and it is left for the next run") from exc

    def _how_it_ended(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"ended with exit status {code}"

    def stop(self) -> None:
        """End the process now and release its pipes."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def acquire() -> ReaderProcess:
    """A warm reader of this process, or a new one (starting now, while the caller prepares)."""
    with _IDLE_LOCK:
        while _IDLE:
            reader = _IDLE.pop()
            if reader.alive:
                return reader
            reader.stop()
    return ReaderProcess()


def release(reader: ReaderProcess) -> None:
    """Keep a reader that finished its job for the next file (or end it)."""
    with _IDLE_LOCK:
        if reader.alive and len(_IDLE) < IDLE_LIMIT:
            _IDLE.append(reader)
            return
    reader.stop()


def prestart() -> None:
    """Start a reader now so that the first import finds it warm (e.g. when the daemon starts)."""
    release(acquire())


@atexit.register
def _stop_idle() -> None:
    with _IDLE_LOCK:
        idle, _IDLE[:] = list(_IDLE), []
    for reader in idle:
        reader.stop()


class ProcessRecords:
    """The records of one file, read by a reader process, in file order; :meth:`close` when done."""

    def __init__(self, source: SourceFile, profile: Profile, kind: DocumentKind,
                 reader: ReaderProcess | None = None) -> None:
        self.source = source
        self.kind = kind
        self._reader: ReaderProcess | None = reader or acquire()
        self._finished = False
        try:
            self._reader.send_job(source, profile, kind)
        except OSError:
            self._reader.stop()
            self._reader = ReaderProcess()
            self._reader.send_job(source, profile, kind)

    def __iter__(self) -> Iterator[Record]:
        """Yield the records as the reader sends them; re-raise its file-level error."""
        try:
            yield from self._receive()
        finally:
            self.close()

    def _receive(self) -> Iterator[Record]:
        reader = self._reader
        assert reader is not None
        kind = self.kind
        while True:
            try:
                item = reader.receive()
            except errors.ProcessLostError as exc:
                raise errors.ProcessLostError(f"{self.source.path}: {exc.message}") from exc
            if isinstance(item, tuple):
                if item[0] == _END:
                    self._finished = True
                    return
                self._finished = True  # the reader is at rest again after a file-level error
                raise item[1]
            for line, ext, packed, digest, err, reasons, warnings, stock in item:
                if packed is None:
                    yield Record(kind, line, ext, None, err, reasons, warnings, stock)
                    continue
                # a batch the reader had no time to hash is hashed here
                yield Record(kind, line, ext, decode(_TYPES[packed[0]], packed[1]), err, reasons,
                             warnings, stock, digest or content_hash_of(*packed))

    def close(self) -> None:
        """Return a reader that finished to the warm pool; kill one stopped mid-file."""
        reader, self._reader = self._reader, None
        if reader is None:
            return
        if self._finished:
            release(reader)
        else:
            reader.stop()


if __name__ == "__main__":
    main()
