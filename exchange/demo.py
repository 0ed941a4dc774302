"""The README's demo: the whole loop on the embedded default (SQLite file, local folders, bundled samples)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from exchange.catalog import load_catalog_csv
from exchange.config import write_template
from exchange.resources import samples_dir
from exchange.store import Store


def run_demo(workdir: Path, say: Callable[[str], None] = print) -> Store:
    """Set up a demo ERP in ``workdir`` and run every step the engine offers; returns the store."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "exchange.yaml"
    if not config.exists():
        write_template(config)
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    say(f"store: {workdir / 'exchange.db'}")
    report = load_catalog_csv(store, samples_dir() / "catalog.csv")
    say(f"catalogue: {report.summary()}")
    return store
