"""exchange.yaml validation: what users get when they write it right, and when they don't."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from exchange.config import TEMPLATE, JobAction, load_config, parse_every
from exchange.errors import ConfigError

GOOD = """\
database: sqlite:///erp.db
folders: {inbox: in, quarantine: q}
shops:
  myshop:
    profile: shoptet
    orders_from: ftp://orders@127.0.0.1:2121/export/
    feed_to: sftp://feeds@shop.example.com/import/
    warehouse: W1
    statuses: [Vyřizuje se]
jobs:
  pull:
    do: import
    shop: myshop
    every: 10 minutes
    window: {hours: "22:00-06:00", weekdays: [mon, fri]}
  feed:
    do: export
    shop: myshop
    at: ["06:00", "18:30"]
  drop:
    do: watch
    shop: myshop
    folder: dropbox
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exchange.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_configuration_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    assert config.database == "sqlite:///erp.db"
    assert config.folders.inbox == tmp_path / "in"
    assert config.folders.feeds == tmp_path / "feeds"
    shop = config.shops["myshop"]
    assert (shop.profile, shop.warehouse, shop.statuses) == ("shoptet", "W1", ("Vyřizuje se",))
    pull = config.job("pull")
    assert pull.action == JobAction.IMPORT
    assert pull.every_seconds == 600
    assert config.job("feed").at == ("06:00", "18:30")
    assert config.job("drop").folder == tmp_path / "dropbox"


def test_window_across_midnight_and_weekdays(tmp_path: Path) -> None:
    window = load_config(_write(tmp_path, GOOD)).job("pull").window
    assert window.allows(0, time(23, 0))
    assert window.allows(4, time(5, 59))
    assert not window.allows(0, time(12, 0))
    assert not window.allows(1, time(23, 0))  # Tuesday is not listed


def test_every_problem_is_reported_at_once_with_lines(tmp_path: Path) -> None:
    bad = """\
shops:
  myshop:
    profil: shoptet
    orders_from: ftp://user:secret@host/x
jobs:
  pull:
    do: fetch
    shop: nosuchshop
    every: often
"""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, bad))
    message = str(caught.value)
    assert "6 problems" in message
    assert ":3: shops.myshop.profil: unknown key" in message
    assert ":3: shops.myshop.profile: required" in message
    assert ":4: shops.myshop.orders_from: a password in the URL is not allowed" in message
    assert ":7: jobs.pull.do: 'fetch' is not one of import, export, watch" in message
    assert ":8: jobs.pull.shop: no shop 'nosuchshop'" in message
    assert ":9: jobs.pull.every: 'often' is not an interval" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"exchange.yaml:3: \(file\): not valid YAML"):
        load_config(_write(tmp_path, "jobs:\n  a: [1, 2\n  b: 3\n"))


def test_unknown_job_lists_known_ones(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="known: drop, feed, pull"):
        config.job("nope")


def test_the_starter_template_is_valid(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, TEMPLATE))
    assert config.jobs == {}
    assert config.database == "sqlite:///exchange.db"


@pytest.mark.parametrize(("text", "seconds"), [("30 seconds", 30), ("10 minutes", 600),
                                              ("2 hours", 7200), ("1 day", 86400), ("5m", 300)])
def test_intervals(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds


def test_bad_interval() -> None:
    with pytest.raises(ValueError, match="not an interval"):
        parse_every("sometimes")
