"""Fixtures for the transport tests: every backend as a real server on loopback."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.transport.memory import MemoryServer
from tests.transport.servers import (
    PASSWORD,
    Certs,
    FTPServerThread,
    SFTPServerThread,
    make_certs,
    sshd_server,
    vsftpd_server,
)

BACKENDS = ["local", "memory", "ftp", "ftps", "sftp", "sftp-openssh", "ftps-vsftpd"]


@pytest.fixture(autouse=True)
def _password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords reach the transports the documented way: through the environment."""
    for key in list(os.environ):
        if key.startswith("EXCHANGE_") and "PASSWORD" in key:
            monkeypatch.delenv(key)
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_READER", PASSWORD)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA and a server certificate for 127.0.0.1."""
    return make_certs(tmp_path_factory.mktemp("certs"))


@dataclass
class Remote:
    """One backend under test: the endpoint URL and a view of the server's files."""

    kind: str
    url: str
    base: Path | None = None  # the folder the endpoint's root maps to, for disk servers
    memory: MemoryServer | None = None
    mem_root: str = ""
    ftp: FTPServerThread | None = None
    sftp: SFTPServerThread | None = None

    def put(self, rel: str, data: bytes, mtime: datetime | None = None) -> None:
        if self.memory is not None:
            self.memory.put(f"{self.mem_root}/{rel}", data, mtime)
            return
        assert self.base is not None
        path = self.base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime.timestamp(), mtime.timestamp()))

    def read(self, rel: str) -> bytes:
        if self.memory is not None:
            return self.memory.read(f"{self.mem_root}/{rel}")
        assert self.base is not None
        return (self.base / rel).read_bytes()

    def exists(self, rel: str) -> bool:
        if self.memory is not None:
            return f"{self.mem_root}/{rel}" in self.memory.files
        assert self.base is not None
        return (self.base / rel).exists()

    def names(self, folder: str = "") -> list[str]:
        """Every file name in ``folder`` (temporary ones included)."""
        if self.memory is not None:
            full = "/".join(p for p in (self.mem_root, folder) if p)
            return sorted(p.rsplit("/", 1)[1] for p in self.memory.files
                          if p.rpartition("/")[0] == full)
        assert self.base is not None
        return sorted(p.name for p in (self.base / folder).iterdir() if p.is_file())


def _need(binary: str) -> None:
    if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
        pytest.skip(f"{binary} is not installed")
    if os.geteuid() != 0:
        pytest.skip(f"{binary} needs root to run with its own config")


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[FTPServerThread]:
    """pyftpdlib, plain FTP."""
    (tmp_path / "ftp-root").mkdir()
    server = FTPServerThread(tmp_path / "ftp-root")
    yield server
    server.stop()


@pytest.fixture
def ftps_server(tmp_path: Path, certs: Certs) -> Iterator[FTPServerThread]:
    """pyftpdlib, FTPS (explicit TLS required on control and data)."""
    (tmp_path / "ftps-root").mkdir()
    server = FTPServerThread(tmp_path / "ftps-root", certs=certs)
    yield server
    server.stop()


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SFTPServerThread]:
    """asyncssh's SFTP server rooted in a temp folder."""
    (tmp_path / "sftp-root").mkdir()
    (tmp_path / "keys").mkdir()
    server = SFTPServerThread(tmp_path / "sftp-root", tmp_path / "keys")
    yield server
    server.stop()


@pytest.fixture
def remote(request: pytest.FixtureRequest, tmp_path: Path, certs: Certs) -> Iterator[Remote]:
    """Each backend in turn (see BACKENDS); skipped when its server is not installed."""
    kind: str = request.param
    if kind == "local":
        base = tmp_path / "local-root"
        base.mkdir()
        yield Remote(kind, f"file://{base}", base=base)
    elif kind == "memory":
        name = "mem-" + "".join(c if c.isalnum() else "-" for c in request.node.name)
        server = MemoryServer.reset(name)
        yield Remote(kind, f"memory://{name}/root", memory=server, mem_root="root")
    elif kind in ("ftp", "ftps"):
        (tmp_path / "ftp-root").mkdir()
        ftp = FTPServerThread(tmp_path / "ftp-root", certs=certs if kind == "ftps" else None)
        query = f"?cafile={certs.ca}" if kind == "ftps" else ""
        try:
            yield Remote(kind, ftp.url(kind) + query, base=ftp.root, ftp=ftp)
        finally:
            ftp.stop()
    elif kind == "sftp":
        (tmp_path / "sftp-root").mkdir()
        (tmp_path / "keys").mkdir()
        sftp = SFTPServerThread(tmp_path / "sftp-root", tmp_path / "keys")
        try:
            yield Remote(kind, sftp.url(), base=sftp.root, sftp=sftp)
        finally:
            sftp.stop()
    elif kind == "sftp-openssh":
        _need("sshd")
        (tmp_path / "sshd").mkdir()
        (tmp_path / "sshd-root").mkdir()
        server, key, known = sshd_server(tmp_path / "sshd")
        url = (f"sftp://root@127.0.0.1:{server.port}{tmp_path}/sshd-root"
               f"?key={key}&known_hosts={known}")
        try:
            yield Remote(kind, url, base=tmp_path / "sshd-root")
        finally:
            server.stop()
    elif kind == "ftps-vsftpd":
        _need("vsftpd")
        (tmp_path / "vsftpd").mkdir()
        server = vsftpd_server(tmp_path / "vsftpd", certs)
        url = f"ftps://127.0.0.1:{server.port}/pub?cafile={certs.ca}"
        try:
            yield Remote(kind, url, base=tmp_path / "vsftpd" / "anon" / "pub")
        finally:
            server.stop()
    else:  # pragma: no cover
        raise ValueError(kind)


OLD = datetime(2020, 1, 1, tzinfo=UTC)
