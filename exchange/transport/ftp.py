"""FTP and FTPS (explicit TLS) transports built on ftplib.

FTPS data connections reuse the control connection's TLS session: FileZilla Server ("425") and
vsftpd with ``require_ssl_reuse=YES`` ("522") refuse transfers otherwise, and plain
``ftplib.FTP_TLS`` does not do it.
"""

from __future__ import annotations

import contextlib
import ftplib
import os
import posixpath
import socket
import ssl
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from exchange.errors import (
    AuthError,
    ConnectError,
    ExchangeError,
    PermissionDeniedError,
    RemoteNotFoundError,
    TransferError,
    TransportError,
)
from exchange.translate import ErrorTable, Failure
from exchange.transport.base import BlockSink, RemoteFile, Transport, confine, temp_name
from exchange.transport.endpoint import Endpoint, flag, password_env_name, resolve_password
from exchange.transport.oserrors import NETWORK_ERRORS

#: ftplib's 8 KiB default costs throughput on fast links.
BLOCK_SIZE = 64 * 1024
#: publish_many uploads this many files, checks them with one listing, then renames them.
STAGE_GROUP = 200


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd: str,
                     rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)  # noqa: S321
        if self._prot_p:  # type: ignore[attr-defined]
            session = self.sock.session if isinstance(self.sock, ssl.SSLSocket) else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


def _refused(f: Failure) -> ExchangeError:
    """A 5xx reply: the code and the server's words decide."""
    text = f.text
    code, low = text[:3], text.lower()
    if code in ("530", "332"):
        return AuthError(f"{f.what}: login refused ({text})")
    if code == "553" or (
        code == "550" and any(w in low for w in ("permission", "privilege", "denied", "not allowed"))
    ):
        return PermissionDeniedError(f"{f.what}: permission denied ({text})")
    if code == "550" or (code == "501" and "no such" in low):
        return RemoteNotFoundError(f"{f.what}: not found ({text})")
    return TransportError(f"{f.what}: server refused ({text})")


def _temporary(f: Failure) -> ExchangeError:
    """A 4xx reply: 421 is the server going away; the others a transfer to retry."""
    if f.text.startswith("421"):
        return ConnectError(f"{f.what}: service not available ({f.text})")
    return TransferError(f"{f.what}: temporary failure ({f.text})")


def _unexpected_reply(f: Failure) -> ExchangeError:
    return TransferError(f"{f.what}: unexpected reply ({f.text})")


