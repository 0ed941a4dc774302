"""Pushes to one endpoint leave in queue order with three workers: the outbox head is claimed in the store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from exchange.config import load_config
from exchange.documents import Price
from exchange.scale.app import TASK, make_app
from exchange.scale.broker import broker_url
from exchange.store import Store
from exchange.store.catalog import product_id_by_code, set_price
from exchange.store.schema import outbox, runs
from tests.exporters.conftest import build_catalogue
from tests.exporters.test_export_engine import age_catalogue
from tests.reliability.procs import Proc, wait_for
from tests.scale.cluster import start_worker
from tests.transport.servers import PASSWORD, FaultFS, FTPServerThread, free_port

SHOPS = 6
N = "{urn:exchange:pricelist:1}"


class _ArrivalLog(FaultFS):
    """The server's filesystem, noting each file as it arrives (the publish's final rename)."""

    arrivals: list[str] = []

    def rename(self, src: str, dst: str) -> None:
        super().rename(src, dst)
        self.arrivals.append(os.path.basename(dst))


def _config(workdir: Path, vhost: str, port: int) -> None:
    lines = [f"broker: amqp://guest@127.0.0.1:5672/{vhost}",
             "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}", "shops:"]
    lines += [f"  s{n}: {{profile: native, feed_to: 'ftp://alice@127.0.0.1:{port}/feeds/'}}"
              for n in range(SHOPS)]
    lines.append("jobs:")
    lines += [f"  feed{n}: {{do: export, shop: s{n}, every: 1 hour, options: {{content: prices}}}}"
              for n in range(SHOPS)]
    (workdir / "exchange.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _finished(store: Store) -> list[str]:
    with store.connect() as conn:
        return [r.status for r in conn.execute(select(runs.c.status).where(runs.c.status != "running"))]


def _queue(store: Store) -> list[tuple[str, str]]:
    with store.connect() as conn:
        return [(r.remote_name, r.status) for r in
                conn.execute(select(outbox.c.remote_name, outbox.c.status).order_by(outbox.c.id))]


@pytest.fixture
def port(store: Store, tmp_path: Path, vhost: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The shop's FTP port, with three export workers running; nothing listens there yet."""
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    build_catalogue(store)
    age_catalogue(store)
    port = free_port()
    _config(tmp_path, vhost, port)
    procs: list[Proc] = []
    try:
        procs = [start_worker(tmp_path, store.url, f"w{n}", "--queues", "export") for n in range(3)]
        yield port
    finally:
        for proc in procs:
            proc.stop()


def test_pushes_to_one_endpoint_arrive_in_queue_order(store: Store, tmp_path: Path, port: int) -> None:
    app = make_app(broker_url(load_config(tmp_path / "exchange.yaml")))
    root = tmp_path / "ftp"
    try:
        for n in range(SHOPS):  # every shop's full feed waits in the outbox for the one server
            app.send_task(TASK, args=[f"feed{n}", None], queue="export")
        wait_for("the feeds to wait in the outbox", lambda: len(_finished(store)) == SHOPS, timeout=240)
        assert [status for _, status in _queue(store)] == ["pending"] * SHOPS
        (root / "feeds").mkdir(parents=True)
        server = FTPServerThread(root, port=port)
        server.server.handler.abstracted_fs = _ArrivalLog
        _ArrivalLog.arrivals = []
        try:
            with store.begin() as conn:  # a price changes: each shop's next run sends a differential
                pid = product_id_by_code(conn, "KNIHA")
                assert pid is not None
                set_price(conn, pid, Price("retail", Decimal("333"), "CZK", True))
            for n in range(SHOPS):  # the three workers push to the server that is back, at once
                app.send_task(TASK, args=[f"feed{n}", None], queue="export")
            wait_for("the second round", lambda: len(_finished(store)) == 2 * SHOPS, timeout=240)
        finally:
            server.stop()
    finally:
        app.close()
    queue = _queue(store)
    assert {status for _, status in queue} == {"delivered"}
    assert len(queue) == 2 * SHOPS  # each shop: the waiting full feed, then its differential
    # what the server received, one file after another: exactly the queue, oldest first, once each
    assert _ArrivalLog.arrivals == [name for name, _ in queue]
    expected = sorted(f"s{n}-pricelist.xml" for n in range(SHOPS))
    assert sorted(name for name, _ in queue[:SHOPS]) == expected  # the feeds that waited, first
    assert sorted(name for name, _ in queue[SHOPS:]) == expected  # then the new ones, never overtaken:
    for n in range(SHOPS):  # the file each shop keeps is its newest feed, with the new price
        feed = etree.parse(str(root / "feeds" / f"s{n}-pricelist.xml")).getroot()
        prices = {item.findtext(f"{N}code"): item.findtext(f"{N}price") for item in feed}
        assert prices["KNIHA"] == "333.00", prices
    assert set(_finished(store)) <= {"ok", "warning"}, _finished(store)
