"""A push job says what happened: a wrong password fails the run, only a server that is away queues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.sync.outbox import OutboxStatus, list_outbox
from tests.transport.servers import FTPServerThread, free_port

CONFIG = """\
database: sqlite:///exchange.db
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop:
    profile: shoptet
    feed_to: {feed_to}
    warehouse: MAIN
jobs:
  push-feed:
    do: export
    shop: shop
    feed: pricelist
    every: 1 hour
"""


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FTPServerThread]:
    (tmp_path / "ftp-root" / "feeds").mkdir(parents=True)
    server = FTPServerThread(tmp_path / "ftp-root")
    yield server
    server.stop()


def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feed_to: str) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    (work / "exchange.yaml").write_text(CONFIG.format(feed_to=feed_to), encoding="utf-8")
    assert run_cli(cli, ["catalog", "load", str(samples_dir() / "catalog.csv")]) == 0
    return work


def test_a_wrong_password_fails_the_push_job_and_never_says_queued(
        ftp: FTPServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    work = _workdir(tmp_path, monkeypatch, ftp.url(path="/feeds/"))
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", "not the password")
    capsys.readouterr()
    code = run_cli(cli, ["run", "--once", "push-feed"])
    out = capsys.readouterr()
    assert code != 0
    assert re.search(r"push-feed: run \d+ failed", out.out), out.out
    assert "queued" not in out.out + out.err
    with Store(f"sqlite:///{work / 'exchange.db'}") as store:
        entries = list_outbox(store)
    assert [e.status for e in entries] in ([], [OutboxStatus.FAILED])
    assert not any(e.status == OutboxStatus.PENDING for e in entries)
    assert "not the password" not in out.out + out.err


def test_a_server_that_is_away_queues_the_push_and_warns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    work = _workdir(tmp_path, monkeypatch, f"ftp://alice@127.0.0.1:{free_port()}/feeds/")
    capsys.readouterr()
    code = run_cli(cli, ["run", "--once", "push-feed"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert re.search(r"push-feed: run \d+ warning", out.out) and "queued 1" in out.out
    with Store(f"sqlite:///{work / 'exchange.db'}") as store:
        assert [e.status for e in list_outbox(store)] == [OutboxStatus.PENDING]
