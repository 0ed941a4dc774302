"""Status exports to a server that is down wait in the outbox, are delivered FIFO per endpoint, and
are never sent twice: the destination confirms them once the outbox has delivered them."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from exchange.profiles import load_profile
from exchange.shopreturn.events import set_status
from exchange.shopreturn.publish import export_order_status
from exchange.store import Store
from exchange.store.feeds import PublicationStatus
from exchange.sync.outbox import OutboxStatus, deliver, list_outbox
from tests.shopreturn.test_status_round_trip import import_prestashop
from tests.transport.http_server import HTTPServerThread


def _free_port() -> int:
    with HTTPServerThread() as gone:
        return gone.port


def _posted(server: HTTPServerThread) -> list[tuple[str, str]]:
    found = []
    for seen in server.state.requests:
        root = etree.fromstring(seen.body)
        found.append((root.findtext("order_history/id_order") or "",
                      root.findtext("order_history/id_order_state") or ""))
    return found


def test_server_down_means_the_outbox_in_order_per_endpoint_and_nothing_twice(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    profile = load_profile("prestashop")
    import_prestashop(store, shared_samples, tmp_path)
    staging = tmp_path / "staging"
    port_a, port_b = _free_port(), _free_port()
    url_a = f"http://127.0.0.1:{port_a}/api/order_histories?method=post"
    url_b = f"http://127.0.0.1:{port_b}/api/order_histories?method=post"

    set_status(store, "IMCVKMUCP", "shipped")  # no tracking: that needs the shop up (below)
    for url in (url_a, url_b):
        queued = export_order_status(store, profile, endpoint=url, staging=staging)
        assert queued.status is PublicationStatus.QUEUED
        assert queued.orders == ["IMCVKMUCP"]
    # the next change queues behind the first; the first is not sent again
    set_status(store, "XKBKNABJK", "cancelled")
    again = export_order_status(store, profile, endpoint=url_a, staging=staging)
    assert again.status is PublicationStatus.QUEUED
    assert again.orders == ["XKBKNABJK"]
    assert [(e.endpoint.split(":")[2].split("/")[0], e.status) for e in list_outbox(store)] == [
        (str(port_a), "pending"), (str(port_b), "pending"), (str(port_a), "pending")]

    from exchange.shopreturn.publish import destination_rows

    shown = {d["destination"].rsplit(":", 1)[-1].split("/")[0]: d for d in destination_rows(store)}
    assert {port: (d["confirmed_event"], d["waiting"]) for port, d in shown.items()} == {
        str(port_a): (0, 2), str(port_b): (0, 1)}
    with HTTPServerThread(port=port_a) as back:
        delivered = deliver(store, force=True)
        assert len(delivered.delivered) == 2 and len(delivered.waiting) == 1  # B is still down
        assert _posted(back) == [("1", "4"), ("7", "6")]  # first in, first out
        back.state.requests.clear()
        settled = export_order_status(store, profile, endpoint=url_a, staging=staging)
        assert settled.status is PublicationStatus.UNCHANGED
        assert back.state.requests == []

    # B's queue still waits: a new export there adds only what came after it
    still = export_order_status(store, profile, endpoint=url_b, staging=staging)
    assert still.status is PublicationStatus.QUEUED
    assert still.orders == ["XKBKNABJK"]
    with HTTPServerThread(port=port_b) as back:
        deliver(store, force=True)
        assert _posted(back) == [("1", "4"), ("7", "6")]
        done = export_order_status(store, profile, endpoint=url_b, staging=staging)
        assert done.status is PublicationStatus.UNCHANGED
    assert all(e.status == OutboxStatus.DELIVERED for e in list_outbox(store))


def test_a_tracking_number_for_prestashop_waits_for_the_shop_to_answer(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    """order_carriers are read before anything is sent: with the shop down nothing goes, nothing
    is queued, and the next export sends it all."""
    from tests.shopreturn.test_status_round_trip import serve_order_carriers

    profile = load_profile("prestashop")
    import_prestashop(store, shared_samples, tmp_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api/order_histories?method=post"
    set_status(store, "IMCVKMUCP", "shipped", tracking="Z1")
    down = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
    assert down.status is PublicationStatus.FAILED
    assert down.reason.startswith("reading PrestaShop's order_carriers: ")
    assert list_outbox(store) == []
    with HTTPServerThread(port=port) as back:
        serve_order_carriers(back, "1", 2)
        up = export_order_status(store, profile, endpoint=url, staging=tmp_path / "staging")
        assert up.status is PublicationStatus.PUBLISHED, up.reason
        assert up.orders == ["IMCVKMUCP"]
        assert [(r.method, r.path.split("?")[0]) for r in back.state.requests] == [
            ("GET", "/api/order_carriers"), ("POST", "/api/order_histories"),
            ("PUT", "/api/order_carriers/2")]
