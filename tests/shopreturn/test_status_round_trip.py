"""Order status back to the shop: realise, ship with a tracking number, export — on a real store and a
real loopback HTTP server; the PrestaShop order_histories and the Upgates CSV carry exactly the
changed orders, and a second export carries none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from exchange.handoff.realise import Selection, realise_orders
from exchange.importers.run import import_file
from exchange.profiles import load_profile
from exchange.shopreturn.events import set_status
from exchange.shopreturn.publish import export_order_status
from exchange.store import Store
from exchange.store.feeds import PublicationStatus
from tests.transport.http_server import Doc, HTTPServerThread

HERE = Path(__file__).parent.parent
UPGATES_ORDERS = HERE / "profiles" / "fixtures" / "upgates_orders.xml"


def import_prestashop(store: Store, shared_samples: Path, tmp_path: Path) -> None:
    """The shared PrestaShop order (id 1, IMCVKMUCP), and the same order as id 7 (XKBKNABJK)."""
    sample = shared_samples / "prestashop" / "axelor_order.xml"
    text = sample.read_text(encoding="utf-8")
    second = tmp_path / "order-7.xml"
    second.write_text(text.replace("<id><![CDATA[1]]></id>", "<id><![CDATA[7]]></id>", 1)
                      .replace("IMCVKMUCP", "XKBKNABJK"), encoding="utf-8")
    for path in (sample, second):
        report = import_file(store, path, "prestashop")
        assert report.ok and report.counts, report.as_dict()


@pytest.fixture
def http() -> Iterator[HTTPServerThread]:
    with HTTPServerThread() as server:
        yield server


def _histories(server: HTTPServerThread) -> list[tuple[str, str]]:
    """(id_order, id_order_state) of every order_history POSTed, in order."""
    found = []
    for seen in server.state.requests:
        if seen.method != "POST":
            continue
        root = etree.fromstring(seen.body)
        assert root.tag == "prestashop"
        histories = root.findall("order_history")
        assert len(histories) == 1  # one document per order
        found.append((histories[0].findtext("id_order"), histories[0].findtext("id_order_state")))
    return found


def serve_order_carriers(server: HTTPServerThread, id_order: str, *ids: int) -> None:
    """``GET /api/order_carriers?filter[id_order]=[ID]&display=full`` as the webservice answers it."""
    rows = "".join(f"""
  <order_carrier>
    <id><![CDATA[{i}]]></id>
    <id_order xlink:href="http://shop/api/orders/{id_order}"><![CDATA[{id_order}]]></id_order>
    <id_carrier xlink:href="http://shop/api/carriers/1"><![CDATA[1]]></id_carrier>
    <id_order_invoice><![CDATA[0]]></id_order_invoice>
    <weight><![CDATA[1.250000]]></weight>
    <shipping_cost_tax_excl><![CDATA[7.000000]]></shipping_cost_tax_excl>
    <shipping_cost_tax_incl><![CDATA[8.400000]]></shipping_cost_tax_incl>
    <tracking_number></tracking_number>
    <date_add><![CDATA[2026-03-01 10:00:00]]></date_add>
  </order_carrier>""" for i in ids)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink='
            f'"http://www.w3.org/1999/xlink">\n<order_carriers>{rows}\n</order_carriers>\n'
            '</prestashop>\n')
    server.put("/api/order_carriers", Doc(body.encode(), content_type="text/xml", etag=False))


def _prestashop_ids(store: Store) -> dict[str, str]:
    from exchange.store.documents import list_orders

    with store.connect() as conn:
        return {o["number"]: o["external_id"] for o in list_orders(conn, shop="prestashop")}


def test_prestashop_order_histories_carry_exactly_the_changed_orders(
        store: Store, http: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    profile = load_profile("prestashop")
    import_prestashop(store, shared_samples, tmp_path)
    ids = _prestashop_ids(store)
    assert len(ids) == 2
    shipped, untouched = sorted(ids)
    url = http.url("/api/order_histories", "method=post")

    realised = realise_orders(store, Selection.NUMBERS, numbers=[shipped])
    assert [d.order for d in realised.realised] == [shipped]
    change = set_status(store, shipped, "shipped", tracking="Z1234567890", carrier="PPL")
    assert change.status == "shipped" and change.events == ("status",)
    serve_order_carriers(http, ids[shipped], 12, 9)

    first = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert first.status is PublicationStatus.PUBLISHED, first.reason
    assert first.orders == [shipped]
    # the order's latest outgoing state: shipped is PrestaShop's state 4
    assert _histories(http) == [(ids[shipped], "4")]
    assert untouched not in first.orders
    # the tracking number: the order's carrier row read, and PUT back whole with it
    [asked] = http.gets("/api/order_carriers")
    assert f"filter%5Bid_order%5D=%5B{ids[shipped]}%5D&display=full" in asked.path
    [put] = [r for r in http.state.requests if r.method == "PUT"]
    assert put.path == "/api/order_carriers/9"
    carrier = etree.fromstring(put.body).find("order_carrier")
    assert carrier is not None
    assert {c.tag: (c.text or "").strip() for c in carrier} == {
        "id": "9", "id_order": ids[shipped], "id_carrier": "1", "id_order_invoice": "0",
        "weight": "1.250000", "shipping_cost_tax_excl": "7.000000",
        "shipping_cost_tax_incl": "8.400000", "tracking_number": "Z1234567890",
        "date_add": "2026-03-01 10:00:00"}

    http.state.requests.clear()
    second = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert second.status is PublicationStatus.UNCHANGED
    assert second.orders == [] and http.state.requests == []

    # a later change of the other order goes out alone
    set_status(store, untouched, "cancelled")
    third = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert third.orders == [untouched]
    assert _histories(http) == [(ids[untouched], "6")]


def _csv_files(folder: Path) -> dict[str, list[dict[str, str]]]:
    found = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            found[path.name] = list(csv.DictReader(handle, delimiter=";"))
    return found


def test_upgates_csv_carries_exactly_the_changed_orders_and_never_an_empty_cell(
        store: Store, tmp_path: Path) -> None:
    profile = load_profile("upgates")
    report = import_file(store, UPGATES_ORDERS, profile)
    assert report.ok, report.as_dict()
    out = tmp_path / "out"
    out.mkdir()
    realise_orders(store, Selection.NUMBERS, numbers=["2026000123", "2026000124"])
    set_status(store, "2026000124", "shipped", tracking="DR0042", carrier="Zásilkovna")

    first = export_order_status(store, profile, output=out)
    assert first.status is PublicationStatus.PUBLISHED
    assert sorted(first.orders) == ["2026000123", "2026000124"]
    files = _csv_files(out)
    rows = {r["[ORDER_NUMBER]"]: r for rows in files.values() for r in rows}
    assert sorted(rows) == ["2026000123", "2026000124"]
    # realised only: "Vyřizuje se" with no tracking column at all; shipped: both
    assert rows["2026000123"] == {"[ORDER_NUMBER]": "2026000123", "[ORDER_STATUS]": "Vyřizuje se"}
    assert rows["2026000124"] == {"[ORDER_NUMBER]": "2026000124", "[ORDER_STATUS]": "Odeslaná",
                                  "[TRACKING_NUMBER]": "DR0042"}
    assert len(files) == 2
    assert all(value for row in rows.values() for value in row.values())

    for path in out.iterdir():
        path.unlink()
    second = export_order_status(store, profile, output=out)
    assert second.status is PublicationStatus.UNCHANGED
    assert list(out.iterdir()) == []


def test_a_payment_the_erp_records_goes_back_as_paid_yes_with_its_date(
        store: Store, tmp_path: Path) -> None:
    profile = load_profile("upgates")
    import_file(store, UPGATES_ORDERS, profile)
    out = tmp_path / "out"
    out.mkdir()
    from datetime import UTC, datetime

    set_status(store, "2026000124", "paid", paid_at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC))
    result = export_order_status(store, profile, output=out)
    rows = [r for rows in _csv_files(out).values() for r in rows]
    # paid at 23:30 UTC is the 5th in Prague; the order is being processed, so its status stays
    assert rows == [{"[ORDER_NUMBER]": "2026000124", "[ORDER_STATUS]": "Vyřizuje se",
                     "[PAID_YN]": "1", "[PAID_DATE]": "2026-03-05"}]
    assert result.orders == ["2026000124"]


def test_the_generic_xml_lists_the_changes_and_leaves_out_what_is_unknown(
        store: Store, tmp_path: Path) -> None:
    from exchange.shopreturn.publish import with_template

    profile = with_template(load_profile("upgates"), "native/order-status.xml.j2")
    import_file(store, UPGATES_ORDERS, profile)
    set_status(store, "2026000123", "shipped", tracking="Z99 & <1>")
    target = tmp_path / "status.xml"
    result = export_order_status(store, profile, output=target)
    assert result.documents == ["status.xml"]
    root = etree.parse(str(target)).getroot()
    orders = root.findall("ORDER")
    assert [o.findtext("NUMBER") for o in orders] == ["2026000123"]
    assert orders[0].findtext("SHOP_STATUS") == "Odeslaná"
    assert orders[0].findtext("TRACKING_NUMBER") == "Z99 & <1>"
    assert orders[0].find("PAID") is None
    assert orders[0].findtext("CHANGES") == "status tracking"


def test_io_of_csv_cells_quotes_separators() -> None:
    from exchange.shopreturn.templates import csv_cell

    assert list(csv.reader(io.StringIO(csv_cell('a;b "c"')), delimiter=";")) == [['a;b "c"']]


def test_many_documents_in_one_export_are_recorded(store: Store, http: HTTPServerThread,
                                                   tmp_path: Path) -> None:
    import re

    text = UPGATES_ORDERS.read_text(encoding="utf-8")
    order = re.search(r"<ORDER>.*?</ORDER>", text, re.S)
    assert order is not None
    many = tmp_path / "many.xml"
    many.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ORDERS version="1.0">' + "".join(
        order.group(0).replace("2026000123", f"77{i:08d}") for i in range(60)) + "</ORDERS>\n",
        encoding="utf-8")
    assert import_file(store, many, "upgates").ok
    for i in range(60):
        set_status(store, f"77{i:08d}", "shipped")
    result = export_order_status(store, load_profile("prestashop"), shop="upgates",
                                 endpoint=http.url("/api/order_histories", "method=post"),
                                 staging=tmp_path / "staging")
    assert result.status is PublicationStatus.PUBLISHED
    assert len(result.documents) == 60 == len(http.state.requests)
    from tests.importers.engine_support import rows

    [recorded] = [r for r in rows(store, "feed_publications") if r["feed"] == "order-status:prestashop"]
    assert recorded["item_count"] == 60
    assert recorded["output"].endswith("(60 documents)")


def test_prestashop_key_is_sent_as_the_basic_user_from_the_environment(
        store: Store, http: HTTPServerThread, shared_samples: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import_prestashop(store, shared_samples, tmp_path)
    http.state.basic = ("WSKEY123", "")
    set_status(store, "IMCVKMUCP", "delivered")
    url = http.url("/api/order_histories", "method=post&auth=key")
    assert "WSKEY123" not in url
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_TOKEN", "WSKEY123")
    result = export_order_status(store, load_profile("prestashop"), endpoint=url,
                                 staging=tmp_path / "staging")
    assert result.status is PublicationStatus.PUBLISHED, result.reason
    assert _histories(http) == [("1", "5")]


def test_a_shop_export_behind_the_erps_status_does_not_undo_it(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from tests.importers.engine_support import rows

    import_prestashop(store, shared_samples, tmp_path)
    set_status(store, "IMCVKMUCP", "shipped", tracking="Z1")
    # the shop changed the order later (date_upd) but still shows state 2 (payment accepted)
    text = (shared_samples / "prestashop" / "axelor_order.xml").read_text(encoding="utf-8")
    later = tmp_path / "later.xml"
    later.write_text(text.replace("2018-02-13 09:36:22", "2018-02-14 08:00:00"), encoding="utf-8")
    report = import_file(store, later, "prestashop")
    [doc] = report.documents
    assert doc.outcome.value == "updated", report.as_dict()
    assert any("the ERP's shipped stands" in w for w in doc.warnings)
    [order] = [o for o in rows(store, "orders") if o["number"] == "IMCVKMUCP"]
    assert order["status"] == "shipped"
    # a shop that has moved past the ERP wins
    delivered = tmp_path / "delivered.xml"
    delivered.write_text(text.replace("2018-02-13 09:36:22", "2018-02-15 08:00:00")
                         .replace("order_states/2\"><![CDATA[2]]>", "order_states/5\"><![CDATA[5]]>"),
                         encoding="utf-8")
    import_file(store, delivered, "prestashop")
    [order] = [o for o in rows(store, "orders") if o["number"] == "IMCVKMUCP"]
    assert order["status"] == "delivered"


def test_a_dry_run_lists_what_would_go_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    from tests.importers.engine_support import rows

    profile = load_profile("upgates")
    import_file(store, UPGATES_ORDERS, profile)
    realise_orders(store, Selection.NUMBERS, numbers=["2026000123"])
    out = tmp_path / "out"
    out.mkdir()
    dry = export_order_status(store, profile, output=out, dry_run=True)
    assert dry.orders == ["2026000123"] and len(dry.documents) == 1
    assert dry.summary().startswith("order status for upgates: would send 1 order(s) in 1 document")
    assert list(out.iterdir()) == []
    assert rows(store, "order_status_events") == [] and rows(store, "status_destinations") == []
    assert {o["number"]: o["status"] for o in rows(store, "orders")}["2026000123"] == "new"
    real = export_order_status(store, profile, output=out)
    assert real.orders == ["2026000123"]


def test_the_realised_event_carries_when_the_document_was_issued(
        store: Store, tmp_path: Path) -> None:
    """Not when the status export looked: the shop hears the true date."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from exchange.shopreturn.publish import with_template
    from exchange.store.schema import invoices
    from tests.importers.engine_support import rows

    profile = with_template(load_profile("upgates"), "native/order-status.xml.j2")
    import_file(store, UPGATES_ORDERS, profile)
    realise_orders(store, Selection.NUMBERS, numbers=["2026000123"])
    [issued] = rows(store, "invoices")
    # issued on the evening of 1 March; the status export looks only days later
    evening = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    with store.begin() as conn:
        conn.execute(update(invoices).where(invoices.c.id == issued["id"])
                     .values(imported_at=evening))
    target = tmp_path / "status.xml"
    assert export_order_status(store, profile, output=target).orders == ["2026000123"]
    [event] = rows(store, "order_status_events")
    assert (event["kind"], event["reference"]) == ("realised", issued["number"])
    assert event["created_at"] == evening
    changed = etree.parse(str(target)).findtext("ORDER/CHANGED_AT")
    assert changed is not None
    assert datetime.fromisoformat(changed) == evening


