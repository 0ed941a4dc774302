"""Benchmark: jobs through Celery workers against the embedded `exchange run`, on PostgreSQL.

Usage: ``python bench/bench_scale.py [--shops 200] [--orders 500] [--db postgresql://postgres@127.0.0.1/test]``

Each shop has one job (import every hour, so the scheduler fires each job once at start) and one
file of ``--orders`` orders in its own local folder. Every variant runs on a fresh PostgreSQL schema
with the catalogue loaded and the files laid anew, in this order:

* ``embedded``   — ``exchange run``: the jobs one after another in the daemon (the baseline);
* ``1 worker``   — ``exchange run --engine celery`` and one ``exchange worker --concurrency 1``;
* ``2 workers``  — the same scheduler and two workers of concurrency 1.

Each is timed from the daemon's start until every order is stored. The ratios against the embedded
baseline of the same run are printed, and the scheduler's overhead per dispatched job (the lease check
and the publish to RabbitMQ, timed in this process over all the shops' jobs). Goal: 2 workers ≥ 1.6 ×
1 worker. RabbitMQ on 127.0.0.1:5672 (guest/guest), a vhost of its own, deleted after the run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exchange.catalog import load_catalog_csv  # noqa: E402
from exchange.resources import samples_dir  # noqa: E402
from exchange.store import Store  # noqa: E402
from exchange.store.schema import orders  # noqa: E402
from tests.jobs.test_end_to_end import orders_xml  # noqa: E402


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


def fresh_store(base_url: str) -> tuple[Store, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(Store(base_url, migrate=False).url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base_url else "?"
    store = Store(f"{base_url}{sep}options=-csearch_path%3D{schema}")
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    return store, schema


def drop_schema(base_url: str, schema: str) -> None:
    admin = create_engine(Store(base_url, migrate=False).url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def lay_out(work: Path, vhost: str, shops: int, per_file: int) -> None:
    lines = [f"broker: amqp://guest@127.0.0.1:5672/{vhost}",
             "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}", "shops:"]
    for n in range(shops):
        folder = work / "shops" / f"s{n}"
        folder.mkdir(parents=True)
        # each shop its own orders: the same bytes under two shops are refused
        (folder / "orders.xml").write_bytes(orders_xml(*range(n * per_file + 1, (n + 1) * per_file + 1)))
        lines.append(f"  s{n}: {{profile: shoptet, orders_from: 'file://{folder}/?settle=0'}}")
    lines.append("jobs:")
    lines += [f"  pull{n}: {{do: import, shop: s{n}, every: 1 hour}}" for n in range(shops)]
    (work / "exchange.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def start(work: Path, db: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EXCHANGE_BROKER_PASSWORD": "guest"}
    log = (work / f"log-{time.monotonic_ns()}.txt").open("wb")
    try:
        return subprocess.Popen([sys.executable, "-m", "exchange", "--db", db, "--config",
                                 str(work / "exchange.yaml"), *args], cwd=work, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    finally:
        log.close()


def stored(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar() or 0)


def variant(name: str, base_url: str, shops: int, per_file: int, workers: int) -> float:
    vhost = f"bench-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    store, schema = fresh_store(base_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            lay_out(work, vhost, shops, per_file)
            for n in range(workers):
                procs.append(start(work, store.url, "worker", "--concurrency", "1", "--name", f"b{n}@%h"))
            if workers:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not all(
                        " ready: queues" in p.read_text() for p in work.glob("log-*.txt")):
                    time.sleep(0.1)
            began = time.perf_counter()
            procs.append(start(work, store.url, "run", *(("--engine", "celery") if workers else ())))
            total = shops * per_file
            while stored(store) < total:
                time.sleep(0.2)
            took = time.perf_counter() - began
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        store.close()
        drop_schema(base_url, schema)
        rabbitmqctl("delete_vhost", vhost)
    print(f"{name:10} {took:8.1f} s  {shops * per_file / took:8.0f} orders/s  "
          f"{shops / took:6.2f} jobs/s", flush=True)
    return took


def dispatch_overhead(base_url: str, shops: int) -> float:
    """Seconds per dispatched job: the lease check and the publish, for every shop's job."""
    from exchange.config import JobConfig
    from exchange.scale.app import make_app
    from exchange.scale.dispatch import CeleryDispatch

    vhost = f"bench-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    store, schema = fresh_store(base_url)
    app = make_app(f"amqp://guest:guest@127.0.0.1:5672/{vhost}")
    try:
        dispatch = CeleryDispatch(app, store)
        jobs = [JobConfig(f"pull{n}", "import", f"s{n}", every_seconds=3600) for n in range(shops)]
        dispatch(jobs[0], None)  # the connection is opened once
        began = time.perf_counter()
        for job in jobs:
            dispatch(job, None)
        return (time.perf_counter() - began) / shops
    finally:
        app.close()
        store.close()
        drop_schema(base_url, schema)
        rabbitmqctl("delete_vhost", vhost)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--db", default=os.environ.get("EXCHANGE_TEST_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"{args.shops} shops x 1 file of {args.orders} orders = {args.shops * args.orders} orders, "
          f"on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    embedded = variant("embedded", args.db, args.shops, args.orders, 0)
    one = variant("1 worker", args.db, args.shops, args.orders, 1)
    two = variant("2 workers", args.db, args.shops, args.orders, 2)
    print(f"1 worker  = {embedded / one:.2f} x embedded")
    print(f"2 workers = {embedded / two:.2f} x embedded, {one / two:.2f} x 1 worker (goal >= 1.6)")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (2 workers need 2 free cores besides PostgreSQL)")
    per_job = dispatch_overhead(args.db, args.shops)
    print(f"scheduler overhead: {per_job * 1000:.2f} ms per dispatched job (lease check + publish)")


if __name__ == "__main__":
    main()
