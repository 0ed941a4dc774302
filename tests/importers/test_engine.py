"""Import engine on a real store: orders end to end through the Shoptet reader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from exchange.documents import Customer, LineKind, Order, OrderLine, Product
from exchange.importers.read.content_hash import document_hash
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse, upsert_product
from exchange.store.stock import set_on_hand
from tests.importers.engine_support import count, order_xml, rows, shoptet, stock_of, write_orders


@pytest.fixture
def catalogue(store: Store) -> dict[str, int]:
    """Products P1 and P2 in the store, P1 with 10 pieces on hand in MAIN."""
    with store.begin() as conn:
        p1, _ = upsert_product(conn, Product(code="P1", name="Tričko", ean="8590000000011"))
        p2, _ = upsert_product(conn, Product(code="P2", name="Mikina"))
        set_on_hand(conn, p1, ensure_warehouse(conn, "MAIN"), Decimal("10"))
    return {"P1": p1, "P2": p2}


def _import(store: Store, path: Path, tmp_path: Path, **kwargs):  # type: ignore[no-untyped-def]
    profile = kwargs.pop("profile", None) or shoptet()
    return import_file(store, path, profile, "orders", quarantine=tmp_path / "quarantine",
                       **kwargs)


def _reserved(store: Store, product_id: int) -> Decimal:
    with store.connect() as conn:
        wid = ensure_warehouse(conn, "MAIN")
        return stock_of(conn, product_id, wid)[1]


def test_import_writes_orders_lines_and_customers(store: Store, catalogue: dict[str, int],
                                                  tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "P1", "Tričko", "2"),
                                              ("shipping", "", "PPL", "1")]),
                        order_xml("2", email="petr@example.cz", name="Petr Novák"))
    report = _import(store, path, tmp_path)

    assert report.counts[Outcome.IMPORTED] == 2
    assert report.exit_code == 0
    orders = rows(store, "orders")
    assert [o["external_id"] for o in orders] == ["1", "2"]
    first = orders[0]
    assert first["shop"] == "shoptet"
    assert first["status"] == "processing"
    assert first["shop_status"] == "Vyřizuje se"
    # 10:00 in Prague in January is 09:00 UTC
    assert first["ordered_at"] == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    lines = rows(store, "order_lines", order_id=first["id"])
    assert [(ln["kind"], ln["code"], ln["product_id"]) for ln in lines] == [
        ("product", "P1", catalogue["P1"]), ("shipping", "", None)]
    assert lines[0]["quantity"] == Decimal("2")
    assert count(store, "customers") == 2
    assert first["warehouse_id"] is not None
    files = rows(store, "processed_files")
    assert len(files) == 1
    assert files[0]["status"] == "imported"
    assert files[0]["sha256"] == report.sha256
    kinds = [e["kind"] for e in rows(store, "events")]
    assert kinds.count("imported") == 2


def test_reimport_of_the_same_file_creates_nothing_twice(store: Store, catalogue: dict[str, int],
                                                         tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"), order_xml("2"))
    _import(store, path, tmp_path)
    before = {t: count(store, t) for t in ("orders", "order_lines", "customers", "stock_moves",
                                           "links", "processed_files")}

    again = _import(store, path, tmp_path)

    assert again.counts[Outcome.SKIPPED] == 2
    assert again.counts[Outcome.IMPORTED] == 0
    assert again.exit_code == 0
    assert {t: count(store, t) for t in before} == before
    assert _reserved(store, catalogue["P1"]) == Decimal("4")


def test_changed_order_is_updated_and_reservation_adjusted(store: Store, catalogue: dict[str, int],
                                                           tmp_path: Path) -> None:
    _import(store, write_orders(tmp_path / "a.xml", order_xml("1")), tmp_path)
    assert _reserved(store, catalogue["P1"]) == Decimal("2")

    later = write_orders(tmp_path / "b.xml", order_xml("1", items=[
        ("product", "P1", "Tričko", "5"), ("product", "P2", "Mikina", "1")]))
    report = _import(store, later, tmp_path)

    assert report.counts[Outcome.UPDATED] == 1
    assert count(store, "orders") == 1
    (order,) = rows(store, "orders")
    assert [ln["quantity"] for ln in rows(store, "order_lines", order_id=order["id"])] == [
        Decimal("5"), Decimal("1")]
    assert _reserved(store, catalogue["P1"]) == Decimal("5")
    assert _reserved(store, catalogue["P2"]) == Decimal("1")


def test_changed_order_is_held_for_review_when_the_profile_says_so(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    profile = shoptet(on_changed="review")
    _import(store, write_orders(tmp_path / "a.xml", order_xml("1")), tmp_path, profile=profile)
    later = write_orders(tmp_path / "b.xml", order_xml("1", status="Odeslaná"))

    report = _import(store, later, tmp_path, profile=profile)

    assert report.counts[Outcome.HELD] == 1
    assert report.exit_code == 4
    (order,) = rows(store, "orders")
    assert order["status"] == "processing"  # kept as it was
    assert "status" in order["review_reason"]
    (held,) = [e for e in rows(store, "events") if e["kind"] == "held"]
    assert held["details"]["changes"]["status"] == ["processing", "shipped"]
    # the difference is reported again next time: never silently dropped
    assert _import(store, later, tmp_path, profile=profile).counts[Outcome.HELD] == 1


def test_a_held_change_that_the_shop_reverts_needs_no_more_review(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    profile = shoptet(on_changed="review")
    original = write_orders(tmp_path / "a.xml", order_xml("1"))
    _import(store, original, tmp_path, profile=profile)
    _import(store, write_orders(tmp_path / "b.xml", order_xml("1", status="Odeslaná")), tmp_path,
            profile=profile)
    assert rows(store, "orders")[0]["review_reason"]

    back = _import(store, write_orders(tmp_path / "c.xml", order_xml("1")), tmp_path, profile=profile)

    assert back.counts[Outcome.SKIPPED] == 1
    assert "reverted" in back.documents[0].reason
    (order,) = rows(store, "orders")
    assert order["review_reason"] == ""
    assert order["status"] == "processing"


def test_unmapped_status_holds_the_order(store: Store, catalogue: dict[str, int],
                                         tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1", status="Čeká na kurýra"))

    report = _import(store, path, tmp_path)

    assert report.counts[Outcome.HELD] == 1
    assert report.exit_code == 4
    (order,) = rows(store, "orders")
    assert order["status"] == "on_hold"
    assert "Čeká na kurýra" in order["review_reason"]
    assert "Čeká na kurýra" in report.documents[0].reason


def test_unknown_product_is_created_when_the_profile_says_create(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "NEW-1", "Čepice", "1")]),
                        order_xml("2", items=[("product", "NEW-1", "Čepice", "3")]))

    report = _import(store, path, tmp_path, profile=shoptet(unknown_product="create"))

    assert report.counts[Outcome.IMPORTED] == 2
    created = rows(store, "products", code="NEW-1")
    assert len(created) == 1
    assert created[0]["name"] == "Čepice"
    assert {ln["product_id"] for ln in rows(store, "order_lines")} == {created[0]["id"]}


def test_unknown_product_stays_a_text_line_with_a_warning(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "NEW-1", "Čepice", "1")]))

    report = _import(store, path, tmp_path, profile=shoptet(unknown_product="text"))

    assert report.counts[Outcome.IMPORTED] == 1
    assert rows(store, "products", code="NEW-1") == []
    (line,) = rows(store, "order_lines")
    assert line["product_id"] is None
    assert line["name"] == "Čepice"
    assert "NEW-1" in report.documents[0].warnings[0]


def test_product_matched_by_ean_then_by_name(store: Store, catalogue: dict[str, int],
                                             tmp_path: Path) -> None:
    # Shoptet lines carry no EAN: a code unknown here but equal to a product's name matches by name
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", items=[("product", "", "Mikina", "1")]))
    _import(store, path, tmp_path, profile=shoptet(unknown_product="text"))
    (line,) = rows(store, "order_lines")
    assert line["product_id"] == catalogue["P2"]


def test_customer_matched_by_vat_id_then_email_and_not_duplicated(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    with store.begin() as conn:
        conn.execute(text(
            "INSERT INTO customers (name, company, company_id, vat_id, email, phone, street,"
            " house_number, city, postcode, country, created_at, updated_at) VALUES"
            " ('Firma', 'Firma s.r.o.', '12345678', 'CZ12345678', 'old@example.cz', '', '', '',"
            " '', '', 'CZ', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    (existing,) = rows(store, "customers")
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", vat_id="CZ12345678", email="new@example.cz"),
                        order_xml("2", email="eva@example.cz"),
                        order_xml("3", email="EVA@example.cz"))

    _import(store, path, tmp_path)

    by_ext = {o["external_id"]: o["customer_id"] for o in rows(store, "orders")}
    assert by_ext["1"] == existing["id"]
    assert by_ext["2"] == by_ext["3"] != existing["id"]
    assert count(store, "customers") == 2
    assert any(link["kind"] == "customer" and link["local_id"] == by_ext["2"]
               for link in rows(store, "links"))
    # a later file finds the same customer again
    _import(store, write_orders(tmp_path / "b.xml", order_xml("4", email="eva@example.cz")),
            tmp_path)
    assert rows(store, "orders", external_id="4")[0]["customer_id"] == by_ext["2"]
    assert count(store, "customers") == 2


def test_stock_is_reserved_and_released_when_the_order_is_cancelled(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    _import(store, write_orders(tmp_path / "a.xml", order_xml("1")), tmp_path)
    assert _reserved(store, catalogue["P1"]) == Decimal("2")

    cancelled = write_orders(tmp_path / "b.xml", order_xml("1", status="Stornována"))
    report = _import(store, cancelled, tmp_path)

    assert report.counts[Outcome.UPDATED] == 1
    assert _reserved(store, catalogue["P1"]) == Decimal("0")
    moves = [(m["kind"], m["quantity"]) for m in rows(store, "stock_moves")
             if m["kind"] in ("reserve", "release")]
    assert moves == [("reserve", Decimal("2")), ("release", Decimal("-2"))]


def test_dry_run_writes_nothing_and_reports_what_a_real_run_does(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"),
                        order_xml("2", status="Neznámý stav"), order_xml("3", date="bad"))
    before = {t: count(store, t) for t in ("orders", "customers", "events", "stock_moves",
                                           "processed_files", "runs", "products")}

    dry = _import(store, path, tmp_path, dry_run=True)

    assert {t: count(store, t) for t in before} == before
    assert not (tmp_path / "quarantine").exists()
    real = _import(store, path, tmp_path)
    dry_dict, real_dict = dry.as_dict(), real.as_dict()
    for key in ("dry_run", "quarantined", "error_report"):
        dry_dict.pop(key), real_dict.pop(key)
    assert dry_dict == real_dict
    assert real.counts[Outcome.IMPORTED] == 1


def test_options_since_status_warehouse_and_point_of_sale(store: Store, catalogue: dict[str, int],
                                                          tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml",
                        order_xml("1", date="2025-12-31 23:30:00"),
                        order_xml("2", date="2026-01-02 08:00:00", status="Odeslaná"),
                        order_xml("3", date="2026-01-02 09:00:00"))

    report = _import(store, path, tmp_path, since=date(2026, 1, 1), statuses=["processing"],
                     warehouse="SHOP2", point_of_sale="Brno")

    assert report.counts[Outcome.IMPORTED] == 1
    assert report.counts[Outcome.SKIPPED] == 2
    reasons = sorted(d.reason for d in report.documents)
    assert "--since" in reasons[0] and "--status" in reasons[1]
    (order,) = rows(store, "orders")
    assert order["external_id"] == "3"
    assert order["point_of_sale"] == "Brno"
    (wh,) = rows(store, "warehouses", code="SHOP2")
    assert order["warehouse_id"] == wh["id"]


def test_a_document_the_reader_cannot_map_fails_alone(store: Store, catalogue: dict[str, int],
                                                      tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"), order_xml("2", date="bad"),
                        order_xml("3"))

    report = _import(store, path, tmp_path)

    assert report.counts[Outcome.IMPORTED] == 2
    (failed,) = report.failures
    assert failed.external_id == "2"
    assert failed.field == "created_at"
    assert failed.line is not None and failed.line > 3
    assert report.exit_code == 4
    quarantined = tmp_path / "quarantine" / "orders.xml"
    assert quarantined.read_bytes() == path.read_bytes()  # a copy; the original stays
    assert path.exists()
    error = (tmp_path / "quarantine" / "orders.xml.error.txt").read_text(encoding="utf-8")
    assert f"line {failed.line}" in error and "created_at" in error
    assert rows(store, "processed_files")[0]["status"] == "partial"


def _install_failing_trigger(store: Store) -> None:
    """Make the database refuse an order line named BOOM (a real database-level failure)."""
    with store.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON order_lines WHEN NEW.name = 'BOOM' "
                "BEGIN SELECT RAISE(ABORT, 'line refused'); END")
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.name = 'BOOM' THEN "
                "RAISE EXCEPTION 'line refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON order_lines "
                                 "FOR EACH ROW EXECUTE FUNCTION boom()")


def test_a_failing_document_leaves_nothing_half_written_and_others_go_on(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    _install_failing_trigger(store)
    path = write_orders(tmp_path / "orders.xml", order_xml("1"),
                        order_xml("2", email="boom@example.cz",
                                  items=[("product", "P1", "Tričko", "1"),
                                         ("product", "P2", "BOOM", "1")]),
                        order_xml("3"))

    report = _import(store, path, tmp_path)

    assert report.counts[Outcome.IMPORTED] == 2
    (failed,) = report.failures
    assert failed.external_id == "2" and "line refused" in failed.reason
    assert [o["external_id"] for o in rows(store, "orders")] == ["1", "3"]
    assert count(store, "order_lines") == 2
    assert rows(store, "customers", email="boom@example.cz") == []  # rolled back with its order
    assert _reserved(store, catalogue["P1"]) == Decimal("4")

    # the cause is fixed; importing the same file again adds only what failed
    with store.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom" + ("" if store.dialect == "sqlite"
                                                    else " ON order_lines"))
    again = _import(store, path, tmp_path)
    assert (again.counts[Outcome.IMPORTED], again.counts[Outcome.SKIPPED]) == (1, 2)
    assert rows(store, "processed_files")[0]["status"] == "imported"
    assert count(store, "processed_files") == 1


def test_a_malformed_file_imports_nothing_and_is_quarantined(
        store: Store, catalogue: dict[str, int], tmp_path: Path) -> None:
    path = write_orders(tmp_path / "broken.xml", order_xml("1"), order_xml("2"),
                        tail="<ORDER><ORDER_ID>3</ORDER_ID>\n<CODE>x</CO")

    report = _import(store, path, tmp_path)

    assert report.file_error is not None
    assert report.exit_code == 4
    assert report.total == 0
    assert count(store, "orders") == 0
    assert count(store, "customers") == 0
    assert _reserved(store, catalogue["P1"]) == Decimal("0")
    assert path.exists()
    assert (tmp_path / "quarantine" / "broken.xml").exists()
    error = (tmp_path / "quarantine" / "broken.xml.error.txt").read_text(encoding="utf-8")
    assert "nothing of it was imported" in error
    assert f"broken.xml:{report.file_error_line}" in error
    (pf,) = rows(store, "processed_files")
    assert pf["status"] == "failed"
    assert any(e["kind"] == "file" and e["level"] == "error" for e in rows(store, "events"))


def test_the_content_hash_sees_every_field_and_ignores_number_formatting() -> None:
    def order(**changes: object) -> Order:
        base = Order(external_id="1", number="N1", created_at=datetime(2026, 1, 1, tzinfo=UTC),
                     currency="CZK", customer=Customer(email="a@b.cz"),
                     lines=[OrderLine(LineKind.PRODUCT, "A", Decimal("1"), Decimal("100.00"))])
        for key, value in changes.items():
            setattr(base, key, value)
        return base

    assert document_hash(order()) == document_hash(order())
    assert document_hash(order()) == document_hash(order(lines=[
        OrderLine(LineKind.PRODUCT, "A", Decimal("1.0"), Decimal("100"))]))
    assert document_hash(order()) != document_hash(order(note="ring twice"))
    assert document_hash(order()) != document_hash(order(customer=Customer(email="c@b.cz")))
    assert document_hash(order()) != document_hash(order(lines=[
        OrderLine(LineKind.PRODUCT, "A", Decimal("2"), Decimal("100"))]))


def test_progress_reaches_the_file_size(store: Store, catalogue: dict[str, int],
                                        tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 30)))
    seen: list[tuple[int, int]] = []

    _import(store, path, tmp_path, progress=lambda done, total: seen.append((done, total)))

    size = path.stat().st_size
    assert seen[-1] == (size, size)
    assert all(total == size and 0 <= done <= size for done, total in seen)
