"""Export and reconcile jobs against a loopback FTP shop: the job is the feed's destination."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from exchange.config import Config
from exchange.documents import Price
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.store import Store
from exchange.store.catalog import product_id_by_code, set_price
from exchange.store.history import last_run
from tests.jobs.feed_shop import N, feed_config, ftp_shop
from tests.transport.servers import FTPServerThread


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    with ftp_shop(tmp_path, monkeypatch) as server:
        yield server


@pytest.fixture
def config(store: Store, tmp_path: Path, shop: FTPServerThread) -> Config:
    return feed_config(store, tmp_path, shop, feed_options="{content: prices}")


def test_an_export_job_sends_the_full_feed_then_each_change_once(store: Store, config: Config,
                                                                 shop: FTPServerThread) -> None:
    first = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert (first.status, first.counts["items"], first.counts["pushed"]) == ("ok", 6, 1)
    full = etree.parse(str(shop.root / "feeds" / "shop-pricelist.xml")).getroot()
    assert full.find(f"{N}item/{N}available") is None  # the job's options: prices only
    with store.begin() as conn:
        pid = product_id_by_code(conn, "KNIHA")
        assert pid is not None
        set_price(conn, pid, Price("retail", Decimal("333"), "CZK", True))
    second = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert second.counts["items"] == 1
    (delta,) = sorted((shop.root / "feeds").glob("shop-pricelist.changes-*.xml"))
    assert [el.findtext(f"{N}code") for el in etree.parse(str(delta)).getroot()] == ["KNIHA"]
    third = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert third.status == "ok" and third.counts["items"] == 0 and "pushed" not in third.counts
    assert len(list((shop.root / "feeds").glob("*.xml"))) == 2  # nothing published for no change


def test_a_reconcile_job_records_the_drift_counts(store: Store, config: Config,
                                                  shop: FTPServerThread) -> None:
    (shop.root / "export" / "products.xml").write_text(
        "<SHOP><SHOPITEM><CODE>KAVA-1</CODE><PRICE_VAT>121</PRICE_VAT><STOCK><AMOUNT>1</AMOUNT>"
        "</STOCK></SHOPITEM><SHOPITEM><CODE>GONE</CODE></SHOPITEM></SHOP>", encoding="utf-8")
    outcome = run_job(store, config, config.job("drift"), actions=ACTIONS)
    assert outcome.status == "warning"
    assert outcome.counts["stock_drift"] == 1 and outcome.counts["extra_in_shop"] == 1
    assert outcome.counts["missing_in_shop"] == 3  # TRI-M, TRI-L, KNIHA (no services, no parents)
    with store.connect() as conn:
        run = last_run(conn, "drift")
    assert run is not None and run["summary"]["price_drift"] == 0
