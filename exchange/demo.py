"""The README's demo: the whole loop on the embedded default (SQLite file, local folders, bundled samples).

A loopback FTP server plays the shop: it holds an order export and takes the stock feed. The demo
loads the ERP catalogue, pulls and imports the orders, exports the Shoptet feed, pushes it back, and
prints the orders and the status table. Run it twice: nothing is imported twice.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from exchange.catalog import load_catalog_csv
from exchange.config import Config, load_config
from exchange.demo_ftp import DemoFtpServer
from exchange.resources import samples_dir
from exchange.store import Store

CONFIG = """\
# Written by `exchange demo` for its loopback FTP server (the port changes on every run).
database: sqlite:///exchange.db
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  demo-shop:
    profile: shoptet
    orders_from: {orders}
    feed_to: {feeds}
    warehouse: MAIN
jobs:
  pull-orders:
    do: import
    shop: demo-shop
    every: 10 minutes
  push-feed:
    do: export
    shop: demo-shop
    feed: pricelist
    every: 1 hour
"""


def _prepare_shop(root: Path) -> None:
    (root / "orders").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(parents=True, exist_ok=True)
    sample = samples_dir() / "shoptet" / "orders-export.xml"
    target = root / "orders" / sample.name
    if not (root / "orders" / "processed" / sample.name).exists():
        shutil.copyfile(sample, target)


def run_demo(workdir: Path, say: Callable[[str], None] = print) -> tuple[Store, Config]:
    """Run the whole loop in ``workdir``; returns the store and the configuration it used."""
    from exchange.jobs.actions import ACTIONS
    from exchange.jobs.runner import run_job

    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    shop_root = workdir / "shop-ftp"
    _prepare_shop(shop_root)
    with DemoFtpServer(shop_root) as server:
        os.environ[server.password_variable] = server.password
        say(f"shop: FTP server on 127.0.0.1:{server.port} serving {shop_root}")
        config_path = workdir / "exchange.yaml"
        config_path.write_text(CONFIG.format(orders=server.url("orders"),
                                             feeds=server.url("feeds")), encoding="utf-8")
        config = load_config(config_path)
        store = Store(f"sqlite:///{workdir / 'exchange.db'}")
        say(f"ERP store: {workdir / 'exchange.db'}")
        report = load_catalog_csv(store, samples_dir() / "catalog.csv")
        say(f"catalogue: {report.created} created, {report.updated} updated from catalog.csv")
        for job in ("pull-orders", "push-feed"):
            outcome = run_job(store, config, config.job(job), actions=ACTIONS)
            counts = ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts.items())) or "nothing new"
            say(f"job {job}: {outcome.status}: {counts}")
            if outcome.message:
                say(f"  {outcome.message}")
        published = sorted(p.name for p in (shop_root / "feeds").iterdir() if p.is_file())
        say(f"feeds on the shop's server: {', '.join(published) or 'none'}")
    return store, config
