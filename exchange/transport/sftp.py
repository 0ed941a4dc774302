"""SFTP transport built on paramiko, tuned for throughput and strict about host keys.

The host key must be in known_hosts (``?known_hosts=PATH``, default ``~/.ssh/known_hosts``) or
match a pinned fingerprint (``?fingerprint=SHA256:...``); an unknown or changed key is refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import posixpath
import queue
import socket
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko
from paramiko.auth_strategy import AuthFailure
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_EXTENDED,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_STATUS,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)
from paramiko.sftp_attr import SFTPAttributes

from exchange.errors import (
    AuthError,
    ConfigError,
    ConnectError,
    ExchangeError,
    HostKeyError,
    RemoteNotFoundError,
    TransferError,
    TransportError,
)
from exchange.translate import ErrorTable, Failure
from exchange.transport.base import BlockSink, RemoteFile, Transport, confine, temp_name
from exchange.transport.endpoint import Endpoint, password_env_name, resolve_password
from exchange.transport.oserrors import OS_ERRORS, cannot_connect, cut

#: paramiko caps requests at 32 KiB; 128 KiB measured best (256 KiB broke uploads).
REQUEST_SIZE = 128 * 1024
#: Application reads and writes; large blocks keep paramiko's per-call overhead down.
IO_CHUNK = 1024 * 1024
#: SFTP channels that stage small files in parallel in publish_many.
PARALLEL_CHANNELS = 2
#: Files staged, size-checked with one listing, then renamed, per group.
STAGE_GROUP = 200
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr")
_RSA_NAMES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint of a public key (``SHA256:base64``, no padding)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _bad_auth_type(f: Failure) -> ExchangeError:
    allowed = getattr(f.exc, "allowed_types", None) or []
    return AuthError(f"{f.what}: server allows only {', '.join(allowed)}")


def _auth(f: Failure) -> ExchangeError:
    return AuthError(f"{f.what}: authentication failed ({f.text})")


def _passphrase(f: Failure) -> ExchangeError:
    return AuthError(f"{f.what}: the private key needs a passphrase ({f.text})")


def _host_key(f: Failure) -> ExchangeError:
    return HostKeyError(f"{f.what}: {f.text}")


def _no_common_algorithm(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: no common algorithm with the server ({f.text})")


def _ssh_config(f: Failure) -> ExchangeError:
    return ConfigError(f"{f.what}: SSH configuration: {f.text}")


def _ssh(f: Failure) -> ExchangeError:
    """Any other SSH failure: a failed handshake while connecting, else a lost connection."""
    if "Incompatible" in f.text:
        return _no_common_algorithm(f)
    if f.connecting:
        return ConnectError(f"{f.what}: SSH handshake failed ({f.text})")
    return TransferError(f"{f.what}: connection lost ({f.text})")


def _sftp_status(f: Failure) -> ExchangeError:
    """paramiko raises IOError(message) for SFTP status codes such as FX_FAILURE."""
    if "socket is closed" in f.text.lower():
        return TransferError(f"{f.what}: connection lost ({f.text})")  # paramiko, after a cut
    if getattr(f.exc, "errno", None) is None:
        return TransportError(f"{f.what}: server refused ({f.text})")
    return OS_ERRORS.translate(f.exc, f.what, connecting=f.connecting)


def _sftp_refused(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: server refused ({f.text})")


SSH_ERRORS = ErrorTable.of("paramiko", [
    ((paramiko.BadAuthenticationType,), _bad_auth_type),
    ((paramiko.AuthenticationException, paramiko.ssh_exception.PartialAuthentication,
      paramiko.ssh_exception.UnableToAuthenticate, AuthFailure), _auth),
    ((paramiko.PasswordRequiredException,), _passphrase),
    ((paramiko.BadHostKeyException, paramiko.hostkeys.InvalidHostKey), _host_key),
    ((paramiko.ssh_exception.IncompatiblePeer,), _no_common_algorithm),
    ((paramiko.ConfigParseError, paramiko.CouldNotCanonicalize,
      paramiko.pkey.UnknownKeyType), _ssh_config),
    ((paramiko.ProxyCommandFailure, paramiko.ssh_exception.NoValidConnectionsError), cannot_connect),
    ((paramiko.SSHException, paramiko.ChannelException, paramiko.ssh_exception.MessageOrderError,
      paramiko.packet.NeedRekeyException), _ssh),
    ((paramiko.buffered_pipe.PipeTimeout,), cut),
    ((paramiko.SFTPError,), _sftp_refused),
    ((OSError,), _sftp_status),
])
#: Everything an SFTP session can raise.
_TABLE = OS_ERRORS | SSH_ERRORS


def translate(exc: BaseException, what: str, *, connecting: bool = False) -> ExchangeError:
    """Map a paramiko, socket or OSError exception to the project's error tree."""
    return _TABLE.translate(exc, what, connecting=connecting)