def test_prestashop_a_new_tracking_number_alone_goes_to_order_carriers_only(
        store: Store, http: HTTPServerThread, shared_samples: Path, tmp_path: Path) -> None:
    """No order_history (PrestaShop would e-mail the same state again); an order with no carrier
    row is skipped with the reason."""
    profile = load_profile("prestashop")
    import_prestashop(store, shared_samples, tmp_path)
    ids = _prestashop_ids(store)
    first, other = sorted(ids)
    url = http.url("/api/order_histories", "method=post")
    set_status(store, first, "shipped")
    set_status(store, other, "shipped")
    assert export_order_status(store, profile, endpoint=url,
                               staging=tmp_path / "staging").orders == [first, other]
    http.state.requests.clear()

    set_status(store, first, "shipped", tracking="DR0042")
    serve_order_carriers(http, ids[first], 3)
    sent = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert sent.status is PublicationStatus.PUBLISHED, sent.reason
    assert [(r.method, r.path) for r in http.state.requests if r.method != "GET"] == [
        ("PUT", "/api/order_carriers/3")]

    http.state.requests.clear()
    set_status(store, other, "shipped", tracking="DR0043")
    serve_order_carriers(http, ids[other])  # no carrier row
    lonely = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert lonely.skipped == [(other, f"tracking DR0043: PrestaShop has no order_carrier for "
                                      f"order {ids[other]}")]
    assert [r.method for r in http.state.requests] == ["GET"]
    assert export_order_status(store, profile, endpoint=url,
                               staging=tmp_path / "staging").orders == []
