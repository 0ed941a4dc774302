"""A scheduler and workers as real processes on one exchange.yaml, for the scale-out tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from exchange.store import Store
from exchange.store.schema import order_lines, orders
from tests.jobs.test_end_to_end import orders_xml
from tests.reliability.procs import Proc, exchange, wait_for


def write_shops(workdir: Path, vhost: str, shops: int) -> None:
    """exchange.yaml with ``shops`` shops, each pulled from its own local folder by its own job."""
    lines = [f"broker: amqp://guest@127.0.0.1:5672/{vhost}",
             "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}", "shops:"]
    for n in range(shops):
        (workdir / "shops" / f"s{n}").mkdir(parents=True, exist_ok=True)
        lines.append(f"  s{n}: {{profile: shoptet, orders_from: 'file://{workdir}/shops/s{n}/?settle=0'}}")
    lines.append("jobs:")
    lines += [f"  pull{n}: {{do: import, shop: s{n}, every: 1 hour}}" for n in range(shops)]
    (workdir / "exchange.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def drop(workdir: Path, shop: int, name: str, ids: range) -> None:
    """An order file for one shop, written aside and renamed into its folder."""
    tmp = workdir / f".{shop}-{name}.part"
    tmp.write_bytes(orders_xml(*ids))
    tmp.rename(workdir / "shops" / f"s{shop}" / name)


def start_worker(workdir: Path, db: str, name: str, *args: str) -> Proc:
    """`exchange worker`, once it says it is ready."""
    proc = exchange(workdir, db, "worker", "--name", f"{name}@%h", *args)
    wait_for(f"worker {name} to be ready", lambda: " ready: queues" in proc.stderr() or proc.popen.poll() is not None)
    assert proc.popen.poll() is None, proc.stderr()
    return proc


def count(store: Store, table=orders) -> int:  # type: ignore[no-untyped-def]
    """Rows in a store table."""
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


__all__ = ["count", "drop", "order_lines", "orders", "start_worker", "write_shops"]
