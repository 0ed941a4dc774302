"""The console's security: logins off loopback, sessions, rate limits, escaping, no secrets shown."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from exchange.documents import Product
from exchange.errors import ConfigError
from exchange.store import Store
from exchange.web.app import create_app
from exchange.web.auth import create_user, verify_user
from exchange.web.server import check_exposure
from tests.review.conftest import held_export
from tests.web.conftest import PASSWORD, csrf_of, make_settings

SCRIPT = "<script>alert(1)</script>"
SCRIPT_XML = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _login(client: TestClient, name: str, password: str) -> int:
    return _login_response(client, name, password).status_code


def _login_response(client: TestClient, name: str, password: str) -> Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password},
                       follow_redirects=False)


def test_off_loopback_every_page_needs_a_login(open_client: TestClient) -> None:
    for path in ("/", "/orders", "/review", "/quarantine/x/download"):
        answer = open_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert open_client.get("/orders.json").status_code == 401
    assert open_client.get("/static/console.css").status_code == 200


def test_a_login_opens_the_console_and_a_logout_closes_it(open_client: TestClient) -> None:
    assert _login(open_client, "admin", PASSWORD) == 303
    assert open_client.get("/orders.json").status_code == 200
    token = csrf_of(open_client.get("/").text)
    open_client.post("/logout", data={"csrf_token": token})
    assert open_client.get("/orders.json").status_code == 401


def test_the_session_cookie_is_httponly_and_strict(console_store: Store, tmp_path: Path) -> None:
    create_user(console_store, "admin", PASSWORD)
    app = create_app(make_settings(console_store, tmp_path, host="0.0.0.0", behind_tls=True))
    with TestClient(app, base_url="https://console.example") as c:
        answer = _login_response(c, "admin", PASSWORD)
    assert answer.status_code == 303
    header = answer.headers.get("set-cookie", "")
    assert header.startswith("exchange_session=")
    assert "httponly" in header.lower() and "samesite=strict" in header.lower()
    assert "secure" in header.lower()


def test_failed_logins_are_rate_limited_and_logged(open_client: TestClient,
                                                   console_store: Store) -> None:
    for _ in range(5):
        assert _login(open_client, "admin", "wrong") == 401
    assert _login(open_client, "admin", PASSWORD) == 429  # even the right one, for a while
    from exchange.store.history import list_events
    with console_store.connect() as conn:
        failed = [e for e in list_events(conn) if e["kind"] == "login_failed"]
    assert len(failed) == 5 and all("wrong" not in e["message"] for e in failed)


def test_passwords_are_stored_as_argon2_hashes(console_store: Store) -> None:
    create_user(console_store, "ops", PASSWORD)
    from exchange.store.reviews import password_hash_of
    with console_store.connect() as conn:
        stored = password_hash_of(conn, "ops")
    assert stored and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_user(console_store, "ops", PASSWORD)
    assert not verify_user(console_store, "ops", "nope")
    assert not verify_user(console_store, "nobody", PASSWORD)


def test_an_open_address_without_users_is_refused(console_store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no users"):
        check_exposure(make_settings(console_store, tmp_path, host="0.0.0.0"))
    check_exposure(make_settings(console_store, tmp_path))  # loopback is fine


def test_shop_data_is_escaped(client: TestClient, console_store: Store, tmp_path: Path) -> None:
    from exchange.importers.run import import_file
    from exchange.store.catalog import ensure_warehouse, upsert_product
    from exchange.store.stock import set_on_hand

    export = held_export(tmp_path / "hostile")
    text = export.read_text(encoding="utf-8").replace("<ORDER_ID>104", "<ORDER_ID>804")
    export.write_text(text.replace("<NAME>Triko Bavlna</NAME>", f"<NAME>{SCRIPT_XML}</NAME>"),
                      encoding="utf-8")
    import_file(console_store, export, "shoptet", "orders", quarantine=tmp_path / "q")
    with console_store.begin() as conn:
        pid, _ = upsert_product(conn, Product(code="X1", name=SCRIPT, vat_rate=Decimal("21")))
        set_on_hand(conn, pid, ensure_warehouse(conn, "MAIN"), Decimal("3"))
    hostile = [r["id"] for r in client.get("/orders.json?limit=500").json()["rows"]
               if r["external_id"].startswith("804")]
    order = next(i for i in hostile if any(
        ln["name"] == SCRIPT for ln in client.get(f"/orders/{i}.json").json()["document"]["lines"]))
    pages = [client.get(f"/orders/{order}").text, client.get("/products").text,
             client.get("/orders?number=" + SCRIPT).text]
    for page in pages:
        assert SCRIPT not in page and "&lt;script&gt;" in page


def test_the_session_secret_is_never_in_a_page(client: TestClient) -> None:
    for path in ("/", "/review", "/orders", "/dashboard.json"):
        assert "test-secret" not in client.get(path).text
