"""The feeds page under a real uvicorn server: "publish anyway" for a feed its gate held, and drift.

The shop is a real FTP server on loopback; the export and reconcile jobs are those of an
``exchange.yaml``, run as ``exchange run`` would run them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from exchange.config import Config
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.store import Store
from exchange.store.schema import events
from tests.exporters.test_export_engine import drop_products
from tests.jobs.feed_shop import N, feed_config, ftp_shop
from tests.transport.servers import FTPServerThread
from tests.web.conftest import csrf_of, make_settings
from tests.web.live import live_console


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    with ftp_shop(tmp_path, monkeypatch) as server:
        yield server


@pytest.fixture
def config(store: Store, tmp_path: Path, shop: FTPServerThread) -> Config:
    return feed_config(store, tmp_path, shop)


def published_codes(shop: FTPServerThread) -> set[str]:
    root = etree.parse(str(shop.root / "feeds" / "shop-pricelist.xml")).getroot()
    return {el.findtext(f"{N}code") or "" for el in root.iter(f"{N}item")}


def held_feed(store: Store, config: Config, shop: FTPServerThread) -> None:
    """Publish the full feed, then lose a third of the catalogue: the gate holds the next one."""
    assert run_job(store, config, config.job("feed"), actions=ACTIONS).counts["pushed"] == 1
    drop_products(store, "KAVA-1", "KNIHA")
    held = run_job(store, config, config.job("feed"), actions=ACTIONS)
    assert held.counts.get("held") == 1, held
    assert {"KAVA-1", "KNIHA"} <= published_codes(shop)  # the shop still reads the last good feed


def test_publish_anyway_runs_the_held_export_job_past_its_gate(
        store: Store, config: Config, shop: FTPServerThread, tmp_path: Path) -> None:
    held_feed(store, config, shop)
    settings = make_settings(store, tmp_path / "quarantine", config=config)
    with live_console(settings) as url, httpx.Client(base_url=url) as web:
        page = web.get("/feeds")
        assert page.status_code == 200
        action = re.search(r'action="(/feeds/(\d+)/publish)"', page.text)
        assert action, "a held feed of an export job offers 'publish anyway'"
        refused = web.post(action.group(1), data={})
        assert refused.status_code == 403  # no CSRF token, nothing runs
        assert {"KAVA-1", "KNIHA"} <= published_codes(shop)
        done = web.post(action.group(1), data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 303
        after = web.get("/feeds")
        assert "feed: ok" in after.text  # the flash names the job and its result
        assert 'action="/feeds/' not in after.text  # the newest publication is no longer held
        again = web.post(action.group(1), data={"csrf_token": csrf_of(page.text)})
        assert again.status_code == 409  # that hold was published: nothing is forced twice
        rows = web.get("/feeds.json").json()["feeds"]
    assert [r["status"] for r in rows if r["destination"] == "job:feed"] == ["published"]
    (changes,) = (shop.root / "feeds").glob("shop-pricelist.changes-*.xml")  # what reached the shop
    sent = etree.parse(str(changes)).getroot()
    assert [el.text for el in sent.iter(f"{N}withdrawn")] == ["KAVA-1", "KNIHA"]
    with store.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(events.c.kind, events.c.details)
                                              .where(events.c.job == "feed"))]
        asked = conn.execute(select(events.c.details)
                             .where(events.c.kind == "feed_force_asked")).scalar_one()
    assert "feed_forced" in kinds and asked == {"by": "local"}


def test_a_published_or_cli_feed_offers_no_publish_anyway(
        store: Store, config: Config, shop: FTPServerThread, tmp_path: Path) -> None:
    assert run_job(store, config, config.job("feed"), actions=ACTIONS).counts["pushed"] == 1
    settings = make_settings(store, tmp_path / "quarantine", config=config)
    with live_console(settings) as url, httpx.Client(base_url=url) as web:
        page = web.get("/feeds")
        assert page.status_code == 200 and "publish-anyway" not in page.text


def test_the_drift_report_of_a_reconcile_job_is_shown_escaped(
        store: Store, config: Config, shop: FTPServerThread, tmp_path: Path) -> None:
    (shop.root / "export" / "products.xml").write_text(
        "<SHOP><SHOPITEM><CODE>KAVA-1</CODE><PRICE_VAT>121</PRICE_VAT><STOCK><AMOUNT>1</AMOUNT>"
        "</STOCK></SHOPITEM><SHOPITEM><CODE>&lt;script&gt;alert(1)&lt;/script&gt;</CODE>"
        "</SHOPITEM></SHOP>", encoding="utf-8")
    outcome = run_job(store, config, config.job("drift"), actions=ACTIONS)
    assert outcome.counts["extra_in_shop"] == 1
    settings = make_settings(store, tmp_path / "quarantine", config=config)
    with live_console(settings) as url, httpx.Client(base_url=url) as web:
        html = web.get("/feeds").text
        drift = web.get("/feeds.json").json()["drift"]
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    (report,) = drift
    assert report["shop_export"].endswith("/export/products.xml")
    assert report["counts"] == outcome_counts(outcome.counts)
    assert [item["code"] for item in report["samples"]["extra_in_shop"]] == [
        "<script>alert(1)</script>"]


def outcome_counts(counts: dict[str, int]) -> dict[str, int]:
    """The drift kinds of a reconcile run's counts (the run also counts its warnings)."""
    return {k: v for k, v in counts.items() if k != "warnings"}
