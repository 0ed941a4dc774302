# ruff: noqa: S321 - these tests exercise ftplib on purpose
"""Faults injected through real servers: each gives a clear, translated error and loses nothing."""

from __future__ import annotations

import ftplib
import os
import ssl
from pathlib import Path

import pytest

from exchange.errors import (
    AuthError,
    ConnectError,
    HostKeyError,
    PermissionDeniedError,
    TransferError,
    TransportError,
)
from exchange.transport import open_transport
from exchange.transport.base import is_temp_name
from tests.transport.conftest import _need
from tests.transport.servers import (
    PASSWORD,
    Certs,
    FTPServerThread,
    SFTPServerThread,
    free_port,
    vsftpd_server,
)

BIG = os.urandom(300 * 1024)


def _url(kind: str, ftp: FTPServerThread | None, sftp: SFTPServerThread | None,
         certs: Certs, user: str = "alice") -> str:
    if kind == "sftp":
        assert sftp is not None
        return sftp.url(user=user)
    assert ftp is not None
    return ftp.url(kind, user=user) + (f"?cafile={certs.ca}" if kind == "ftps" else "")


@pytest.fixture(params=["ftp", "ftps", "sftp"])
def server(request: pytest.FixtureRequest, tmp_path: Path, certs: Certs):  # type: ignore[no-untyped-def]
    """(kind, ftp server or None, sftp server or None) for each network backend."""
    kind = request.param
    (tmp_path / "root").mkdir()
    if kind == "sftp":
        (tmp_path / "keys").mkdir()
        sftp = SFTPServerThread(tmp_path / "root", tmp_path / "keys")
        yield kind, None, sftp
        sftp.stop()
    else:
        ftp = FTPServerThread(tmp_path / "root", certs=certs if kind == "ftps" else None)
        yield kind, ftp, None
        ftp.stop()


@pytest.mark.parametrize("scheme", ["ftp", "ftps", "sftp"])
def test_server_down_is_a_retryable_connect_error(scheme: str, tmp_path: Path) -> None:
    (tmp_path / "kh").write_text("")
    url = f"{scheme}://alice@127.0.0.1:{free_port()}/?known_hosts={tmp_path / 'kh'}"
    url = url if scheme == "sftp" else url.split("?")[0]
    with pytest.raises(ConnectError) as info:
        open_transport(url)
    assert info.value.retryable


def test_wrong_password_is_an_auth_error(server, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                         certs: Certs) -> None:
    kind, ftp, sftp = server
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", "wrong horse")
    with pytest.raises(AuthError) as info:
        open_transport(_url(kind, ftp, sftp, certs))
    assert not info.value.retryable
    assert "wrong horse" not in str(info.value)


def test_missing_password_names_the_variable_and_leaks_nothing(  # type: ignore[no-untyped-def]
    server, monkeypatch: pytest.MonkeyPatch, certs: Certs
) -> None:
    kind, ftp, sftp = server
    monkeypatch.delenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(AuthError, match="EXCHANGE_PASSWORD_127_0_0_1_ALICE"):
        open_transport(_url(kind, ftp, sftp, certs))


def test_generic_scheme_variable_is_the_last_resort(  # type: ignore[no-untyped-def]
    server, monkeypatch: pytest.MonkeyPatch, certs: Certs
) -> None:
    kind, ftp, sftp = server
    monkeypatch.delenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv(f"EXCHANGE_{kind.upper()}_PASSWORD", PASSWORD)
    with open_transport(_url(kind, ftp, sftp, certs)) as t:
        assert t.list_files() == []


def test_permission_denied_publishes_nothing(server, tmp_path: Path, certs: Certs) -> None:  # type: ignore[no-untyped-def]
    kind, ftp, sftp = server
    src = tmp_path / "feed.xml"
    src.write_bytes(b"<feed/>")
    with open_transport(_url(kind, ftp, sftp, certs, user="reader")) as t:
        with pytest.raises(PermissionDeniedError) as info:
            t.publish(src, "feed.xml")
        assert t.list_files() == []
    assert not info.value.retryable
    assert sorted(os.listdir(tmp_path / "root")) in ([], ["ro"])


def test_connection_cut_mid_download(server, tmp_path: Path, certs: Certs) -> None:  # type: ignore[no-untyped-def]
    kind, ftp, sftp = server
    (tmp_path / "root" / "big.xml").write_bytes(BIG)
    (ftp or sftp).faults.cut.add("big.xml")
    target = tmp_path / "big.xml.part"
    with open_transport(_url(kind, ftp, sftp, certs)) as t:
        (remote,) = t.list_files(pattern="*.xml")
        with pytest.raises(TransferError) as info:
            t.download(remote, target)
    assert info.value.retryable
    assert not target.exists()  # no partial copy is left behind
    assert (tmp_path / "root" / "big.xml").read_bytes() == BIG  # the original is untouched


def test_connection_cut_mid_upload_publishes_nothing(server, tmp_path: Path, certs: Certs) -> None:  # type: ignore[no-untyped-def]
    kind, ftp, sftp = server
    (ftp or sftp).faults.cut.add("feed.xml")
    src = tmp_path / "feed.xml"
    src.write_bytes(BIG)
    with open_transport(_url(kind, ftp, sftp, certs)) as t, pytest.raises(TransportError) as info:
        t.publish(src, "feed.xml")
    assert isinstance(info.value, TransferError | ConnectError), info.value
    assert info.value.retryable
    left = [n for n in os.listdir(tmp_path / "root") if n != "ro"]
    assert "feed.xml" not in left
    assert all(is_temp_name(n) for n in left)


