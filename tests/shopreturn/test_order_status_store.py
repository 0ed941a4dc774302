"""The outgoing state as of an export's last event, even when a change came after it began."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.run import import_file
from exchange.shopreturn.events import set_status
from exchange.store import Store
from exchange.store.order_status import changed_orders, last_event_id

UPGATES_ORDERS = Path(__file__).parent.parent / "profiles" / "fixtures" / "upgates_orders.xml"


def test_changed_orders_gives_the_state_as_of_the_range_end(store: Store) -> None:
    import_file(store, UPGATES_ORDERS, "upgates")
    set_status(store, "2026000123", "shipped")
    with store.connect() as conn:
        first = last_event_id(conn, "upgates")
    set_status(store, "2026000123", "shipped", tracking="Z1", carrier="PPL")
    set_status(store, "2026000124", "paid")
    with store.connect() as conn:
        upto_first = changed_orders(conn, "upgates", 0, first)
        everything = changed_orders(conn, "upgates", 0, last_event_id(conn, "upgates"))
        after_first = changed_orders(conn, "upgates", first, last_event_id(conn, "upgates"))
    assert [(r["number"], r["status"], r["tracking_number"], r["changes"]) for r in upto_first] == [
        ("2026000123", "shipped", "", ["status"])]
    assert [(r["number"], r["tracking_number"], r["carrier"], r["paid"], r["changes"])
            for r in everything] == [("2026000123", "Z1", "PPL", None, ["status", "tracking"]),
                                     ("2026000124", "", "", True, ["paid"])]
    assert [r["number"] for r in after_first] == ["2026000123", "2026000124"]
    assert after_first[0]["changes"] == ["tracking"]
