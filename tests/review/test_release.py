"""Review decisions: remembered in the store, released from the stored original, applied later."""

from __future__ import annotations

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
