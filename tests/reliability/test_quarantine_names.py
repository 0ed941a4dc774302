"""Quarantine names never collide: two different broken files with one name both stay, with their reports."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.run import import_file
from exchange.jobs.quarantine import inspect
from exchange.store import Store
from tests.jobs.test_quarantine import BROKEN


def _import(store: Store, path: Path, quarantine: Path) -> str | None:
    report = import_file(store, path, "shoptet", "orders", shop="eshop", quarantine=quarantine)
    assert report.file_error is not None
    return report.quarantined


def test_two_broken_files_with_one_name_do_not_overwrite_each_other(store: Store, tmp_path: Path) -> None:
    quarantine = tmp_path / "quarantine"
    first, second = tmp_path / "shop-a" / "orders.xml", tmp_path / "shop-b" / "orders.xml"
    for path, body in ((first, BROKEN), (second, BROKEN.replace(b"77", b"78"))):
        path.parent.mkdir()
        path.write_bytes(body)
    held_first, held_second = _import(store, first, quarantine), _import(store, second, quarantine)
    assert held_first is not None
    assert held_second is not None
    assert held_first != held_second
    assert Path(held_first).read_bytes() == BROKEN
    assert Path(held_second).read_bytes() == second.read_bytes()
    for held, original in ((held_first, first), (held_second, second)):
        report = Path(held + ".error.txt").read_text(encoding="utf-8")
        assert report.startswith(f"file: {original}\n")  # the original name is kept in the report
        assert inspect(Path(held)).report == Path(held + ".error.txt")
    assert first.exists()
    assert second.exists()  # the originals are kept

    # the same broken file again takes its own place, and nothing else is overwritten
    assert _import(store, first, quarantine) == held_first
    assert len(list(quarantine.glob("orders*.xml"))) == 2
