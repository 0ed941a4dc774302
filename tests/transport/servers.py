"""Real servers on loopback for the transport tests (and the benchmark): no Docker, no sleeps.

Each server binds port 0 and reads the real port back with getsockname(); readiness is the
listening socket itself (connections queue before the serving thread runs) plus an Event.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import logging
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

logging.getLogger("pyftpdlib").setLevel(logging.WARNING)

PASSWORD = "s3cret pass"  # a space inside on purpose


# -- faults ------------------------------------------------------------------------------------
@dataclass
class Faults:
    """What a test server does wrong, switched on by the test (no patching)."""

    #: names (or parts of names) whose transfer is cut (connection closed) after ``cut_after`` bytes
    cut: set[str] = field(default_factory=set)
    cut_after: int = 64 * 1024
    #: file names that grow by 100 bytes at every listing of their folder
    growing: set[str] = field(default_factory=set)
    #: extra (hostile) names every listing reports
    fake_names: list[str] = field(default_factory=list)
    #: target names (or parts of names) a rename to is refused with "permission denied"
    refuse_rename: set[str] = field(default_factory=set)


# -- certificates ------------------------------------------------------------------------------
@dataclass
class Certs:
    """A CA and a server certificate for 127.0.0.1/localhost, as PEM files."""

    ca: Path
    cert: Path
    key: Path
    other_ca: Path  # a CA that did not sign the server certificate


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_certs(folder: Path) -> Certs:
    """Make a CA, a server certificate it signs, and an unrelated CA."""
    ca_key, ca_cert = _ca("exchange test CA")
    _, other = _ca("someone else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                  folder / "other-ca.pem")
    paths.ca.write_bytes(ca_cert.public_bytes(pem))
    paths.other_ca.write_bytes(other.public_bytes(pem))
    paths.cert.write_bytes(cert.public_bytes(pem))
    paths.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


# -- pyftpdlib -----------------------------------------------------------------------------------
class _CutFile:
    """A file object that cuts the whole FTP session after ``limit`` bytes."""

    def __init__(self, raw: Any, limit: int, channel: Any) -> None:
        self._raw, self._left, self._channel = raw, limit, channel
        self.name = raw.name
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            self._cut()
            return b""
        data = self._raw.read(min(n if n > 0 else self._left, self._left))
        self._left -= len(data)
        return data

    def write(self, data: bytes) -> int:
        if self._left < len(data):
            self._raw.write(data[: max(self._left, 0)])
            self._left = 0
            self._cut()
            return len(data)
        self._left -= len(data)
        return self._raw.write(data)

    def _cut(self) -> None:
        self._channel.close()

    def close(self) -> None:
        self.closed = True
        self._raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class FaultFS(AbstractedFS):
    """pyftpdlib's filesystem plus the faults of the server's ``Faults``."""

    @property
    def faults(self) -> Faults:
        return self.cmd_channel.faults  # type: ignore[no-any-return]

    def listdir(self, path: str) -> list[str]:
        for name in self.faults.growing:
            target = Path(path) / name
            if target.exists():
                with target.open("ab") as f:
                    f.write(b"x" * 100)
        return super().listdir(path)

    def format_mlsx(self, basedir: str, listing: list[str], perms: str, facts: Any,
                    ignore_err: bool = True) -> Any:
        yield from super().format_mlsx(basedir, listing, perms, facts, ignore_err)
        for name in self.faults.fake_names:
            yield f"modify=20200101000000;size=5;type=file; {name}\r\n".encode()

    def rename(self, src: str, dst: str) -> None:
        if any(c in os.path.basename(dst) for c in self.faults.refuse_rename):
            raise PermissionError(13, "Permission denied")
        super().rename(src, dst)

    def open(self, filename: str, mode: str) -> Any:
        raw = super().open(filename, mode)
        if any(c in os.path.basename(filename) for c in self.faults.cut):
            return _CutFile(raw, self.faults.cut_after, self.cmd_channel)
        return raw


@dataclass
class FTPServerThread:
    """A pyftpdlib server (FTP, or FTPS with ``certs``) in a background thread."""

    root: Path
    certs: Certs | None = None
    port: int = 0
    faults: Faults = field(default_factory=Faults)
    #: sendfile() bypasses the filesystem layer, and so the injected faults (fast for benches)
    sendfile: bool = False

    def __post_init__(self) -> None:
        auth = DummyAuthorizer()
        (self.root / "ro").mkdir(exist_ok=True)
        auth.add_user("alice", PASSWORD, str(self.root), perm="elradfmwMT")
        auth.add_user("reader", PASSWORD, str(self.root), perm="elr")
        auth.add_anonymous(str(self.root))
        base = TLS_FTPHandler if self.certs else FTPHandler
        attrs: dict[str, Any] = {"authorizer": auth, "abstracted_fs": FaultFS,
                                 "faults": self.faults, "banner": "test", "log_prefix": "",
                                 "use_sendfile": self.sendfile, "auth_failed_timeout": 0}
        if self.certs:
            attrs |= {"certfile": str(self.certs.cert), "keyfile": str(self.certs.key),
                      "tls_control_required": True, "tls_data_required": True}
        handler = type("Handler", (base,), attrs)
        handler.passive_ports = None
        self.server = FTPServer(("127.0.0.1", self.port), handler)
        self.port = self.server.socket.getsockname()[1]
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="ftpd")
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        self._started.set()
        while not self._stop.is_set():
            self.server.serve_forever(timeout=0.02, blocking=False, handle_exit=False)
        self.server.close_all()

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self._stop.set()
        self._thread.join()

    def url(self, scheme: str = "ftp", user: str | None = "alice", path: str = "/") -> str:
        user_part = f"{user}@" if user else ""
        return f"{scheme}://{user_part}127.0.0.1:{self.port}{path}"


def free_port() -> int:
    """A port that was free a moment ago (only for 'server is down' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- asyncssh SFTP -------------------------------------------------------------------------------
class _SSHServer(asyncssh.SSHServer):
    connections: set[asyncssh.SSHServerConnection]

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.connections.add(conn)
        self._conn = conn

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username in ("alice", "reader") and password == PASSWORD


class FaultSFTPServer(asyncssh.SFTPServer):
    """asyncssh's SFTP server rooted in a folder, with the faults of ``Faults``."""

    faults: Faults
    root: bytes

    def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
        super().__init__(chan, chroot=self.root)
        self.read_only = chan.get_extra_info("username") == "reader"

    def _deny(self) -> None:
        if self.read_only:
            raise asyncssh.SFTPPermissionDenied("read-only user")

    def _is_cut(self, file_obj: Any) -> bool:
        name = os.path.basename(getattr(file_obj, "name", b"")).decode()
        return any(c in name for c in self.faults.cut)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        real = self.map_path(path)
        for name in self.faults.growing:
            target = Path(os.fsdecode(real)) / name
            if target.exists():
                with target.open("ab") as f:
                    f.write(b"x" * 100)
        async for entry in super().scandir(path):
            yield entry
        for fake in self.faults.fake_names:
            attrs = asyncssh.SFTPAttrs(type=asyncssh.FILEXFER_TYPE_REGULAR, size=5,
                                       permissions=0o100644, mtime=1577836800, atime=1577836800)
            yield asyncssh.SFTPName(fake.encode(), fake.encode(), attrs)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_CREAT):
            self._deny()
        return super().open(path, pflags, attrs)

    def read(self, file_obj: Any, offset: int, size: int) -> bytes:
        if self._is_cut(file_obj) and offset >= self.faults.cut_after:
            self.connection.abort()
            return b""
        return super().read(file_obj, offset, size)  # type: ignore[return-value]

    def write(self, file_obj: Any, offset: int, data: bytes) -> int:
        if self._is_cut(file_obj) and offset >= self.faults.cut_after:
            self.connection.abort()
            return 0
        return super().write(file_obj, offset, data)  # type: ignore[return-value]

    def remove(self, path: bytes) -> None:
        self._deny()
        super().remove(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._deny()
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._deny()
        if any(c in os.path.basename(newpath).decode() for c in self.faults.refuse_rename):
            raise asyncssh.SFTPPermissionDenied("rename refused")
        super().posix_rename(oldpath, newpath)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._deny()
        super().mkdir(path, attrs)


class SFTPServerThread:
    """An asyncssh SFTP server on 127.0.0.1:0, its event loop in a background thread."""

    def __init__(self, root: Path, keydir: Path, faults: Faults | None = None) -> None:
        self.root = root
        self.faults = faults or Faults()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key_path = keydir / "client_ed25519"
        self.client_key.write_private_key(str(self.client_key_path), "openssh")
        server_cls = type("SFTP", (FaultSFTPServer,), {"faults": self.faults,
                                                       "root": os.fsencode(root)})
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._server_cls = type("SSH", (_SSHServer,), {"connections": self.connections})
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None

        async def start() -> None:
            self._acceptor = await asyncssh.listen(
                "127.0.0.1", 0, server_host_keys=[self.host_key], server_factory=self._server_cls,
                sftp_factory=server_cls, authorized_client_keys=asyncssh.import_authorized_keys(
                    self.client_key.export_public_key().decode()),
                allow_scp=False)
            self.port = self._acceptor.sockets[0].getsockname()[1]

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(start())
            except BaseException as exc:  # surfaced in the test thread
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="sftpd")
        self._thread.start()
        self._ready.wait()
        if self._error:
            raise self._error
        self.known_hosts = keydir / "known_hosts"
        self.known_hosts.write_text(
            f"[127.0.0.1]:{self.port} {self.host_key.export_public_key().decode()}")

    @property
    def fingerprint(self) -> str:
        return self.host_key.get_fingerprint("sha256")

    def url(self, user: str = "alice", path: str = "/", **options: str) -> str:
        opts = {"known_hosts": str(self.known_hosts), **options}
        query = "&".join(f"{k}={v}" for k, v in opts.items())
        return f"sftp://{user}@127.0.0.1:{self.port}{path}?{query}"

    def stop(self) -> None:
        """Close the listener and every connection, then stop the loop."""
        async def shutdown() -> None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            for conn in list(self.connections):
                conn.close()
                await conn.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


