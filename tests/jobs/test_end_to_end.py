"""Jobs end to end: a loopback FTP server plays the shop; real store, real files, real watch folder."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.catalog import load_catalog_csv
from exchange.config import Config, load_config
from exchange.errors import LockHeldError
from exchange.jobs.actions import ACTIONS
from exchange.jobs.daemon import Daemon
from exchange.jobs.runner import run_job
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.schema import order_lines, orders
from tests.transport.servers import PASSWORD, FTPServerThread

ORDER = """<ORDER><ORDER_ID>{id}</ORDER_ID><CODE>{id}</CODE><DATE>2026-11-20 10:00:00</DATE>
<STATUS>Vyřizuje se</STATUS><CURRENCY><CODE>CZK</CODE></CURRENCY>
<CUSTOMER><EMAIL>c{id}@example.cz</EMAIL><BILLING_ADDRESS><NAME>Zákazník {id}</NAME>
<COUNTRY>Česká republika</COUNTRY></BILLING_ADDRESS></CUSTOMER>
<ORDER_ITEMS><ITEM><TYPE>product</TYPE><CODE>MUG-01</CODE><NAME>Hrnek</NAME><AMOUNT>1</AMOUNT>
<UNIT_PRICE><WITH_VAT>249</WITH_VAT><VAT_RATE>21</VAT_RATE></UNIT_PRICE></ITEM></ORDER_ITEMS></ORDER>"""


def orders_xml(*ids: int) -> bytes:
    body = "".join(ORDER.format(id=i) for i in ids)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<ORDERS>{body}</ORDERS>\n'.encode()


CONFIG = """\
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop:
    profile: shoptet
    orders_from: ftp://alice@127.0.0.1:{port}/orders/?settle=0
    feed_to: ftp://alice@127.0.0.1:{port}/feeds/
jobs:
  pull: {{do: import, shop: shop, every: 10 minutes}}
  feed: {{do: export, shop: shop, every: 1 hour}}
  drop: {{do: watch, shop: shop, folder: drop}}
