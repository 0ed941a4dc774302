"""The small Transport base class, RemoteFile, and the path rules every transport obeys."""

from __future__ import annotations

import abc
import contextlib
import fnmatch
import os
import posixpath
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from exchange.errors import RemoteNotFoundError, TransferError, TransportError, UnsafePathError

if TYPE_CHECKING:
    from exchange.transport.endpoint import Endpoint

#: Receives each block of a download as it is written.
BlockSink = Callable[[bytes], object]

#: Prefix of the temporary names uploads are written under before the final rename.
TEMP_PREFIX = ".exchange-tmp-"
#: A temporary upload older than this was abandoned (a killed push): the next push deletes it.
STALE_UPLOAD_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class RemoteFile:
    """One regular file seen in a listing; ``path`` is relative to the endpoint's root."""

    name: str
    path: str
    size: int
    mtime: datetime

    def __post_init__(self) -> None:
        if self.mtime.tzinfo is None:
            raise ValueError("RemoteFile.mtime must be timezone-aware")


def check_name(name: str) -> str:
    """Return ``name`` if it is one safe path component, else raise UnsafePathError."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or any(ord(c) < 32 for c in name)
    ):
        raise UnsafePathError(f"refused remote name {name!r}: not a plain file name")
    return name


def confine(path: str) -> str:
    """Normalise a path relative to an endpoint's root; refuse absolute paths and ``..``."""
    if "\x00" in path or "\\" in path:
        raise UnsafePathError(f"refused path {path!r}: forbidden character")
    if path.startswith("/"):
        raise UnsafePathError(f"refused path {path!r}: absolute, must be relative to the root")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(f"refused path {path!r}: escapes the endpoint's root")
    return "/".join(parts)


def temp_name(final: str) -> str:
    """A hidden temporary name in the same folder as ``final``."""
    folder, name = posixpath.split(final)
    return posixpath.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(4)}-{name}")


def is_temp_name(name: str) -> bool:
    """True for the temporary names our uploads use (readers must skip them)."""
    return name.startswith(TEMP_PREFIX)


class Transport(abc.ABC):
    """Moves bytes to and from one endpoint; every path is relative to the endpoint's root.

    Subclasses implement the ``_``-prefixed primitives with *resolved* paths and translate their
    library's exceptions into :mod:`exchange.errors`; the public methods confine paths first.
    """

    scheme: str = ""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._swept: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release the connection; safe to call twice."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.endpoint}>"

    # -- public API ------------------------------------------------------------------------
    def list_files(self, folder: str = "", pattern: str = "*") -> list[RemoteFile]:
        """Regular files directly in ``folder`` whose name matches ``pattern``, sorted by name."""
        rel = confine(folder)
        files = [
            f for f in self._list(rel) if fnmatch.fnmatchcase(f.name, pattern)
        ]
        return sorted(files, key=lambda f: f.name)

    def download(self, remote: str | RemoteFile, local_path: str | os.PathLike[str],
                 on_block: BlockSink | None = None) -> int:
        """Copy a remote file to ``local_path``; return the number of bytes written.

        ``on_block`` sees every block as it is written (to hash while downloading).
        """
        size = remote.size if isinstance(remote, RemoteFile) else None
        path = confine(remote.path if isinstance(remote, RemoteFile) else remote)
        local = Path(local_path)
        try:
            written = self._download(path, local, size, on_block)
            if size is not None and written != size:
                raise TransferError(
                    f"{path}: received {written} bytes, the listing said {size}"
                )
        except BaseException:
            local.unlink(missing_ok=True)  # never leave a partial copy behind
            raise
        return written

    def upload(self, local_path: str | os.PathLike[str], remote: str) -> int:
        """Copy a local file to ``remote`` as is (not atomic; see :meth:`publish`)."""
        return self._upload(Path(local_path), confine(remote))

    def publish(self, local_path: str | os.PathLike[str], remote: str) -> int:
        """Upload under a temporary name, check the size, then rename to ``remote``.

        A reader never sees a half-written file under the final name.
        """
        final = confine(remote)
        self.sweep_stale_uploads(posixpath.dirname(final))
        local = Path(local_path)
        expected = local.stat().st_size
        tmp = temp_name(final)
        try:
            self._upload(local, tmp)
            got = self._size(tmp)
            if got != expected:
                raise TransferError(
                    f"{final}: server holds {got} bytes after upload, expected {expected}"
                )
            self._replace(tmp, final)
        except BaseException:
            self._discard(tmp)
            raise
        return expected

    def publish_many(
        self, items: Sequence[tuple[str | os.PathLike[str], str]]
    ) -> Iterator[int]:
        """Publish ``(local, remote)`` pairs in order; yield each index once it is published.

        The first failure is raised and nothing after it is published, so a caller can queue
        the rest in the same order.
        """
        for i, (local, remote) in enumerate(items):
            self.publish(local, remote)
            yield i

    def sweep_stale_uploads(self, folder: str = "", *, now: datetime | None = None) -> list[str]:
        """Delete our temporary uploads in ``folder`` older than STALE_UPLOAD_AGE; once per folder.

        A push killed between upload and rename leaves its ``.exchange-tmp-*`` file behind; no
        reader takes it (readers skip the prefix), so only we can clean it up. Best effort: a
        folder that cannot be listed, or a file that cannot be deleted, is left for next time.
        Returns the paths deleted.
        """
        rel = confine(folder)
        if rel in self._swept:
            return []
        self._swept.add(rel)
        cutoff = (now or datetime.now(UTC)) - STALE_UPLOAD_AGE
        try:
            stale = [f for f in self._list(rel) if is_temp_name(f.name) and f.mtime < cutoff]
        except TransportError:
            return []
        removed = []
        for f in stale:
            try:
                self._delete(f.path)
            except TransportError:
                continue  # someone else's, or gone already
            removed.append(f.path)
        return removed

    def rename(self, old: str, new: str) -> None:
        """Rename or move a remote file inside the root; replaces ``new`` if it exists."""
        self._replace(confine(old), confine(new))

    def delete(self, path: str) -> None:
        """Delete a remote file."""
        self._delete(confine(path))

    def mkdir(self, folder: str) -> None:
        """Create ``folder`` and its parents; an existing folder is fine."""
        rel = confine(folder)
        if not rel:
            return
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            self._mkdir_one("/".join(parts[:i]))

    def size(self, path: str) -> int:
        """Size in bytes of a remote file."""
        return self._size(confine(path))

    def exists(self, path: str) -> bool:
        """True if the remote file exists."""
        try:
            self._size(confine(path))
        except RemoteNotFoundError:
            return False
        return True

    # -- primitives ------------------------------------------------------------------------
    @abc.abstractmethod
    def _list(self, folder: str) -> list[RemoteFile]: ...

    @abc.abstractmethod
    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int: ...

    @abc.abstractmethod
    def _upload(self, local: Path, path: str) -> int: ...

    @abc.abstractmethod
    def _replace(self, old: str, new: str) -> None: ...

    @abc.abstractmethod
    def _delete(self, path: str) -> None: ...

    @abc.abstractmethod
    def _mkdir_one(self, folder: str) -> None: ...

    @abc.abstractmethod
    def _size(self, path: str) -> int: ...

    def _discard(self, path: str) -> None:
        """Best-effort removal of a temporary file after a failed publish."""
        # The original error matters, not this one.
        with contextlib.suppress(Exception):
            self._delete(path)
