# ruff: noqa: S321 - these tests exercise ftplib on purpose
"""Endpoint URLs, secrets, the registry, and the completeness of error translation."""

from __future__ import annotations

import errno
import ftplib
import socket
import ssl

import keyring
import keyring.backend
import paramiko
import pytest

from exchange.errors import (
    AuthError,
    ConfigError,
    ConnectError,
    HostKeyError,
    PermissionDeniedError,
    RemoteNotFoundError,
    TransferError,
    TransportError,
    UnsafePathError,
)
from exchange.transport import check_name, confine, parse_endpoint, resolve_password
from exchange.transport import ftp as ftp_mod
from exchange.transport import sftp as sftp_mod
from exchange.transport.endpoint import After, Stability, password_env_name
from exchange.transport.registry import known_schemes, register, transport_class


def test_parse_full_url() -> None:
    ep = parse_endpoint("ftps://shop.user@ftp.shop.cz:2121/orders/in/?verify=false&passive=0"
                        "&stable=donefile&after=delete")
    assert (ep.scheme, ep.host, ep.port, ep.user, ep.root) == (
        "ftps", "ftp.shop.cz", 2121, "shop.user", "/orders/in")
    assert ep.stable is Stability.DONEFILE
    assert ep.after is After.DELETE
    assert ep.options["verify"] == "false"


def test_defaults() -> None:
    ep = parse_endpoint("sftp://u@h")
    assert (ep.root, ep.effective_port, ep.stable, ep.after) == ("/", 22, Stability.LISTING,
                                                                  After.MOVE)
    assert (ep.processed_dir, ep.error_dir, ep.pattern) == ("processed/", "error/", "*")
    assert parse_endpoint("ftp://h/").anonymous


def test_bare_path_is_a_local_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ep = parse_endpoint(str(tmp_path))
    assert (ep.scheme, ep.root) == ("file", str(tmp_path))


def test_password_in_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        parse_endpoint("ftp://bob:hunter2@h/")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_endpoint("ftp://bob@h/?password=hunter2")
    assert "hunter2" not in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_endpoint("sftp://u@h/?colour=red&stable=maybe&settle=-1&fingerprint=MD5:aa")
    text = str(info.value)
    for part in ("colour", "known:", "stable='maybe'", "settle", "fingerprint"):
        assert part in text


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="ftp, ftps, http, https, memory, sftp"):
        parse_endpoint("gopher://h/")
    with pytest.raises(ConfigError, match="known: file, ftp"):
        transport_class("gopher")
    with pytest.raises(ConfigError, match="already registered"):
        register("ftp", "x:Y")
    assert known_schemes() == ["file", "ftp", "ftps", "http", "https", "memory", "sftp"]


def test_secret_never_shows_in_repr_or_str() -> None:
    ep = parse_endpoint("sftp://u@h/x").with_secret("hunter2")
    assert "hunter2" not in repr(ep)
    assert "hunter2" not in str(ep)
    assert resolve_password(ep, {}) == "hunter2"


def test_password_lookup_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = parse_endpoint("ftp://shop.user@ftp.shop-1.cz/")
    assert password_env_name(ep) == "EXCHANGE_PASSWORD_FTP_SHOP_1_CZ_SHOP_USER"

    class Memory(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return "from-keyring" if (service, username) == ("exchange:ftp.shop-1.cz",
                                                             "shop.user") else None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        env = {"EXCHANGE_PASSWORD_FTP_SHOP_1_CZ_SHOP_USER": "specific",
               "EXCHANGE_FTP_PASSWORD": "generic"}
        assert resolve_password(ep, env) == "specific"
        assert resolve_password(ep, {"EXCHANGE_FTP_PASSWORD": "generic"}) == "from-keyring"
        other = parse_endpoint("ftp://someone@elsewhere/")
        assert resolve_password(other, {"EXCHANGE_FTP_PASSWORD": "generic"}) == "generic"
        assert resolve_password(other, {}) is None
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "a\\b", "", "x\x00y", "new\nline"])
def test_unsafe_remote_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafePathError):
        check_name(name)


