"""SFTP finds the keys a user already has, as OpenSSH does: identity files and ~/.ssh/config."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.errors import AuthError
from exchange.transport import open_transport
from tests.transport.servers import SFTPServerThread


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SFTPServerThread]:
    (tmp_path / "root").mkdir()
    (tmp_path / "keys").mkdir()
    srv = SFTPServerThread(tmp_path / "root", tmp_path / "keys")
    yield srv
    srv.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    for key in ("EXCHANGE_PASSWORD_127_0_0_1_ALICE", "EXCHANGE_SFTP_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    return home


def test_a_default_identity_file_is_used_without_key_or_password(
        server: SFTPServerThread, home: Path) -> None:
    (server.root / "o.xml").write_bytes(b"<o/>")
    url = f"sftp://alice@127.0.0.1:{server.port}/?known_hosts={server.known_hosts}"
    with pytest.raises(AuthError, match="no key was accepted and no password"):
        open_transport(url)
    shutil.copyfile(server.client_key_path, home / ".ssh" / "id_ed25519")
    with open_transport(url) as t:
        assert [f.name for f in t.list_files()] == ["o.xml"]


def test_a_host_alias_from_ssh_config(server: SFTPServerThread, home: Path) -> None:
    (server.root / "o.xml").write_bytes(b"<o/>")
    (home / ".ssh" / "config").write_text(
        f"Host shop\n  HostName 127.0.0.1\n  Port {server.port}\n  User alice\n"
        f"  IdentityFile {server.client_key_path}\n", encoding="utf-8")
    with open_transport(f"sftp://shop/?known_hosts={server.known_hosts}") as t:
        assert t.endpoint.host == "127.0.0.1" and t.endpoint.user == "alice"
        assert [f.name for f in t.list_files()] == ["o.xml"]
