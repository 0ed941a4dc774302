"""Pull and push orchestration against the memory server and real FTP/SFTP servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.errors import TransferError
from exchange.store import Store
from exchange.store.schema import outbox, processed_files
from exchange.sync import acknowledge, deliver, list_outbox, pull, pull_detailed, push
from exchange.sync.outbox import OutboxStatus
from exchange.transport.memory import MemoryServer
from tests.transport.servers import Certs, FTPServerThread, SFTPServerThread, free_port

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def mem(request: pytest.FixtureRequest) -> MemoryServer:
    return MemoryServer.reset("sync-" + "".join(c if c.isalnum() else "-"
                                                for c in request.node.name))


def url(server: MemoryServer, **opts: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"settle": "0", **opts}.items())
    return f"memory://{server.name}/in?{query}"


def rows(store: Store) -> list[dict[str, object]]:
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(processed_files).order_by(processed_files.c.id)).mappings()]


# -- pull ----------------------------------------------------------------------------------
def test_pull_takes_files_records_them_and_acknowledge_moves_them(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    mem.put("in/b.xml", b"<b/>", T0)
    inbox = tmp_path / "inbox"
    got = pull(url(mem), inbox, sqlite_store)
    assert [p.name for p in got] == ["a.xml", "b.xml"]
    assert sorted(p.name for p in inbox.iterdir()) == ["a.xml", "b.xml"]  # no .part left
    assert (inbox / "a.xml").read_bytes() == b"<a/>"
    recorded = rows(sqlite_store)
    assert [(r["name"], r["size"], r["status"]) for r in recorded] == [
        ("a.xml", 4, "downloaded"), ("b.xml", 4, "downloaded")]
    assert recorded[0]["mtime"] == T0
    assert recorded[0]["sha256"] == got[0].sha256
    assert acknowledge(got[0], True) and acknowledge(got[1], False)
    assert set(mem.files) == {"in/processed/a.xml", "in/error/b.xml"}
    assert [r["status"] for r in rows(sqlite_store)] == ["imported", "failed"]
    assert pull(url(mem), inbox, sqlite_store) == []


def test_unacknowledged_file_is_offered_again_with_the_same_record(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    (first,) = pull(url(mem), tmp_path, sqlite_store)
    (again,) = pull(url(mem), tmp_path, sqlite_store)  # e.g. the import crashed in between
    assert again.record_id == first.record_id
    assert len(rows(sqlite_store)) == 1


def test_file_growing_between_listings_is_left_for_later(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/done.xml", b"<done/>", T0)
    mem.put("in/growing.xml", b"<orders>", T0)
    waited: list[float] = []

    def writer_keeps_writing(seconds: float) -> None:
        waited.append(seconds)
        mem.put("in/growing.xml", b"<orders><order/>", T0 + timedelta(seconds=2))

    out = pull_detailed(url(mem, settle="2"), tmp_path, sqlite_store, sleep=writer_keeps_writing)
    assert waited == [2.0]
    assert [p.name for p in out.pulled] == ["done.xml"]
    assert [(s.name, "still being written" in s.reason) for s in out.skipped] == [
        ("growing.xml", True)]
    assert not (tmp_path / "growing.xml").exists()
    acknowledge(out.pulled[0], True)
    (later,) = pull(url(mem, settle="2"), tmp_path, sqlite_store, sleep=lambda s: None)
    assert later.local_path.read_bytes() == b"<orders><order/>"


def test_done_file_mode(mem: MemoryServer, sqlite_store: Store, tmp_path: Path) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    mem.put("in/b.xml", b"<b", T0)
    mem.put("in/a.xml.done", b"", T0)
    out = pull_detailed(url(mem, stable="donefile"), tmp_path, sqlite_store)
    assert [p.name for p in out.pulled] == ["a.xml"]
    assert [s.name for s in out.skipped] == ["b.xml"]
    acknowledge(out.pulled[0], True)
    assert set(mem.files) == {"in/b.xml", "in/processed/a.xml", "in/processed/a.xml.done"}


def test_a_file_with_an_older_mtime_is_still_taken(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/new.xml", b"<new/>", T0)
    (p,) = pull(url(mem), tmp_path, sqlite_store)
    acknowledge(p, True)
    mem.put("in/late.xml", b"<late/>", T0 - timedelta(days=3))  # copied with its old mtime
    assert [p.name for p in pull(url(mem), tmp_path, sqlite_store)] == ["late.xml"]


def test_failed_remote_move_never_leads_to_a_second_import(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    (p,) = pull(url(mem), tmp_path, sqlite_store)
    mem.read_only = True
    assert acknowledge(p, True) is False  # imported, but the server refused the move
    assert "in/a.xml" in mem.files
    out = pull_detailed(url(mem), tmp_path / "again", sqlite_store)
    assert out.pulled == []
    assert "already imported" in out.skipped[0].reason
    mem.read_only = False
    assert pull(url(mem), tmp_path / "again", sqlite_store) == []
    assert set(mem.files) == {"in/processed/a.xml"}  # the move was retried
    assert [r["status"] for r in rows(sqlite_store)] == ["imported"]


def test_same_content_resent_is_not_imported_but_new_content_is(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/stock.csv", b"sku;qty\nA;1\n", T0)
    (p,) = pull(url(mem), tmp_path, sqlite_store)
    acknowledge(p, True)
    mem.put("in/stock.csv", b"sku;qty\nA;1\n", T0 + timedelta(hours=1))  # re-sent, new mtime
    out = pull_detailed(url(mem), tmp_path / "2", sqlite_store)
    assert out.pulled == []
    assert "same content already imported" in out.skipped[0].reason
    assert not list((tmp_path / "2").iterdir())
    mem.put("in/stock.csv", b"sku;qty\nA;7\n", T0 - timedelta(hours=1))  # new content, older
    (q,) = pull(url(mem), tmp_path / "3", sqlite_store)
    assert q.local_path.read_bytes() == b"sku;qty\nA;7\n"
    assert [r["status"] for r in rows(sqlite_store)] == ["imported", "duplicate", "downloaded"]


def test_waiting_inbox_file_with_the_same_name_is_not_overwritten(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    (tmp_path / "a.xml").write_bytes(b"<older, not yet imported/>")
    mem.put("in/a.xml", b"<a/>", T0)
    (p,) = pull(url(mem), tmp_path, sqlite_store)
    assert p.local_path != tmp_path / "a.xml"
    assert (tmp_path / "a.xml").read_bytes() == b"<older, not yet imported/>"
    assert p.local_path.read_bytes() == b"<a/>"


@pytest.mark.parametrize(("after", "left"), [("delete", set()), ("keep", {"in/a.xml"})])
def test_after_delete_and_keep(mem: MemoryServer, sqlite_store: Store, tmp_path: Path,
                               after: str, left: set[str]) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    (p,) = pull(url(mem, after=after), tmp_path, sqlite_store)
    acknowledge(p, True)
    assert set(mem.files) == left
    assert pull(url(mem, after=after), tmp_path, sqlite_store) == []


def test_processed_folder_option(mem: MemoryServer, sqlite_store: Store, tmp_path: Path) -> None:
    mem.put("in/a.xml", b"<a/>", T0)
    (p,) = pull(url(mem, processed="archive/2024/"), tmp_path, sqlite_store)
    acknowledge(p, True)
    assert set(mem.files) == {"in/archive/2024/a.xml"}


def test_hostile_names_are_refused_and_the_rest_is_pulled(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    mem.put("in/ok.xml", b"<ok/>", T0)
    mem.fake_names[""] = ["../../evil.xml", "..", "sub/x.xml"]
    inbox = tmp_path / "deep" / "inbox"
    out = pull_detailed(url(mem), inbox, sqlite_store)
    assert [p.name for p in out.pulled] == ["ok.xml"]
    assert sorted(s.name for s in out.skipped) == ["..", "../../evil.xml", "sub/x.xml"]
    assert all("refused remote name" in s.reason for s in out.skipped)
    assert sorted(p.name for p in (tmp_path / "deep").rglob("*") if p.is_file()) == ["ok.xml"]
    assert not list(tmp_path.rglob("evil.xml"))


# -- pull through real servers -------------------------------------------------------------
@pytest.fixture(params=["ftp", "ftps", "sftp"])
def net(request: pytest.FixtureRequest, tmp_path: Path,
        certs: Certs) -> Iterator[tuple[str, FTPServerThread | SFTPServerThread]]:
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    if request.param == "sftp":
        (tmp_path / "keys").mkdir()
        server: FTPServerThread | SFTPServerThread = SFTPServerThread(root, tmp_path / "keys")
        endpoint = server.url(path="/in", settle="0")
    else:
        server = FTPServerThread(root, certs=certs if request.param == "ftps" else None)
        endpoint = server.url(request.param, path="/in") + "?settle=0"
        if request.param == "ftps":
            endpoint += f"&cafile={certs.ca}"
    yield endpoint, server
    server.stop()


def test_pull_over_the_network_with_faults(
    net: tuple[str, FTPServerThread | SFTPServerThread], sqlite_store: Store, tmp_path: Path
) -> None:
    endpoint, server = net
    remote = server.root / "in"
    (remote / "objednávka 1.xml").write_bytes(b"<o/>")
    (remote / "growing.xml").write_bytes(b"<partial")
    (remote / "big.xml").write_bytes(b"x" * 200_000)
    server.faults.growing.add("growing.xml")
    server.faults.fake_names.append("../../evil.xml")
    server.faults.cut.add("big.xml")
    inbox = tmp_path / "inbox"
    with pytest.raises(TransferError):
        pull(endpoint, inbox, sqlite_store)  # the big file's transfer is cut
    assert not [p for p in inbox.iterdir() if p.name.endswith(".part")]
    server.faults.cut.clear()
    out = pull_detailed(endpoint, inbox, sqlite_store)
    assert sorted(p.name for p in out.pulled) == ["big.xml", "objednávka 1.xml"]
    reasons = {s.name: s.reason for s in out.skipped}
    assert "still being written" in reasons["growing.xml"]
    assert "refused remote name" in reasons["../../evil.xml"]
    assert (inbox / "big.xml").stat().st_size == 200_000
    assert sorted(p.name for p in tmp_path.rglob("evil.xml")) == []
    for p in out.pulled:
        assert acknowledge(p, True)
    assert sorted(x.name for x in (remote / "processed").iterdir()) == [
        "big.xml", "objednávka 1.xml"]


# -- push and the outbox ---------------------------------------------------------------------
def test_push_publishes_and_cleans_the_spool(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<feed/>")
    result = push(feed, f"memory://{mem.name}/out", sqlite_store, spool_dir=tmp_path / "spool")
    assert result.delivered
    assert mem.read("out/feed.xml") == b"<feed/>"
    assert list(mem.files) == ["out/feed.xml"]  # nothing temporary left
    assert not (tmp_path / "spool").exists()  # delivered straight away: no spool copy
    assert list_outbox(sqlite_store) == []
    assert len(list_outbox(sqlite_store, include_delivered=True)) == 1


def test_outbox_waits_while_the_server_is_down_and_delivers_in_order(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    endpoint = f"memory://{mem.name}/out"
    spool = tmp_path / "spool"
    feed = tmp_path / "feed.xml"
    mem.down = True
    feed.write_bytes(b"<v1/>")
    first = push(feed, endpoint, sqlite_store, spool_dir=spool)
    feed.write_bytes(b"<v2/>")  # the queued copy must stay v1
    second = push(feed, endpoint, sqlite_store, spool_dir=spool)
    assert first.waiting and second.waiting
    waiting = list_outbox(sqlite_store)
    assert [(e.remote_name, e.status) for e in waiting] == [("feed.xml", "pending")] * 2
    assert "server down" in waiting[0].last_error
    assert (waiting[0].attempts, waiting[1].attempts) == (2, 0)  # only the head is tried
    assert waiting[0].next_attempt_at > datetime.now(UTC)
    mem.down = False
    assert deliver(sqlite_store).delivered == []  # backoff: not yet
    done = deliver(sqlite_store, now=datetime.now(UTC) + timedelta(hours=2))
    assert [e.id for e in done.delivered] == [first.entry.id, second.entry.id]
    assert mem.read("out/feed.xml") == b"<v2/>"  # v1 then v2: the order held
    assert list_outbox(sqlite_store) == []


def test_permission_denied_fails_the_entry_without_blocking_the_queue(
    mem: MemoryServer, sqlite_store: Store, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<feed/>")
    mem.read_only = True
    result = push(feed, f"memory://{mem.name}/out", sqlite_store, spool_dir=tmp_path / "s")
    assert result.entry.status == OutboxStatus.FAILED
    assert "permission denied" in result.entry.last_error
    assert mem.files == {}


def test_outbox_over_ftp_server_down_then_back(sqlite_store: Store, tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "root").mkdir()
    endpoint = f"ftp://alice@127.0.0.1:{port}/"
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<feed/>" * 1000)
    result = push(feed, endpoint, sqlite_store, spool_dir=tmp_path / "spool")
    assert result.waiting
    assert "cannot connect" in result.entry.last_error
    server = FTPServerThread(tmp_path / "root", port=port)
    try:
        server.faults.cut.add("feed.xml")
        server.faults.cut_after = 1000
        cut = deliver(sqlite_store, force=True)
        assert [e.id for e in cut.waiting] == [result.entry.id], cut
        assert not (tmp_path / "root" / "feed.xml").exists()  # never half-published
        server.faults.cut.clear()
        done = deliver(sqlite_store, force=True)
        assert [e.id for e in done.delivered] == [result.entry.id]
    finally:
        server.stop()
    assert (tmp_path / "root" / "feed.xml").read_bytes() == feed.read_bytes()
    with sqlite_store.connect() as conn:
        (row,) = conn.execute(select(outbox)).mappings()
    assert (row["status"], row["attempts"]) == ("delivered", 3)
