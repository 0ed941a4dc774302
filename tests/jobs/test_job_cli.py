"""The automation commands as users meet them: status, history, unlock, run --once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.jobs.locks import acquire
from exchange.store import Store
from exchange.store.history import finish_run, record_event, start_run

CONFIG = """\
database: sqlite:///exchange.db
shops:
  shop: {profile: shoptet, orders_from: "ftp://alice@127.0.0.1:1/orders/"}
jobs:
  pull: {do: import, shop: shop, every: 10 minutes}
  byhand: {do: import, shop: shop}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    (tmp_path / "exchange.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_status_shows_each_job_and_the_outbox(workdir: Path) -> None:
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    with store.begin() as conn:
        run = start_run(conn, "pull")
        finish_run(conn, run, "warning", {"imported": 3, "held": 1})
    acquire(store, "byhand", "host:123:abc")
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {r["job"]: r for r in data["jobs"]}
    assert rows["pull"]["last_status"] == "warning"
    assert rows["byhand"]["last_status"] == "never run"
    assert rows["byhand"]["next_run"] == "by hand only"
    assert rows["byhand"]["running_by"] == "host:123:abc"
    assert data["outbox"] == 0
    table = CliRunner().invoke(cli, ["status"])
    assert "outbox: 0 push(es) waiting" in table.output
    store.close()


def test_status_json_gives_the_last_finished_run_and_its_duration(workdir: Path) -> None:
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with store.begin() as conn:
        done = start_run(conn, "pull", at=start)
        finish_run(conn, done, "ok", {"imported": 3}, at=start + timedelta(seconds=42.5))
        start_run(conn, "pull", at=start + timedelta(minutes=10))  # still running
    store.close()
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["job"]: r for r in json.loads(result.output)["jobs"]}
    assert rows["pull"]["last_status"] == "running"
    assert datetime.fromisoformat(rows["pull"]["last_finished"]) == start + timedelta(seconds=42.5)
    assert rows["pull"]["last_duration_s"] == 42.5
    assert rows["byhand"]["last_finished"] is None
    assert rows["byhand"]["last_duration_s"] is None


def test_history_filters_failures(workdir: Path) -> None:
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    with store.begin() as conn:
        record_event(conn, kind="imported", job="pull", document="order 1")
        record_event(conn, kind="failed", job="pull", level="error", document="order 2",
                     message="line 40: unknown status")
    store.close()
    result = CliRunner().invoke(cli, ["history", "--failed", "--since", "1h", "--json"])
    events = json.loads(result.output)
    assert [e["document"] for e in events] == ["order 2"]
    assert "unknown status" in CliRunner().invoke(cli, ["history", "--job", "pull"]).output


def test_unlock_clears_a_stuck_lock(workdir: Path) -> None:
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    acquire(store, "pull", "dead-host:1:x")
    result = CliRunner().invoke(cli, ["unlock", "pull"])
    assert "lock of dead-host:1:x cleared" in result.output
    assert "was not locked" in CliRunner().invoke(cli, ["unlock", "pull"]).output
    store.close()


def test_run_once_an_unknown_job_is_one_clear_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(cli, ["run", "--once", "nope"])
    err = capsys.readouterr().err
    assert code == 3
    assert "no job 'nope'" in err
    assert "known: byhand, pull" in err


def test_run_once_says_when_the_job_runs_elsewhere(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(f"sqlite:///{workdir / 'exchange.db'}")
    acquire(store, "pull", "other-host:9:y")
    code = run_cli(cli, ["run", "--once", "pull"])
    assert code != 0
    assert "already running by other-host:9:y" in capsys.readouterr().err
    store.close()


def test_run_once_a_job_whose_server_is_down_fails_with_the_reason(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--once", "pull"])
    assert result.exit_code == 1
    assert "failed" in result.output