_ERRORS = (OSError, EOFError, paramiko.SSHException)

#: The identity files OpenSSH tries when ~/.ssh/config names none, in its order.
DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")


def _as_openssh_finds_it(ep: Endpoint) -> tuple[Endpoint, list[Path]]:
    """The endpoint with ~/.ssh/config applied (Host alias: HostName, Port, User), and the keys.

    What the URL says wins over the config; the identity files are the config's IdentityFile
    entries, then ~/.ssh/id_ed25519, id_ecdsa and id_rsa, those that exist.
    """
    ssh_dir = Path.home() / ".ssh"
    found: dict[str, Any] = {}
    config_file = ssh_dir / "config"
    if config_file.is_file():
        try:
            found = dict(paramiko.SSHConfig.from_path(str(config_file)).lookup(ep.host))
        except (OSError, paramiko.SSHException) as exc:
            raise ConfigError(f"{ep}: cannot read {config_file}: {exc}") from exc
    host = str(found.get("hostname") or ep.host)
    try:
        port = ep.port or (int(found["port"]) if "port" in found else None)
    except ValueError as exc:
        raise ConfigError(f"{ep}: {config_file}: bad Port {found.get('port')!r}") from exc
    user = ep.user or found.get("user")
    files = [Path(p).expanduser() for p in found.get("identityfile", [])]
    files += [ssh_dir / name for name in DEFAULT_IDENTITIES]
    seen: list[Path] = []
    for path in files:
        if path.is_file() and path not in seen:
            seen.append(path)
    if (host, port, user) != (ep.host, ep.port, ep.user):
        ep = Endpoint(ep.scheme, host, port, user, ep.root, ep.options, ep.secret, ep.query)
    return ep, seen


def _pipeline(client: paramiko.SFTPClient) -> Any:
    """The client seen through paramiko's request pipeline, which is private and not in its stubs."""
    return client


class _Replies:
    """Collects the status answers of requests sent without waiting (paramiko's async path)."""

    def __init__(self, client: paramiko.SFTPClient) -> None:
        self.client = client
        self.error: BaseException | None = None

    def _async_response(self, kind: int, msg: paramiko.Message, num: int) -> None:
        try:
            if kind != CMD_STATUS:
                raise paramiko.SFTPError(f"unexpected answer type {kind}")
            _pipeline(self.client)._convert_status(msg)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            self.error = self.error or exc

    def _check_exception(self) -> None:
        """Called by paramiko's _finish_responses; errors are read from ``error`` instead."""


