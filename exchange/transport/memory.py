"""In-memory transport (``memory://NAME/root``) for fast tests of the layers above the transport.

``MemoryServer.get(NAME)`` is the far side: tests put files on it, take it down (``down = True``)
or make it refuse writes (``read_only = True``) without patching anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from exchange.errors import ConnectError, PermissionDeniedError, RemoteNotFoundError
from exchange.transport.base import BlockSink, RemoteFile, Transport
from exchange.transport.endpoint import Endpoint


@dataclass
class MemoryServer:
    """The far side of memory:// endpoints: files keyed by full path (root included)."""

    name: str
    files: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)
    folders: set[str] = field(default_factory=lambda: {""})
    down: bool = False
    read_only: bool = False
    #: Extra names a (hostile) listing reports, per folder; they cannot be downloaded.
    fake_names: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    connections: int = 0

    _servers: ClassVar[dict[str, MemoryServer]] = {}
    _servers_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def get(cls, name: str) -> MemoryServer:
        """The server called ``name``, created empty on first use."""
        with cls._servers_lock:
            return cls._servers.setdefault(name, cls(name))

    @classmethod
    def reset(cls, name: str) -> MemoryServer:
        """A fresh empty server called ``name``."""
        with cls._servers_lock:
            server = cls._servers[name] = cls(name)
            return server

    def put(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        """Store a file (its folders are created)."""
        with self.lock:
            self._add_parents(path)
            self.files[path] = (data, mtime or datetime.now(UTC))

    def read(self, path: str) -> bytes:
        """The bytes of a stored file."""
        return self.files[path][0]

    def _add_parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.folders.add("/".join(parts[:i]))


class MemoryTransport(Transport):
    """A transport whose server lives in this process (see :class:`MemoryServer`)."""

    scheme = "memory"

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.server = MemoryServer.get(endpoint.host)
        self._check_up()
        self.server.connections += 1
        self.root = endpoint.root.strip("/")
        with self.server.lock:
            self.server._add_parents(self._full("x"))

    def _check_up(self) -> None:
        if self.server.down:
            raise ConnectError(f"{self.endpoint}: connection refused (server down)")

    def _full(self, rel: str) -> str:
        return "/".join(p for p in (self.root, rel) if p)

    def _writable(self, rel: str) -> None:
        self._check_up()
        if self.server.read_only:
            raise PermissionDeniedError(f"{rel}: permission denied")

    def _list(self, folder: str) -> list[RemoteFile]:
        self._check_up()
        full = self._full(folder)
        prefix = f"{folder}/" if folder else ""
        with self.server.lock:
            if full not in self.server.folders:
                raise RemoteNotFoundError(f"{folder or '.'}: no such folder")
            out = [
                RemoteFile(path.rsplit("/", 1)[-1], prefix + path.rsplit("/", 1)[-1],
                           len(data), mtime)
                for path, (data, mtime) in self.server.files.items()
                if path.rpartition("/")[0] == full
            ]
        out += [
            RemoteFile(name, prefix + name, 0, datetime.now(UTC))
            for name in self.server.fake_names.get(folder, [])
        ]
        return out

    def _get(self, path: str) -> tuple[bytes, datetime]:
        self._check_up()
        try:
            return self.server.files[self._full(path)]
        except KeyError:
            raise RemoteNotFoundError(f"{path}: no such file") from None

    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int:
        data, _ = self._get(path)
        local.write_bytes(data)
        if on_block is not None:
            on_block(data)
        return len(data)

    def _upload(self, local: Path, path: str) -> int:
        self._writable(path)
        data = local.read_bytes()
        full = self._full(path)
        with self.server.lock:
            if full.rpartition("/")[0] not in self.server.folders:
                raise RemoteNotFoundError(f"{path}: no such folder")
            self.server.files[full] = (data, datetime.now(UTC))
        return len(data)

    def _replace(self, old: str, new: str) -> None:
        self._writable(new)
        with self.server.lock:
            try:
                entry = self.server.files.pop(self._full(old))
            except KeyError:
                raise RemoteNotFoundError(f"{old}: no such file") from None
            self.server.files[self._full(new)] = entry

    def _delete(self, path: str) -> None:
        self._writable(path)
        with self.server.lock:
            if self.server.files.pop(self._full(path), None) is None:
                raise RemoteNotFoundError(f"{path}: no such file")

    def _mkdir_one(self, folder: str) -> None:
        self._writable(folder)
        with self.server.lock:
            self.server.folders.add(self._full(folder))

    def _size(self, path: str) -> int:
        return len(self._get(path)[0])
