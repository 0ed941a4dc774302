"""Benchmark: console pages on a large store (100,000 orders, 10,000 held) against a small one.

Usage: ``python bench/bench_console.py [--orders 100000] [--held 10000] [--repeat 7] [--db URL]``

The store is filled with Core bulk inserts (customers, orders with two lines each, one "imported" or
"held" event per order, spread over 30 days). Each page is requested through the real ASGI app
(Starlette's TestClient: routing, queries, template rendering, JSON), the median of ``--repeat`` runs
after one warm-up. The baseline is the same page on a store of 1,000 orders built the same way in the
same run; the ratio shows how a page scales. Target: every page under 200 ms on the large store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from exchange.store import Store
from exchange.store.schema import customers, events, order_lines, orders
from exchange.web.app import create_app
from exchange.web.settings import WebSettings

warnings.filterwarnings("ignore", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

SHOPS = ["shoptet", "woo", "presta"]
STATUSES = ["new", "confirmed", "processing", "shipped", "delivered", "cancelled"]
UNMAPPED = ["Doručeno", "Předáno dopravci", "Reklamace", "Čeká na sklad"]
TARGET_MS = 200.0


def fill(store: Store, n_orders: int, n_held: int, seed: int) -> None:
    """Customers, orders (some held on an unmapped status), lines and events, in chunks."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    held = set(rnd.sample(range(n_orders), n_held))
    with store.begin() as conn:
        conn.execute(insert(customers), [
            {"name": f"Customer {i}", "email": f"c{i}@example.cz", "city": "Praha", "country": "CZ",
             "created_at": now, "updated_at": now} for i in range(1, 3001)])
    chunk = 5000
    for start in range(0, n_orders, chunk):
        rows, lines, evs = [], [], []
        for i in range(start, min(start + chunk, n_orders)):
            at = now - timedelta(days=rnd.random() * 30)
            shop = SHOPS[i % len(SHOPS)]
            reason = ""
            status = rnd.choice(STATUSES)
            if i in held:
                value = rnd.choice(UNMAPPED)
                reason = f"status {value!r} has no mapping and the profile has no default"
                status = "on_hold"
            rows.append({"id": i + 1, "shop": shop, "external_id": str(100000 + i),
                         "number": f"2026{i:06d}", "status": status, "shop_status": "x",
                         "ordered_at": at, "currency": "CZK", "customer_id": rnd.randint(1, 3000),
                         "total": Decimal("1234.50"), "billing_address": {"name": "A", "city": "Praha"},
                         "delivery_address": {}, "content_hash": f"{i:064d}", "review_reason": reason,
                         "source_file": "orders.xml", "imported_at": at, "updated_at": at})
            for pos in (1, 2):
                lines.append({"order_id": i + 1, "position": pos, "kind": "product",
                              "code": f"P{pos}", "name": f"Product {pos}", "quantity": Decimal(pos),
                              "unit_price": Decimal("617.25"), "discount_percent": Decimal(0)})
            evs.append({"job": "import", "at": at, "level": "warning" if reason else "info",
                        "kind": "held" if reason else "imported",
                        "document": f"orders:{shop}:{100000 + i}", "message": reason})
        with store.begin() as conn:
            conn.execute(insert(orders), rows)
            conn.execute(insert(order_lines), lines)
            conn.execute(insert(events), evs)
    if store.dialect == "postgresql":
        # what autovacuum does to a live store: planner statistics for the new rows
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


PAGES = ["/", "/dashboard.json", "/orders", "/orders.json", "/orders?held=yes",
         "/orders?shop=woo&status=shipped", "/orders?from={day}&to={day}", "/orders/{mid}",
         "/review", "/review.json", "/history", "/history?level=warning", "/products", "/feeds"]


def measure(store: Store, n_orders: int, repeat: int, work: Path) -> dict[str, float]:
    """Median milliseconds per page."""
    day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    settings = WebSettings(store=store, secret="bench", quarantine=work / "quarantine")
    found = {}
    with TestClient(create_app(settings)) as client:
        for page in PAGES:
            url = page.format(day=day, mid=n_orders // 2)
            assert client.get(url).status_code == 200, url
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            found[page] = statistics.median(times)
    return found


def _pg_schema(url: str, schema: str) -> str:
    """A fresh schema in the PostgreSQL database at ``url``, and a URL that works in it."""
    from sqlalchemy import create_engine, text

    admin = create_engine(Store(url, migrate=False).url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    """Build both stores, measure every page on each, print the table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--held", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", help="a PostgreSQL URL: both stores in fresh schemas there, not SQLite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_console_"))
    results = {}
    for label, n, h in (("baseline", 1000, 100), ("large", args.orders, args.held)):
        url = _pg_schema(args.db, f"bench_console_{label}") if args.db else f"sqlite:///{work / f'{label}.db'}"
        store = Store(url)
        t0 = time.perf_counter()
        fill(store, n, h, args.seed)
        print(f"{label}: {n:,} orders, {h:,} held, filled in {time.perf_counter() - t0:.1f} s")
        results[label] = measure(store, n, args.repeat, work)
        store.close()
    print(f"\n{'page':<34} {'1k orders':>10} {args.orders // 1000}k orders {'ratio':>7}")
    worst = 0.0
    for page in PAGES:
        small, large = results["baseline"][page], results["large"][page]
        worst = max(worst, large)
        print(f"{page:<34} {small:>8.1f} ms {large:>8.1f} ms {large / small:>6.1f}x")
    verdict = "PASS" if worst < TARGET_MS else "FAIL"
    print(f"\nslowest page {worst:.1f} ms; target < {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