class SFTPTransport(Transport):
    """SFTP (``sftp://user@host:22/folder/?known_hosts=PATH|fingerprint=SHA256:...&key=PATH``)."""

    scheme = "sftp"

    def __init__(self, endpoint: Endpoint) -> None:
        endpoint, self._identity_files = _as_openssh_finds_it(endpoint)
        super().__init__(endpoint)
        self.root = endpoint.root or "/"
        self._transport: paramiko.Transport | None = None
        self.sftp: paramiko.SFTPClient | None = None
        try:
            self._connect()
        except BaseException:
            self.close()
            raise

    # -- connection ----------------------------------------------------------------------------
    def _known_keys(self) -> dict[str, paramiko.PKey]:
        ep = self.endpoint
        path = Path(ep.option("known_hosts") or Path.home() / ".ssh" / "known_hosts").expanduser()
        if not path.exists():
            if ep.option("known_hosts"):
                raise HostKeyError(f"{ep}: known_hosts file {path} does not exist")
            return {}
        try:
            hosts = paramiko.HostKeys(str(path))
        except (OSError, paramiko.SSHException) as exc:
            raise HostKeyError(f"{ep}: cannot read known_hosts {path}: {exc}") from exc
        port = ep.effective_port
        name = ep.host if port == 22 else f"[{ep.host}]:{port}"
        entry = hosts.lookup(name)
        return dict(entry.items()) if entry is not None else {}

    def _connect(self) -> None:
        ep = self.endpoint
        where = str(ep)
        known = self._known_keys()
        try:
            sock = socket.create_connection((ep.host, ep.effective_port), timeout=ep.timeout)
        except OSError as exc:
            raise translate(exc, where, connecting=True) from exc
        # Without TCP_NODELAY, pipelined requests wait on Nagle's algorithm: 37x slower.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._transport = transport = paramiko.Transport(sock)
        opts = transport.get_security_options()
        opts.ciphers = tuple(c for c in PREFERRED_CIPHERS if c in opts.ciphers) + tuple(
            c for c in opts.ciphers if c not in PREFERRED_CIPHERS
        )
        if known and not ep.option("fingerprint"):
            # Ask for a key type we can check, not the server's first choice.
            wanted: list[str] = []
            for kind in known:
                wanted += list(_RSA_NAMES) if kind == "ssh-rsa" else [kind]
            first = tuple(k for k in wanted if k in opts.key_types)
            opts.key_types = first + tuple(k for k in opts.key_types if k not in first)
        try:
            transport.start_client(timeout=ep.timeout)
        except _ERRORS as exc:
            raise translate(exc, where, connecting=True) from exc
        self._check_host_key(transport.get_remote_server_key(), known)
        self._authenticate(transport)
        try:
            self.sftp = paramiko.SFTPClient.from_transport(transport)
        except _ERRORS as exc:
            raise translate(exc, where, connecting=True) from exc
        if self.sftp is None:
            raise ConnectError(f"{where}: server refused the SFTP subsystem")
        channel = self.sftp.get_channel()
        if channel is not None:
            channel.settimeout(ep.timeout)

    def _check_host_key(self, key: paramiko.PKey, known: dict[str, paramiko.PKey]) -> None:
        ep = self.endpoint
        seen = fingerprint(key)
        pinned = ep.option("fingerprint")
        if pinned:
            if pinned.rstrip("=") != seen:
                raise HostKeyError(
                    f"{ep}: host key {seen} does not match the pinned fingerprint {pinned}"
                )
            return
        expected = known.get(key.get_name())
        if expected is None:
            raise HostKeyError(
                f"{ep}: unknown host key {key.get_name()} {seen}; add it to known_hosts "
                "(ssh-keyscan) or pin it with ?fingerprint="
            )
        if expected.asbytes() != key.asbytes():
            raise HostKeyError(
                f"{ep}: HOST KEY CHANGED: server sent {seen}, known_hosts has "
                f"{fingerprint(expected)}; refusing to connect"
            )

    def _authenticate(self, transport: paramiko.Transport) -> None:
        ep = self.endpoint
        user = ep.user or ""
        if not user:
            raise AuthError(f"{ep}: an sftp endpoint needs a user (sftp://USER@host/...)")
        secret = resolve_password(ep)
        try:
            key_file = ep.option("key")
            if key_file:
                pkey = paramiko.PKey.from_path(Path(key_file).expanduser(), secret)
                transport.auth_publickey(user, pkey)
            elif self._user_keys(transport, user):
                return
            elif secret is not None:
                transport.auth_password(user, secret)
            else:
                raise AuthError(
                    f"{ep}: no key was accepted and no password for {user}; set "
                    f"{password_env_name(ep)}, store it in the OS keyring (service "
                    "exchange:<host>) or give ?key=PATH"
                )
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise translate(exc, str(ep), connecting=not isinstance(
                exc, paramiko.AuthenticationException)) from exc
        if not transport.is_authenticated():
            raise AuthError(f"{ep}: authentication failed")

    def _user_keys(self, transport: paramiko.Transport, user: str) -> bool:
        """Try the keys OpenSSH would: ssh-agent's, then the identity files; True once one works."""
        keys: list[paramiko.PKey] = []
        agent = paramiko.Agent()
        try:
            keys += list(agent.get_keys())
            for path in self._identity_files:
                try:
                    keys.append(paramiko.PKey.from_path(path))
                except (OSError, paramiko.SSHException, ValueError):
                    continue  # encrypted without a passphrase here, or not a key: next one
            for key in keys:
                try:
                    transport.auth_publickey(user, key)
                except paramiko.AuthenticationException:
                    continue
                if transport.is_authenticated():
                    return True
        finally:
            agent.close()
        return False

    def close(self) -> None:
        sftp, self.sftp = self.sftp, None
        transport, self._transport = self._transport, None
        # Closing a connection the server already cut raises; there is nothing left to save.
        if sftp is not None:
            with contextlib.suppress(*_ERRORS):
                sftp.close()
        if transport is not None:
            with contextlib.suppress(*_ERRORS):
                transport.close()

    # -- primitives ------------------------------------------------------------------------------
    def _client(self) -> paramiko.SFTPClient:
        if self.sftp is None:
            raise TransportError(f"{self.endpoint}: transport is closed")
        return self.sftp

    def _full(self, rel: str) -> str:
        return f"{self.root.rstrip('/')}/{rel}" if rel else self.root

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except _ERRORS as exc:
            raise translate(exc, what) from exc

    def _list(self, folder: str) -> list[RemoteFile]:
        prefix = f"{folder}/" if folder else ""
        attrs = self._call(folder or ".", self._client().listdir_attr, self._full(folder))
        return [
            RemoteFile(a.filename, prefix + a.filename, a.st_size or 0,
                       datetime.fromtimestamp(a.st_mtime or 0, UTC))
            for a in attrs
            if a.st_mode is not None and stat.S_ISREG(a.st_mode)
        ]

    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int:
        written = 0
        try:
            with self._client().open(self._full(path), "rb") as src, local.open("wb") as out:
                src.MAX_REQUEST_SIZE = REQUEST_SIZE
                if size is None or size > REQUEST_SIZE:
                    # Pipelined reads; passing the size saves the stat that get() makes.
                    src.prefetch(size)
                while True:
                    block = src.read(IO_CHUNK)
                    if not block:
                        break
                    out.write(block)
                    if on_block is not None:
                        on_block(block)
                    written += len(block)
                    if size is not None and size <= REQUEST_SIZE and written >= size:
                        break  # a small file: spare the round trip that would read EOF
        except _ERRORS as exc:
            if isinstance(exc, OSError) and exc.filename == str(local):
                raise TransportError(f"{local}: cannot write ({exc.strerror})") from exc
            raise translate(exc, path) from exc
        return written

    def _upload(self, local: Path, path: str) -> int:
        return self._upload_with(self._client(), local, path)

    def _upload_with(self, client: paramiko.SFTPClient, local: Path, path: str) -> int:
        try:
            with local.open("rb") as src, client.open(self._full(path), "wb") as dst:
                dst.MAX_REQUEST_SIZE = REQUEST_SIZE
                dst.set_pipelined(True)
                while block := src.read(IO_CHUNK):
                    dst.write(block)
        except _ERRORS as exc:
            if isinstance(exc, OSError) and exc.filename == str(local):
                raise TransportError(f"{local}: cannot read ({exc.strerror})") from exc
            raise translate(exc, path) from exc
        return local.stat().st_size

    def publish_many(
        self, items: Sequence[tuple[str | os.PathLike[str], str]]
    ) -> Iterator[int]:
        """Stage uploads on parallel SFTP channels; check sizes by listing; rename in order.

        Each small file costs several round trips; overlapping the uploads on a few channels
        of the same connection and checking a whole group's sizes with one listing (instead of
        a stat per file) hides most of them, while the renames keep the order.
        """
        if len(items) < 2 * PARALLEL_CHANNELS or self._transport is None:
            yield from super().publish_many(items)
            return
        plan = []
        for local, remote in items:
            final = confine(remote)
            self.sweep_stale_uploads(posixpath.dirname(final))
            path = Path(local)
            plan.append((path, path.stat().st_size, final, temp_name(final)))
        clients: queue.SimpleQueue[paramiko.SFTPClient] = queue.SimpleQueue()
        opened: list[paramiko.SFTPClient] = []
        try:
            for _ in range(PARALLEL_CHANNELS):
                extra = paramiko.SFTPClient.from_transport(self._transport)
                if extra is None:
                    raise TransferError(f"{self.endpoint}: server refused another SFTP channel")
                opened.append(extra)
                clients.put(extra)
        except _ERRORS as exc:
            for c in opened:
                c.close()
            raise translate(exc, str(self.endpoint)) from exc

        def stage(local: Path, tmp: str) -> None:
            client = clients.get()
            try:
                if local.stat().st_size <= REQUEST_SIZE:
                    self._upload_small(client, local, tmp)
                else:
                    self._upload_with(client, local, tmp)
            finally:
                clients.put(client)

        pool = ThreadPoolExecutor(PARALLEL_CHANNELS, thread_name_prefix="sftp-stage")
        groups = [plan[i:i + STAGE_GROUP] for i in range(0, len(plan), STAGE_GROUP)]

        def submit(group: list[tuple[Path, int, str, str]]) -> list[Future[None]]:
            return [pool.submit(stage, local, tmp) for local, _, _, tmp in group]

        done = 0
        futures: list[Future[None]] = []
        upcoming = submit(groups[0])
        try:
            for index, group in enumerate(groups):
                futures = upcoming
                wait(futures)
                # The next group uploads while this one is checked and renamed.
                upcoming = submit(groups[index + 1]) if index + 1 < len(groups) else []
                sizes = self._sizes({posixpath.dirname(tmp) for *_, tmp in group})
                ready: list[tuple[str, str]] = []
                failure: BaseException | None = None
                for (_, expected, final, tmp), future in zip(group, futures, strict=True):
                    try:
                        future.result()
                        got = sizes.get(tmp)
                        if got != expected:
                            raise TransferError(f"{final}: server holds {got} bytes after "
                                                f"upload, expected {expected}")
                    except BaseException as exc:  # publish what came before it, then raise
                        failure = exc
                        break
                    ready.append((tmp, final))
                for _ in self._rename_in_order(ready, set(sizes)):
                    done += 1
                    yield done - 1
                if failure is not None:
                    raise failure
        finally:
            for future in (*futures, *upcoming):
                future.cancel()
            pool.shutdown(wait=True)
            for *_, tmp in plan[done:]:
                self._discard(tmp)  # staged but never published
            for c in opened:
                with contextlib.suppress(*_ERRORS):
                    c.close()

    def _upload_small(self, client: paramiko.SFTPClient, local: Path, path: str) -> None:
        """Upload a file that fits one request: OPEN, then WRITE and CLOSE sent together.

        Requests on one handle are processed in order, so the WRITE and CLOSE answers come
        back in one round trip; both are checked (paramiko's own close ignores errors).
        """
        try:
            data = local.read_bytes()
        except OSError as exc:
            raise TransportError(f"{local}: cannot read ({exc.strerror})") from exc
        try:
            raw = _pipeline(client)
            kind, msg = raw._request(
                CMD_OPEN, self._full(path),
                SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC, SFTPAttributes())
            if kind != CMD_HANDLE:
                raise TransferError(f"{path}: unexpected answer to OPEN")
            handle = msg.get_binary()
            replies = _Replies(client)
            raw._async_request(replies, CMD_WRITE, handle, int64(0), data)
            raw._async_request(replies, CMD_CLOSE, handle)
            raw._finish_responses(replies)
        except _ERRORS as exc:
            raise translate(exc, path) from exc
        if replies.error is not None:
            raise translate(replies.error, path) from replies.error

    def _rename_in_order(self, pairs: list[tuple[str, str]],
                         existing: set[str]) -> Iterator[None]:
        """Rename ``(tmp, final)`` pairs in order, yielding after each one that is published.

        Renames to names that do not exist yet are sent without waiting for each answer (the
        server runs them in order): if one fails, the later ones are taken back to their
        temporary names, which restores exactly what was there, so the order still holds. A
        rename over an existing file cannot be taken back and is sent alone.
        """
        i = 0
        while i < len(pairs):
            tmp, final = pairs[i]
            if final in existing:
                self._replace(tmp, final)
                i += 1
                yield
                continue
            run: list[tuple[str, str]] = []
            names: set[str] = set()
            while i < len(pairs) and pairs[i][1] not in existing and pairs[i][1] not in names:
                run.append(pairs[i])
                names.add(pairs[i][1])
                i += 1
            yield from self._renames_pipelined(run)
            existing |= names

    def _renames_pipelined(self, run: list[tuple[str, str]]) -> Iterator[None]:
        client = self._client()
        raw = _pipeline(client)
        replies = []
        try:
            for tmp, final in run:
                reply = _Replies(client)
                raw._async_request(reply, CMD_EXTENDED, "posix-rename@openssh.com",
                                      self._full(tmp), self._full(final))
                replies.append(reply)
            for reply in replies:
                raw._finish_responses(reply)
        except _ERRORS as exc:
            raise translate(exc, f"{self.endpoint}: rename") from exc
        failed = next((k for k, r in enumerate(replies) if r.error is not None), None)
        if failed is None:
            for _ in run:
                yield
            return
        for (tmp, final), reply in zip(run[failed + 1:], replies[failed + 1:], strict=True):
            if reply.error is None:
                with contextlib.suppress(*_ERRORS):
                    client.posix_rename(self._full(final), self._full(tmp))
        for _ in range(failed):
            yield
        error = replies[failed].error
        assert error is not None
        if "unsupported" in str(error).lower():
            # No posix-rename on this server: one at a time through the fallback.
            for tmp, final in run[failed:]:
                self._replace(tmp, final)
                yield
            return
        tmp, final = run[failed]
        raise translate(error, f"{tmp} -> {final}") from error

    def _sizes(self, folders: set[str]) -> dict[str, int]:
        """Sizes of the files in ``folders``, by path relative to the root (one listing each)."""
        sizes = {}
        for folder in folders:
            prefix = f"{folder}/" if folder else ""
            for a in self._call(folder or ".", self._client().listdir_attr, self._full(folder)):
                sizes[prefix + a.filename] = a.st_size or 0
        return sizes

    def _replace(self, old: str, new: str) -> None:
        client = self._client()
        what = f"{old} -> {new}"
        try:
            # A plain SFTP rename fails when the target exists; posix-rename replaces it.
            client.posix_rename(self._full(old), self._full(new))
        except (FileNotFoundError, PermissionError) as exc:
            raise translate(exc, what) from exc
        except OSError as exc:
            if "unsupported" not in str(exc).lower():
                raise translate(exc, what) from exc
            if self.exists(new):
                self._call(what, client.remove, self._full(new))
            self._call(what, client.rename, self._full(old), self._full(new))
        except _ERRORS as exc:
            raise translate(exc, what) from exc

    def _delete(self, path: str) -> None:
        self._call(path, self._client().remove, self._full(path))

    def _mkdir_one(self, folder: str) -> None:
        client = self._client()
        try:
            client.mkdir(self._full(folder))
        except OSError as exc:
            try:
                st = client.stat(self._full(folder))
            except _ERRORS:
                raise translate(exc, folder) from exc
            if st.st_mode is None or not stat.S_ISDIR(st.st_mode):
                raise translate(exc, folder) from exc
        except _ERRORS as exc:
            raise translate(exc, folder) from exc

    def _size(self, path: str) -> int:
        st = self._call(path, self._client().stat, self._full(path))
        if st.st_mode is not None and not stat.S_ISREG(st.st_mode):
            raise RemoteNotFoundError(f"{path}: not a file")
        return int(st.st_size or 0)
