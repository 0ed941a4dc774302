"""Two workers reserving stock of one product at once: both reservations count (no lost update)."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import text

from exchange.store import Store
from exchange.store.catalog import ensure_warehouse
from exchange.store.stock import StockChange, apply_stock_changes, current_levels
from tests.exporters.conftest import build_catalogue
from tests.reliability.procs import wait_for


def _waits_for_a_lock(store: Store, pid: int) -> bool:
    with store.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                                 {"pid": pid}).scalar())


def test_concurrent_reservations_of_one_product_add_up(store: Store) -> None:
    ids = build_catalogue(store)
    with store.begin() as conn:
        main = ensure_warehouse(conn, "MAIN")
    pair = (ids["KAVA-1"], main)
    with store.connect() as conn:
        before = current_levels(conn, [pair])[pair][1]
    first = store.engine.connect()
    first.begin()
    apply_stock_changes(first, [StockChange(*pair, reserve=Decimal(5))])  # not committed yet
    second_pid: list[int] = []
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            with store.engine.connect() as conn, conn.begin():
                if store.dialect == "postgresql":
                    second_pid.append(int(conn.execute(text("SELECT pg_backend_pid()")).scalar() or 0))
                apply_stock_changes(conn, [StockChange(*pair, reserve=Decimal(3))])
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=second_worker)
    thread.start()
    try:
        if store.dialect == "postgresql":  # it read the levels, or waits to: let it wait on the row
            wait_for("the second worker to wait for the row",
                     lambda: second_pid and _waits_for_a_lock(store, second_pid[0]), timeout=60)
        first.commit()
    finally:
        first.close()
        thread.join(120)
    assert not errors, errors
    with store.connect() as conn:
        assert current_levels(conn, [pair])[pair][1] == before + 8
