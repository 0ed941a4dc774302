"""A store with held orders: the bundled Shoptet export with statuses the profile does not map."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.resources import samples_dir
from exchange.store import Store

UNMAPPED = "Doručeno zákazníkovi"


def held_export(folder: Path, *, statuses: tuple[str, ...] = (UNMAPPED,), name: str = "orders.xml"
                ) -> Path:
    """The demo's Shoptet export with the last order's status replaced by each of ``statuses``."""
    text = (samples_dir() / "shoptet" / "orders-export.xml").read_text(encoding="utf-8")
    assert text.count("<STATUS>Vyřízena</STATUS>") == 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace("<STATUS>Vyřízena</STATUS>", f"<STATUS>{statuses[0]}</STATUS>"),
                    encoding="utf-8")
    return path


@pytest.fixture
def held_store(store: Store, tmp_path: Path) -> Store:
    """The store after importing the export with one order held on an unmapped status."""
    report = import_file(store, held_export(tmp_path / "inbox"), "shoptet", "orders",
                         quarantine=tmp_path / "quarantine")
    assert report.counts[Outcome.HELD] == 1
    return store
