"""PrestaShop stock to the webservice: each stock_available read, given its quantity, PUT to its URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import delete

from exchange.catalog_links import link_catalogue
from exchange.feed_publish import publish_feed
from exchange.profiles import load_profile
from exchange.store import Store
from exchange.store.feeds import PublicationStatus
from exchange.store.schema import links
from exchange.sync.outbox import OutboxStatus, deliver, list_outbox
from tests.exporters.conftest import build_catalogue
from tests.transport.http_server import Doc, HTTPServerThread

FIXTURE = Path(__file__).parent.parent / "fixtures" / "export" / "prestashop_products.xml"
FIELDS = ("id", "id_product", "id_product_attribute", "id_shop", "id_shop_group", "quantity",
          "depends_on_stock", "out_of_stock", "location")


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[Store]:
    """The catalogue linked from the shop's product export: (10,0) 12, (11,0) 2, (13,3) 0."""
    with Store(f"sqlite:///{tmp_path / 'erp.db'}") as store:
        build_catalogue(store)
        with store.begin() as conn:
            conn.execute(delete(links))
        link_catalogue(store, FIXTURE)
        yield store


@pytest.fixture
def http() -> Iterator[HTTPServerThread]:
    with HTTPServerThread() as server:
        yield server


def _row(row_id: int, product: int, attribute: int, quantity: int, location: str = "") -> str:
    values = dict(zip(FIELDS, (row_id, product, attribute, 1, 0, quantity, 0, 2, location),
                      strict=True))
    cells = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in values.items())
    return (f'<stock_available>{cells}<associations/></stock_available>'
            .replace("<id_product>", f'<id_product xlink:href="http://shop/api/products/{product}">'))


def _serve(server: HTTPServerThread, *rows: str) -> None:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink='
            f'"http://www.w3.org/1999/xlink"><stock_availables>{"".join(rows)}'
            '</stock_availables></prestashop>\n')
    server.put("/api/stock_availables", Doc(body.encode(), content_type="text/xml", etag=False))


def _puts(server: HTTPServerThread) -> dict[str, dict[str, str]]:
    found = {}
    for seen in server.state.requests:
        if seen.method == "PUT":
            root = etree.fromstring(seen.body)
            [row] = root.findall("stock_available")
            found[seen.path] = {c.tag: (c.text or "").strip() for c in row}
    return found


def test_changed_stock_is_put_row_by_row_and_a_second_run_sends_nothing(
        linked: Store, http: HTTPServerThread, tmp_path: Path) -> None:
    _serve(http, _row(51, 10, 0, 5, "A-1-3"), _row(52, 11, 0, 2), _row(53, 13, 0, 7))
    url = http.url("/api/stock_availables")
    profile = load_profile("prestashop")

    first = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging")

    assert first.status is PublicationStatus.PUBLISHED, first.reason
    # one listing GET for the three products, filtered as the webservice reads it
    [asked] = http.gets("/api/stock_availables")
    assert "filter%5Bid_product%5D=%5B10%7C11%7C13%5D&display=full" in asked.path
    # only the row whose quantity changed goes back, whole, to its own URL; (11,0) is already 2;
    # (13,0), the parent of combination 3, is not touched
    puts = _puts(http)
    assert list(puts) == ["/api/stock_availables/51"]
    assert puts["/api/stock_availables/51"] == {
        "id": "51", "id_product": "10", "id_product_attribute": "0", "id_shop": "1",
        "id_shop_group": "0", "quantity": "12", "depends_on_stock": "0", "out_of_stock": "2",
        "location": "A-1-3", "associations": ""}
    # the combination PrestaShop has no row for is named
    assert first.warnings == ["id_product 13, combination 3: PrestaShop has no stock_available "
                              "for it"]
    assert not list((tmp_path / "staging").glob("*.xml"))  # no staging copy left behind

    # the shop now holds what was sent: a full feed again reads the rows and PUTs none
    _serve(http, _row(51, 10, 0, 12, "A-1-3"), _row(52, 11, 0, 2), _row(53, 13, 0, 7))
    http.state.requests.clear()
    again = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging")
    assert again.status is PublicationStatus.PUBLISHED, again.reason
    assert len(http.gets("/api/stock_availables")) == 1 and _puts(http) == {}

    # nothing changed since: the changes feed asks nothing of the shop
    http.state.requests.clear()
    changes = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging",
                           changes=True)
    assert changes.status is PublicationStatus.UNCHANGED
    assert http.state.requests == []


