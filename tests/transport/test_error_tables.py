"""Every exception class of ftplib, ssl, paramiko and OSError has an entry in a translation table."""

from __future__ import annotations

import errno
import ftplib
import socket
import ssl

import paramiko
import pytest

from exchange.errors import (
    ConfigError,
    ConnectError,
    ExchangeError,
    PermissionDeniedError,
    RemoteNotFoundError,
    TransportError,
)
from exchange.translate import ErrorTable, exception_classes
from exchange.transport import ftp as ftp_mod
from exchange.transport import sftp as sftp_mod
from exchange.transport.oserrors import LOCAL_ERRORS, OS_ERRORS, TLS_ERRORS

# (table, root class, packages whose classes under the root must each have an entry)
BOUNDARIES = [
    ("ftplib", ftp_mod.FTP_ERRORS, ftplib.Error, ("ftplib",)),
    ("ssl", TLS_ERRORS, ssl.SSLError, ("ssl",)),
    ("OSError", OS_ERRORS, OSError, ("builtins", "socket")),
    ("EOFError", OS_ERRORS, EOFError, ("builtins",)),
    ("paramiko", sftp_mod.SSH_ERRORS, Exception, ("paramiko",)),
]


@pytest.mark.parametrize(("table", "root", "packages"),
                         [b[1:] for b in BOUNDARIES], ids=[b[0] for b in BOUNDARIES])
def test_each_library_exception_class_has_its_own_entry(
        table: ErrorTable, root: type[BaseException], packages: tuple[str, ...]) -> None:
    classes = exception_classes(root, *packages)
    assert len(classes) >= (2 if root is not EOFError else 1), "the walk found nothing"
    missing = [f"{c.__module__}.{c.__qualname__}" for c in classes if not table.covers(c)]
    assert missing == [], f"untranslated {table.name} exceptions: {missing}"


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance of a library exception class, whatever its constructor wants."""
    for args in ((), ("x",), ("x", "y"), ("x", ["publickey"]), ("h", None, None)):
        try:
            return cls(*args)
        except Exception:  # noqa: S112 - that constructor wants other arguments
            continue
    return cls.__new__(cls)


@pytest.mark.parametrize("name", ["ftp", "sftp"])
def test_every_class_translates_into_the_tree_in_both_phases(name: str) -> None:
    translate = ftp_mod.translate if name == "ftp" else sftp_mod.translate
    roots = [ftplib.Error, ssl.SSLError, OSError, EOFError] if name == "ftp" else [
        Exception, OSError, EOFError]
    packages = ("ftplib", "ssl", "socket", "builtins") if name == "ftp" else (
        "paramiko", "socket", "builtins")
    seen = 0
    for root in roots:
        for cls in exception_classes(root, *packages):
            if root is Exception and not cls.__module__.startswith("paramiko"):
                continue
            for connecting in (False, True):
                got = translate(_instance(cls), "x", connecting=connecting)
                assert isinstance(got, TransportError | ConfigError), (cls, got)
                assert isinstance(got.retryable, bool)
                seen += 1
    assert seen > 20


def test_one_of_ours_passes_through_and_a_foreign_class_is_a_bug() -> None:
    ours = RemoteNotFoundError("x: gone")
    assert ftp_mod.translate(ours, "y") is ours
    with pytest.raises(TypeError, match="no translation for ValueError"):
        ftp_mod.translate(ValueError("not a network error"), "x")


def test_oserror_without_a_subclass_is_decided_by_its_errno() -> None:
    assert type(OS_ERRORS.translate(OSError(errno.ENOENT, "gone"), "x")) is RemoteNotFoundError
    assert type(OS_ERRORS.translate(OSError(errno.EROFS, "ro"), "x")) is PermissionDeniedError
    assert type(OS_ERRORS.translate(OSError(errno.EHOSTUNREACH, "no"), "x")) is ConnectError
    assert OS_ERRORS.translate(OSError(errno.ENOSPC, "full"), "x").retryable
    # A local folder has no connection to lose: an unknown error there is not retried.
    local = LOCAL_ERRORS.translate(OSError(errno.ENOSPC, "No space left on device"), "x")
    assert type(local) is TransportError and not local.retryable
    assert "No space left" in str(local)


def test_dns_failure_and_ssh_config_problems() -> None:
    assert type(OS_ERRORS.translate(socket.gaierror(-2, "unknown"), "x")) is ConnectError
    got = sftp_mod.translate(paramiko.ConfigParseError("bad line"), "x")
    assert isinstance(got, ConfigError) and not got.retryable


def test_tables_refuse_a_class_mapped_twice() -> None:
    def rule(f: object) -> ExchangeError:
        return ExchangeError("x")

    with pytest.raises(ValueError, match="mapped twice"):
        ErrorTable.of("t", [((OSError,), rule), ((OSError,), rule)])
