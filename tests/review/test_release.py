"""Review decisions: remembered in the store, released from the stored original, applied later."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from exchange.errors import ConfigError
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.review.causes import CauseKind, causes_of
from exchange.review.queue import review_queue
from exchange.review.release import map_value
from exchange.store import Store
from exchange.store.reviews import held_documents, list_decisions
from tests.review.conftest import UNMAPPED, held_export


def test_the_queue_groups_the_held_order_by_its_unmapped_status(held_store: Store) -> None:
    groups = review_queue(held_store)
    assert [(g.cause.kind, g.cause.field, g.cause.value, g.shop, g.count) for g in groups] == [
        (CauseKind.UNMAPPED, "status", UNMAPPED, "shoptet", 1)]
    assert groups[0].documents[0]["kind"] == "orders"


def test_mapping_the_value_releases_the_held_order_at_once(held_store: Store) -> None:
    report = map_value(held_store, shop="shoptet", field_name="status", value=UNMAPPED,
                       target="delivered", who="tester")
    assert len(report.released) == 1 and not report.still_held and not report.failed
    with held_store.connect() as conn:
        assert held_documents(conn) == []
        decisions = list_decisions(conn)
    assert [(d["shop"], d["profile"], d["field"], d["value"], d["target"], d["decided_by"])
            for d in decisions] == [("shoptet", "shoptet", "status", UNMAPPED, "delivered", "tester")]
    from exchange.store.documents import list_orders
    with held_store.connect() as conn:
        statuses = {o["shop_status"]: o["status"] for o in list_orders(conn)}
    assert statuses[UNMAPPED] == "delivered"


def test_a_target_outside_the_canonical_statuses_is_refused(held_store: Store) -> None:
    with pytest.raises(ConfigError, match="not a status value"):
        map_value(held_store, shop="shoptet", field_name="status", value=UNMAPPED, target="done",
                  who="tester")


def test_a_reason_with_two_unmapped_values_gives_two_causes() -> None:
    found = causes_of("status 'A' has no mapping and the profile has no default; "
                      "payment \"it's\" has no mapping and the profile has no default")
    assert [(c.field, c.value) for c in found] == [("status", "A"), ("payment", "it's")]


def test_a_later_import_applies_the_decision(held_store: Store, tmp_path: Path) -> None:
    map_value(held_store, shop="shoptet", field_name="status", value=UNMAPPED, target="delivered",
              who="tester")
    later = held_export(tmp_path / "inbox2", name="later.xml")
    text = later.read_text(encoding="utf-8").replace("<ORDER_ID>104", "<ORDER_ID>904")
    later.write_text(text, encoding="utf-8")
    report = import_file(held_store, later, "shoptet", "orders", quarantine=tmp_path / "q")
    assert report.counts[Outcome.HELD] == 0


def raised_total(folder: Path, total: str, name: str = "orders.xml") -> Path:
    """The demo's Shoptet export with order 10481's total raised (its lines add up to 1046.00)."""
    from exchange.resources import samples_dir

    text = (samples_dir() / "shoptet" / "orders-export.xml").read_text(encoding="utf-8")
    old = "<TOTAL_PRICE><WITH_VAT>1046.00</WITH_VAT>"
    assert text.count(old) == 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace(old, f"<TOTAL_PRICE><WITH_VAT>{total}</WITH_VAT>"),
                    encoding="utf-8")
    return path


def test_accepting_a_total_books_it_and_remembers_it_for_that_total_only(
        store: Store, tmp_path: Path) -> None:
    from exchange.review.release import accept
    from exchange.store.documents import list_orders

    first = import_file(store, raised_total(tmp_path / "in1", "1146.00"), "shoptet", "orders",
                        quarantine=tmp_path / "q")
    assert first.counts[Outcome.HELD] == 1
    with store.connect() as conn:
        (held,) = held_documents(conn)
    assert [c.kind for c in causes_of(held["review_reason"])] == [CauseKind.TOTALS]
    report = accept(store, "orders", held["id"], who="tester")
    assert report.released == ["orders:shoptet:10481"] and not report.still_held
    with store.connect() as conn:
        assert held_documents(conn) == []
        booked = {o["external_id"]: o for o in list_orders(conn)}
        decisions = [(d["field"], d["value"], d["target"], d["decided_by"])
                     for d in list_decisions(conn)]
    assert booked["10481"]["total"] == Decimal("1146.00")  # what the file says, as accepted
    assert decisions == [("accepted_totals", "10481", "1146", "tester")]
    # the same file again: nothing to hold, nothing changed
    again = import_file(store, raised_total(tmp_path / "in2", "1146.00", "again.xml"), "shoptet",
                        "orders", quarantine=tmp_path / "q")
    assert again.counts[Outcome.HELD] == 0
    # a later export with yet another total is held again: the decision was for 1146.00 only
    later = import_file(store, raised_total(tmp_path / "in3", "1246.00", "later.xml"), "shoptet",
                        "orders", quarantine=tmp_path / "q")
    assert later.counts[Outcome.HELD] == 1


SHARED = "<NAME>Jana Nováková</NAME><STREET>"  # order 10483's billing name (its e-mail is Jana's)


def shared_email(folder: Path, name: str = "orders.xml", order_id: str = "10483") -> Path:
    """The demo's Shoptet export where Tomáš, not Jana, placed order 10483 from Jana's e-mail."""
    from exchange.resources import samples_dir

    text = (samples_dir() / "shoptet" / "orders-export.xml").read_text(encoding="utf-8")
    assert text.count(SHARED) == 1
    text = text.replace(SHARED, "<NAME>Tomáš Novák</NAME><STREET>")
    if order_id != "10483":
        text = text.replace("<ORDER_ID>10483</ORDER_ID>", f"<ORDER_ID>{order_id}</ORDER_ID>")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def customer_names(store: Store) -> dict[str, str]:
    """external id of each order → the name of its customer."""
    from sqlalchemy import select

    from exchange.store.schema import customers, orders

    with store.connect() as conn:
        rows = conn.execute(select(orders.c.external_id, customers.c.name)
                            .join(customers, customers.c.id == orders.c.customer_id))
        return {str(row[0]): str(row[1]) for row in rows}


def test_merging_a_customer_conflict_books_the_order_to_the_named_customer(
        store: Store, tmp_path: Path) -> None:
    from exchange.review.release import merge_customer

    first = import_file(store, shared_email(tmp_path / "in1"), "shoptet", "orders",
                        quarantine=tmp_path / "q")
    assert first.counts[Outcome.HELD] == 1
    with store.connect() as conn:
        (held,) = held_documents(conn)
    assert [c.kind for c in causes_of(held["review_reason"])] == [CauseKind.CUSTOMER]
    assert customer_names(store)["10483"] == "Tomáš Novák"  # a new customer, held for review
    report = merge_customer(store, "orders", held["id"], who="tester")
    assert report.released == ["orders:shoptet:10483"] and not report.still_held
    names = customer_names(store)
    assert names["10483"] == names["10481"] == "Jana Nováková"  # one customer, the one named
    assert sorted(set(names.values())) == ["Jana Nováková", "Petr Dvořák"]  # Tomáš's row is gone
    with store.connect() as conn:
        assert held_documents(conn) == []
        (decision,) = [d for d in list_decisions(conn) if d["field"] == "customer_merge"]
    assert decision["value"] == "jana.novakova@example.cz|tomáš novák|"
    later = import_file(store, shared_email(tmp_path / "in2", "later.xml", "10499"), "shoptet",
                        "orders", quarantine=tmp_path / "q")
    assert later.counts[Outcome.HELD] == 0 and later.counts[Outcome.IMPORTED] == 1
    assert customer_names(store)["10499"] == "Jana Nováková"  # the decision applies later


def test_keeping_a_customer_conflict_apart_keeps_the_new_customer(store: Store,
                                                                  tmp_path: Path) -> None:
    from exchange.review.release import accept

    import_file(store, shared_email(tmp_path / "in1"), "shoptet", "orders",
                quarantine=tmp_path / "q")
    with store.connect() as conn:
        (held,) = held_documents(conn)
    report = accept(store, "orders", held["id"], who="tester")
    assert report.released == ["orders:shoptet:10483"]
    later = import_file(store, shared_email(tmp_path / "in2", "later.xml", "10499"), "shoptet",
                        "orders", quarantine=tmp_path / "q")
    assert later.counts[Outcome.HELD] == 0
    names = customer_names(store)
    assert names["10483"] == names["10499"] == "Tomáš Novák" and names["10481"] == "Jana Nováková"
