"""Commands run by hand leave history like jobs do: a run with its result, and events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.store import Store
from exchange.store.history import last_run
from tests.exporters.conftest import build_catalogue


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'exchange.db'}"
    with Store(url) as store:
        build_catalogue(store)
    return url


def invoke(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_export_push_pull_and_outbox_by_hand_each_record_a_run(db: str, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    invoke(db, "export", "pricelist", "--profile", "native", "-o", "feed.xml")
    invoke(db, "push", "feed.xml", str(shop))
    invoke(db, "pull", str(shop), "--to", "inbox")
    invoke(db, "outbox", "--deliver")
    events = json.loads(invoke(db, "history", "--json"))
    seen = {(e["job"], e["kind"]) for e in events}
    assert ("manual:export", "feed_published") in seen
    assert ("manual:push", "pushed") in seen
    assert ("manual:pull", "pulled") in seen
    with Store(db) as store, store.connect() as conn:
        for action in ("export", "push", "pull", "outbox"):
            run = last_run(conn, f"manual:{action}")
            assert run is not None and run["status"] == "ok" and run["finished_at"] is not None
        assert last_run(conn, "manual:export")["summary"] == {"items": 6}  # type: ignore[index]


def test_a_failed_command_records_a_failed_run(db: str) -> None:
    code = run_cli(cli, ["--db", db, "export", "pricelist", "--profile", "native", "-o", "feed.xml",
                         "--price-list", "nope"])
    assert code == 3
    with Store(db) as store, store.connect() as conn:
        run = last_run(conn, "manual:export")
        assert run is not None and run["status"] == "failed"
        assert "unknown price list" in run["summary"]["message"]


def test_catalog_load_of_an_unchanged_csv_touches_nothing(db: str, tmp_path: Path) -> None:
    csv = tmp_path / "catalog.csv"
    csv.write_text("code,name,vat_rate,labels,price:retail,stock:MAIN\n"
                   "NEW-1,Nový,21,eshop1,100,5\nNEW-2,Druhý,21,,50,1\n", encoding="utf-8")
    (tmp_path / "shop").mkdir()
    first = json.loads(invoke(db, "catalog", "load", str(csv), "--json"))
    assert (first["created"], first["updated"], first["unchanged"]) == (2, 0, 0)
    invoke(db, "export", "pricelist", "--profile", "native", "--to", str(tmp_path / "shop"))
    again = json.loads(invoke(db, "catalog", "load", str(csv), "--json"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    feed = invoke(db, "export", "pricelist", "--profile", "native", "--to", str(tmp_path / "shop"),
                  "--changes")
    assert "no changes" in feed  # the untouched products are not listed as changes
    csv.write_text(csv.read_text(encoding="utf-8").replace("NEW-2,Druhý,21,,50,1",
                                                           "NEW-2,Druhý,21,,50,2"), encoding="utf-8")
    third = json.loads(invoke(db, "catalog", "load", str(csv), "--json"))
    assert (third["updated"], third["unchanged"]) == (1, 1)
    with Store(db) as store, store.connect() as conn:
        run = last_run(conn, "manual:catalog-load")
        assert run is not None and run["summary"]["updated"] == 1
