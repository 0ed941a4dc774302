"""A killed import leaves no reader process behind, and its rerun completes (real SIGKILL, real store).

A ~10 MB Shoptet export is imported by ``exchange import`` in a subprocess (the reader runs in a
reader process of its own) and SIGKILLed at 10 random moments. Each order carries an element the
profile does not read (4 KB of text the parser still goes through), so 10 MB are ~2,300 orders and
the eleven full imports of the test stay short. After each kill no reader process
of the killed one is left, and the rerun imports every order exactly once. Each round imports as
another shop, so every round writes the whole file again on the same store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.store import Store
from exchange.store.schema import orders
from tests.conftest import PG_URL, _pg_store
from tests.importers.engine_support import order_xml, write_orders

ROUNDS = 10
TARGET_BYTES = 10 * 1024 * 1024
READER_MODULE = "exchange.importers.read.process"


@pytest.fixture
def kill_store(tmp_path: Path) -> Iterator[Store]:
    """PostgreSQL when configured (as in CI), else a SQLite file."""
    if PG_URL:
        yield from _pg_store()
    else:
        store = Store(f"sqlite:///{tmp_path / 'exchange.db'}")
        try:
            yield store
        finally:
            store.close()


_PADDING = "<REMARK>" + "poznámka " * 450 + "</REMARK>\n"  # not read by the profile


def _order(i: int) -> str:
    return order_xml(str(i), email=f"zakaznik{i % 3000}@example.cz").replace(
        "<ORDER>\n", "<ORDER>\n" + _PADDING, 1)


def _big_export(path: Path) -> int:
    n = TARGET_BYTES * 21 // (20 * len(_order(100000).encode()))  # a little over 10 MB
    write_orders(path, *(_order(i) for i in range(1, n + 1)))
    return n


def _readers_of(parent: int) -> list[int]:
    """Reader processes started by ``parent`` that still exist (their argv names the parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if READER_MODULE.encode() in argv and str(parent).encode() in argv:
            found.append(int(entry.name))
    return found


def _import(store: Store, xml: Path, shop: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EXCHANGE_DATABASE_URL": store.url}
    return subprocess.Popen(
        [sys.executable, "-m", "exchange", "import", str(xml), "--profile", "shoptet",
         # every round imports the same bytes as a shop of its own: on purpose (--force)
         "--shop", shop, "--force", "--json", "--quarantine", str(tmp_path / "q")],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _orders_of(store: Store, shop: str) -> tuple[int, int]:
    with store.connect() as conn:
        total = conn.execute(select(func.count()).select_from(orders)
                             .where(orders.c.shop == shop)).scalar()
        distinct = conn.execute(select(func.count(func.distinct(orders.c.external_id)))
                                .where(orders.c.shop == shop)).scalar()
    return int(total or 0), int(distinct or 0)


def _wait_gone(parent: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    left = _readers_of(parent)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _readers_of(parent)
    return left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_imports_leave_no_reader_and_every_rerun_completes(kill_store: Store,
                                                                  tmp_path: Path) -> None:
    xml = tmp_path / "orders.xml"
    n = _big_export(xml)
    assert xml.stat().st_size >= TARGET_BYTES  # big enough for the reader process

    started = time.monotonic()
    first = _import(kill_store, xml, "warm-up", tmp_path)
    _, err = first.communicate(timeout=600)
    duration = time.monotonic() - started
    assert first.returncode == 0, err.decode()
    assert _orders_of(kill_store, "warm-up") == (n, n)

    rng = random.Random(20261201)
    for round_ in range(ROUNDS):
        shop = f"round-{round_}"
        victim = _import(kill_store, xml, shop, tmp_path)
        moment = rng.uniform(0.05, 0.95) * duration
        try:
            victim.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
        assert victim.stderr is not None
        victim.stderr.close()
        assert _wait_gone(victim.pid) == [], f"round {round_}: a reader outlived its parent"
        assert _orders_of(kill_store, shop)[0] in (0, n)  # one transaction: all or nothing

        rerun = _import(kill_store, xml, shop, tmp_path)
        _, err = rerun.communicate(timeout=600)
        assert rerun.returncode == 0, f"round {round_} (killed at {moment:.2f} s): {err.decode()}"
        assert _orders_of(kill_store, shop) == (n, n), f"round {round_}"
        assert _wait_gone(rerun.pid) == []