# -- FTPS certificates -----------------------------------------------------------------------
def test_ftps_refuses_an_untrusted_certificate(tmp_path: Path, certs: Certs) -> None:
    ftp = FTPServerThread(tmp_path, certs=certs)
    try:
        with pytest.raises(HostKeyError, match="certificate"):
            open_transport(ftp.url("ftps") + f"?cafile={certs.other_ca}")
        with open_transport(ftp.url("ftps") + "?verify=false") as t:
            assert [f.name for f in t.list_files()] == []
    finally:
        ftp.stop()


# -- SFTP host keys --------------------------------------------------------------------------
@pytest.fixture
def sftp_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "root").mkdir()
    (tmp_path / "keys").mkdir()
    server = SFTPServerThread(tmp_path / "root", tmp_path / "keys")
    yield server
    server.stop()


def test_sftp_unknown_host_key_is_refused(sftp_server: SFTPServerThread, tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError) as info:
        open_transport(sftp_server.url(known_hosts=str(empty)))
    assert sftp_server.fingerprint in str(info.value)  # the user can check and pin it


def test_sftp_pinned_fingerprint_accepts_and_a_wrong_one_refuses(
    sftp_server: SFTPServerThread, tmp_path: Path
) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    url = sftp_server.url(known_hosts=str(empty), fingerprint=sftp_server.fingerprint)
    with open_transport(url) as t:
        assert t.list_files() == []
    wrong = "SHA256:" + "A" * 43
    with pytest.raises(HostKeyError, match="does not match"):
        open_transport(sftp_server.url(fingerprint=wrong))


def test_sftp_changed_host_key_is_refused(sftp_server: SFTPServerThread, tmp_path: Path) -> None:
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    known = tmp_path / "changed_known_hosts"
    known.write_text(f"[127.0.0.1]:{sftp_server.port} {other}")
    with pytest.raises(HostKeyError, match="CHANGED"):
        open_transport(sftp_server.url(known_hosts=str(known)))


def test_sftp_key_authentication(sftp_server: SFTPServerThread,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE")
    with open_transport(sftp_server.url(key=str(sftp_server.client_key_path))) as t:
        assert t.list_files() == []


# -- vsftpd and TLS session reuse ------------------------------------------------------------
def test_vsftpd_requires_session_reuse_and_we_provide_it(tmp_path: Path, certs: Certs) -> None:
    _need("vsftpd")
    server = vsftpd_server(tmp_path, certs)
    try:
        context = ssl.create_default_context(cafile=str(certs.ca))
        plain = ftplib.FTP_TLS(context=context, timeout=10)
        try:
            plain.connect("127.0.0.1", server.port)
            plain.login()
            plain.prot_p()
            with pytest.raises(ftplib.error_perm, match="522"):
                plain.nlst("/pub")
        finally:
            plain.close()
        src = tmp_path / "feed.xml"
        src.write_bytes(BIG)
        with open_transport(f"ftps://127.0.0.1:{server.port}/pub?cafile={certs.ca}") as t:
            t.publish(src, "feed.xml")
            assert [(f.name, f.size) for f in t.list_files()] == [("feed.xml", len(BIG))]
            t.download("feed.xml", tmp_path / "back.xml")
        assert (tmp_path / "back.xml").read_bytes() == BIG
    finally:
        server.stop()


def test_publish_many_stops_at_the_first_failure(server, tmp_path: Path, certs: Certs) -> None:  # type: ignore[no-untyped-def]
    kind, ftp, sftp = server
    (ftp or sftp).faults.cut.add("f05")
    items = []
    for i in range(12):
        src = tmp_path / f"f{i:02d}.xml"
        src.write_bytes(BIG if i == 5 else b"<x/>")
        items.append((src, src.name))
    published = []
    with open_transport(_url(kind, ftp, sftp, certs)) as t, pytest.raises(TransportError) as info:
        published.extend(t.publish_many(items))
    assert info.value.retryable
    # A prefix, in order (parallel staging may lose a few more to the same cut connection).
    assert published == list(range(len(published)))
    assert len(published) <= 5
    final = sorted(n for n in os.listdir(tmp_path / "root") if n != "ro" and not is_temp_name(n))
    # The server may have done the rename whose answer the cut swallowed: still complete, still
    # in order, and the outbox publishes it again (the same file, atomically).
    assert final in ([f"f{i:02d}.xml" for i in range(n)]
                     for n in (len(published), len(published) + 1))


def test_a_refused_rename_in_a_batch_keeps_the_order(server, tmp_path: Path, certs: Certs) -> None:  # type: ignore[no-untyped-def]
    kind, ftp, sftp = server
    (ftp or sftp).faults.refuse_rename.add("f05")
    (tmp_path / "root" / "f08.xml").write_bytes(b"old")  # an existing target in the batch
    items = []
    for i in range(30):
        src = tmp_path / f"f{i:02d}.xml"
        src.write_bytes(b"<x/>")
        items.append((src, src.name))
    published = []
    with open_transport(_url(kind, ftp, sftp, certs)) as t:
        with pytest.raises(PermissionDeniedError):
            published.extend(t.publish_many(items))
        assert published == [0, 1, 2, 3, 4]
        # Nothing after the refused file is visible, and the existing target is untouched.
        assert [f.name for f in t.list_files()] == [f"f{i:02d}.xml" for i in (0, 1, 2, 3, 4, 8)]
    assert (tmp_path / "root" / "f08.xml").read_bytes() == b"old"
    assert not [n for n in os.listdir(tmp_path / "root") if is_temp_name(n)]
