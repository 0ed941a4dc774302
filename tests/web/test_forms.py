"""Every form: CSRF refusal, the review decisions, quarantine retry and download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from exchange.store import Store
from exchange.store.reviews import list_decisions
from exchange.web.app import routes
from tests.review.conftest import UNMAPPED
from tests.web.conftest import csrf_of

POST_ROUTES = [r.path for r in routes() if isinstance(r, Route) and "POST" in (r.methods or set())]


def test_every_post_route_is_csrf_protected() -> None:
    for route in routes():
        if isinstance(route, Route) and "POST" in (route.methods or set()):
            assert getattr(route.endpoint, "csrf_protected", False), route.path


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_the_token_is_refused(client: TestClient, path: str) -> None:
    client.get("/")  # a session with a token exists; the form just does not carry it
    concrete = (path.replace("{kind}", "orders").replace("{doc_id:int}", "1")
                .replace("{decision_id:int}", "1").replace("{name}", "x.xml")
                .replace("{publication_id:int}", "1"))
    answer = client.post(concrete, data={"csrf_token": "forged", "shop": "shoptet", "field": "status",
                                         "value": UNMAPPED, "target": "delivered"},
                         follow_redirects=False)
    assert answer.status_code == 403, (concrete, answer.status_code)


def _map(client: TestClient) -> None:
    token = csrf_of(client.get("/review").text)
    answer = client.post("/review/map", data={"csrf_token": token, "shop": "shoptet", "field": "status",
                                              "value": UNMAPPED, "target": "delivered"})
    assert answer.status_code == 200
    assert "1 released" in answer.text


def test_mapping_a_value_in_the_queue_releases_the_order(client: TestClient,
                                                         console_store: Store) -> None:
    assert client.get("/dashboard.json").json()["held_total"] == 1
    _map(client)
    assert client.get("/dashboard.json").json()["held_total"] == 0
    assert client.get("/orders.json?held=yes").json()["total"] == 0
    with console_store.connect() as conn:
        assert [d["decided_by"] for d in list_decisions(conn)] == ["local"]
    history = client.get("/history.json?kind=review").json()["events"]
    assert any("re-processed" in e["message"] for e in history)


def test_a_remembered_decision_can_be_forgotten(client: TestClient, console_store: Store) -> None:
    _map(client)
    with console_store.connect() as conn:
        (decision,) = list_decisions(conn)
    token = csrf_of(client.get("/review").text)
    client.post(f"/review/decisions/{decision['id']}/delete", data={"csrf_token": token})
    with console_store.connect() as conn:
        assert list_decisions(conn) == []


def test_a_bad_target_is_reported_not_applied(client: TestClient) -> None:
    token = csrf_of(client.get("/review").text)
    answer = client.post("/review/map.json", data={"csrf_token": token, "shop": "shoptet",
                                                   "field": "status", "value": UNMAPPED, "target": "gone"})
    assert "not a status value" in answer.json()["message"]
    assert client.get("/dashboard.json").json()["held_total"] == 1


def test_quarantine_lists_downloads_and_retries(client: TestClient, quarantine: Path,
                                                tmp_path: Path) -> None:
    from exchange.importers.run import import_file

    broken = tmp_path / "broken.xml"
    broken.write_text("<ORDERS><ORDER><CODE>1</CODE>", encoding="utf-8")
    report = import_file(client.app.state.settings.store, broken, "shoptet", "orders",  # type: ignore[attr-defined]
                         quarantine=quarantine)
    assert report.quarantined
    listing = client.get("/quarantine.json").json()["files"]
    assert [f["name"] for f in listing] == ["broken.xml"] and listing[0]["profile"] == "shoptet"
    assert client.get("/dashboard.json").json()["quarantined"] == 1
    detail = client.get("/quarantine/broken.xml")
    assert "broken.xml" in detail.text and "profile" in detail.text
    download = client.get("/quarantine/broken.xml/download")
    assert download.content == broken.read_bytes()
    assert download.headers["content-disposition"].startswith("attachment")
    # fixed: the retry imports it and moves it to resolved/
    shutil.copy(Path(__file__).parents[2] / "samples" / "shoptet" / "orders-export.xml",
                quarantine / "broken.xml")
    token = csrf_of(client.get("/quarantine").text)
    answer = client.post("/quarantine/broken.xml/retry.json", data={"csrf_token": token})
    assert answer.json()["ok"] is True
    assert client.get("/quarantine.json").json()["files"] == []
    assert (quarantine / "resolved" / "broken.xml").is_file()


def test_only_listed_quarantine_files_are_served(client: TestClient, quarantine: Path) -> None:
    quarantine.mkdir(parents=True, exist_ok=True)
    assert client.get("/quarantine/..%2Fexchange.db/download").status_code == 404
    assert client.get("/quarantine/nothing.xml").status_code == 404
