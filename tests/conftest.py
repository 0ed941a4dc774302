"""Shared fixtures: a real store on SQLite (always) and PostgreSQL (when configured), shared samples."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared"
PG_URL = os.environ.get("EXCHANGE_TEST_DATABASE_URL", "")

_BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_store() -> Iterator[Store]:
    """A Store on a fresh PostgreSQL schema (named in the URL, so other processes see it too)."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(Store(PG_URL, migrate=False).url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    store = Store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated ERP store: a SQLite file, and PostgreSQL when EXCHANGE_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'exchange.db'}")
        try:
            yield s
        finally:
            s.close()
    else:
        yield from _pg_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store on a SQLite file only."""
    s = Store(f"sqlite:///{tmp_path / 'exchange.db'}")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def shared_samples() -> Path:
    """The real third-party samples in ../shared/samples; skips when ../shared is absent."""
    path = SHARED / "samples"
    if not path.is_dir():
        pytest.skip("../shared/samples is not present")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (EXCHANGE_TEST_NO_SKIPS=1) a skipped test fails the run: every real server must be there."""
    if os.environ.get("EXCHANGE_TEST_NO_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(f"EXCHANGE_TEST_NO_SKIPS: {skipped} test(s) skipped; CI allows none", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
