"""POHODA dataPacks of orders and invoices from the real sample imports, validated by the official XSDs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from exchange.errors import SchemaError
from exchange.handoff.pohoda import NS, PackSettings
from exchange.handoff.run import HandoffRequest, hand_off
from exchange.importers.run import import_file
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.erp import Answer, ErpState, record_answers
from tests.importers.engine_support import rows

ORDER_SAMPLES = [(None, "shoptet/orders-export.xml", "shoptet"),
                 ("prestashop", "axelor_orders.xml", "prestashop"),
                 ("pohoda", "accsync_objednavky_01_v2.0_response_cp1250.xml", "pohoda")]
INVOICE_SAMPLES = [("pohoda", "vitex_all-invoices-response_cp1250.xml"),
                   ("pohoda", "accsync_faktury_02_v2.0_response_cp1250.xml"),
                   ("pohoda", "masa331_response_pack_listInvoice.xml")]


def _import_orders(store: Store, shared: Path, tmp_path: Path) -> None:
    for folder, name, profile in ORDER_SAMPLES:
        path = samples_dir() / name if folder is None else shared / folder / name
        report = import_file(store, path, profile, "orders", quarantine=tmp_path / "q")
        assert report.file_error is None, report


def _import_invoices(store: Store, shared: Path, tmp_path: Path) -> None:
    for folder, name in INVOICE_SAMPLES:
        report = import_file(store, shared / folder / name, "pohoda", "invoices",
                             quarantine=tmp_path / "q")
        assert report.file_error is None, report


def _request(shared: Path, kind: str, output: Path, **kw: object) -> HandoffRequest:
    return HandoffRequest(kind=kind, fmt="pohoda", output=output, xsd=shared / "pohoda" / "xsd",
                          **kw)  # type: ignore[arg-type]


def _official_schema(shared: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared / "pohoda" / "xsd" / "data.xsd")))


def test_orders_pack_from_shoptet_prestashop_and_pohoda_imports_validates(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    _import_orders(store, shared_samples, tmp_path)
    stored = [o for o in rows(store, "orders") if not o["review_reason"]]
    assert {o["shop"] for o in stored} == {"shoptet", "prestashop", "pohoda"}

    result = hand_off(store, _request(shared_samples, "orders", tmp_path / "orders.xml"))

    assert result.documents == len(stored) and result.left_out == []
    tree = etree.parse(str(tmp_path / "orders.xml"))
    assert _official_schema(shared_samples).validate(tree), _official_schema(shared_samples).error_log
    orders = tree.findall("dat:dataPackItem/ord:order", NS)
    assert len(orders) == len(stored)
    assert {o.findtext("ord:orderHeader/ord:orderType", namespaces=NS) for o in orders} == {
        "receivedOrder"}
    numbers = {o.findtext("ord:orderHeader/ord:numberOrder", namespaces=NS) for o in orders}
    assert numbers == {o["number"] for o in stored}
    rates = {r.text for r in tree.iterfind(".//ord:orderItem/ord:rateVAT", NS)}
    assert rates and rates <= {"high", "low", "third", "none"}
    assert tree.docinfo.encoding == "UTF-8"
    assert (tmp_path / "orders.xml").read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_invoices_pack_from_pohoda_imports_validates_with_partner_and_money(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    _import_invoices(store, shared_samples, tmp_path)
    stored = {i["number"]: i for i in rows(store, "invoices") if not i["review_reason"]}

    result = hand_off(store, _request(shared_samples, "invoices", tmp_path / "inv.xml",
                                      pack=PackSettings(encoding="windows-1250", ico="12345678")))

    assert result.documents == len(stored), result.left_out
    tree = etree.parse(str(tmp_path / "inv.xml"))
    assert _official_schema(shared_samples).validate(tree)
    assert tree.docinfo.encoding.lower() == "windows-1250"
    assert tree.getroot().get("ico") == "12345678"
    by_number = {i.findtext("inv:invoiceHeader/inv:number/typ:numberRequested", namespaces=NS): i
                 for i in tree.iterfind("dat:dataPackItem/inv:invoice", NS)}
    assert set(by_number) == set(stored)
    foreign = by_number["250100013"]  # the vitex EUR invoice
    assert foreign.findtext("inv:invoiceSummary/inv:foreignCurrency/typ:currency/typ:ids",
                            namespaces=NS) == "EUR"
    assert foreign.findtext("inv:invoiceSummary/inv:foreignCurrency/typ:rate",
                            namespaces=NS) == "27.68"
    # it has no items: POHODA takes the sum from the summary
    assert foreign.find("inv:invoiceDetail", NS) is None
    assert foreign.findtext("inv:invoiceSummary/inv:foreignCurrency/typ:priceSum",
                            namespaces=NS) == "10000"
    domestic = by_number["250100014"]
    assert domestic.find(".//inv:invoiceItem/inv:homeCurrency/typ:unitPrice", NS) is not None
    for number, invoice in by_number.items():
        kind = invoice.findtext("inv:invoiceHeader/inv:invoiceType", namespaces=NS)
        assert kind == ("issuedCreditNotice" if stored[number]["kind"] == "credit_note"
                        else "issuedInvoice")
        assert invoice.findtext("inv:invoiceHeader/inv:symVar", namespaces=NS) == (
            stored[number]["variable_symbol"] or None)


def test_documents_are_not_sent_again_unless_changed(store: Store, shared_samples: Path,
                                                     tmp_path: Path) -> None:
    _import_orders(store, shared_samples, tmp_path)
    first = hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml"))
    assert first.documents > 0

    again = hand_off(store, _request(shared_samples, "orders", tmp_path / "b.xml"))
    assert again.documents == 0 and not (tmp_path / "b.xml").exists()

    # POHODA booked one; then the shop changed it: its record is deleted and the new one added
    order = rows(store, "orders", shop="pohoda")[0]
    state = rows(store, "erp_handoffs", kind="orders", document_id=order["id"])[0]
    with store.begin() as conn:
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.BOOKED, "771", "OP1")])
        from sqlalchemy import update

        from exchange.store.schema import orders
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(content_hash="x" * 64))
    changed = hand_off(store, _request(shared_samples, "orders", tmp_path / "c.xml"))

    assert (changed.documents, changed.updates) == (1, 1)
    items = etree.parse(str(tmp_path / "c.xml")).findall("dat:dataPackItem", NS)
    assert items[0].findtext("ord:order/ord:actionType/ord:delete/ftr:filter/ftr:id",
                             namespaces=NS) == "771"
    assert items[1].findtext("ord:order/ord:orderHeader/ord:numberOrder",
                             namespaces=NS) == order["number"]


def test_changed_booked_invoice_is_left_out_with_the_reason(store: Store, shared_samples: Path,
                                                            tmp_path: Path) -> None:
    _import_invoices(store, shared_samples, tmp_path)
    hand_off(store, _request(shared_samples, "invoices", tmp_path / "a.xml"))
    invoice = rows(store, "invoices", number="250100014")[0]
    state = rows(store, "erp_handoffs", kind="invoices", document_id=invoice["id"])[0]
    with store.begin() as conn:
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.BOOKED, "12", "FV1")])
        from sqlalchemy import update

        from exchange.store.schema import invoices
        conn.execute(update(invoices).where(invoices.c.id == invoice["id"])
                     .values(content_hash="y" * 64))

    result = hand_off(store, _request(shared_samples, "invoices", tmp_path / "b.xml"))

    assert result.documents == 0
    assert result.left_out[0][0] == "invoices:pohoda:250100014"
    assert "issue a credit note" in result.left_out[0][1]


def test_an_invalid_pack_stays_as_dot_invalid_with_the_line(store: Store, shared_samples: Path,
                                                           tmp_path: Path) -> None:
    _import_orders(store, shared_samples, tmp_path)
    hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml"))
    order = rows(store, "orders", shop="pohoda")[0]
    state = rows(store, "erp_handoffs", kind="orders", document_id=order["id"])[0]
    with store.begin() as conn:  # an answer whose id is not POHODA's number: the delete cannot be
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.BOOKED, "not-a-number")])
        from sqlalchemy import update

        from exchange.store.schema import orders
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(content_hash="z" * 64))

    with pytest.raises(SchemaError) as caught:
        hand_off(store, _request(shared_samples, "orders", tmp_path / "bad.xml"))

    assert caught.value.line == 3 and "bad.xml.invalid" in str(caught.value)
    assert (tmp_path / "bad.xml.invalid").is_file() and not (tmp_path / "bad.xml").exists()
    assert rows(store, "erp_handoffs", kind="orders", document_id=order["id"])[0][
        "content_hash"] != "z" * 64  # nothing recorded as sent


def test_cli_hands_realised_invoices_to_the_folder_pohoda_watches(shared_samples: Path,
                                                                  tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from exchange.cli import cli
    from tests.handoff.support import ShopOrder, import_orders, load_stock

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        load_stock(store, tmp_path, {"P1": "10"})
        import_orders(store, tmp_path, ShopOrder("1", company_id="12345678", vat_id="CZ12345678"),
                      ShopOrder("2"))
    watched = tmp_path / "pohoda-in"
    watched.mkdir()
    config = tmp_path / "exchange.yaml"
    config.write_text(
        f"company:\n  name: Obchod s.r.o.\n  ico: '87654321'\n"
        f"handoff:\n  pohoda_xsd: {shared_samples / 'pohoda' / 'xsd'}\n  encoding: windows-1250\n",
        encoding="utf-8")
    base = ["--db", db, "--config", str(config)]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "orders", "realise", "--all"]).exit_code == 0

    out = runner.invoke(cli, [*base, "handoff", "invoices", "--to", f"file://{watched}", "--json"])

    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert (result["documents"], result["push_status"]) == (2, "delivered")
    [pack] = list(watched.glob("*.xml"))
    tree = etree.parse(str(pack))
    assert _official_schema(shared_samples).validate(tree)
    assert tree.getroot().get("ico") == "87654321"
    assert {t.text for t in tree.iterfind(".//inv:invoiceType", NS)} == {"issuedInvoice"}
    partners = [a for a in tree.iterfind(".//inv:partnerIdentity/typ:address", NS)
                if a.findtext("typ:ico", namespaces=NS) == "12345678"]
    assert [p.findtext("typ:dic", namespaces=NS) for p in partners] == ["CZ12345678"]
    assert {n.text for n in tree.iterfind(".//inv:numberOrder", NS)} == {"20261", "20262"}
    again = runner.invoke(cli, [*base, "handoff", "invoices", "--to", f"file://{watched}"])
    assert "0 invoices handed off" in again.output


def test_cancelled_orders_are_not_sent_and_a_booked_one_is_withdrawn(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from tests.handoff.support import ShopOrder, import_orders

    import_orders(store, tmp_path, ShopOrder("1"), ShopOrder("2", status="Stornována"))
    first = hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml"))
    assert first.documents == 1
    numbers = [n.text for n in etree.parse(str(tmp_path / "a.xml")).iterfind(
        ".//ord:numberOrder", NS)]
    assert numbers == ["20261"]
    [state] = rows(store, "erp_handoffs")
    with store.begin() as conn:
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.BOOKED, "55", "OP55")])

    import_orders(store, tmp_path, ShopOrder("1", status="Stornována"), name="again.xml")
    withdrawn = hand_off(store, _request(shared_samples, "orders", tmp_path / "b.xml"))

    assert (withdrawn.documents, withdrawn.updates) == (1, 1)
    [item] = etree.parse(str(tmp_path / "b.xml")).findall("dat:dataPackItem", NS)
    assert item.findtext("ord:order/ord:actionType/ord:delete/ftr:filter/ftr:id",
                         namespaces=NS) == "55"
    assert item.find("ord:order/ord:orderHeader", NS) is None
    assert hand_off(store, _request(shared_samples, "orders", tmp_path / "c.xml")).documents == 0


def test_texts_are_escaped_and_a_failing_item_is_named_at_its_line(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from sqlalchemy import update

    from exchange.store.schema import orders
    from tests.handoff.support import ShopOrder, import_orders

    note = 'Zvonit 2× & "rychle" <prosím>\nDruhý řádek\nTřetí'
    import_orders(store, tmp_path, ShopOrder("1", note=note), ShopOrder("2"))
    hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml"))
    tree = etree.parse(str(tmp_path / "a.xml"))
    assert _official_schema(shared_samples).validate(tree)
    assert [n.text for n in tree.iterfind(".//ord:orderHeader/ord:note", NS)] == [note]

    # order 2 booked under an id POHODA never gives (its delete is invalid), then both changed:
    # order 1 goes again first (its note takes three lines), order 2's delete fails after it
    first, second = rows(store, "orders", number="20261")[0], rows(store, "orders", number="20262")[0]
    state = rows(store, "erp_handoffs", kind="orders", document_id=second["id"])[0]
    with store.begin() as conn:
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.BOOKED, "x-1")])
        for order in (first, second):
            conn.execute(update(orders).where(orders.c.id == order["id"])
                         .values(content_hash=str(order["id"]) * 64))

    with pytest.raises(SchemaError) as caught:
        hand_off(store, _request(shared_samples, "orders", tmp_path / "b.xml"))

    assert caught.value.line == 3 + 3 and f"D{second['id']}-" in caught.value.message
    lines = (tmp_path / "b.xml.invalid").read_text(encoding="utf-8").splitlines()
    assert "<ftr:id>x-1</ftr:id>" in lines[caught.value.line - 1]


def test_a_text_xml_cannot_carry_fails_the_pack_naming_its_document(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from sqlalchemy import update

    from exchange.store.schema import orders
    from tests.handoff.support import ShopOrder, import_orders

    import_orders(store, tmp_path, ShopOrder("1"), ShopOrder("2"))
    order = rows(store, "orders", number="20262")[0]
    with store.begin() as conn:  # a vertical tab, as a CSV or an API could bring it
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(note="a\x0bb"))

    with pytest.raises(SchemaError) as caught:
        hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml"))

    assert caught.value.line == 4 and f"O{order['id']}-" in caught.value.message
    assert (tmp_path / "a.xml.invalid").is_file() and rows(store, "erp_handoffs") == []


def test_a_credit_notice_handed_off_imports_back_as_a_credit_note(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from sqlalchemy import update

    from exchange.store.schema import invoices

    _import_invoices(store, shared_samples, tmp_path)
    credit = rows(store, "invoices", number="250100014")[0]
    with store.begin() as conn:  # a credit note (dobropis), as an ISDOC or a CSV import brings it
        conn.execute(update(invoices).where(invoices.c.id == credit["id"])
                     .values(kind="credit_note"))
    hand_off(store, _request(shared_samples, "invoices", tmp_path / "inv.xml"))
    sent = {i["number"]: i["kind"] for i in rows(store, "invoices") if not i["review_reason"]}
    assert "issuedCreditNotice" in (tmp_path / "inv.xml").read_text(encoding="utf-8")

    # POHODA's own export of it, or our pack read back by another exchange: issuedCreditNotice
    # is POHODA's credit note (dobropis), beside issuedCorrectiveTax
    with Store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        report = import_file(other, tmp_path / "inv.xml", "pohoda", "invoices",
                             quarantine=tmp_path / "q2")
        assert report.file_error is None, report
        back = {i["number"]: (i["kind"], i["review_reason"]) for i in rows(other, "invoices")}

    assert {number: kind for number, (kind, _reason) in back.items()} == sent
    assert back["250100014"][0] == "credit_note"
    assert not [reason for _kind, reason in back.values() if "invoice type" in reason]
    # our pack states no sums where it has items (POHODA computes them): read back, such an
    # invoice has no stated total, not a total of 0 that its lines would contradict
    assert not [(n, reason) for n, (_kind, reason) in back.items() if "total" in reason]


def test_receipts_mapped_to_pohoda_sales_receipts(shared_samples: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner
    from sqlalchemy import update

    from exchange.cli import cli
    from exchange.store.schema import invoices
    from tests.handoff.support import ShopOrder, import_orders, load_stock

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        load_stock(store, tmp_path, {"P1": "10"})
        import_orders(store, tmp_path, ShopOrder("1", company_id="12345678"), ShopOrder("2"),
                      ShopOrder("3"))
    config = tmp_path / "exchange.yaml"
    config.write_text(
        f"handoff:\n  pohoda_xsd: {shared_samples / 'pohoda' / 'xsd'}\n"
        f"  pohoda_receipts: sales_receipt\n", encoding="utf-8")
    base = ["--db", db, "--config", str(config)]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "orders", "realise", "--all"]).exit_code == 0
    with Store(db) as store, store.begin() as conn:  # a receipt in euros: no prodejka takes it
        receipt3 = next(r for r in rows(store, "invoices") if r["order_number"] == "20263")
        conn.execute(update(invoices).where(invoices.c.id == receipt3["id"])
                     .values(currency="EUR", exchange_rate="25"))

    out = runner.invoke(cli, [*base, "handoff", "invoices", "-o", str(tmp_path / "p.xml"),
                              "--json"])

    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["documents"] == 2
    [(document, reason)] = [(d["document"], d["reason"]) for d in result["left_out"]]
    assert document == f"invoices:shoptet:{receipt3['number']}" and "home currency" in reason
    tree = etree.parse(str(tmp_path / "p.xml"))
    assert _official_schema(shared_samples).validate(tree), _official_schema(shared_samples).error_log
    [invoice] = tree.findall("dat:dataPackItem/inv:invoice", NS)
    assert invoice.findtext("inv:invoiceHeader/inv:partnerIdentity/typ:address/typ:ico",
                            namespaces=NS) == "12345678"
    [sale] = tree.findall("dat:dataPackItem/pro:prodejka", NS)
    header = sale.find("pro:prodejkaHeader", NS)
    assert header.findtext("pro:prodejkaType", namespaces=NS) == "saleVoucher"
    assert header.findtext("pro:number/typ:numberRequested", namespaces=NS).startswith("PD2026/")
    assert header.findtext("pro:text", namespaces=NS).startswith("Účtenka PD2026/")
    items = sale.findall("pro:prodejkaDetail/pro:prodejkaItem", NS)
    assert [(i.findtext("pro:text", namespaces=NS), i.findtext("pro:rateVAT", namespaces=NS),
             i.findtext("pro:homeCurrency/typ:unitPrice", namespaces=NS)) for i in items] == [
        ("Tričko", "high", "121"), ("PPL", "high", "99")]
    with Store(db) as store:  # both recorded as handed off; the euro receipt waits
        assert len(rows(store, "erp_handoffs")) == 2


def test_the_sent_log_gives_back_what_was_spooled_and_refuses_what_it_cannot_keep() -> None:
    from exchange.handoff.pohoda import SentLog
    from exchange.store.erp import Sent

    sent = [Sent("orders", 1, "a" * 64, "O1-aaaaaaaaaaaa", "/p/a b.xml"),
            Sent("orders", 2, "b" * 64, "D2-bbbbbbbbbbbb", "/p/a b.xml"),
            Sent("invoices", 3, "c" * 64, "I3-cccccccccccc", "/p/čž.xml")]
    with SentLog() as log:
        for s in sent:
            log.append(s)
        assert len(log) == 3 and list(log) == sent
        log.append(Sent("orders", 4, "d" * 64, "O4", "x"))  # appending after a read goes on
        assert [s.document_id for s in log] == [1, 2, 3, 4]
        with pytest.raises(ValueError, match="cannot spool"):
            log.append(Sent("orders", 5, "e\t" * 32, "O5", "x"))


def test_a_windows_1250_pack_keeps_what_the_code_page_lacks_as_character_references(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from tests.handoff.support import ShopOrder, import_orders

    note = "Dárek 🎁 pro Ζωή – „hned“ & ‘teď’"
    import_orders(store, tmp_path, ShopOrder("1", note=note))

    hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml",
                             pack=PackSettings(encoding="windows-1250")))

    data = (tmp_path / "a.xml").read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='Windows-1250'?>")
    assert b"&#127873;" in data and "Dárek".encode("cp1250") in data
    tree = etree.parse(str(tmp_path / "a.xml"))
    assert _official_schema(shared_samples).validate(tree)
    assert tree.findtext(".//ord:orderHeader/ord:note", namespaces=NS) == note


def test_shop_since_and_retry_failed_pick_what_is_handed_off(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    _import_orders(store, shared_samples, tmp_path)
    stored = [o for o in rows(store, "orders") if not o["review_reason"]]
    prestashop = [o for o in stored if o["shop"] == "prestashop"]
    newest = max(o["ordered_at"] for o in stored)

    one_shop = hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml",
                                        shop="prestashop"))
    assert one_shop.documents == len(prestashop) > 0
    day = newest.astimezone(ZoneInfo("Europe/Prague")).date()
    # a day, as --since gives it: from its start where the pack's dates are (Europe/Prague)
    late = hand_off(store, _request(shared_samples, "orders", tmp_path / "b.xml", since=day))
    numbers = {n.text for n in etree.parse(str(tmp_path / "b.xml")).iterfind(
        ".//ord:numberOrder", NS)}
    start = datetime.combine(day, time(), tzinfo=ZoneInfo("Europe/Prague"))
    assert numbers == {o["number"] for o in stored if o["shop"] != "prestashop"
                       and o["ordered_at"] >= start}
    assert 0 < late.documents == len(numbers) < len(stored) - len(prestashop)

    # POHODA refused one: it goes again only when asked to retry the failed ones
    state = rows(store, "erp_handoffs", kind="orders", document_id=prestashop[0]["id"])[0]
    with store.begin() as conn:
        record_answers(conn, "pohoda", [Answer(state["pack_item"], ErpState.ERROR,
                                               note="Neplatné IČ")])
    assert hand_off(store, _request(shared_samples, "orders", tmp_path / "c.xml",
                                    shop="prestashop")).documents == 0
    retried = hand_off(store, _request(shared_samples, "orders", tmp_path / "d.xml",
                                       shop="prestashop", retry_failed=True))
    assert (retried.documents, retried.updates) == (1, 1)
    assert rows(store, "erp_handoffs", kind="orders", document_id=prestashop[0]["id"])[0][
        "erp_state"] == "sent"


def test_a_pack_root_the_schema_refuses_is_named_as_the_pack(store: Store, shared_samples: Path,
                                                              tmp_path: Path) -> None:
    from tests.handoff.support import ShopOrder, import_orders

    import_orders(store, tmp_path, ShopOrder("1"))

    with pytest.raises(SchemaError) as caught:  # an ico POHODA's typ:icoType cannot hold
        hand_off(store, _request(shared_samples, "orders", tmp_path / "a.xml",
                                 pack=PackSettings(ico="1234567890123456789")))

    assert caught.value.line == 2 and ": dataPack: " in caught.value.message
    assert "ico" in caught.value.message and rows(store, "erp_handoffs") == []
