"""ISDOC 6.0.2 out (each file valid against the official XSD) and back in through the bundled profile."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lxml import etree

from exchange.config import CompanySection
from exchange.handoff.isdoc import NS
from exchange.handoff.realise import Selection, realise_orders
from exchange.handoff.run import HandoffRequest, hand_off
from exchange.importers.run import import_file
from exchange.store import Store
from tests.handoff.support import ShopOrder, import_orders, load_stock
from tests.importers.engine_support import rows

COMPANY = CompanySection(name="Obchod s.r.o.", ico="87654321", dic="CZ87654321",
                         street="Hlavní 12", city="Brno", postcode="60200", country="CZ",
                         bank_account="123456789", bank_code="0100", iban="CZ6501000000000123456789")
ISD = {"i": NS}


def _request(shared: Path, output: Path) -> HandoffRequest:
    return HandoffRequest(kind="invoices", fmt="isdoc", output=output,
                          xsd=shared / "isdoc" / "xsd", company=COMPANY)


def _schema(shared: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared / "isdoc" / "xsd" / "isdoc-invoice-6.0.2.xsd")))


def _realised(store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10", "P2": "10"})
    import_orders(store, tmp_path,
                  ShopOrder("1", company_id="12345678", vat_id="CZ12345678",
                            items=[("P1", "Tričko", "2"), ("P2", "Mikina", "1")]),
                  ShopOrder("2", company_id="23456789"), ShopOrder("3"))
    realise_orders(store, Selection.ALL, today=date(2026, 3, 2))


def test_each_invoice_and_credit_note_is_one_valid_isdoc_file(store: Store, shared_samples: Path,
                                                               tmp_path: Path) -> None:
    _realised(store, tmp_path)
    for name in ("vitex_all-invoices-response_cp1250.xml", "accsync_faktury_02_v2.0_response_cp1250.xml"):
        import_file(store, shared_samples / "pohoda" / name, "pohoda", "invoices",
                    quarantine=tmp_path / "q")
    isdoc_kinds = [i for i in rows(store, "invoices")
                   if i["kind"] in ("invoice", "credit_note") and not i["review_reason"]]

    result = hand_off(store, _request(shared_samples, tmp_path / "isdoc"))

    left = dict(result.left_out)
    assert result.documents + len(left) == len(isdoc_kinds), left
    assert all("ISDOC" in reason or "line" in reason for reason in left.values()), left
    schema = _schema(shared_samples)
    files = sorted((tmp_path / "isdoc").glob("*.isdoc"))
    assert len(files) == result.documents > 0
    uuids = set()
    for path in files:
        tree = etree.parse(str(path))
        assert schema.validate(tree), (path.name, schema.error_log)
        uuids.add(tree.findtext("i:UUID", namespaces=ISD))
    assert len(uuids) == len(files)
    assert not list((tmp_path / "isdoc").glob("shoptet-PD*"))  # receipts are no ISDOC documents
    first = etree.parse(str(tmp_path / "isdoc" / "shoptet-FV2026_00001.isdoc"))
    supplier = first.find("i:AccountingSupplierParty/i:Party", ISD)
    assert supplier.findtext("i:PartyIdentification/i:ID", namespaces=ISD) == "87654321"
    assert supplier.findtext("i:PartyTaxScheme/i:CompanyID", namespaces=ISD) == "CZ87654321"
    customer = first.find("i:AccountingCustomerParty/i:Party", ISD)
    assert customer.findtext("i:PartyIdentification/i:ID", namespaces=ISD) == "12345678"
    [band] = first.findall("i:TaxTotal/i:TaxSubTotal", ISD)
    assert (band.findtext("i:TaxCategory/i:Percent", namespaces=ISD),
            band.findtext("i:TaxableAmount", namespaces=ISD)) == ("21", "381.82")
    details = first.find("i:PaymentMeans/i:Payment/i:Details", ISD)
    assert details.findtext("i:VariableSymbol", namespaces=ISD) == "20261"
    assert details.findtext("i:PaymentDueDate", namespaces=ISD) == "2026-03-16"
    assert details.findtext("i:ID", namespaces=ISD) == "123456789"


ROUND_TRIP_KEYS = ("number", "external_id", "status", "issued_on", "currency", "exchange_rate",
                   "total", "total_net", "total_vat", "rounding", "home_currency_total",
                   "vat_breakdown", "note", "customer", "billing", "delivery", "lines")
ROW_KEYS = ("kind", "tax_date", "due_on", "variable_symbol", "order_number", "prices_include_vat")


def _views(store: Store) -> dict[str, dict]:  # type: ignore[type-arg]
    from exchange.store.document_view import document_view

    with store.connect() as conn:
        return {r["number"]: {**{k: v for k, v in document_view(conn, "invoices", r["id"]).items()
                                 if k in ROUND_TRIP_KEYS},
                              **{k: r[k] for k in ROW_KEYS}}
                for r in rows(store, "invoices") if r["kind"] != "receipt"}


def test_our_isdoc_read_back_gives_the_same_invoice_field_by_field(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    _realised(store, tmp_path)
    import_file(store, shared_samples / "pohoda" / "accsync_faktury_02_v2.0_response_cp1250.xml",
                "pohoda", "invoices", quarantine=tmp_path / "q")
    result = hand_off(store, _request(shared_samples, tmp_path / "isdoc"))
    sent = {name.split(":")[-1] for name, _r in result.left_out}
    original = {n: v for n, v in _views(store).items() if n not in sent}
    assert len(original) == result.documents >= 3

    again = Store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        for path in sorted((tmp_path / "isdoc").glob("*.isdoc")):
            shop = path.name.split("-", 1)[0]
            report = import_file(again, path, "isdoc", "invoices", shop=shop,
                                 quarantine=tmp_path / "q2")
            assert report.file_error is None and report.ok, report
        read_back = _views(again)
    finally:
        again.close()

    assert set(read_back) == set(original)
    for number, view in original.items():
        for key, value in view.items():
            assert read_back[number][key] == value, (number, key)


def test_cli_publishes_isdoc_files_to_an_endpoint(shared_samples: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from exchange.cli import cli

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        _realised(store, tmp_path)
    config = tmp_path / "exchange.yaml"
    config.write_text(f"company:\n  name: Obchod s.r.o.\n  ico: '87654321'\n  dic: CZ87654321\n"
                      f"handoff:\n  isdoc_xsd: {shared_samples / 'isdoc' / 'xsd'}\n",
                      encoding="utf-8")
    target = tmp_path / "erp-in"
    target.mkdir()
    base = ["--db", db, "--config", str(config)]

    out = CliRunner().invoke(cli, [*base, "handoff", "invoices", "--format", "isdoc",
                                   "--to", f"file://{target}", "--json"])

    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert (result["documents"], result["push_status"]) == (2, "delivered")
    assert result["left_out"] == []  # the receipt is no ISDOC document: not even considered
    schema = _schema(shared_samples)
    published = sorted(target.glob("*.isdoc"))
    assert [p.name for p in published] == ["shoptet-FV2026_00001.isdoc",
                                           "shoptet-FV2026_00002.isdoc"]
    assert all(schema.validate(etree.parse(str(p))) for p in published)
