"""A shop on a real loopback FTP server and an exchange.yaml whose export and reconcile jobs use it.

Shared by the feed jobs' tests and the console's feeds page tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from exchange.config import Config, load_config
from exchange.store import Store
from tests.exporters.conftest import build_catalogue
from tests.exporters.test_export_engine import age_catalogue
from tests.transport.servers import PASSWORD, FTPServerThread

N = "{urn:exchange:pricelist:1}"
CONFIG = """\
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop:
    profile: native
    feed_to: ftp://alice@127.0.0.1:{port}/feeds/
jobs:
  feed: {{do: export, shop: shop, every: 1 hour{options}}}
  drift: {{do: reconcile, shop: shop, at: "07:30", feed: pricelist,
          shop_export: "ftp://alice@127.0.0.1:{port}/export/products.xml"}}
"""


@contextmanager
def ftp_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    """The shop's FTP server: ``/feeds/`` receives the feed, ``/export/`` holds its product export."""
    root = tmp_path / "ftp"
    (root / "feeds").mkdir(parents=True)
    (root / "export").mkdir()
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    server = FTPServerThread(root)
    try:
        yield server
    finally:
        server.stop()


def feed_config(store: Store, tmp_path: Path, shop: FTPServerThread, *,
                feed_options: str = "") -> Config:
    """The demo catalogue (aged an hour) in ``store``, and the exchange.yaml of the two jobs."""
    options = f", options: {feed_options}" if feed_options else ""
    (tmp_path / "exchange.yaml").write_text(CONFIG.format(port=shop.port, options=options),
                                            encoding="utf-8")
    build_catalogue(store)
    age_catalogue(store)
    return load_config(tmp_path / "exchange.yaml")
