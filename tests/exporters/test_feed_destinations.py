"""Feeds published to destinations on a real FTP server: every change reaches each destination once."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import delete

from exchange.cli import cli
from exchange.documents import Price
from exchange.exporters.engine import export_feed
from exchange.feed_publish import publish_feed
from exchange.profiles import load_profile
from exchange.store import Store
from exchange.store.catalog import product_id_by_code, set_price
from exchange.store.feeds import PublicationStatus
from exchange.store.schema import product_labels
from exchange.sync import list_outbox
from tests.exporters.conftest import profile_with
from tests.exporters.test_export_engine import age_catalogue
from tests.transport.servers import PASSWORD, FTPServerThread

N = "{urn:exchange:pricelist:1}"
NATIVE = load_profile("native")


@pytest.fixture
def ftp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    """A real FTP server whose /shop/ folder plays the shop."""
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    root = tmp_path / "ftp-root"
    (root / "shop").mkdir(parents=True)
    server = FTPServerThread(root)
    yield server
    server.stop()


def remote_files(server: FTPServerThread) -> list[Path]:
    return sorted((server.root / "shop").glob("*.xml"))


def items(path: Path) -> dict[str, etree._Element]:
    root = etree.parse(str(path)).getroot()
    return {el.findtext(f"{N}code") or "": el for el in root.iter(f"{N}item")}


def reprice(store: Store, code: str, amount: str) -> None:
    with store.begin() as conn:
        pid = product_id_by_code(conn, code)
        assert pid is not None
        set_price(conn, pid, Price("retail", Decimal(amount), "CZK", True))


def send(store: Store, server: FTPServerThread, tmp_path: Path, name: str = "feed.xml",
         changes: bool = True) -> object:
    return publish_feed(store, NATIVE, "pricelist", endpoint=server.url(path="/shop/"),
                        staging=tmp_path / "staging", remote_name=name, changes=changes)


def test_a_push_that_fails_keeps_the_changes_for_the_next_run(catalogue: Store, ftp: FTPServerThread,
                                                              tmp_path: Path) -> None:
    age_catalogue(catalogue)
    first = send(catalogue, ftp, tmp_path)
    assert first.published and first.full and first.item_count == 6
    reprice(catalogue, "KNIHA", "333")
    ftp.faults.cut.add("feed.changes")  # the shop's server drops the upload
    ftp.faults.cut_after = 10
    failed = send(catalogue, ftp, tmp_path)
    assert failed.status is PublicationStatus.QUEUED
    assert "the changes stay for the next run" in failed.reason
    ftp.faults.cut.clear()
    reprice(catalogue, "TRI-M", "199")
    again = send(catalogue, ftp, tmp_path)
    assert again.published and not again.full
    # the queued file went first (the outbox keeps the order), then this run's file with both changes
    changes = [p for p in remote_files(ftp) if ".changes-" in p.name]
    assert set(items(changes[-1])) == {"KNIHA", "TRI-M"}
    assert [e for e in list_outbox(catalogue) if e.status == "pending"] == []


def test_two_destinations_each_get_every_change_once(catalogue: Store, ftp: FTPServerThread,
                                                     tmp_path: Path) -> None:
    age_catalogue(catalogue)
    assert send(catalogue, ftp, tmp_path, "a.xml").full
    assert send(catalogue, ftp, tmp_path, "b.xml").full
    reprice(catalogue, "KNIHA", "333")
    assert send(catalogue, ftp, tmp_path, "a.xml").item_count == 1
    reprice(catalogue, "TRI-L", "199")
    assert send(catalogue, ftp, tmp_path, "a.xml").item_count == 1
    assert send(catalogue, ftp, tmp_path, "b.xml").item_count == 2
    seen: dict[str, list[str]] = {"a": [], "b": []}
    for path in remote_files(ftp):
        if ".changes-" in path.name:
            seen[path.name[0]] += list(items(path))
    assert sorted(seen["a"]) == ["KNIHA", "TRI-L"]
    assert sorted(seen["b"]) == ["KNIHA", "TRI-L"]
    assert items(ftp.root / "shop" / "a.xml")["KNIHA"].findtext(f"{N}price") == "300.00"  # full kept


def test_a_differential_with_no_changes_publishes_nothing(catalogue: Store, ftp: FTPServerThread,
                                                          tmp_path: Path) -> None:
    age_catalogue(catalogue)
    send(catalogue, ftp, tmp_path)
    before = remote_files(ftp)
    result = send(catalogue, ftp, tmp_path)
    assert result.status is PublicationStatus.UNCHANGED and result.ok
    assert remote_files(ftp) == before
    assert not list((tmp_path / "staging").glob("*.xml"))


def test_a_zero_item_first_feed_is_held(catalogue: Store, ftp: FTPServerThread, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(db)
    from tests.exporters.conftest import build_catalogue

    build_catalogue(store)
    store.close()
    result = CliRunner().invoke(cli, ["--db", db, "export", "pricelist", "--profile", "native",
                                      "--to", ftp.url(path="/shop/"), "--label", "eshopp"])
    assert result.exit_code == 4, result.output
    assert "0 items" in result.output
    assert remote_files(ftp) == []
    forced = CliRunner().invoke(cli, ["--db", db, "export", "pricelist", "--profile", "native",
                                      "--to", ftp.url(path="/shop/"), "--label", "eshopp", "--force"])
    assert forced.exit_code == 0, forced.output
    assert [p.name for p in remote_files(ftp)] == ["native-pricelist.xml"]


def test_a_product_that_loses_its_label_is_sent_once_as_hidden(catalogue: Store, ftp: FTPServerThread,
                                                               tmp_path: Path) -> None:
    age_catalogue(catalogue)
    url = ftp.url(path="/shop/")
    shoptet = load_profile("shoptet")

    def run() -> object:  # forced: 1 of 4 items gone is more than the gate's 20 %
        return publish_feed(catalogue, shoptet, "pricelist_flat", endpoint=url, force=True,
                            staging=tmp_path / "staging", remote_name="shop.xml", label="eshop1")

    first = run()
    assert first.published and first.withdrawn_count == 0
    with catalogue.begin() as conn:
        pid = product_id_by_code(conn, "KAVA-1")
        conn.execute(delete(product_labels).where(product_labels.c.product_id == pid))
    second = run()
    assert second.withdrawn_count == 1
    shop = etree.parse(str(ftp.root / "shop" / "shop.xml")).getroot()
    hidden = [i for i in shop.iter("SHOPITEM") if i.findtext("CODE") == "KAVA-1"]
    assert len(hidden) == 1
    assert hidden[0].findtext("VISIBILITY") == "hidden"
    assert hidden[0].findtext("STOCK/AMOUNT") == "0"
    third = run()
    assert third.withdrawn_count == 0
    shop = etree.parse(str(ftp.root / "shop" / "shop.xml")).getroot()
    assert "KAVA-1" not in {i.findtext("CODE") for i in shop.iter("SHOPITEM")}


def test_a_file_feed_keeps_no_destination_state(catalogue: Store, tmp_path: Path) -> None:
    profile = profile_with("shoptet/pricelist_flat.xml.j2")
    export_feed(catalogue, profile, "pricelist", tmp_path / "f.xml", label="eshop1")
    with catalogue.begin() as conn:
        conn.execute(delete(product_labels))
    held = export_feed(catalogue, profile, "pricelist", tmp_path / "f.xml", label="eshop1")
    assert held.status is PublicationStatus.HELD and held.withdrawn_count == 0


def test_a_dry_run_prints_the_verdict_and_changes_nothing(catalogue: Store, ftp: FTPServerThread,
                                                          tmp_path: Path) -> None:
    dry = publish_feed(catalogue, NATIVE, "pricelist", endpoint=ftp.url(path="/shop/"),
                       staging=tmp_path / "staging", dry_run=True)
    assert dry.dry_run and dry.ok and dry.item_count == 6
    assert [s["code"] for s in dry.sample][:2] == ["KAVA-1", "TRI"]
    assert "would be published" in dry.summary()
    assert remote_files(ftp) == []
    first = send(catalogue, ftp, tmp_path)
    assert first.full  # the dry run left no state behind
    typo = publish_feed(catalogue, NATIVE, "pricelist", endpoint=ftp.url(path="/shop/"),
                        staging=tmp_path / "staging", label="nope", dry_run=True)
    assert not typo.ok and "would be HELD" in typo.summary()
