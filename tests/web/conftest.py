"""The console under test: the real ASGI app on a real store (SQLite and PostgreSQL) with held orders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from exchange.importers.run import import_file
from exchange.store import Store
from exchange.web.app import create_app
from exchange.web.auth import create_user
from exchange.web.settings import WebSettings
from tests.review.conftest import held_export

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    """The CSRF token a rendered page carries in its forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def quarantine(tmp_path: Path) -> Path:
    """The quarantine folder the console shows."""
    return tmp_path / "quarantine"


@pytest.fixture
def console_store(store: Store, tmp_path: Path, quarantine: Path) -> Store:
    """A store with the demo catalogue's Shoptet export imported, one order held on its status."""
    import_file(store, held_export(tmp_path / "inbox"), "shoptet", "orders", quarantine=quarantine)
    return store


def make_settings(store: Store, quarantine: Path, **kw: object) -> WebSettings:
    """Console settings for tests (a fixed secret, loopback unless told)."""
    return WebSettings(store=store, secret="test-secret", quarantine=quarantine, **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(console_store: Store, quarantine: Path) -> Iterator[TestClient]:
    """A client of the console on loopback without users (no login needed)."""
    with TestClient(create_app(make_settings(console_store, quarantine))) as c:
        yield c


@pytest.fixture
def open_client(console_store: Store, quarantine: Path) -> Iterator[TestClient]:
    """A client of the console bound to every address, with one user: logins are required."""
    create_user(console_store, "admin", PASSWORD)
    with TestClient(create_app(make_settings(console_store, quarantine, host="0.0.0.0"))) as c:
        yield c
