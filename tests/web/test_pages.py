"""Every page of the console, as HTML and as its JSON twin, through the real ASGI app."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.review.conftest import UNMAPPED

PAGES = ["/", "/orders", "/invoices", "/review", "/quarantine", "/history", "/feeds", "/products"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_and_has_a_json_twin(client: TestClient, path: str) -> None:
    html = client.get(path)
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    twin = "/dashboard.json" if path == "/" else f"{path}.json"
    data = client.get(twin)
    assert data.status_code == 200, data.text
    assert isinstance(data.json(), dict)


def test_the_dashboard_counts_what_waits(client: TestClient) -> None:
    data = client.get("/dashboard.json").json()
    assert data["held"] == {"orders": 1, "invoices": 0}
    assert data["quarantined"] == 0 and data["outbox_pending"] == 0
    assert len(data["daily"]) == 30
    assert data["daily"][-1]["imported"] == 2 and data["daily"][-1]["held"] == 1


def test_orders_filter_by_held_and_the_detail_shows_the_hold(client: TestClient) -> None:
    every = client.get("/orders.json").json()
    assert every["total"] == 3
    held = client.get("/orders.json?held=yes").json()
    assert [r["shop_status"] for r in held["rows"]] == [UNMAPPED]
    detail = client.get(f"/orders/{held['rows'][0]['id']}.json").json()
    assert detail["causes"] == [{"kind": "unmapped", "field": "status", "value": UNMAPPED,
                                 "text": detail["causes"][0]["text"]}]
    assert detail["document"]["lines"] and detail["document"]["customer"]["email"]
    page = client.get(f"/orders/{held['rows'][0]['id']}")
    assert "HELD for review" in page.text


def test_the_counters_fragment_refreshes_in_place(client: TestClient) -> None:
    fragment = client.get("/dashboard/counts").text
    assert fragment.lstrip().startswith('<div class="cards" id="counts"')
    assert 'hx-get="/dashboard/counts"' in fragment and 'id="held-count">1<' in fragment
    assert "<html" not in fragment


def test_the_dashboard_names_the_schedulers_holder(client: TestClient) -> None:
    from datetime import timedelta

    from exchange.store.leases import SCHEDULER, acquire

    store = client.app.state.settings.store  # type: ignore[attr-defined]
    assert acquire(store, SCHEDULER, "host-a:42:abcd", timedelta(minutes=5))
    data = client.get("/dashboard.json").json()
    assert data["scheduler_holder"] == "host-a:42:abcd"
    assert SCHEDULER not in [j["job"] for j in data["jobs"]]
