"""Bad values held, not booked: negative quantities, VAT rates outside the profile, over-long texts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.documents import Product
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse, upsert_product
from exchange.store.stock import set_on_hand
from tests.importers.engine_support import order_xml, rows, shoptet, stock_of, write_orders


def _reserved(store: Store, code: str) -> Decimal:
    with store.connect() as conn:
        (product,) = rows(store, "products", code=code)
        return stock_of(conn, product["id"], ensure_warehouse(conn, "MAIN"))[1]


def test_a_negative_quantity_is_held_and_reserves_nothing(store: Store, tmp_path: Path) -> None:
    with store.begin() as conn:
        pid, _ = upsert_product(conn, Product(code="P1", name="Tričko"))
        set_on_hand(conn, pid, ensure_warehouse(conn, "MAIN"), Decimal("10"))
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "P1", "Tričko", "3")]),
                        order_xml("2", items=[("product", "P1", "Tričko", "-2")]),
                        # a discount line is negative by nature
                        order_xml("3", items=[("product", "P1", "Tričko", "1"),
                                              ("discount", "", "Sleva", "-1")]))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert (report.counts[Outcome.IMPORTED], report.counts[Outcome.HELD]) == (2, 1)
    (held,) = [d for d in report.documents if d.outcome is Outcome.HELD]
    assert held.external_id == "2"
    assert "line 1 (P1): negative quantity -2 on a product line" in held.reason
    by_id = {o["external_id"]: o for o in rows(store, "orders")}
    assert by_id["2"]["status"] == "on_hold"
    # the held order lowers no reservation: 3 + 1 are reserved, not 3 + 1 - 2
    assert _reserved(store, "P1") == Decimal("4")


def test_a_vat_rate_outside_the_profiles_list_is_held(store: Store, tmp_path: Path) -> None:
    german = order_xml("1").replace("<VAT_RATE>21</VAT_RATE>", "<VAT_RATE>19</VAT_RATE>")
    path = write_orders(tmp_path / "orders.xml", german, order_xml("2"))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert (report.counts[Outcome.IMPORTED], report.counts[Outcome.HELD]) == (1, 1)
    (held,) = [d for d in report.documents if d.outcome is Outcome.HELD]
    assert held.external_id == "1"
    assert "VAT rate 19 % is not one of the profile's rates (0, 10, 12, 15, 21)" in held.reason


def test_an_over_long_order_id_fails_that_order_only(store: Store, tmp_path: Path) -> None:
    long_id = "9" * 320  # past the id column and past the failure event's document column
    path = write_orders(tmp_path / "orders.xml", order_xml(long_id, code="2026-long"),
                        order_xml("2"))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert report.file_error is None
    assert (report.counts[Outcome.FAILED], report.counts[Outcome.IMPORTED]) == (1, 1)
    (failed,) = report.failures
    assert failed.field == "external_id"
    assert "external_id is 320 characters long; the store keeps at most 100" in failed.reason
    assert report.quarantined is not None and Path(report.quarantined).is_file()
    assert [o["external_id"] for o in rows(store, "orders")] == ["2"]
    (event,) = [e for e in rows(store, "events") if e["kind"] == "failed"]
    assert event["document"].startswith("orders:shoptet:999") and len(event["document"]) == 300


def test_over_long_texts_are_refused_the_same_on_both_stores(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "P1", "x" * 501, "1")]),
                        order_xml("2", email="e" * 300 + "@example.cz"),
                        order_xml("3"))

    report = import_file(store, path, shoptet(), "orders", quarantine=tmp_path / "q")

    assert {(d.external_id, d.field) for d in report.failures} == {
        ("1", "lines[1].name"), ("2", "customer.email")}
    assert [o["external_id"] for o in rows(store, "orders")] == ["3"]


def test_a_batch_goes_on_after_a_file_with_an_over_long_id(tmp_path: Path) -> None:
    db = tmp_path / "exchange.db"
    bad = write_orders(tmp_path / "a.xml", order_xml("7" * 300))
    good = write_orders(tmp_path / "b.xml", order_xml("2"))

    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--create", "import", str(bad), str(good),
                                      "--profile", "shoptet", "--as", "orders",
                                      "--quarantine", str(tmp_path / "q")])

    assert result.exit_code == 4, result.output
    assert "b.xml: 1 orders: 1 imported" in result.output


def test_an_over_long_variant_code_fails_its_product_on_both_stores(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    text = (shared_samples / "shoptet" / "SHOPITEM-with-variants.xml").read_text(encoding="utf-8")
    assert text.count("<CODE>AD-35</CODE>") == 1
    long_code = tmp_path / "products.xml"
    long_code.write_text(text.replace("<CODE>AD-35</CODE>", f"<CODE>AD-{'3' * 120}</CODE>"),
                         encoding="utf-8")

    report = import_file(store, long_code, "shoptet", "products", quarantine=tmp_path / "q")

    # the variant fails, naming the field; its parent and the other variants are imported
    (failed,) = report.failures
    assert failed.field == "code"
    assert "code is 123 characters long; the store keeps at most 100" in failed.reason
    codes = {p["code"] for p in rows(store, "products")}
    assert "AD-28" in codes and not any(len(c) > 100 for c in codes)
    assert report.counts[Outcome.IMPORTED] == len(codes)
