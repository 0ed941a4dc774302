"""The OSError (socket included) and ssl translation tables that every network transport shares.

A failure while connecting is a :class:`ConnectError` (retryable), a connection cut later is a
:class:`TransferError` (retryable); a missing file, a refusal or a certificate that cannot be
trusted is not retryable.
"""

from __future__ import annotations

import errno
import socket
import ssl

from exchange.errors import (
    ConnectError,
    ExchangeError,
    HostKeyError,
    PermissionDeniedError,
    RemoteNotFoundError,
    TransferError,
    TransportError,
)
from exchange.translate import ErrorTable, Failure


def cannot_connect(f: Failure) -> ExchangeError:
    """The server could not be reached (retryable)."""
    return ConnectError(f"{f.what}: cannot connect ({f.detail})")


def cut(f: Failure) -> ExchangeError:
    """The connection broke: while connecting, a connect error; later, a cut transfer."""
    if f.connecting:
        return cannot_connect(f)
    return TransferError(f"{f.what}: connection lost ({f.detail})")


def _closed(f: Failure) -> ExchangeError:
    if f.connecting:
        return cannot_connect(f)
    return TransferError(f"{f.what}: connection closed by the server")


def _not_found(f: Failure) -> ExchangeError:
    return RemoteNotFoundError(f"{f.what}: no such file or folder")


def _not_a_file(f: Failure) -> ExchangeError:
    return RemoteNotFoundError(f"{f.what}: not a file")


def _denied(f: Failure) -> ExchangeError:
    return PermissionDeniedError(f"{f.what}: permission denied")


def _exists(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: already exists")


def _unexpected(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: {f.detail}")


_BY_ERRNO = {
    errno.ENOENT: _not_found,
    errno.ENOTDIR: _not_found,
    errno.EISDIR: _not_a_file,
    errno.EACCES: _denied,
    errno.EPERM: _denied,
    errno.EROFS: _denied,
    errno.EEXIST: _exists,
    errno.ECONNREFUSED: cannot_connect,
    errno.EHOSTUNREACH: cannot_connect,
    errno.ENETUNREACH: cannot_connect,
}


def _by_errno(f: Failure) -> ExchangeError:
    """A plain OSError: its errno decides; an unknown one is a cut connection."""
    code = getattr(f.exc, "errno", None)
    rule = _BY_ERRNO.get(code) if isinstance(code, int) else None
    return rule(f) if rule is not None else cut(f)


def _local_by_errno(f: Failure) -> ExchangeError:
    """A plain OSError on a local folder: its errno decides; no connection to lose."""
    code = getattr(f.exc, "errno", None)
    rule = _BY_ERRNO.get(code) if isinstance(code, int) else None
    if rule is not None:
        return rule(f)
    return TransportError(f"{f.what}: {getattr(f.exc, 'strerror', None) or f.text}")


OS_ERRORS = ErrorTable.of("OSError", [
    ((OSError,), _by_errno),
    ((FileNotFoundError, NotADirectoryError), _not_found),
    ((IsADirectoryError,), _not_a_file),
    ((PermissionError,), _denied),
    ((FileExistsError,), _exists),
    # A server that does not answer in time is treated as away, in any phase.
    ((ConnectionRefusedError, socket.gaierror, socket.herror, TimeoutError), cannot_connect),
    ((ConnectionError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
      BlockingIOError, InterruptedError), cut),
    ((ChildProcessError, ProcessLookupError), _unexpected),
    # Not an OSError, but what a socket reader raises when the server hangs up.
    ((EOFError,), _closed),
])


def _certificate(f: Failure) -> ExchangeError:
    reason = getattr(f.exc, "verify_message", None) or f.text
    return HostKeyError(f"{f.what}: TLS certificate refused ({reason})")


TLS_ERRORS = ErrorTable.of("ssl", [
    ((ssl.SSLCertVerificationError,), _certificate),
    ((ssl.SSLError, ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError,
      ssl.SSLWantReadError, ssl.SSLWantWriteError), cut),
])

#: What a TLS-capable socket transport raises: OSError, socket and ssl errors.
NETWORK_ERRORS = OS_ERRORS | TLS_ERRORS

#: A local folder: the same classes, but an unknown OSError is no lost connection.
LOCAL_ERRORS = OS_ERRORS | ErrorTable.of("local OSError", [((OSError,), _local_by_errno)])
