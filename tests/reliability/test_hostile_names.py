"""Remote file names with ``../``, newlines, backslashes or control characters, on real loopback FTP
and SFTP servers: refused with the reason, never written outside the inbox, the rest pulled."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.store import Store
from exchange.sync import pull_detailed
from tests.jobs.test_end_to_end import orders_xml
from tests.transport.servers import PASSWORD, FTPServerThread, SFTPServerThread

#: names a Linux server can hold; each would escape, split a listing line or confuse a path
HOSTILE = [
    "..\\..\\evil.xml",
    "new\nline.xml",
    "cr\r\nsize=1;type=file; injected.xml",
    "tab\there.xml",
    "back\\slash.xml",
    "bell\x07.xml",
]


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)


@pytest.fixture(params=["ftp", "sftp"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    if request.param == "sftp":
        (tmp_path / "keys").mkdir()
        sftp = SFTPServerThread(root, tmp_path / "keys")
        yield sftp.url(path="/in", settle="0"), root / "in"
        sftp.stop()
    else:
        ftp = FTPServerThread(root)
        yield ftp.url("ftp", path="/in") + "?settle=0", root / "in"
        ftp.stop()


def test_hostile_remote_names_are_refused_and_the_rest_is_pulled(
        server: tuple[str, Path], sqlite_store: Store, tmp_path: Path) -> None:
    url, folder = server
    (folder / "ok.xml").write_bytes(orders_xml(1))
    for name in HOSTILE:
        (folder / name).write_bytes(orders_xml(2))
    inbox = tmp_path / "work" / "inbox"
    out = pull_detailed(url, inbox, sqlite_store)
    assert [p.name for p in out.pulled] == ["ok.xml"]
    # each hostile name is told with its reason: refused as a name, or (a CR LF splits pyftpdlib's
    # MLSD line, so the client sees the pieces "cr" and "injected.xml") not found on the server
    assert out.skipped
    for skipped in out.skipped:
        assert "refused remote name" in skipped.reason or "not found" in skipped.reason
    written = sorted(str(p.relative_to(tmp_path / "work")) for p in (tmp_path / "work").rglob("*")
                     if p.is_file())
    assert written == [os.path.join("inbox", "ok.xml")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(["ok.xml", *HOSTILE])  # left there
