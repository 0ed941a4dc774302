"""Amounts are exact on both stores: text on SQLite, NUMERIC(21, 6) on PostgreSQL; out of range is refused."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.documents import Price, Product
from exchange.store import Store, migrations
from exchange.store.catalog import list_products, upsert_product
from exchange.store.schema import product_prices


def _product(amount: str) -> Product:
    return Product(code="A1", name="A", prices=[Price("retail", Decimal(amount), "CZK")])


@pytest.mark.parametrize("amount", ["123456789012.345678", "999999999999999.999999", "0.000001",
                                    "-123456789012345.5"])
def test_amounts_round_trip_exactly(store: Store, amount: str) -> None:
    with store.begin() as conn:
        upsert_product(conn, _product(amount))
    with store.connect() as conn:
        (row,) = list_products(conn)
        stored = conn.execute(select(product_prices.c.amount)).scalar_one()
    assert row["prices"]["retail"] == Decimal(amount)
    assert stored == Decimal(amount)


@pytest.mark.parametrize(("amount", "reason"), [("99999999999999999999.99", "integer digits"),
                                                ("0.0000001", "decimals")])
def test_amount_out_of_range_is_refused(store: Store, amount: str, reason: str) -> None:
    with pytest.raises(Exception, match=reason), store.begin() as conn:
        upsert_product(conn, _product(amount))


def test_old_sqlite_store_keeps_its_numbers_and_stores_text_from_then_on(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(f"sqlite:///{path}").close()
    # make it look like a store of migration 4: decimal columns of NUMERIC affinity, floats in them
    raw = sqlite3.connect(path)
    version = raw.execute("PRAGMA schema_version").fetchone()[0]
    raw.execute("PRAGMA writable_schema = ON")
    raw.execute("UPDATE sqlite_master SET sql = replace(sql, 'VARCHAR(30)', 'NUMERIC(18, 6)') "
                "WHERE type = 'table'")
    raw.execute(f"PRAGMA schema_version = {version + 1}")
    raw.execute("PRAGMA writable_schema = OFF")
    raw.execute("DELETE FROM schema_version WHERE version >= 7")
    raw.execute("INSERT INTO products (code, ean, name, unit, vat_rate, is_service, variant_name, "
                "description, manufacturer, url, image_url, category, created_at, updated_at) "
                "VALUES ('OLD', '', 'old', 'ks', 21, 0, '', '', '', '', '', '', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    raw.execute("INSERT INTO price_lists (name, currency, includes_vat) VALUES ('retail', 'CZK', 1)")
    raw.execute("INSERT INTO product_prices VALUES (1, 1, 199.9, '2026-01-01 00:00:00')")
    raw.commit()
    assert raw.execute("SELECT typeof(amount) FROM product_prices").fetchone()[0] == "real"
    raw.close()

    store = Store(f"sqlite:///{path}")  # migrates
    try:
        with store.connect() as conn:
            assert migrations.current_version(conn) == migrations.MIGRATIONS[-1].version
            assert conn.execute(select(product_prices.c.amount)).scalar_one() == Decimal("199.9")
        with store.begin() as conn:
            upsert_product(conn, Product(code="NEW", name="new", prices=[
                Price("retail", Decimal("123456789012.345678"), "CZK")]))
        with store.connect() as conn:
            prices = {r["code"]: r["prices"]["retail"] for r in list_products(conn)}
            kinds = conn.exec_driver_sql("SELECT DISTINCT typeof(amount) FROM product_prices").all()
    finally:
        store.close()
    assert prices == {"OLD": Decimal("199.9"), "NEW": Decimal("123456789012.345678")}
    assert kinds == [("text",)]
