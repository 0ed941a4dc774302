"""Pulls of several shops into one inbox at once: each file keeps its own content and name."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from exchange.store import Store
from exchange.sync import pull
from exchange.sync.pull import STALE_PART_SECONDS, PulledFile, drop_stale_parts

SHOPS = 8


def test_shops_pulling_files_of_one_name_into_one_inbox_keep_each_file(
        sqlite_store: Store, tmp_path: Path) -> None:
    """Before, every download was written to ``inbox/orders.xml.part``: the pulls of 50 shops run by
    two workers overwrote each other's download and failed (FileNotFoundError on the rename)."""
    inbox = tmp_path / "inbox"
    expected: dict[int, str] = {}
    for shop in range(SHOPS):
        folder = tmp_path / f"s{shop}"
        folder.mkdir()
        data = f"<orders shop='{shop}'>".encode() + os.urandom(1 << 20).hex().encode() + b"</orders>"
        (folder / "orders.xml").write_bytes(data)
        expected[shop] = hashlib.sha256(data).hexdigest()
    barrier = threading.Barrier(SHOPS)
    got: dict[int, list[PulledFile]] = {}
    errors: list[BaseException] = []

    def one(shop: int) -> None:
        barrier.wait()
        try:
            got[shop] = pull(f"file://{tmp_path}/s{shop}/?settle=0", inbox, sqlite_store)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(shop,)) for shop in range(SHOPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    locals_ = {shop: files[0].local_path for shop, files in got.items() if len(files) == 1}
    assert len(locals_) == SHOPS
    assert len(set(locals_.values())) == SHOPS  # no two shops share an inbox file
    for shop, path in locals_.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected[shop]
    assert not list(inbox.glob("*.part"))


def test_parts_of_killed_pulls_are_dropped_after_an_hour(tmp_path: Path) -> None:
    old, fresh, kept = tmp_path / "a.xml.1-aa.part", tmp_path / "b.xml.2-bb.part", tmp_path / "c.xml"
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    hour_ago = time.time() - STALE_PART_SECONDS - 5
    os.utime(old, (hour_ago, hour_ago))
    os.utime(kept, (hour_ago, hour_ago))
    drop_stale_parts(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xml.2-bb.part", "c.xml"]
