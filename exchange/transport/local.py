"""Local folder transport (``file:///path``)."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

from exchange.errors import (
    ConfigError,
    ExchangeError,
    RemoteNotFoundError,
    UnsafePathError,
)
from exchange.transport.base import BlockSink, RemoteFile, Transport
from exchange.transport.endpoint import Endpoint
from exchange.transport.oserrors import LOCAL_ERRORS


def _translate(exc: OSError, what: str) -> ExchangeError:
    return LOCAL_ERRORS.translate(exc, what)


def refuse_reason(folder: Path, path: Path) -> str | None:
    """Why ``path`` in ``folder`` must not be read, or None when it may.

    A symbolic link is never followed, wherever it points, and a file whose real path is outside
    the folder (through a linked parent folder) is refused: neither is read nor copied anywhere.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "vanished"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link: never followed"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    base = Path(os.path.realpath(folder))
    if base not in Path(os.path.realpath(path)).parents:
        return f"its real path is outside {folder}"
    return None


#: Opening for reading never follows a symbolic link in the last component.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class LocalTransport(Transport):
    """A folder on this machine, seen through the same interface as a server."""

    scheme = "file"

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.base = Path(endpoint.root).resolve()
        if not self.base.is_dir():
            raise ConfigError(f"{endpoint}: folder {self.base} does not exist")

    def _path(self, rel: str) -> Path:
        path = self.base / rel if rel else self.base
        # A symlink inside the root must not lead out of it.
        real = Path(os.path.realpath(path))
        if real != self.base and self.base not in real.parents:
            raise UnsafePathError(f"refused path {rel!r}: resolves outside the endpoint's root")
        return path

    def _list(self, folder: str) -> list[RemoteFile]:
        try:
            with os.scandir(self._path(folder)) as it:
                entries = [(e.name, e.stat(follow_symlinks=False)) for e in it]
        except OSError as exc:
            raise _translate(exc, folder or ".") from exc
        prefix = f"{folder}/" if folder else ""
        return [
            RemoteFile(name, prefix + name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
            for name, st in entries
            if stat.S_ISREG(st.st_mode)
        ]

    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int:
        source = self._path(path)
        reason = refuse_reason(self.base, source)
        if reason is not None and reason != "vanished":
            raise UnsafePathError(f"refused {path}: {reason}")
        try:
            written = 0
            with os.fdopen(os.open(source, _READ_FLAGS), "rb") as src, local.open("wb") as out:
                while block := src.read(1024 * 1024):
                    out.write(block)
                    if on_block is not None:
                        on_block(block)
                    written += len(block)
            return written
        except OSError as exc:
            raise _translate(exc, path) from exc

    def _upload(self, local: Path, path: str) -> int:
        try:
            shutil.copyfile(local, self._path(path))
            return local.stat().st_size
        except OSError as exc:
            raise _translate(exc, path) from exc

    def _replace(self, old: str, new: str) -> None:
        try:
            os.replace(self._path(old), self._path(new))
        except OSError as exc:
            raise _translate(exc, f"{old} -> {new}") from exc

    def _delete(self, path: str) -> None:
        try:
            self._path(path).unlink()
        except OSError as exc:
            raise _translate(exc, path) from exc

    def _mkdir_one(self, folder: str) -> None:
        try:
            self._path(folder).mkdir(exist_ok=True)
        except OSError as exc:
            raise _translate(exc, folder) from exc

    def _size(self, path: str) -> int:
        try:
            st = self._path(path).stat()
        except OSError as exc:
            raise _translate(exc, path) from exc
        if not stat.S_ISREG(st.st_mode):
            raise RemoteNotFoundError(f"{path}: not a file")
        return st.st_size
