"""PrestaShop orders pulled from the webservice get the customer, addresses and currency they name by id.

The orders are the shared sample (an order of customer 25, address 12, currency 1), served with the
customers, addresses, countries and currencies the webservice would answer, by a real HTTP server on
loopback; the import job runs as a user configures it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from exchange.config import load_config
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.store import Store
from exchange.store.document_view import document_view, find_document_id
from exchange.store.history import list_events
from exchange.sync.prestashop_refs import BATCH, MARKER, resolve_orders, webservice_fetch
from exchange.transport.endpoint import parse_endpoint
from tests.transport.http_server import Doc, HTTPServerThread

KEY = "WSKEY0123456789"
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink='
            '"http://www.w3.org/1999/xlink">\n<{plural}>{rows}\n</{plural}>\n</prestashop>\n')


def _listing(plural: str, singular: str, records: list[dict[str, str]]) -> Doc:
    """A ``GET /api/PLURAL?display=full`` answer as the webservice writes it (CDATA, xlinks)."""
    rows = "".join(
        f"\n  <{singular}>" + "".join(
            f'\n    <{k} xlink:href="http://shop/api/countries/{v}"><![CDATA[{v}]]></{k}>'
            if k == "id_country" else f"\n    <{k}><![CDATA[{v}]]></{k}>"
            for k, v in r.items()) + f"\n  </{singular}>" for r in records)
    return Doc(ENVELOPE.format(plural=plural, rows=rows).encode(), content_type="text/xml",
               etag=False)


CUSTOMER = {"id": "25", "id_default_group": "3", "lastname": "Dupont", "firstname": "Jeanne",
            "email": "jeanne.dupont@example.fr", "company": "", "is_guest": "0"}
ADDRESS = {"id": "12", "id_customer": "25", "id_country": "8", "alias": "Mon adresse",
           "company": "Atelier Dupont", "lastname": "Dupont", "firstname": "Jeanne",
           "vat_number": "FR40303265045", "address1": "16, Main street", "address2": "2nd floor",
           "postcode": "75002", "city": "Paris", "phone": "0102030405", "phone_mobile": ""}
COUNTRY = {"id": "8", "iso_code": "FR", "call_prefix": "33"}
CURRENCY = {"id": "1", "iso_code": "CZK", "conversion_rate": "1.000000"}


def serve_shop(server: HTTPServerThread, orders: bytes, *, addresses: bool = True) -> None:
    server.put("/api/orders", Doc(orders, content_type="text/xml"))
    server.put("/api/customers", _listing("customers", "customer", [CUSTOMER]))
    server.put("/api/addresses", _listing("addresses", "address", [ADDRESS] if addresses else []))
    server.put("/api/countries", _listing("countries", "country", [COUNTRY]))
    server.put("/api/currencies", _listing("currencies", "currency", [CURRENCY]))


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServerThread]:
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_TOKEN", KEY)
    with HTTPServerThread() as server:
        server.state.basic = (KEY, "")  # the webservice key as the basic-auth user
        yield server


def _config(tmp_path: Path, server: HTTPServerThread) -> Any:
    url = server.url("/api/orders", "display=full&filter[current_state]=[2|3]&auth=key")
    (tmp_path / "exchange.yaml").write_text(
        "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}\n"
        "shops:\n  prestashop:\n    profile: prestashop\n"
        f"    orders_from: '{url}'\n"
        "jobs:\n  pull: {do: import, shop: prestashop, every: 5 minutes}\n", encoding="utf-8")
    return load_config(tmp_path / "exchange.yaml")


def _order(store: Store, number: str = "IMCVKMUCP") -> dict[str, Any]:
    with store.connect() as conn:
        doc_id = find_document_id(conn, "orders", number, "prestashop")
        assert doc_id is not None
        return document_view(conn, "orders", doc_id)


def test_a_pulled_order_is_booked_with_its_customer_addresses_and_currency(
        store: Store, shop: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    serve_shop(shop, (shared_samples / "prestashop" / "axelor_orders.xml").read_bytes())
    config = _config(tmp_path, shop)

    run = run_job(store, config, config.job("pull"), actions=ACTIONS)

    assert run.status == "ok", run
    assert run.counts.get("imported") == 1
    order = _order(store)
    assert order["customer"]["email"] == "jeanne.dupont@example.fr"
    assert order["currency"] == "CZK"  # the shop's, not import.currency (EUR)
    for address in (order["billing"], order["delivery"]):
        assert {k: address.get(k) for k in ("name", "company", "street", "city", "postcode",
                                             "country")} == {
            "name": "Jeanne Dupont", "company": "Atelier Dupont",
            "street": "16, Main street, 2nd floor", "city": "Paris", "postcode": "75002",
            "country": "FR"}
    # each resource asked once, by the ids the orders name, with the key, and without the
    # orders URL's own filter
    for path, ids in (("/api/customers", "[25]"), ("/api/addresses", "[12]"),
                      ("/api/countries", "[8]"), ("/api/currencies", "[1]")):
        [asked] = shop.gets(path)
        query = parse_qs(urlsplit(asked.path).query)
        assert query == {"filter[id]": [ids], "display": ["full"]}, asked.path
        assert asked.headers["authorization"].startswith("Basic ")
    # what was fetched is in the file the import read, for anyone to see
    kept = etree.parse(str(tmp_path / "inbox" / "orders"))
    assert kept.findtext(f"orders/order/{MARKER}/customer/email") == "jeanne.dupont@example.fr"


def test_a_shop_that_does_not_answer_leaves_the_orders_for_the_next_pull(
        store: Store, shop: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    serve_shop(shop, (shared_samples / "prestashop" / "axelor_orders.xml").read_bytes())
    shop.put("/api/customers", Doc(b"<html><body>503 Service Unavailable</body></html>",
                                   content_type="text/html", status=503, etag=False))
    config = _config(tmp_path, shop)

    first = run_job(store, config, config.job("pull"), actions=ACTIONS)

    assert not first.counts.get("imported")
    with store.connect() as conn:
        assert find_document_id(conn, "orders", "IMCVKMUCP", "prestashop") is None
        events = list_events(conn, limit=50)
    assert any("not taken" in e["message"] and "customers" in e["message"] for e in events), \
        [e["message"] for e in events]
    # the orders answer had an ETag: it was not kept, so the next pull asks again in full
    serve_shop(shop, (shared_samples / "prestashop" / "axelor_orders.xml").read_bytes())
    second = run_job(store, config, config.job("pull"), actions=ACTIONS)
    assert second.counts.get("imported") == 1, second
    assert "if-none-match" not in shop.gets("/api/orders")[-1].headers
    assert _order(store)["customer"]["email"] == "jeanne.dupont@example.fr"


def test_an_address_the_shop_no_longer_has_is_named_and_the_order_keeps_the_rest(
        store: Store, shop: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    serve_shop(shop, (shared_samples / "prestashop" / "axelor_orders.xml").read_bytes(),
               addresses=False)
    config = _config(tmp_path, shop)

    run = run_job(store, config, config.job("pull"), actions=ACTIONS)

    assert run.counts.get("imported") == 1, run
    order = _order(store)
    assert order["customer"]["email"] == "jeanne.dupont@example.fr"
    assert order["billing"] is None and order["delivery"] is None
    with store.connect() as conn:
        events = list_events(conn, limit=50)
    [missing] = [e for e in events if e["kind"] == "not_resolved"]
    assert missing["level"] == "warning" and "address 12" in missing["message"]


def _many_orders(sample: bytes, count: int) -> bytes:
    """The sample's order ``count`` times, each of its own customer (ids 1..count)."""
    root = etree.fromstring(sample)
    template = root.find("orders/order")
    assert template is not None
    orders = root.find("orders")
    assert orders is not None
    orders.remove(template)
    for n in range(1, count + 1):
        order = etree.fromstring(etree.tostring(template))
        order.find("id").text = str(n)  # type: ignore[union-attr]
        order.find("id_customer").text = str(n)  # type: ignore[union-attr]
        orders.append(order)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_big_file_is_resolved_in_batches_and_only_once(
        shop: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    count = 2 * BATCH + 50
    path = tmp_path / "orders.xml"
    path.write_bytes(_many_orders((shared_samples / "prestashop" / "axelor_orders.xml")
                                  .read_bytes(), count))
    serve_shop(shop, b"")
    shop.put("/api/customers", _listing("customers", "customer", [
        {**CUSTOMER, "id": str(n), "email": f"c{n}@example.fr"} for n in range(1, count + 1)]))
    base = parse_endpoint(shop.url("/api/orders", "display=full&auth=key"))

    got = resolve_orders(path, webservice_fetch(base, tmp_path))

    assert got.rewritten and got.orders == count and got.missing == []
    asked = [parse_qs(urlsplit(r.path).query)["filter[id]"][0] for r in shop.gets("/api/customers")]
    assert [len(a.strip("[]").split("|")) for a in asked] == [BATCH, BATCH, 50]
    tree = etree.parse(str(path))
    emails = [o.findtext(f"{MARKER}/customer/email") for o in tree.iterfind("orders/order")]
    assert emails == [f"c{n}@example.fr" for n in range(1, count + 1)]
    # the rest of each order is as it came
    first = tree.find("orders/order")
    assert first is not None and first.findtext("reference") == "IMCVKMUCP"
    assert first.findtext("associations/order_rows/order_row/product_reference") == "COMP-0003"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xml"]  # no temporary file left

    shop.state.requests.clear()
    again = resolve_orders(path, webservice_fetch(base, tmp_path))
    assert not again.rewritten and shop.state.requests == []


def test_import_from_the_webservice_on_the_command_line_resolves_too(
        shop: HTTPServerThread, shared_samples: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from exchange.cli import cli
    from exchange.cli.common import run_cli

    serve_shop(shop, (shared_samples / "prestashop" / "axelor_orders.xml").read_bytes())
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    Store(db).close()  # a store made before, as `exchange init` makes it
    url = shop.url("/api/orders", "display=full&auth=key")

    code = run_cli(cli, ["--db", db, "import", "--from", url, "--profile", "prestashop",
                         "--json"])

    assert code == 0, capsys.readouterr()
    with Store(db) as store:
        assert _order(store)["customer"]["email"] == "jeanne.dupont@example.fr"


def test_a_file_with_a_doctype_is_left_for_the_import_to_refuse(
        shop: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    text = (shared_samples / "prestashop" / "axelor_orders.xml").read_text(encoding="utf-8")
    hostile = text.replace("<prestashop ", '<!DOCTYPE prestashop [<!ENTITY x "x">]>\n<prestashop ', 1)
    path = tmp_path / "orders.xml"
    path.write_text(hostile, encoding="utf-8")
    serve_shop(shop, b"")
    base = parse_endpoint(shop.url("/api/orders", "auth=key"))

    got = resolve_orders(path, webservice_fetch(base, tmp_path))

    assert not got.rewritten and shop.state.requests == []
    assert path.read_text(encoding="utf-8") == hostile