def test_a_shop_that_answers_html_sends_nothing_and_keeps_the_changes(
        linked: Store, http: HTTPServerThread, tmp_path: Path) -> None:
    http.put("/api/stock_availables", Doc(b"<html><body>Maintenance</body></html>",
                                          content_type="text/html", etag=False))
    url = http.url("/api/stock_availables")
    profile = load_profile("prestashop")

    failed = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging")

    assert failed.status is PublicationStatus.FAILED
    assert "reading PrestaShop's stock_availables" in failed.reason and "HTML" in failed.reason
    assert _puts(http) == {}

    _serve(http, _row(51, 10, 0, 5), _row(52, 11, 0, 0), _row(54, 13, 3, 1))
    again = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging")
    assert again.status is PublicationStatus.PUBLISHED, again.reason
    assert {path: row["quantity"] for path, row in _puts(http).items()} == {
        "/api/stock_availables/51": "12", "/api/stock_availables/52": "2",
        "/api/stock_availables/54": "0"}


def test_puts_the_shop_refuses_wait_in_the_outbox_until_it_takes_them(
        linked: Store, http: HTTPServerThread, tmp_path: Path) -> None:
    """The listing is read, but the shop answers 503 to the PUTs: they wait in the outbox, the
    publication says so and the changes stay; once the shop is back the outbox delivers each
    row, and the next run finds the shop right, PUTs nothing and moves the feed's state on."""
    _serve(http, _row(51, 10, 0, 5), _row(52, 11, 0, 0), _row(53, 13, 0, 7))
    url = http.url("/api/stock_availables")
    profile = load_profile("prestashop")
    http.state.refuse_uploads = 503

    queued = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging",
                          changes=True)

    assert queued.status is PublicationStatus.QUEUED, queued.reason
    assert "2 stock_available(s) wait in the outbox" in queued.reason
    assert http.state.uploads == {}
    waiting = [e for e in list_outbox(linked) if e.status == OutboxStatus.PENDING]
    assert sorted(e.endpoint.split("?")[0].rsplit("/", 1)[-1] for e in waiting) == ["51", "52"]

    http.state.refuse_uploads = None
    done = deliver(linked, now=datetime.now(UTC) + timedelta(hours=2))
    assert len(done.delivered) == 2
    assert {path: row["quantity"] for path, row in _puts(http).items()
            if path in http.state.uploads} == {
        "/api/stock_availables/51": "12", "/api/stock_availables/52": "2"}
    assert all(e.status == OutboxStatus.DELIVERED for e in list_outbox(linked))

    # the changes stayed (the shop had not confirmed them): the next run reads the shop, finds
    # every row right, sends nothing and is published; the run after it asks nothing at all
    _serve(http, _row(51, 10, 0, 12), _row(52, 11, 0, 2), _row(53, 13, 0, 7))
    http.state.requests.clear()
    confirmed = publish_feed(linked, profile, "stock", endpoint=url,
                             staging=tmp_path / "staging", changes=True)
    assert confirmed.status is PublicationStatus.PUBLISHED, confirmed.reason
    assert _puts(http) == {}
    http.state.requests.clear()
    after = publish_feed(linked, profile, "stock", endpoint=url, staging=tmp_path / "staging",
                         changes=True)
    assert after.status is PublicationStatus.UNCHANGED
    assert http.state.requests == []
