"""Local folders and watch folders never follow a symlink, nor read a file whose real path is outside."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.config import load_config
from exchange.errors import UnsafePathError
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.history import list_events
from exchange.transport import open_transport
from exchange.transport.local import refuse_reason

SECRET = b"<ORDERS>outside the folder, must never be read</ORDERS>"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.xml").write_bytes(SECRET)
    return folder


def test_refuse_reason_names_links_and_escapes(tmp_path: Path, outside: Path) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "ok.xml").write_bytes(b"<a/>")
    (watch / "link.xml").symlink_to(outside / "secret.xml")
    (watch / "inner-link.xml").symlink_to(watch / "ok.xml")
    (watch / "sub").symlink_to(outside, target_is_directory=True)
    assert refuse_reason(watch, watch / "ok.xml") is None
    assert refuse_reason(watch, watch / "link.xml") == "a symbolic link: never followed"
    assert refuse_reason(watch, watch / "inner-link.xml") == "a symbolic link: never followed"
    assert "outside" in (refuse_reason(watch, watch / "sub" / "secret.xml") or "")
    assert refuse_reason(watch, watch / "gone.xml") == "vanished"


def test_a_local_endpoint_neither_lists_nor_reads_a_symlink(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.xml").write_bytes(b"<a/>")
    (root / "link.xml").symlink_to(outside / "secret.xml")
    (root / "inner.xml").symlink_to(root / "real.xml")
    with open_transport(f"file://{root}") as t:
        assert [f.name for f in t.list_files()] == ["real.xml"]
        for name in ("link.xml", "inner.xml"):
            with pytest.raises(UnsafePathError, match=r"symbolic link|outside the endpoint"):
                t.download(name, tmp_path / "copy.xml")
            assert not (tmp_path / "copy.xml").exists()


CONFIG = """\
database: sqlite:///exchange.db
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop: {{profile: shoptet, warehouse: MAIN}}
jobs:
  drop: {{do: watch, shop: shop, folder: {drop}}}
"""


def test_a_watch_job_refuses_a_symlink_with_an_event_and_copies_nothing(
        tmp_path: Path, outside: Path, sqlite_store: Store) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (tmp_path / "exchange.yaml").write_text(CONFIG.format(drop=drop), encoding="utf-8")
    config = load_config(tmp_path / "exchange.yaml")
    (drop / "orders.xml").symlink_to(outside / "secret.xml")
    (drop / "hostname.xml").symlink_to("/etc/hostname")
    good = drop / "good.xml"
    good.write_bytes((samples_dir() / "shoptet" / "orders-export.xml").read_bytes())
    outcome = run_job(sqlite_store, config, config.job("drop"), actions=ACTIONS,
                      files=[drop / "orders.xml", drop / "hostname.xml", good])
    assert outcome.counts.get("refused") == 2
    assert outcome.status == "warning"
    with sqlite_store.connect() as conn:
        events = list_events(conn, job="drop")
    refused = sorted(e["document"] for e in events if e["kind"] == "refused")
    assert refused == ["hostname.xml", "orders.xml"]
    # The links stay where they were; nothing was read, moved or quarantined.
    assert (drop / "orders.xml").is_symlink() and (drop / "hostname.xml").is_symlink()
    assert (outside / "secret.xml").read_bytes() == SECRET
    copies = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()
              and p.read_bytes() == SECRET]
    assert copies == [outside / "secret.xml"]
    assert (drop / "processed" / "good.xml").exists()
