"""Realising orders: invoice or receipt, numbering series, money copied, stock issued, --auto rule."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.config import AutoRealiseSection, DocumentType
from exchange.handoff.realise import RealiseSettings, Selection, ShopRules, realise_orders
from exchange.store import Store
from exchange.store.document_view import document_view, find_document_id
from tests.handoff.support import ShopOrder, import_orders, load_stock
from tests.importers.engine_support import rows, stock_of

DAY = date(2026, 3, 2)


def _realise(store: Store, selection: Selection, *numbers: str, **kw: object) -> object:
    return realise_orders(store, selection, numbers=numbers, today=DAY, **kw)  # type: ignore[arg-type]


def _view(store: Store, number: str) -> dict:  # type: ignore[type-arg]
    with store.connect() as conn:
        doc_id = find_document_id(conn, "invoices", number)
        assert doc_id is not None, number
        return document_view(conn, "invoices", doc_id)


def test_company_gets_an_invoice_person_a_receipt_each_in_its_series(store: Store,
                                                                      tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1", company_id="12345678"), ShopOrder("2"),
                  ShopOrder("3", vat_id="CZ87654321"))

    report = _realise(store, Selection.ALL)

    by_order = {d.order: (d.kind, d.document) for d in report.realised}  # type: ignore[attr-defined]
    assert by_order == {"20261": ("invoice", "FV2026/00001"), "20262": ("receipt", "PD2026/00001"),
                        "20263": ("invoice", "FV2026/00002")}
    invoice = _view(store, "FV2026/00001")
    assert invoice["status"] == "invoice" and invoice["currency"] == "CZK"
    assert invoice["total"] == "341"  # 2 × 121 + 99 shipping, as the order says
    assert [(ln["kind"], ln["code"], ln["quantity"], ln["unit_price"]) for ln in invoice["lines"]] \
        == [("product", "P1", "2", "121"), ("shipping", "PPL", "1", "99")]
    assert invoice["delivery"]["city"] == "Praha"
    assert [e["kind"] for e in invoice["events"]] == ["issued"]
    stored = rows(store, "invoices", number="FV2026/00001")[0]
    assert (stored["issued_on"], stored["due_on"]) == (DAY, date(2026, 3, 16))  # 14 days' terms
    assert stored["order_number"] == "20261" and stored["variable_symbol"] == "20261"
    order_id = rows(store, "orders", number="20261")[0]["id"]
    assert stored["order_id"] == order_id


def test_realised_order_issues_its_reserved_stock(store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1", items=[("P1", "Tričko", "3")]))
    product = rows(store, "products", code="P1")[0]["id"]
    warehouse = rows(store, "warehouses", code="MAIN")[0]["id"]
    with store.connect() as conn:
        assert stock_of(conn, product, warehouse) == (Decimal(10), Decimal(3))

    _realise(store, Selection.NUMBERS, "20261")

    with store.connect() as conn:
        assert stock_of(conn, product, warehouse) == (Decimal(7), Decimal(0))
    issues = [m for m in rows(store, "stock_moves") if m["kind"] == "issue"]
    assert [(m["quantity"], m["reference"]) for m in issues] == [
        (Decimal(-3), "receipt PD2026/00001 (order 20261)")]


def test_a_realised_order_imported_again_leaves_its_ended_reservation_alone(
        store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1", items=[("P1", "Tričko", "2")]),
                  ShopOrder("2", items=[("P1", "Tričko", "3")]))
    product = rows(store, "products", code="P1")[0]["id"]
    warehouse = rows(store, "warehouses", code="MAIN")[0]["id"]
    _realise(store, Selection.NUMBERS, "20261")
    with store.connect() as conn:  # order 1's goods left; order 2 still holds its 3
        assert stock_of(conn, product, warehouse) == (Decimal(8), Decimal(3))
    moves = len(rows(store, "stock_moves"))

    # the shop exports order 1 again, one piece more (then cancelled): its reservation ended
    # when it was realised, so neither takes stock back nor gives order 2's away
    import_orders(store, tmp_path, ShopOrder("1", status="Vyřízena", items=[("P1", "Tričko", "3")]),
                  name="again.xml")
    with store.connect() as conn:
        assert stock_of(conn, product, warehouse) == (Decimal(8), Decimal(3))
    import_orders(store, tmp_path, ShopOrder("1", status="Stornována"), name="cancelled.xml")

    with store.connect() as conn:
        assert stock_of(conn, product, warehouse) == (Decimal(8), Decimal(3))
    assert len(rows(store, "stock_moves")) == moves
    order = rows(store, "orders", number="20261")[0]
    assert order["status"] == "cancelled"  # the order itself is updated as the shop says
    # and order 2, imported again unchanged in quantity, still reserves as before
    import_orders(store, tmp_path, ShopOrder("2", status="Vyřízena", items=[("P1", "Tričko", "4")]),
                  name="two.xml")
    with store.connect() as conn:
        assert stock_of(conn, product, warehouse) == (Decimal(8), Decimal(4))


def test_cancelled_held_and_realised_orders_are_never_realised(store: Store,
                                                               tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1", status="Stornována"),
                  ShopOrder("2", status="Nějaký neznámý stav"), ShopOrder("3"))
    _realise(store, Selection.NUMBERS, "20263")

    report = _realise(store, Selection.NUMBERS, "20261", "20262", "20263", "nope")

    why = {d.order: d.reasons for d in report.decisions}  # type: ignore[attr-defined]
    assert why["20261"] == ["the order is cancelled"]
    assert why["20262"][0].startswith("the order is held for review")
    assert why["20263"] == ["already realised as PD2026/00001"]
    assert report.missing == ["nope"]  # type: ignore[attr-defined]
    assert len(rows(store, "invoices")) == 1


def test_auto_decides_by_each_criterion_and_records_why(store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10", "P2": "1"})
    import_orders(store, tmp_path,
                  ShopOrder("1"),  # paid, in stock, no note: realised
                  ShopOrder("2", paid="0"),
                  ShopOrder("3", items=[("P2", "Mikina", "2")]),
                  ShopOrder("4", note="Zazvoňte dvakrát"),
                  ShopOrder("5", status="Čeká na platbu"))  # on_hold in the profile's map

    report = _realise(store, Selection.AUTO)

    why = {d.order: (d.realised, d.reasons) for d in report.decisions}  # type: ignore[attr-defined]
    assert why["20261"] == (True, ["paid", "in stock", "no customer note", "not held"])
    assert why["20262"] == (False, ["not paid"])
    assert why["20263"] == (False, ["not in stock: P2: 2 wanted, 1 available"])
    assert why["20264"] == (False, ["customer note: Zazvoňte dvakrát"])
    assert why["20265"][0] is False and "the order is on hold" in why["20265"][1]
    events = {(e["document"], e["kind"]): e for e in rows(store, "events")
              if e["kind"] in ("realised", "not_realised")}
    assert events[("orders:shoptet:2", "not_realised")]["message"] == "not paid"
    assert events[("orders:shoptet:1", "realised")]["message"] == "receipt PD2026/00001"


def test_auto_criteria_are_switched_per_shop(store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10", "P2": "1"})
    import_orders(store, tmp_path, ShopOrder("2", paid="0"), ShopOrder("3", items=[("P2", "M", "2")]),
                  ShopOrder("4", note="pozor"), ShopOrder("5", status="Čeká na platbu", paid="0"))
    lenient = AutoRealiseSection(paid=False, in_stock=False, no_note=False, not_held=False)
    settings = RealiseSettings(shops={"shoptet": ShopRules(DocumentType.INVOICE, 30, lenient)},
                               numbering={"invoice": "F{year}-{number:04d}"})

    report = _realise(store, Selection.AUTO, settings=settings)

    assert sorted(d.document for d in report.realised) == [  # type: ignore[attr-defined]
        "F2026-0001", "F2026-0002", "F2026-0003", "F2026-0004"]
    assert {r["kind"] for r in rows(store, "invoices")} == {"invoice"}
    assert rows(store, "invoices")[0]["due_on"] == date(2026, 4, 1)


def test_a_dry_run_writes_nothing_and_takes_no_number(store: Store, tmp_path: Path) -> None:
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1"), ShopOrder("2"))

    dry = _realise(store, Selection.ALL, dry_run=True)
    assert [d.document for d in dry.realised] == ["PD2026/00001", "PD2026/00002"]  # type: ignore[attr-defined]
    assert rows(store, "invoices") == [] and rows(store, "number_series") == []

    real = _realise(store, Selection.ALL)
    assert [d.document for d in real.realised] == ["PD2026/00001", "PD2026/00002"]  # type: ignore[attr-defined]
    assert rows(store, "number_series")[0]["last_number"] == 2


def test_cli_realise_and_invoice_list_by_kind(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        load_stock(store, tmp_path, {"P1": "10"})
        import_orders(store, tmp_path, ShopOrder("1", company_id="12345678"), ShopOrder("2"),
                      ShopOrder("3", paid="0"))
    (tmp_path / "exchange.yaml").write_text(
        "shops:\n  shoptet:\n    profile: shoptet\n    payment_terms_days: 7\n"
        "numbering:\n  receipt: 'R{year}{number:06d}'\n", encoding="utf-8")
    runner = CliRunner()
    base = ["--db", db, "--config", str(tmp_path / "exchange.yaml")]

    out = runner.invoke(cli, [*base, "orders", "realise", "--auto", "--json"])
    assert out.exit_code == 0, out.output
    decided = json.loads(out.output)
    assert (decided["realised"], decided["not_realised"]) == (2, 1)

    listed = runner.invoke(cli, [*base, "invoices", "list", "--kind", "receipt", "--json"])
    receipts = json.loads(listed.output)
    assert [(r["kind"], r["number"][:5]) for r in receipts] == [("receipt", "R2026")]
    table = runner.invoke(cli, [*base, "invoices", "list"])
    assert "receipt" in table.output and "invoice" in table.output

    refused = runner.invoke(cli, [*base, "orders", "realise", "20261"])
    assert refused.exit_code == 4 and "already realised as FV" in refused.output


def test_concurrent_realisers_take_gap_free_numbers(store: Store, tmp_path: Path) -> None:
    import threading

    load_stock(store, tmp_path, {"P1": "100"})
    import_orders(store, tmp_path, *(ShopOrder(str(i), company_id="12345678") for i in range(1, 9)))
    numbers = [f"2026{i}" for i in range(1, 9)]
    errors: list[BaseException] = []

    def realise(part: list[str]) -> None:
        try:
            for number in part:
                _realise(store, Selection.NUMBERS, number)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=realise, args=(numbers[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    issued = sorted(r["number"] for r in rows(store, "invoices"))
    assert issued == [f"FV2026/{n:05d}" for n in range(1, 9)]
