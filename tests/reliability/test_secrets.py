"""A configured password never appears in logs, reports, the store, stdout or stderr: real `exchange`
processes pull, import, quarantine and push through a real FTP server, with the right password and
with a wrong one (which fails the run: its message must not echo what was tried)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from exchange.catalog import load_catalog_csv
from exchange.resources import samples_dir
from exchange.store import Store
from tests.jobs.test_end_to_end import CONFIG, orders_xml
from tests.reliability.store_view import stored_text
from tests.transport.servers import PASSWORD, FTPServerThread

WRONG = "Wr0ng-canary-pw-4417"
BROKEN = b'<?xml version="1.0" encoding="utf-8"?>\n<ORDERS><ORDER><ORDER_ID>9</ORDER_ID>'


def _exchange(work: Path, db: str, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if not (key.startswith("EXCHANGE_") and "PASSWORD" in key)}
    env.update(EXCHANGE_PASSWORD_127_0_0_1_ALICE=password,
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, "-m", "exchange", "--db", db, "--config",
                           str(work / "exchange.yaml"), *args], cwd=work, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def _everything_written(work: Path, store: Store, outputs: list[str]) -> str:
    files = [p.read_text(encoding="utf-8", errors="replace") for p in work.rglob("*")
             if p.is_file() and not p.name.startswith("exchange.db")]
    return "\n".join([*outputs, *files, stored_text(store)])


@pytest.mark.parametrize("secret", [PASSWORD, WRONG])
def test_a_configured_password_is_never_written_anywhere(store: Store, tmp_path: Path,
                                                         secret: str) -> None:
    root = tmp_path / "ftp"
    (root / "orders").mkdir(parents=True)
    (root / "feeds").mkdir()
    server = FTPServerThread(root)
    try:
        work = tmp_path / "work"
        work.mkdir()
        (work / "exchange.yaml").write_text(CONFIG.format(port=server.port), encoding="utf-8")
        load_catalog_csv(store, samples_dir() / "catalog.csv")
        (root / "orders" / "good.xml").write_bytes(orders_xml(1, 2))
        (root / "orders" / "broken.xml").write_bytes(BROKEN)  # quarantined with a report
        outputs: list[str] = []
        for args in (["run", "--once", "pull"], ["run", "--once", "feed"], ["status", "--json"],
                     ["history", "--json"], ["outbox"], ["-h"]):
            done = _exchange(work, store.url, secret, *args)
            outputs += [done.stdout, done.stderr]
        if secret == PASSWORD:
            assert (root / "orders" / "processed" / "good.xml").exists()  # the runs really ran
            assert [p.name for p in (root / "feeds").iterdir()] == ["shop-pricelist.xml"]
            assert list((work / "quarantine").glob("broken*.error.txt"))
        else:
            assert any("login" in o.lower() or "auth" in o.lower() or "530" in o for o in outputs)
        written = _everything_written(work, store, outputs)
        assert (work / "logs" / "exchange.log").stat().st_size > 0
        assert "alice@127.0.0.1" in written  # what was collected does hold the endpoints used
        assert secret not in written
        assert secret.replace(" ", "%20") not in written and secret.replace(" ", "+") not in written
    finally:
        server.stop()
