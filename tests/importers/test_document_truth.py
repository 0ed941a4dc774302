"""Document truth on the real samples: what is booked is what the file says, or the report says why."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.document_view import LINE_KEYS, VIEW_KEYS, document_view, find_document_id
from tests.importers.engine_support import order_xml, rows, shoptet, write_orders

VITEX = ("pohoda", "vitex_all-invoices-response_cp1250.xml")


def _view(store: Store, kind: str, number: str) -> dict:  # type: ignore[type-arg]
    with store.connect() as conn:
        doc_id = find_document_id(conn, kind, number)
        assert doc_id is not None, f"{kind} {number} is not stored"
        return document_view(conn, kind, doc_id)


def test_pohoda_foreign_currency_invoice_is_booked_in_its_currency(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    import_file(store, shared_samples.joinpath(*VITEX), "pohoda", "invoices", quarantine=tmp_path)

    view = _view(store, "invoices", "250100013")

    # it was stored as EUR 276,800: the CZK home-currency sum under the EUR code
    assert (view["currency"], view["total"]) == ("EUR", "10000")
    assert view["home_currency_total"] == "276800"
    assert view["exchange_rate"] == "27.68"
    # the VAT bands of the summary are in CZK: not given as the EUR document's net and VAT
    assert view["total_net"] is None and view["total_vat"] is None


def test_pohoda_domestic_invoice_money_and_ship_to(store: Store, shared_samples: Path,
                                                   tmp_path: Path) -> None:
    import_file(store, shared_samples.joinpath(*VITEX), "pohoda", "invoices", quarantine=tmp_path)

    view = _view(store, "invoices", "250100014")

    assert view["currency"] == "CZK"
    assert (view["total"], view["total_net"], view["total_vat"], view["rounding"]) == (
        "56826", "46964", "9862.44", "-0.44")
    assert view["vat_breakdown"] == [{"rate": "21", "net": "46964", "vat": "9862.44"}]
    assert view["delivery"] is not None and view["delivery"]["name"] == "Tomáš Honzík"
    first = view["lines"][0]
    assert (first["unit_price_net"], first["unit_price"], first["total_net"]) == (
        "1188", "1437.48", "17820")


def test_amount_out_of_range_is_a_document_error_naming_the_field(store: Store,
                                                                   tmp_path: Path) -> None:
    big = order_xml("1").replace("<WITH_VAT>200.00</WITH_VAT>",
                                 "<WITH_VAT>99999999999999999999.99</WITH_VAT>")
    path = write_orders(tmp_path / "orders.xml", big, order_xml("2"))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert report.counts[Outcome.FAILED] == 1 and report.counts[Outcome.IMPORTED] == 1
    (failed,) = [d for d in report.documents if d.outcome is Outcome.FAILED]
    assert failed.field == "total" and "more than 15 integer digits" in failed.reason


def test_orders_show_json_has_every_key(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("7", code="2026007"))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "--create", "import", str(path), "-p", "shoptet", "--as", "orders",
                               "--quarantine", str(tmp_path / "q")]).exit_code == 0

    shown = runner.invoke(cli, ["--db", db, "orders", "show", "2026007", "--json"])
    text = runner.invoke(cli, ["--db", db, "orders", "show", "2026007"])
    missing = runner.invoke(cli, ["--db", db, "orders", "show", "nope"])

    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert set(VIEW_KEYS) <= set(view)
    assert all(set(LINE_KEYS) <= set(line) for line in view["lines"])
    assert view["total"] == "200" and isinstance(view["lines"][0]["unit_price"], str)
    assert view["events"][0]["kind"] == "imported"
    assert text.exit_code == 0 and "Tričko" in text.output
    assert missing.exit_code != 0 and "no order 'nope'" in missing.output


def test_a_customer_without_country_takes_it_from_the_vat_id(store: Store, shared_samples: Path,
                                                              tmp_path: Path) -> None:
    import_file(store, shared_samples.joinpath(*VITEX), "pohoda", "invoices", quarantine=tmp_path)

    german = _view(store, "invoices", "250100013")  # DE256874545, Leipzig: it was stored as CZ
    czech = _view(store, "invoices", "250100014")

    assert german["billing"]["country"] == "DE"
    assert czech["billing"]["country"] == "CZ"


def test_a_pohoda_issued_order_is_refused_and_received_orders_get_their_status(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    pohoda = shared_samples / "pohoda"
    issued = import_file(store, pohoda / "accsync_objednavky_02_v2.0_issued_response_cp1250.xml",
                         "pohoda", "orders", quarantine=tmp_path)
    received = import_file(store, pohoda / "accsync_objednavky_01_v2.0_response_cp1250.xml",
                           "pohoda", "orders", quarantine=tmp_path)

    (refused,) = issued.failures
    assert refused.field == "document_type"
    assert "a purchase order you issued, not a received order" in refused.reason
    assert received.counts[Outcome.IMPORTED] == 1
    with store.connect() as conn:
        assert find_document_id(conn, "orders", "182000002") is None  # the supplier is no customer
    view = _view(store, "orders", "182100001")
    assert (view["status"], view["shop_status"]) == ("delivered", "delivered")  # isDelivered true


def test_shipping_and_payment_items_of_invoices_never_become_products(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    from exchange.store.catalog import list_products

    path = shared_samples / "pohoda" / "masa331_response_pack_listInvoice.xml"
    report = import_file(store, path, "shoptet", "invoices", quarantine=tmp_path)  # creates products

    assert report.counts[Outcome.IMPORTED] == 2
    with store.connect() as conn:
        codes = {p["code"] for p in list_products(conn)}
    assert not any(c.startswith(("SHIPPING", "BILLING")) for c in codes)
    kinds = {(ln["code"], ln["kind"]) for number in ("4721703283", "4721703284")
             for ln in _view(store, "invoices", number)["lines"]}
    assert ("SHIPPING6", "shipping") in kinds and ("BILLING3", "payment") in kinds


def test_a_total_that_is_not_its_lines_is_held_with_both_figures(store: Store,
                                                                  tmp_path: Path) -> None:
    raised = order_xml("1").replace("<WITH_VAT>200.00</WITH_VAT></TOTAL_PRICE>",
                                    "<WITH_VAT>300.00</WITH_VAT></TOTAL_PRICE>")
    path = write_orders(tmp_path / "orders.xml", raised, order_xml("2"))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert report.counts[Outcome.HELD] == 1 and report.counts[Outcome.IMPORTED] == 1
    (held,) = [d for d in report.documents if d.outcome is Outcome.HELD]
    assert held.external_id == "1"
    assert "the total 300.00 does not match the lines: they add up to 200.00" in held.reason


def test_pohoda_invoices_with_a_total_but_no_lines_are_warned_about(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    report = import_file(store, shared_samples.joinpath(*VITEX), "pohoda", "invoices",
                         quarantine=tmp_path)

    warned = {d.external_id for d in report.documents
              if any("but the document has no lines" in w for w in d.warnings)}
    assert len(warned) == 7 and "250100013" in warned


def test_a_pohoda_advance_deduction_is_a_line_of_its_own_kind(store: Store, shared_samples: Path,
                                                              tmp_path: Path) -> None:
    report = import_file(store, shared_samples.joinpath(*VITEX), "pohoda", "invoices",
                         quarantine=tmp_path)

    view = _view(store, "invoices", "250100005")
    # the −7,140 deducted for advance invoice 250800001 was dropped
    (advance,) = [ln for ln in view["lines"] if ln["kind"] == "advance"]
    assert (advance["unit_price"], advance["total"], advance["vat_rate"]) == ("-7140", "-7140", "0")
    # the document's total (7,260) is before the deduction: not a mismatch, and not in its VAT bands
    assert view["total"] == "7260" and view["review_reason"] is None
    assert view["vat_breakdown"] == [{"rate": "21", "net": "6000", "vat": "1260"}]
    assert "250100005" not in {d.external_id for d in report.documents
                               if d.outcome is Outcome.HELD}


def test_a_woocommerce_address_keeps_its_county(store: Store, shared_samples: Path,
                                                tmp_path: Path) -> None:
    import_file(store, shared_samples / "woocommerce" / "zynk_woocommerce_v3_orders.xml",
                "woocommerce", "orders", quarantine=tmp_path)

    view = _view(store, "orders", "20")

    assert view["billing"]["state"] == "Tyne & Wear"
    assert view["billing"]["country"] == "GB"
    assert view["delivery"]["state"] == "Tyne & Wear"
    (customer,) = rows(store, "customers")
    assert customer["state"] == "Tyne & Wear"