def test_safe_names_and_confined_paths() -> None:
    assert check_name("objednávka č. 1.xml") == "objednávka č. 1.xml"
    assert confine("./a//b/") == "a/b"
    assert confine("") == ""
    for bad in ("/abs", "a/../../b", ".."):
        with pytest.raises(UnsafePathError):
            confine(bad)


FTP_CASES = [
    (ftplib.error_perm("530 Login incorrect."), AuthError),
    (ftplib.error_perm("550 No such file or directory."), RemoteNotFoundError),
    (ftplib.error_perm("550 Permission denied."), PermissionDeniedError),
    (ftplib.error_perm("553 Could not create file."), PermissionDeniedError),
    (ftplib.error_perm("500 Unknown command."), TransportError),
    (ftplib.error_temp("421 Too many users"), ConnectError),
    (ftplib.error_temp("425 Can't open data connection."), TransferError),
    (ftplib.error_temp("426 Connection closed; transfer aborted."), TransferError),
    (ftplib.error_reply("226 odd"), TransferError),
    (ftplib.error_proto("xyz"), TransferError),
    (EOFError(), TransferError),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ConnectError),
    (socket.gaierror(-2, "Name or service not known"), ConnectError),
    (TimeoutError("timed out"), ConnectError),
    (ConnectionResetError(errno.ECONNRESET, "reset"), TransferError),
    (BrokenPipeError(errno.EPIPE, "broken pipe"), TransferError),
    (ssl.SSLError(1, "bad record mac"), TransferError),
    (ssl.SSLCertVerificationError(1, "verify failed"), HostKeyError),
]
SFTP_CASES = [
    (paramiko.AuthenticationException("nope"), AuthError),
    (paramiko.BadAuthenticationType("x", ["publickey"]), AuthError),
    (paramiko.PasswordRequiredException("key is encrypted"), AuthError),
    (paramiko.SSHException("Incompatible ssh server"), TransportError),
    (paramiko.SSHException("Server connection dropped"), TransferError),
    (FileNotFoundError(errno.ENOENT, "No such file"), RemoteNotFoundError),
    (PermissionError(errno.EACCES, "Permission denied"), PermissionDeniedError),
    (OSError("Failure"), TransportError),
    (OSError("Socket is closed"), TransferError),
    (EOFError(), TransferError),
    (ConnectionResetError(errno.ECONNRESET, "reset"), TransferError),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ConnectError),
    (TimeoutError("timed out"), ConnectError),
]


@pytest.mark.parametrize(("exc", "expected"), FTP_CASES)
def test_ftp_translation_is_complete(exc: BaseException, expected: type) -> None:
    got = ftp_mod.translate(exc, "x")
    assert type(got) is expected
    assert got.retryable == expected.retryable


@pytest.mark.parametrize(("exc", "expected"), SFTP_CASES)
def test_sftp_translation_is_complete(exc: BaseException, expected: type) -> None:
    got = sftp_mod.translate(exc, "x")
    assert type(got) is expected


def test_connect_phase_errors_are_retryable_connect_errors() -> None:
    assert type(ftp_mod.translate(OSError("no route"), "x", connecting=True)) is ConnectError
    assert type(sftp_mod.translate(paramiko.SSHException("Error reading SSH protocol banner"),
                                   "x", connecting=True)) is ConnectError


@pytest.mark.parametrize("value", ["0", "17", "x"])
def test_http_parallel_is_a_whole_number_from_1_to_16(value: str) -> None:
    with pytest.raises(ConfigError, match="parallel"):
        parse_endpoint(f"https://shop.example/x/?parallel={value}&paths=a.xml")
    assert parse_endpoint("https://shop.example/x/?parallel=16&paths=a.xml").option("parallel") == "16"
