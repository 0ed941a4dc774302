"""The ERP store on a real database: schema versions, exact decimals, UTC times, transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, String, inspect, select

from exchange.documents import Price, Product
from exchange.errors import ConfigError, StoreError
from exchange.store import Store, migrations
from exchange.store.catalog import ensure_warehouse, list_products, product_id_by_code, upsert_product
from exchange.store.history import finish_run, last_run, list_events, record_event, start_run
from exchange.store.links import find_link, remember_link
from exchange.store.schema import products, stock_moves
from exchange.store.stock import current_levels, release, reserve, set_on_hand


def _product(code: str = "A1", **kw: object) -> Product:
    base: dict[str, object] = {"code": code, "name": f"Product {code}", "ean": "8590000000011",
                               "vat_rate": Decimal("21"),
                               "prices": [Price("retail", Decimal("199.90"), "CZK")]}
    base.update(kw)
    return Product(**base)  # type: ignore[arg-type]


def test_new_database_is_at_latest_version(store: Store) -> None:
    with store.connect() as conn:
        assert migrations.current_version(conn) == migrations.MIGRATIONS[-1].version
        assert migrations.pending(conn) == []
    assert store.migrate() == []  # running again applies nothing


def test_old_database_upgrades_in_place(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store(url).close()
    extra = Column("supplier", String(100), nullable=False, server_default="")

    def add_supplier(conn) -> None:  # type: ignore[no-untyped-def]
        migrations.add_column_if_missing(conn, "products", extra)

    newer = [*migrations.MIGRATIONS, migrations.Migration(999, "supplier column", add_supplier)]
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    store = Store(url)
    with store.connect() as conn:
        assert migrations.current_version(conn) == 999
        assert "supplier" in {c["name"] for c in inspect(conn).get_columns("products")}
    store.close()


def test_decimals_round_trip_exactly(store: Store) -> None:
    with store.begin() as conn:
        pid, created = upsert_product(conn, _product(prices=[Price("retail", Decimal("0.1"), "CZK"),
                                                             Price("b2b", Decimal("12345.678901"), "CZK")]))
    assert created
    with store.connect() as conn:
        row = next(r for r in list_products(conn) if r["id"] == pid)
    assert row["prices"] == {"retail": Decimal("0.1"), "b2b": Decimal("12345.678901")}
    assert isinstance(row["vat_rate"], Decimal)


def test_upsert_by_code_updates_and_never_duplicates(store: Store) -> None:
    with store.begin() as conn:
        first, created1 = upsert_product(conn, _product(labels=["eshop1"]))
        second, created2 = upsert_product(conn, _product(name="Renamed", labels=["eshop2"]))
    assert (created1, created2) == (True, False)
    assert first == second
    with store.connect() as conn:
        assert conn.execute(select(products.c.name)).scalars().all() == ["Renamed"]
        assert [r["code"] for r in list_products(conn, label="eshop2")] == ["A1"]
        assert list_products(conn, label="eshop1") == []


def test_stock_moves_and_reservations(store: Store) -> None:
    with store.begin() as conn:
        pid, _ = upsert_product(conn, _product())
        w1 = ensure_warehouse(conn, "W1")
        assert ensure_warehouse(conn, "W1") == w1
        set_on_hand(conn, pid, w1, Decimal("10"), reference="receipt 1")
        set_on_hand(conn, pid, w1, Decimal("10"), reference="same amount, no move")
        reserve(conn, pid, w1, Decimal("3"), reference="order 7")
        release(conn, pid, w1, Decimal("1"), reference="order 7 changed")
    with store.connect() as conn:
        assert current_levels(conn, [(pid, w1)]) == {(pid, w1): (Decimal("10"), Decimal("2"))}
        kinds = conn.execute(select(stock_moves.c.kind, stock_moves.c.quantity)
                             .order_by(stock_moves.c.id)).all()
        assert [(k, q) for k, q in kinds] == [("receipt", Decimal("10")), ("reserve", Decimal("3")),
                                              ("release", Decimal("-1"))]
        assert list_products(conn)[0]["available"] == Decimal("8")


def test_one_document_one_transaction_rolls_back_whole(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        upsert_product(conn, _product("T1"))
        raise RuntimeError("crash half way")
    with store.connect() as conn:
        assert product_id_by_code(conn, "T1") is None


def test_constraint_violation_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError), store.begin() as conn:
        conn.execute(products.insert().values(code=None, name="x"))


def test_timestamps_come_back_in_utc(store: Store) -> None:
    prague = timezone(timedelta(hours=1))
    with store.begin() as conn:
        run = start_run(conn, "job-a")
        record_event(conn, kind="imported", job="job-a", run_id=run, document="order 1")
        record_event(conn, kind="failed", level="error", job="job-a", run_id=run, message="bad")
        finish_run(conn, run, "warning", {"imported": 1, "failed": 1})
    with store.connect() as conn:
        got = last_run(conn, "job-a")
        assert got is not None and got["status"] == "warning"
        assert got["started_at"].tzinfo is not None
        assert got["started_at"].utcoffset() == timedelta(0)
        assert got["started_at"] <= datetime.now(prague)
        failed = list_events(conn, job="job-a", failed_only=True)
        assert [e["message"] for e in failed] == ["bad"]
        assert len(list_events(conn, job="job-a", since=datetime.now(UTC) - timedelta(minutes=5))) == 2


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises((StoreError, ValueError)), store.begin() as conn:
        conn.execute(stock_moves.insert().values(
            product_id=1, warehouse_id=1, kind="x", quantity=Decimal(1),
            created_at=datetime(2026, 1, 1)))


def test_links_remember_external_ids(store: Store) -> None:
    with store.begin() as conn:
        remember_link(conn, "shoptet", "myshop", "customer", "jan@example.cz", 42)
        remember_link(conn, "shoptet", "myshop", "customer", "jan@example.cz", 42)
        assert find_link(conn, "shoptet", "myshop", "customer", "jan@example.cz") == 42
        assert find_link(conn, "shoptet", "othershop", "customer", "jan@example.cz") is None


def test_bad_url_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError):
        Store("nosuchdb://x")