def _ftp_error(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: {f.detail}")


FTP_ERRORS = ErrorTable.of("ftplib", [
    ((ftplib.error_perm,), _refused),
    ((ftplib.error_temp,), _temporary),
    ((ftplib.error_reply, ftplib.error_proto), _unexpected_reply),
    ((ftplib.Error,), _ftp_error),
])
#: Everything an FTP or FTPS session can raise.
_TABLE = FTP_ERRORS | NETWORK_ERRORS


def translate(exc: BaseException, what: str, *, connecting: bool = False) -> ExchangeError:
    """Map an ftplib, ssl or socket exception to the project's error tree."""
    return _TABLE.translate(exc, what, connecting=connecting)


def _mtime(value: str) -> datetime:
    stamp = value.split(".")[0]
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


class FTPTransport(Transport):
    """Plain FTP (``ftp://user@host:21/folder/?passive=1``); anonymous when no user is given."""

    scheme = "ftp"
    _tls = False

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.root = endpoint.root or "/"
        self._mlsd = True
        self._binary = True
        self.ftp = self._connect()

    def _make_client(self) -> ftplib.FTP:
        # Plain FTP is what an ftp:// endpoint asks for; ftps:// and sftp:// are there too.
        return ftplib.FTP(timeout=self.endpoint.timeout)  # noqa: S321

    def _connect(self) -> ftplib.FTP:
        ep = self.endpoint
        if ep.anonymous:
            user, password = "anonymous", "anonymous@"
        else:
            user = ep.user or ""
            password = resolve_password(ep) or ""
            if not password:
                raise AuthError(
                    f"{ep}: no password for {user}; set {password_env_name(ep)} "
                    "or store it in the OS keyring (service exchange:<host>)"
                )
        ftp = self._make_client()
        try:
            try:
                ftp.connect(ep.host, ep.effective_port)
            except (OSError, EOFError, ftplib.Error) as exc:
                raise translate(exc, str(ep), connecting=True) from exc
            ftp.login(user, password)
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            ftp.set_pasv(flag(ep, "passive", True))
            ftp.voidcmd("TYPE I")
            try:
                features = ftp.sendcmd("FEAT").upper()
            except ftplib.error_perm:
                features = ""
            self._mlsd = "MLST" in features  # else NLST + SIZE + MDTM (vsftpd)
            if "UTF8" in features:
                # Names are sent as UTF-8 either way; some servers want to be told.
                with contextlib.suppress(ftplib.Error):
                    ftp.sendcmd("OPTS UTF8 ON")
        except TransportError:
            ftp.close()
            raise
        except (OSError, EOFError, ftplib.Error) as exc:
            ftp.close()
            raise translate(exc, str(ep)) from exc
        except BaseException:
            ftp.close()
            raise
        return ftp

    def close(self) -> None:
        ftp, self.ftp = getattr(self, "ftp", None), None  # type: ignore[assignment]
        if ftp is None:
            return
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            pass
        finally:
            ftp.close()

    def _full(self, rel: str) -> str:
        return posixpath.join(self.root, rel) if rel else self.root

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self.ftp is None:
            raise TransportError(f"{self.endpoint}: transport is closed")
        try:
            return fn(*args, **kwargs)
        except (OSError, EOFError, ftplib.Error) as exc:
            raise translate(exc, what) from exc

    def _list(self, folder: str) -> list[RemoteFile]:
        full = self._full(folder)
        prefix = f"{folder}/" if folder else ""
        self._binary = False  # listings switch the session to ASCII (TYPE A)
        if self._mlsd:
            try:
                entries = list(self.ftp.mlsd(full, facts=["type", "size", "modify"]))
            except (OSError, EOFError, ftplib.Error) as exc:
                raise translate(exc, folder or ".") from exc
            else:
                return [
                    RemoteFile(name, prefix + name, int(facts.get("size", 0)),
                               _mtime(facts.get("modify", "19700101000000")))
                    for name, facts in entries
                    if facts.get("type") == "file"
                ]
        return self._list_nlst(folder, full, prefix)

    def _list_nlst(self, folder: str, full: str, prefix: str) -> list[RemoteFile]:
        # NLST of a missing folder is an empty listing on some servers (vsftpd): check first.
        self._call(folder or ".", self.ftp.cwd, full)
        try:
            names = self.ftp.nlst(full)
        except ftplib.error_perm as exc:
            if str(exc).startswith("550") and "permission" not in str(exc).lower():
                return []  # some servers answer 550 for an empty folder
            raise translate(exc, folder or ".") from exc
        except (OSError, EOFError, ftplib.Error) as exc:
            raise translate(exc, folder or ".") from exc
        out = []
        self._ensure_binary()
        for raw in names:
            name = raw[len(full) + 1:] if raw.startswith(full.rstrip("/") + "/") else raw
            try:
                size = self.ftp.size(self._full(prefix + name))
                stamp = self.ftp.voidcmd(f"MDTM {self._full(prefix + name)}")[4:].strip()
            except ftplib.error_perm:
                continue  # a folder, or gone since the listing
            except (OSError, EOFError, ftplib.Error) as exc:
                raise translate(exc, name) from exc
            out.append(RemoteFile(name, prefix + name, int(size or 0), _mtime(stamp)))
        return out

    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int:
        written = 0
        with local.open("wb") as out:
            def sink(block: bytes) -> None:
                nonlocal written
                out.write(block)
                if on_block is not None:
                    on_block(block)
                written += len(block)

            self._call(path, self._transfer, f"RETR {self._full(path)}", sink, None)
        return written

    def _upload(self, local: Path, path: str) -> int:
        with local.open("rb") as src:
            self._call(path, self._transfer, f"STOR {self._full(path)}", None, src)
        return local.stat().st_size

    def _transfer(self, cmd: str, sink: BlockSink | None, source: BinaryIO | None) -> None:
        """ftplib's retrbinary/storbinary without their TYPE I round trip on every file."""
        self._ensure_binary()
        with self.ftp.transfercmd(cmd) as conn:
            if sink is not None:
                while block := conn.recv(BLOCK_SIZE):
                    sink(block)
            else:
                assert source is not None
                while block := source.read(BLOCK_SIZE):
                    conn.sendall(block)
            if isinstance(conn, ssl.SSLSocket):
                conn.unwrap()  # a clean TLS close, as ftplib does
        self.ftp.voidresp()

    def publish_many(
        self, items: Sequence[tuple[str | os.PathLike[str], str]]
    ) -> Iterator[int]:
        """Upload a group under temporary names, check sizes with one MLSD, rename in order.

        One listing per group replaces a SIZE per file; a server that hides the temporary
        names from its listing gets the SIZE after all.
        """
        if not self._mlsd or len(items) < 2:
            yield from super().publish_many(items)
            return
        plan = []
        for local, remote in items:
            final = confine(remote)
            self.sweep_stale_uploads(posixpath.dirname(final))
            path = Path(local)
            plan.append((path, path.stat().st_size, final, temp_name(final)))
        done = 0
        try:
            for start in range(0, len(plan), STAGE_GROUP):
                group = plan[start:start + STAGE_GROUP]
                for local, _, _, tmp in group:
                    self._upload(local, tmp)
                sizes = {f.path: f.size for folder in {posixpath.dirname(t) for *_, t in group}
                         for f in self._list(folder)}
                for _, expected, final, tmp in group:
                    got = sizes[tmp] if tmp in sizes else self._size(tmp)
                    if got != expected:
                        raise TransferError(
                            f"{final}: server holds {got} bytes after upload, expected {expected}")
                    self._replace(tmp, final)
                    done += 1
                    yield done - 1
        finally:
            for *_, tmp in plan[done:]:
                self._discard(tmp)  # uploaded but never published

    def _replace(self, old: str, new: str) -> None:
        what = f"{old} -> {new}"
        try:
            self._call(what, self.ftp.rename, self._full(old), self._full(new))
        except (PermissionDeniedError, TransportError) as first:
            if isinstance(first, RemoteNotFoundError | TransferError):
                raise
            # Servers that refuse to rename over an existing file (Windows, some appliances).
            if not self.exists(new):
                raise
            self._call(what, self.ftp.delete, self._full(new))
            self._call(what, self.ftp.rename, self._full(old), self._full(new))

    def _delete(self, path: str) -> None:
        self._call(path, self.ftp.delete, self._full(path))

    def _mkdir_one(self, folder: str) -> None:
        try:
            self._call(folder, self.ftp.mkd, self._full(folder))
        except (PermissionDeniedError, RemoteNotFoundError, TransportError) as exc:
            if isinstance(exc, TransferError | ConnectError):
                raise
            try:  # it may exist already
                self._call(folder, self.ftp.cwd, self._full(folder))
            except TransportError:
                raise exc from None
            self._call(folder, self.ftp.cwd, "/")

    def _ensure_binary(self) -> None:
        # SIZE is refused in ASCII mode by many servers.
        if not self._binary:
            self._call("TYPE I", self.ftp.voidcmd, "TYPE I")
            self._binary = True

    def _size(self, path: str) -> int:
        self._ensure_binary()
        size = self._call(path, self.ftp.size, self._full(path))
        if size is None:
            raise RemoteNotFoundError(f"{path}: server gave no size")
        return int(size)


class FTPSTransport(FTPTransport):
    """FTP over explicit TLS (``ftps://``); the certificate is verified unless ``verify=false``."""

    scheme = "ftps"
    _tls = True

    def _make_client(self) -> ftplib.FTP:
        ep = self.endpoint
        if flag(ep, "verify", True):
            context = ssl.create_default_context(cafile=ep.option("cafile") or None)
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return ReusingFTP_TLS(context=context, timeout=ep.timeout)
