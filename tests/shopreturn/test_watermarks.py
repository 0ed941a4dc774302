"""Import watermarks: a full export's orders older than the shop's watermark are skipped with the
reason and reserve nothing; the watermark moves forward with what was imported, is set by
``shops reset`` and shown by ``exchange status``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.config import load_config
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.jobs.actions import ACTIONS, watermark_settings
from exchange.jobs.runner import run_job
from exchange.shopreturn.watermarks import WatermarkSettings, reset_watermark, watermark_rows
from exchange.store import Store
from tests.importers.engine_support import rows

UPGATES_ORDERS = Path(__file__).parent.parent / "profiles" / "fixtures" / "upgates_orders.xml"
# the fixture's orders: 2026000123 of 2026-03-01 10:15 and 2026000124 of 2026-03-29 01:30 (Prague)
SECOND_AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _copy(tmp_path: Path, name: str, old: str = "", new: str = "") -> Path:
    """The fixture under another name (another file to the store), optionally changed."""
    text = UPGATES_ORDERS.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(text.replace(old, new) if old else text + f"<!-- {name} -->\n", encoding="utf-8")
    return path


def _reserved(store: Store) -> dict[str, str]:
    return {r["reference"]: str(r["quantity"]) for r in rows(store, "stock_moves")
            if r["kind"] == "reserve"}


def test_orders_older_than_the_watermark_are_skipped_and_reserve_nothing(
        store: Store, tmp_path: Path) -> None:
    since = WatermarkSettings(since=datetime(2026, 3, 15, tzinfo=UTC))
    report = import_file(store, UPGATES_ORDERS, "upgates", watermark=since)
    outcomes = {d.external_id: (d.outcome, d.reason) for d in report.documents}
    assert outcomes["2026000123"][0] is Outcome.SKIPPED
    assert "older than upgates's orders watermark 2026-03-15 00:00:00 UTC" in outcomes["2026000123"][1]
    assert "reserves nothing" in outcomes["2026000123"][1]
    assert [o["number"] for o in rows(store, "orders")] == ["2026000124"]
    assert all("2026000123" not in ref for ref in _reserved(store))
    # the watermark moved to the newest order imported
    assert [(w["shop"], w["kind"], w["watermark"], w["set_by"]) for w in watermark_rows(store)] == [
        ("upgates", "orders", SECOND_AT, "import")]


def test_a_known_order_older_than_the_watermark_still_takes_its_changes(
        store: Store, tmp_path: Path) -> None:
    reset_watermark(store, "upgates", datetime(2026, 2, 1, tzinfo=UTC), kinds=["orders"])
    assert import_file(store, UPGATES_ORDERS, "upgates").counts[Outcome.IMPORTED] == 2
    assert watermark_rows(store)[0]["watermark"] == SECOND_AT
    changed = _copy(tmp_path, "changed.xml", "<STATUS>Přijatá</STATUS>",
                    "<STATUS>Vyřizuje se</STATUS>")
    report = import_file(store, changed, "upgates")
    assert report.counts[Outcome.UPDATED] == 1, report.as_dict()


def test_the_overlap_lets_a_late_order_through(store: Store, tmp_path: Path) -> None:
    just_after = datetime(2026, 3, 1, 9, 20, tzinfo=UTC)  # the first order is 09:15 UTC
    tight = WatermarkSettings(since=just_after, overlap=timedelta(0))
    assert import_file(store, UPGATES_ORDERS, "upgates", watermark=tight,
                       dry_run=True).counts[Outcome.SKIPPED] == 1
    loose = WatermarkSettings(since=just_after, overlap=timedelta(minutes=10))
    assert import_file(store, UPGATES_ORDERS, "upgates", watermark=loose,
                       dry_run=True).counts[Outcome.IMPORTED] == 2


def test_since_in_exchange_yaml_shops_reset_and_status(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    (tmp_path / "exchange.yaml").write_text(
        "shops:\n  upgates:\n    profile: upgates\n    since: 2026-03-15\n"
        "    watermark_overlap: 1 hour\n", encoding="utf-8")
    config = load_config(tmp_path / "exchange.yaml")
    settings = watermark_settings(config.shops["upgates"], "Europe/Prague")
    assert settings == WatermarkSettings(datetime(2026, 3, 14, 23, 0, tzinfo=UTC), timedelta(hours=1))
    db = tmp_path / "exchange.db"
    with Store(f"sqlite:///{db}") as store:
        first = import_file(store, UPGATES_ORDERS, "upgates", watermark=settings)
        assert first.counts[Outcome.SKIPPED] == 1

    assert run_cli(cli, ["shops", "reset", "upgates", "--since", "2026-02-01", "--kind",
                         "orders"]) == 0
    assert "upgates orders: watermark 2026-01-31 23:00:00 UTC" in capsys.readouterr().out
    with Store(f"sqlite:///{db}") as store:
        again = import_file(store, _copy(tmp_path, "again.xml"), "upgates", watermark=settings)
        assert again.counts[Outcome.IMPORTED] == 1  # the older order, now after the watermark
    assert run_cli(cli, ["status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["watermarks"]
    assert [(w["shop"], w["kind"], w["set_by"]) for w in shown] == [("upgates", "orders", "import")]
    assert run_cli(cli, ["status"]) == 0
    assert "watermark upgates orders: 2026-03-29 00:30:00 UTC (import)" in capsys.readouterr().out


def test_an_import_job_fills_since_and_until_into_the_export_url(store: Store,
                                                                 tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.transport.http_server import Doc, HTTPServerThread

    with HTTPServerThread() as server:
        server.put("/export/orders.xml", Doc(UPGATES_ORDERS.read_bytes()))
        (tmp_path / "exchange.yaml").write_text(
            "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}\n"
            "shops:\n  upgates:\n    profile: upgates\n    since: 2026-03-15\n"
            f"    orders_from: '{server.url('/export/orders.xml')}?from={{since}}"
            "&to={until:%d.%m.%Y}'\n"
            "jobs:\n  pull: {do: import, shop: upgates, every: 5 minutes}\n", encoding="utf-8")
        config = load_config(tmp_path / "exchange.yaml")
        first = run_job(store, config, config.job("pull"), actions=ACTIONS)
        assert first.status in ("ok", "warning"), first
        assert (first.counts.get("imported"), first.counts.get("skipped")) == (1, 1)
        asked = parse_qs(urlsplit(server.gets("/export/orders.xml")[0].path).query)
        # since: 2026-03-15 in Prague, less the 10 minutes' overlap; until: today, as asked
        assert asked["from"] == ["2026-03-14T23:50:00"]
        assert asked["to"] == [datetime.now(ZoneInfo("Europe/Prague")).strftime("%d.%m.%Y")]
        run_job(store, config, config.job("pull"), actions=ACTIONS)
        again = parse_qs(urlsplit(server.gets("/export/orders.xml")[-1].path).query)
        # the newest order imported (2026-03-29 01:30 Prague), less the overlap
        assert again["from"] == ["2026-03-29T01:20:00"]
