"""POHODA's response packs read back: the shared samples (ok, error, denied) set each document's state."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.handoff.responses import import_response, is_import_response
from exchange.store import Store
from exchange.store.erp import Sent, record_sent
from tests.handoff.support import ShopOrder, import_orders, load_stock
from tests.importers.engine_support import rows

OK = "jakubdusek_import-response_invoice_ok_cp1250.xml"
ERROR = "jakubdusek_import-response_invoice_error_cp1250.xml"
DENIED = "vitex_xml-denied-response_cp1250.xml"


def _sent_as(store: Store, tmp_path: Path, *items: str) -> dict[str, int]:
    """Three realised invoices recorded as handed off under the item ids the samples answer."""
    from exchange.handoff.realise import Selection, realise_orders

    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, *(ShopOrder(str(i), company_id="1234567" + str(i))
                                     for i in range(1, len(items) + 1)))
    realise_orders(store, Selection.ALL, today=date(2026, 3, 2))
    invoices = rows(store, "invoices")
    with store.begin() as conn:
        record_sent(conn, "pohoda", [Sent("invoices", inv["id"], inv["content_hash"], item, "x.xml")
                                     for inv, item in zip(invoices, items, strict=True)])
    return {item: inv["id"] for inv, item in zip(invoices, items, strict=True)}


def _state(store: Store, doc_id: int) -> tuple[str, str, str, str]:
    row = rows(store, "erp_handoffs", kind="invoices", document_id=doc_id)[0]
    return row["erp_state"], row["erp_id"], row["erp_number"], row["erp_note"]


def test_ok_response_books_each_document_with_pohodas_id_and_number(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    ids = _sent_as(store, tmp_path, "AD001", "AD002", "AD003")

    report = import_response(store, shared_samples / "pohoda" / OK)

    assert (report.pack_state, report.exit_code, report.unknown) == ("ok", 0, [])
    assert _state(store, ids["AD001"]) == ("booked", "95", "140100015", "")
    assert _state(store, ids["AD003"]) == ("booked", "97", "140100017", "")
    events = [e for e in rows(store, "events") if e["kind"] == "erp_booked"]
    assert len(events) == 3 and events[0]["document"].startswith("invoices:shoptet:FV2026/")


def test_error_response_stores_the_refusal_and_lists_it_as_failed(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    ids = _sent_as(store, tmp_path, "AD001", "AD002")

    report = import_response(store, shared_samples / "pohoda" / ERROR)

    assert report.exit_code == 4
    state, erp_id, _number, note = _state(store, ids["AD002"])
    assert (state, erp_id) == ("error", "") and note == "refused by POHODA without a detail"
    assert _state(store, ids["AD001"])[0] == "sent"  # not answered by this pack


def test_denied_pack_carries_its_note_and_is_detected_by_the_cli(
        shared_samples: Path, tmp_path: Path) -> None:
    assert is_import_response(shared_samples / "pohoda" / DENIED)
    assert is_import_response(shared_samples / "pohoda" / OK)
    assert not is_import_response(shared_samples / "pohoda" / "vitex_all-invoices-response_cp1250.xml")
    db = f"sqlite:///{tmp_path / 'r.db'}"

    out = CliRunner().invoke(cli, ["--db", db, "--create", "import", "--json", str(shared_samples / "pohoda" /
                                                                       DENIED)])

    assert out.exit_code == 4
    answer = json.loads(out.output)["responses"][0]
    assert answer["pack_state"] == "error"
    assert answer["pack_note"] == "Uživatel není oprávnen importovat XML soubory."


def test_cli_as_pohoda_response_then_handoff_failed_lists_the_refused(
        shared_samples: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with Store(db) as store:
        _sent_as(store, tmp_path, "AD001", "AD002")
    runner = CliRunner()

    out = runner.invoke(cli, ["--db", db, "import", "--as", "pohoda-response",
                              str(shared_samples / "pohoda" / ERROR)])
    assert out.exit_code == 4 and 'pack state="error"' in out.output

    failed = runner.invoke(cli, ["--db", db, "handoff", "--failed", "--json"])
    listed = json.loads(failed.output)
    assert [(r["kind"], r["number"], r["erp_state"]) for r in listed] == [
        ("invoices", "FV2026/00002", "error")]
