"""The transport contract, written once and run against every backend on a real server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.errors import RemoteNotFoundError, UnsafePathError
from exchange.transport import RemoteFile, open_transport
from exchange.transport.base import is_temp_name
from tests.transport.conftest import BACKENDS, OLD, Remote

pytestmark = pytest.mark.parametrize("remote", BACKENDS, indirect=True)


def test_list_returns_files_only_with_size_and_aware_mtime(remote: Remote) -> None:
    remote.put("a.xml", b"<a/>")
    remote.put("b.txt", b"hello world")
    remote.put("sub/c.xml", b"<c/>")
    with open_transport(remote.url) as t:
        files = t.list_files()
    assert [f.name for f in files] == ["a.xml", "b.txt"]
    a = files[0]
    assert isinstance(a, RemoteFile)
    assert (a.path, a.size) == ("a.xml", 4)
    assert a.mtime.tzinfo is not None
    assert abs((datetime.now(UTC) - a.mtime).total_seconds()) < 300


def test_list_filters_with_pattern_and_reads_subfolders(remote: Remote) -> None:
    remote.put("sub/one.xml", b"1")
    remote.put("sub/two.csv", b"22")
    with open_transport(remote.url) as t:
        files = t.list_files("sub", "*.xml")
    assert [(f.name, f.path, f.size) for f in files] == [("one.xml", "sub/one.xml", 1)]


def test_old_mtime_is_reported_as_is(remote: Remote) -> None:
    if remote.kind == "memory":
        remote.put("old.xml", b"x", mtime=OLD)
    else:
        remote.put("old.xml", b"x", mtime=OLD)
    with open_transport(remote.url) as t:
        (f,) = t.list_files()
    assert f.mtime == OLD


def test_publish_then_download_round_trip(remote: Remote, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    data = bytes(range(256)) * 1000 + b"tail"  # not a multiple of any block size
    src.write_bytes(data)
    with open_transport(remote.url) as t:
        assert t.publish(src, "feed.bin") == len(data)
        assert t.size("feed.bin") == len(data)
        (listed,) = t.list_files()
        got = tmp_path / "got.bin"
        assert t.download(listed, got) == len(data)
    assert got.read_bytes() == data
    assert remote.read("feed.bin") == data
    assert remote.names() == ["feed.bin"]  # no temporary file left behind


def test_publish_replaces_an_existing_file(remote: Remote, tmp_path: Path) -> None:
    remote.put("feed.xml", b"old feed")
    src = tmp_path / "feed.xml"
    src.write_bytes(b"the new feed")
    with open_transport(remote.url) as t:
        t.publish(src, "feed.xml")
    assert remote.read("feed.xml") == b"the new feed"
    assert not [n for n in remote.names() if is_temp_name(n)]


@pytest.mark.parametrize("name", ["objednávka č. 1.xml", "with  spaces.xml", "Žluťoučký kůň.csv"])
def test_odd_names_round_trip(remote: Remote, tmp_path: Path, name: str) -> None:
    src = tmp_path / "src"
    src.write_bytes("příliš".encode())
    with open_transport(remote.url) as t:
        t.publish(src, name)
        assert [f.name for f in t.list_files()] == [name]
        t.download(name, tmp_path / "back")
        t.rename(name, f"renamed {name}")
        assert [f.name for f in t.list_files()] == [f"renamed {name}"]
    assert (tmp_path / "back").read_bytes() == "příliš".encode()


def test_rename_delete_mkdir(remote: Remote) -> None:
    remote.put("in.xml", b"data")
    with open_transport(remote.url) as t:
        t.mkdir("done/2024")
        t.mkdir("done/2024")  # existing folder is fine
        t.rename("in.xml", "done/2024/in.xml")
        assert t.list_files() == []
        assert [f.path for f in t.list_files("done/2024")] == ["done/2024/in.xml"]
        assert t.exists("done/2024/in.xml")
        t.delete("done/2024/in.xml")
        assert not t.exists("done/2024/in.xml")
        assert t.list_files("done/2024") == []


def test_missing_things_raise_remote_not_found(remote: Remote, tmp_path: Path) -> None:
    with open_transport(remote.url) as t:
        with pytest.raises(RemoteNotFoundError):
            t.download("nope.xml", tmp_path / "nope.xml")
        assert not (tmp_path / "nope.xml").exists()
        with pytest.raises(RemoteNotFoundError):
            t.delete("nope.xml")
        with pytest.raises(RemoteNotFoundError):
            t.rename("nope.xml", "other.xml")
        with pytest.raises(RemoteNotFoundError):
            t.size("nope.xml")
        with pytest.raises(RemoteNotFoundError):
            t.list_files("no-such-folder")


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/etc/passwd", "a\\..\\x"])
def test_paths_outside_the_root_are_refused(remote: Remote, tmp_path: Path, bad: str) -> None:
    with open_transport(remote.url) as t:
        for call in (
            lambda: t.download(bad, tmp_path / "x"),
            lambda: t.publish(tmp_path / "x", bad),
            lambda: t.delete(bad),
            lambda: t.rename("a", bad),
            lambda: t.mkdir(bad),
            lambda: t.list_files(bad),
        ):
            (tmp_path / "x").write_bytes(b"x")
            with pytest.raises(UnsafePathError):
                call()


def test_publish_many_publishes_in_order_and_leaves_no_temporary_file(
    remote: Remote, tmp_path: Path
) -> None:
    items = []
    for i in range(12):  # enough for the parallel path of SFTP
        src = tmp_path / f"f{i:02d}.xml"
        src.write_bytes(b"<x/>" * (i + 1))
        items.append((src, f"f{i:02d}.xml"))
    with open_transport(remote.url) as t:
        assert list(t.publish_many(items)) == list(range(12))
        assert [(f.name, f.size) for f in t.list_files()] == [(f"f{i:02d}.xml", 4 * (i + 1))
                                                         for i in range(12)]
    assert remote.names() == [f"f{i:02d}.xml" for i in range(12)]


def test_a_push_deletes_our_abandoned_temporary_uploads_older_than_an_hour(remote: Remote) -> None:
    remote.put(".exchange-tmp-0badf00d-feed.xml", b"half a feed", OLD)  # a killed push
    remote.put(".exchange-tmp-1234abcd-feed.xml", b"in progress")  # another push, now
    remote.put("old-but-not-ours.xml", b"<x/>", OLD)
    with open_transport(remote.url) as t:
        local = Path(__file__).parent / "__init__.py"
        t.publish(local, "feed.xml")
        # Once per folder and connection: the next publish does not list again.
        assert t.sweep_stale_uploads("") == []
    names = remote.names()
    if remote.kind == "ftps-vsftpd":
        # vsftpd hides dot files from its listings, so the stale upload cannot be seen.
        assert ".exchange-tmp-0badf00d-feed.xml" in names
    else:
        assert ".exchange-tmp-0badf00d-feed.xml" not in names
    assert ".exchange-tmp-1234abcd-feed.xml" in names
    assert "old-but-not-ours.xml" in names and "feed.xml" in names
