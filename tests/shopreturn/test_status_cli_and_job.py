"""``orders set-status``, ``export order-status`` and ``do: status`` jobs, end to end on a real store."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.config import load_config
from exchange.errors import ConfigError
from exchange.importers.run import import_file
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.profiles import load_profile
from exchange.resources import profiles_dir
from exchange.shopreturn.events import set_status
from exchange.store import Store
from tests.handoff.support import ShopOrder, import_orders, load_stock
from tests.importers.engine_support import rows, stock_of
from tests.transport.http_server import HTTPServerThread

UPGATES_ORDERS = Path(__file__).parent.parent / "profiles" / "fixtures" / "upgates_orders.xml"


def test_cli_set_status_then_export_order_status_to_a_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        import_file(store, UPGATES_ORDERS, "upgates")
    runner = CliRunner()
    base = ["--db", db, "--config", str(tmp_path / "none.yaml")]
    out = runner.invoke(cli, [*base, "orders", "set-status", "2026000123", "shipped",
                              "--tracking", "Z77", "--carrier", "PPL", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["events"] == ["status"]
    target = tmp_path / "status.csv"
    first = runner.invoke(cli, [*base, "export", "order-status", "--profile", "upgates", "-o",
                                str(target), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["orders"] == ["2026000123"]
    assert target.read_text(encoding="utf-8").splitlines() == [
        "[ORDER_NUMBER];[ORDER_STATUS];[TRACKING_NUMBER]", "2026000123;Odeslaná;Z77"]
    again = runner.invoke(cli, [*base, "export", "order-status", "--profile", "upgates", "-o",
                                str(target)])
    assert again.exit_code == 0 and "no changes" in again.output

def test_cli_errors_are_one_line_with_the_config_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        import_file(store, UPGATES_ORDERS, "upgates")
    base = ["--db", db, "--config", str(tmp_path / "none.yaml")]
    assert run_cli(cli, [*base, "orders", "set-status", "2026000123", "teleported"]) == 3
    assert "unknown status 'teleported'" in capsys.readouterr().err
    assert run_cli(cli, [*base, "orders", "set-status", "nope", "shipped"]) == 3
    assert "no order 'nope'" in capsys.readouterr().err
    assert run_cli(cli, [*base, "export", "order-status", "--profile", "shoptet", "-o",
                         str(tmp_path / "x.xml")]) == 3
    assert "has no order_status: section" in capsys.readouterr().err


def test_cancelling_gives_the_reservation_back_and_a_realised_order_cannot_be_cancelled(
        store: Store, tmp_path: Path) -> None:
    from exchange.handoff.realise import Selection, realise_orders

    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1"), ShopOrder("2"))
    product = rows(store, "products", code="P1")[0]["id"]
    warehouse = rows(store, "warehouses", code="MAIN")[0]["id"]

    def p1() -> tuple[Decimal, Decimal]:
        with store.connect() as conn:
            return stock_of(conn, product, warehouse)

    assert p1() == (Decimal(10), Decimal(4))
    change = set_status(store, "20261", "cancelled")
    assert (change.status, change.released) == ("cancelled", 1)
    assert p1() == (Decimal(10), Decimal(2))
    realise_orders(store, Selection.NUMBERS, numbers=["20262"])
    with pytest.raises(ConfigError, match="realised already"):
        set_status(store, "20262", "cancelled")
    kinds = [r["kind"] for r in rows(store, "order_status_events")]
    assert kinds == ["cancelled"]  # the refused cancellation recorded nothing


def test_a_status_job_posts_to_status_to_and_remembers_what_the_shop_got(
        store: Store, tmp_path: Path, shared_samples: Path) -> None:
    from tests.shopreturn.test_status_round_trip import import_prestashop, serve_order_carriers

    import_prestashop(store, shared_samples, tmp_path)
    with HTTPServerThread() as server:
        (tmp_path / "exchange.yaml").write_text(
            "folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}\n"
            "shops:\n  prestashop:\n    profile: prestashop\n"
            f"    status_to: {server.url('/api/order_histories', 'method=post')}\n"
            "jobs:\n  statuses: {do: status, shop: prestashop, every: 5 minutes}\n",
            encoding="utf-8")
        config = load_config(tmp_path / "exchange.yaml")
        set_status(store, "XKBKNABJK", "delivered", tracking="T-1")
        serve_order_carriers(server, "7", 4)
        first = run_job(store, config, config.job("statuses"), actions=ACTIONS)
        assert (first.status, first.counts["orders"], first.counts["pushed"]) == ("ok", 1, 2)
        assert [r.method for r in server.state.requests] == ["GET", "POST", "PUT"]
        assert b"<id_order_state>5</id_order_state>" in server.state.requests[1].body
        assert b"<tracking_number><![CDATA[T-1]]></tracking_number>" in \
            server.state.requests[2].body
        second = run_job(store, config, config.job("statuses"), actions=ACTIONS)
        assert (second.status, second.counts.get("orders", 0), second.counts.get("pushed")) == \
            ("ok", 0, None)
        assert len(server.state.requests) == 3


def _profile_with(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (profiles_dir() / "upgates.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "upgates-own.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_status_map_directions_are_checked_with_their_lines(tmp_path: Path) -> None:
    paid = ("          Vrácená: returned\n", "          Vrácená: returned\n          Zaplaceno: paid\n")
    with pytest.raises(ConfigError, match=r"upgates-own.yaml:\d+: .*only sent back to the shop: "
                                          r"give this value direction: out"):
        load_profile(_profile_with(tmp_path, paid))
    with pytest.raises(ConfigError, match="'Nikdy' is not one of this map's values"):
        load_profile(_profile_with(tmp_path, ("Stornovaná zákazníkem: in}", "Nikdy: in}")))
    good = _profile_with(tmp_path, paid, ("direction: {Prijatá", "direction: {Zaplaceno: out, Prijatá"))
    vmap = load_profile(good).mapping("orders").maps["status"]
    assert vmap.outgoing("paid") == "Zaplaceno"
    assert vmap.lookup("Zaplaceno") is None  # out only: never read
    assert vmap.lookup("Prijatá") == "new" and vmap.outgoing("new") == "Přijatá"


def test_a_status_job_for_a_profile_without_order_status_is_refused_with_its_line(
        tmp_path: Path) -> None:
    (tmp_path / "exchange.yaml").write_text(
        "shops:\n  s:\n    profile: shoptet\njobs:\n  st:\n    do: status\n    shop: s\n",
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"exchange.yaml:\d+: jobs.st.do: the profile of shop 's' "
                                          r"has no order_status: section"):
        load_config(tmp_path / "exchange.yaml")