# -- inetd-style launcher (vsftpd, OpenSSH's sshd) -------------------------------------------
class InetdServer:
    """Accepts on 127.0.0.1:0 and runs ``argv`` per connection with the socket as stdin/stdout.

    Both vsftpd (listen=NO) and sshd (-i) serve one connection that way, so no port is
    guessed and readiness is simply the listening socket.
    """

    def __init__(self, argv: list[str], log: Path) -> None:
        self.argv = argv
        self._log = log.open("ab")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.procs: list[subprocess.Popen[bytes]] = []
        self._thread = threading.Thread(target=self._serve, daemon=True, name="inetd")
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.procs.append(subprocess.Popen(
                    self.argv, stdin=conn, stdout=conn, stderr=self._log, close_fds=True))

    def stop(self) -> None:
        """Stop accepting, end every server process and close the log."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join()
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
            proc.wait()
        self._log.close()


def vsftpd_server(folder: Path, certs: Certs) -> InetdServer:
    """Debian's vsftpd, anonymous FTPS only, with ``require_ssl_reuse=YES``."""
    binary = shutil.which("vsftpd") or "/usr/sbin/vsftpd"
    anon = folder / "anon"
    (anon / "pub").mkdir(parents=True)
    os.chmod(anon, 0o555)  # noqa: S103 - vsftpd refuses a writable anonymous root
    shutil.chown(anon / "pub", "ftp", "ftp")
    empty = folder / "empty"
    empty.mkdir()
    os.chmod(empty, 0o555)  # noqa: S103 - as Debian ships its secure_chroot_dir
    conf = folder / "vsftpd.conf"
    conf.write_text("\n".join([
        "listen=NO", "listen_ipv6=NO", "background=NO", "seccomp_sandbox=NO",
        "isolate=NO", "isolate_network=NO",
        "anonymous_enable=YES", "local_enable=NO", "no_anon_password=YES",
        f"anon_root={anon}", "write_enable=YES", "anon_upload_enable=YES",
        "anon_mkdir_write_enable=YES", "anon_other_write_enable=YES", "anon_umask=022",
        f"secure_chroot_dir={empty}",
        "ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES",
        "force_anon_data_ssl=YES", "require_ssl_reuse=YES", "ssl_ciphers=HIGH",
        f"rsa_cert_file={certs.cert}", f"rsa_private_key_file={certs.key}",
        "pasv_enable=YES", "pasv_address=127.0.0.1", "connect_from_port_20=NO",
        "xferlog_enable=NO", "dirmessage_enable=NO", "use_localtime=NO", "",
    ]))
    os.chmod(conf, 0o600)
    return InetdServer([binary, str(conf)], folder / "vsftpd.log")


def sshd_server(folder: Path) -> tuple[InetdServer, Path, Path]:
    """OpenSSH's sshd in inetd mode with its own config and keys; returns (server, key, known)."""
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation folder
    host_key = folder / "host_ed25519"
    client_key = folder / "client_ed25519"
    for path in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                       check=True)
    (folder / "authorized_keys").write_text(client_key.with_suffix(".pub").read_text())
    conf = folder / "sshd_config"
    conf.write_text("\n".join([
        f"HostKey {host_key}", f"AuthorizedKeysFile {folder}/authorized_keys",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes", "PermitRootLogin yes", "StrictModes no", "UsePAM no",
        "Subsystem sftp internal-sftp", "PidFile none", "LogLevel ERROR", "",
    ]))
    server = InetdServer([binary, "-i", "-f", str(conf)], folder / "sshd.log")
    known = folder / "known_hosts"
    pub = host_key.with_suffix(".pub").read_text().split()
    known.write_text(f"[127.0.0.1]:{server.port} {pub[0]} {pub[1]}\n")
    return server, client_key, known
