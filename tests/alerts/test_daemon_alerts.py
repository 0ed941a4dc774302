"""The daemon tells at once when a job fails: `alerts:` in exchange.yaml, a webhook on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.config import Config, Folders, JobConfig, ShopConfig, load_config
from exchange.errors import ConfigError, TransferError
from exchange.jobs.daemon import Daemon
from exchange.jobs.runner import JobContext, RunSummary
from exchange.store import Store
from exchange.store.history import finish_run, start_run
from tests.alerts.servers import webhook_server


def _config(tmp_path: Path, alerts: str) -> Config:
    path = tmp_path / "exchange.yaml"
    path.write_text(f"shops:\n  s:\n    profile: shoptet\n{alerts}", encoding="utf-8")
    folders = Folders(tmp_path / "in", tmp_path / "q", tmp_path / "f", tmp_path / "logs")
    job = JobConfig("pull", "import", "s", every_seconds=3600)
    return Config(path, None, folders, {"s": ShopConfig("s", "shoptet")}, {"pull": job})


def _failing(ctx: JobContext) -> RunSummary:
    raise TransferError("ftp.shop.cz: 550 no such folder")


def test_a_failed_job_is_posted_to_the_webhook_at_once(store: Store, tmp_path: Path) -> None:
    with webhook_server() as (url, hooks):
        config = _config(tmp_path, f"alerts:\n  webhook: {url}\n")
        assert load_config(config.path)  # the alerts section is a known key of exchange.yaml
        daemon = Daemon(store, config, {"import": _failing})
        outcome = daemon.fire(config.jobs["pull"])
    assert outcome is not None and outcome.status == "failed"
    (payload,) = hooks.payloads
    assert payload["cause"] == "run_failed" and "pull" in payload["items"][0]


def test_a_bad_alerts_section_stops_the_daemon_before_it_starts(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, "alerts:\n  webhook: ftp://nope\n")
    with pytest.raises(ConfigError, match=r"alerts\.webhook"):
        Daemon(store, config, {"import": _failing})


def test_alerts_check_sends_what_is_due(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    with Store(db) as store, store.begin() as conn:
        finish_run(conn, start_run(conn, "pull"), "failed", {"message": "boom"})
    with webhook_server() as (url, hooks):
        config = _config(tmp_path, f"alerts:\n  webhook: {url}\n")
        result = CliRunner().invoke(cli, ["--db", db, "--config", str(config.path), "alerts", "check"])
    assert result.exit_code == 0, result.output
    assert "run_failed" in result.output and len(hooks.payloads) == 1


def test_exchange_yaml_reports_a_bad_alerts_section_on_load(tmp_path: Path) -> None:
    path = tmp_path / "exchange.yaml"
    path.write_text("alerts:\n  webhook: ftp://nope\n  throttle: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "alerts.webhook" in str(caught.value) and "alerts.throttle" in str(caught.value)
