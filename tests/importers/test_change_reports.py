"""Reports that say what changed: outcomes paired with their own documents, each change as old → new."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from tests.importers.engine_support import order_xml, rows, shoptet, write_orders


def _events(store: Store, kind: str) -> list[str]:
    return [e["document"] for e in rows(store, "events") if e["kind"] == kind]


def test_a_held_change_and_a_new_order_in_one_chunk_keep_their_own_outcomes(
        store: Store, tmp_path: Path) -> None:
    profile = shoptet(on_changed="review")
    import_file(store, write_orders(tmp_path / "a.xml", order_xml("1")), profile, "orders",
                quarantine=tmp_path)
    # one chunk: a change to order 1 (held for review), then a new order 2
    mixed = write_orders(tmp_path / "b.xml", order_xml("1", status="Odeslaná"), order_xml("2"))

    report = import_file(store, mixed, profile, "orders", quarantine=tmp_path)

    assert (report.counts[Outcome.HELD], report.counts[Outcome.IMPORTED]) == (1, 1)
    (held,) = [d for d in report.documents if d.outcome is Outcome.HELD]
    assert held.external_id == "1"
    assert "status: processing → shipped" in held.reason
    assert _events(store, "held") == ["orders:shoptet:1"]
    assert _events(store, "imported") == ["orders:shoptet:1", "orders:shoptet:2"]
    by_id = {o["external_id"]: o for o in rows(store, "orders")}
    assert by_id["1"]["review_reason"].startswith("changed since the last import")
    assert by_id["1"]["status"] == "processing"  # kept as it was
    assert (by_id["2"]["review_reason"], by_id["2"]["status"]) == ("", "processing")


def test_an_update_lists_each_changed_field_old_and_new(store: Store, tmp_path: Path) -> None:
    import_file(store, write_orders(tmp_path / "a.xml", order_xml("1")), shoptet(), "orders",
                quarantine=tmp_path)
    later = write_orders(tmp_path / "b.xml", order_xml(
        "1", status="Odeslaná", items=[("product", "P1", "Tričko", "3")]))

    report = import_file(store, later, shoptet(), "orders", quarantine=tmp_path)

    (updated,) = report.documents
    assert updated.outcome is Outcome.UPDATED
    assert "status: processing → shipped" in updated.reason
    assert "total: 200 → 300" in updated.reason
    assert "line 1 quantity: 2 → 3" in updated.reason
    (event,) = [e for e in rows(store, "events") if e["kind"] == "updated"]
    assert event["details"]["changes"]["status"] == ["processing", "shipped"]


def test_an_export_whose_status_is_behind_the_stored_one_is_held(store: Store,
                                                                 tmp_path: Path) -> None:
    import_file(store, write_orders(tmp_path / "new.xml", order_xml("1", status="Odeslaná")),
                shoptet(), "orders", quarantine=tmp_path)
    # an older file comes later: the order was still being processed then (Shoptet states no
    # modification time, so the status order decides)
    older = write_orders(tmp_path / "old.xml", order_xml("1", status="Vyřizuje se"))

    report = import_file(store, older, shoptet(on_changed="update"), "orders", quarantine=tmp_path)

    (held,) = report.documents
    assert held.outcome is Outcome.HELD
    assert "status: shipped → processing" in held.reason
    assert "older than the stored order: status processing is behind the stored shipped" \
        in held.reason
    (order,) = rows(store, "orders")
    assert order["status"] == "shipped"


def test_an_export_older_than_the_stored_order_is_held_by_its_own_time(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    sample = shared_samples / "woocommerce" / "zynk_woocommerce_v3_orders.xml"
    text = sample.read_text(encoding="utf-8")
    assert text.count("<date_modified_gmt>2019-09-18T16:30:05<") == 1
    first = import_file(store, sample, "woocommerce", "orders", quarantine=tmp_path)
    assert first.counts[Outcome.IMPORTED] == 1
    (stored,) = rows(store, "orders")
    assert stored["modified_at"].isoformat() == "2019-09-18T16:30:05+00:00"
    # the same order as the shop exported it a day before: still pending, another total
    older = tmp_path / "older.xml"
    older.write_text(text.replace("2019-09-18T16:30:05", "2019-09-17T16:30:05")
                     .replace("<status>cancelled</status>", "<status>pending</status>"),
                     encoding="utf-8")
    # a newer one moves it on
    newer = tmp_path / "newer.xml"
    newer.write_text(text.replace("2019-09-18T16:30:05", "2019-09-19T08:00:00")
                     .replace("<status>cancelled</status>", "<status>processing</status>"),
                     encoding="utf-8")

    held = import_file(store, older, "woocommerce", "orders", quarantine=tmp_path)

    (doc,) = held.documents
    assert doc.outcome is Outcome.HELD
    assert "modified_at 2019-09-17T16:30:05+00:00 is before the stored 2019-09-18T16:30:05+00:00" \
        in doc.reason
    assert rows(store, "orders")[0]["status"] == "cancelled"
    # the shop's time decides over the status order: a newer export may reopen the order
    moved = import_file(store, newer, "woocommerce", "orders", quarantine=tmp_path)
    assert moved.counts[Outcome.UPDATED] == 1
    (order,) = rows(store, "orders")
    assert (order["status"], order["review_reason"]) == ("processing", "")


def test_a_change_of_any_stored_field_is_named(store: Store, shared_samples: Path,
                                               tmp_path: Path) -> None:
    sample = shared_samples / "prestashop" / "axelor_order.xml"
    import_file(store, sample, "prestashop", "orders", quarantine=tmp_path)
    text = sample.read_text(encoding="utf-8")
    # the shop has shipped the parcel since: a tracking number and a later modification time
    shipped = tmp_path / "shipped.xml"
    shipped.write_text(text.replace('<shipping_number notFilterable="true"></shipping_number>',
                                    '<shipping_number notFilterable="true">'
                                    '<![CDATA[DR1234567890]]></shipping_number>')
                       .replace("2018-02-13 09:36:22", "2018-02-14 10:00:00"), encoding="utf-8")

    report = import_file(store, shipped, "prestashop", "orders", quarantine=tmp_path)

    (updated,) = report.documents
    assert updated.outcome is Outcome.UPDATED
    assert "tracking_number: (none) → DR1234567890" in updated.reason
    assert "modified_at: 2018-02-13T08:36:22+00:00 → 2018-02-14T09:00:00+00:00" in updated.reason
    assert "changed since the last import (tracking_number, modified_at)" in updated.reason