"""


@pytest.fixture
def shop_ftp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    root = tmp_path / "ftp"
    (root / "orders").mkdir(parents=True)
    (root / "feeds").mkdir()
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    server = FTPServerThread(root)
    yield server
    server.stop()


def _setup(store: Store, tmp_path: Path, server: FTPServerThread) -> Config:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "exchange.yaml").write_text(CONFIG.format(port=server.port), encoding="utf-8")
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    return load_config(work / "exchange.yaml")


def _count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_pull_job_imports_once_and_moves_the_remote_file(store: Store, tmp_path: Path,
                                                         shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    (shop_ftp.root / "orders" / "a.xml").write_bytes(orders_xml(1, 2))
    first = run_job(store, config, config.job("pull"), actions=ACTIONS)
    assert first.status == "ok", first.message
    assert first.counts["imported"] == 2
    assert (shop_ftp.root / "orders" / "processed" / "a.xml").exists()
    from exchange.store.history import last_run, list_events

    with store.connect() as conn:
        kinds = sorted(e["kind"] for e in list_events(conn, job="pull"))
        run = last_run(conn, "pull")
    assert kinds == ["file", "imported", "imported"]  # every document's outcome is in the job's history
    assert run is not None
    assert run["id"] == first.run_id  # the import wrote into the job's run, not a run of its own
    # the same content offered again under another name: nothing is imported twice
    (shop_ftp.root / "orders" / "again.xml").write_bytes(orders_xml(1, 2))
    second = run_job(store, config, config.job("pull"), actions=ACTIONS)
    assert second.counts.get("imported", 0) == 0
    assert _count(store, orders) == 2


def test_bad_file_is_quarantined_and_the_batch_goes_on(store: Store, tmp_path: Path,
                                                       shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    (shop_ftp.root / "orders" / "1-good.xml").write_bytes(orders_xml(7))
    (shop_ftp.root / "orders" / "2-broken.xml").write_bytes(b"<ORDERS><ORDER><CODE>9</CODE></ORDERS>")
    (shop_ftp.root / "orders" / "3-good.xml").write_bytes(orders_xml(8))
    outcome = run_job(store, config, config.job("pull"), actions=ACTIONS)
    assert outcome.status == "warning"
    assert outcome.counts["imported"] == 2
    assert _count(store, orders) == 2
    reports = list(config.folders.quarantine.rglob("*.error.txt"))
    assert len(reports) == 1
    assert "2-broken.xml" in reports[0].name
    assert "line" in reports[0].read_text() or ":1" in reports[0].read_text()
    assert (shop_ftp.root / "orders" / "error" / "2-broken.xml").exists()


def test_export_job_publishes_the_feed_complete_on_the_server(store: Store, tmp_path: Path,
                                                              shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    outcome = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert outcome.status == "ok", outcome.message
    assert outcome.counts["pushed"] == 1
    published = [p for p in (shop_ftp.root / "feeds").iterdir() if p.is_file()]
    assert [p.name for p in published] == ["shop-pricelist.xml"]
    from lxml import etree

    codes = etree.parse(str(published[0])).xpath("//CODE/text()")
    assert "MUG-01" in codes


def test_server_down_queues_the_feed_in_the_outbox(store: Store, tmp_path: Path,
                                                   shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    shop_ftp.stop()
    outcome = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert outcome.counts.get("queued") == 1
    assert outcome.status == "warning"
    from exchange.jobs.status import outbox_length

    assert outbox_length(store) == 1


def _runner(url: str, config_path: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    store = Store(url)
    config = load_config(Path(config_path))
    barrier.wait()
    done = 0
    for _ in range(3):
        try:
            done += run_job(store, config, config.job("pull"), actions=ACTIONS).counts.get("imported", 0)
        except LockHeldError:
            time.sleep(0.05)
    store.close()
    results.put(done)


def test_two_runners_racing_on_one_database_process_each_file_once(
        store: Store, tmp_path: Path, shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    for n in range(6):
        (shop_ftp.root / "orders" / f"f{n}.xml").write_bytes(orders_xml(100 + 2 * n, 101 + 2 * n))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_runner, args=(store.url, str(config.path), barrier, results))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    imported = [results.get(timeout=5) for _ in procs]
    assert sum(imported) == 12
    assert _count(store, orders) == 12
    assert _count(store, order_lines) == 12
    assert sorted(p.name for p in (shop_ftp.root / "orders" / "processed").iterdir()) == [
        f"f{n}.xml" for n in range(6)]


def test_watch_folder_takes_a_slowly_written_file_only_when_complete(
        store: Store, tmp_path: Path, shop_ftp: FTPServerThread) -> None:
    config = _setup(store, tmp_path, shop_ftp)
    drop = config.job("drop").folder
    assert drop is not None
    drop.mkdir(parents=True, exist_ok=True)
    daemon = Daemon(store, config, ACTIONS, settle_seconds=0.5)
    daemon._watch(config.job("drop"))
    data = orders_xml(501, 502, 503)
    written = threading.Event()

    def slow_writer() -> None:
        with (drop / "slow.xml").open("wb") as handle:
            for i in range(0, len(data), 200):
                handle.write(data[i:i + 200])
                handle.flush()
                time.sleep(0.1)
        written.set()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (drop / "processed" / "slow.xml").exists():
        daemon.poll_watches()
        time.sleep(0.05)
    writer.join()
    daemon.stop.set()
    if daemon._observer is not None:
        daemon._observer.stop()
        daemon._observer.join(5)
    assert written.is_set()
    assert (drop / "processed" / "slow.xml").exists()
    assert not (drop / "failed").exists()
    assert _count(store, orders) == 3


def test_import_from_an_endpoint_pulls_imports_and_cleans_up(store: Store, tmp_path: Path,
                                                             shop_ftp: FTPServerThread) -> None:
    from click.testing import CliRunner

    from exchange.cli import cli

    load_catalog_csv(store, samples_dir() / "catalog.csv")
    (shop_ftp.root / "orders" / "a.xml").write_bytes(orders_xml(31, 32))
    url = f"ftp://alice@127.0.0.1:{shop_ftp.port}/orders/?settle=0"
    base = ["--db", store.url, "import", "--profile", "shoptet", "--inbox", str(tmp_path / "in")]
    dry = CliRunner().invoke(cli, [*base, "--from", url, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output
    assert (shop_ftp.root / "orders" / "a.xml").exists()  # a dry run leaves the remote alone
    assert _count(store, orders) == 0
    real = CliRunner().invoke(cli, [*base, "--from", url])
    assert real.exit_code == 0, real.output
    assert "2 imported" in real.output
    assert _count(store, orders) == 2
    assert (shop_ftp.root / "orders" / "processed" / "a.xml").exists()
    again = CliRunner().invoke(cli, [*base, "--from", url])
    assert "0 file(s) pulled" in again.output
    assert _count(store, orders) == 2


def test_a_stop_finishes_the_file_in_hand_and_leaves_the_rest_for_next_time(
        store: Store, tmp_path: Path, shop_ftp: FTPServerThread) -> None:
    from exchange.importers.run import import_file
    from exchange.pipeline import pull_and_import

    load_catalog_csv(store, samples_dir() / "catalog.csv")
    for n in range(3):
        (shop_ftp.root / "orders" / f"{n}.xml").write_bytes(orders_xml(200 + n))
    url = f"ftp://alice@127.0.0.1:{shop_ftp.port}/orders/?settle=0"
    stop = threading.Event()

    def importer(path: Path, _origin: object = None):  # type: ignore[no-untyped-def]
        report = import_file(store, path, "shoptet", "orders")
        stop.set()  # SIGTERM arrives while the first file is imported
        return report

    first = pull_and_import(store, url, tmp_path / "in", importer, stop=stop)
    assert len(first.imported) == 1
    assert len(first.deferred) == 2
    assert _count(store, orders) == 1
    remaining = sorted(p.name for p in (shop_ftp.root / "orders").iterdir() if p.is_file())
    assert len(remaining) == 2  # not acknowledged: still on the server
    second = pull_and_import(store, url, tmp_path / "in",
                             lambda p, _origin: import_file(store, p, "shoptet", "orders"))
    assert len(second.imported) == 2
    assert _count(store, orders) == 3
