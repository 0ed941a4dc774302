"""Bulk ``set-status``: several orders at once, and a warehouse's list (``--from FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.importers.run import import_file
from exchange.shopreturn.bulk import argument_lines, read_status_file, set_statuses
from exchange.store import Store
from tests.importers.engine_support import rows

UPGATES_ORDERS = Path(__file__).parent.parent / "profiles" / "fixtures" / "upgates_orders.xml"


def _orders(store: Store) -> dict[str, tuple[str, str]]:
    return {str(r["number"]): (str(r["status"]), str(r["tracking_number"] or ""))
            for r in rows(store, "orders")}


def test_a_warehouse_list_changes_each_order_and_reports_every_bad_line(
        store: Store, tmp_path: Path) -> None:
    import_file(store, UPGATES_ORDERS, "upgates")
    listing = tmp_path / "dispatch.csv"
    listing.write_text("number;status;tracking;carrier\n"
                       "2026000123;shipped;Z77;PPL\n"
                       "\n"
                       "# the next one is not ours\n"
                       "NOPE;shipped;Z78\n"
                       "2026000124;;DR0042\n"
                       "2026000124;teleported\n", encoding="utf-8")
    lines, refused = read_status_file(listing, status="shipped")
    assert [(x.number, x.status, x.tracking, x.carrier) for x in lines] == [
        ("2026000123", "shipped", "Z77", "PPL"), ("NOPE", "shipped", "Z78", ""),
        ("2026000124", "shipped", "DR0042", ""), ("2026000124", "teleported", "", "")]
    assert refused == []

    result = set_statuses(store, lines)

    assert not result.ok
    assert [(c.number, c.status, c.events) for c in result.changes] == [
        ("2026000123", "shipped", ("status",)), ("2026000124", "shipped", ("status",))]
    assert [(f.source, f.number) for f in result.failures] == [
        (f"{listing}:5", "NOPE"), (f"{listing}:7", "2026000124")]
    assert "no order 'NOPE'" in result.failures[0].reason
    assert "unknown status 'teleported'" in result.failures[1].reason
    assert _orders(store) == {"2026000123": ("shipped", "Z77"),
                              "2026000124": ("shipped", "DR0042")}
    events = rows(store, "order_status_events")
    assert sorted((e["kind"], e["tracking_number"], e["carrier"]) for e in events) == [
        ("status", "DR0042", ""), ("status", "Z77", "PPL")]


def test_a_line_without_a_status_or_number_is_refused_while_reading(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_bytes("2026000123\n,shipped\n2026000124,shipped,T1,Zásilkovna,extra\n"
                        .encode("cp1250"))
    lines, refused = read_status_file(listing)
    assert lines == []
    assert [str(f) for f in refused] == [
        f"{listing}:1: 2026000123: no status (on the line or as STATUS)",
        f"{listing}:2: -: no order number",
        f"{listing}:3: 2026000124: 5 cells; at most 4 (number, status, tracking, carrier)"]


def test_several_numbers_at_once_each_in_its_own_transaction(store: Store) -> None:
    import_file(store, UPGATES_ORDERS, "upgates")
    result = set_statuses(store, argument_lines(["2026000123", "missing", "2026000124"],
                                                "cancelled"))
    assert [c.number for c in result.changes] == ["2026000123", "2026000124"]
    assert [str(f) for f in result.failures] == ["argument 2: missing: no order 'missing'"]
    assert {s for s, _ in _orders(store).values()} == {"cancelled"}


def test_cli_from_a_file_exits_non_zero_when_a_line_failed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        import_file(store, UPGATES_ORDERS, "upgates")
    listing = tmp_path / "dispatch.csv"
    listing.write_text("2026000123,,Z77\nNOPE\n", encoding="utf-8")
    runner = CliRunner()
    base = ["--db", db, "--config", str(tmp_path / "none.yaml"), "orders", "set-status"]

    out = runner.invoke(cli, [*base, "--from", str(listing), "shipped", "--carrier", "PPL"])

    assert out.exit_code == 1, out.output
    assert "2026000123: new → shipped (status)" in out.stdout
    assert f"failed {listing}:2: NOPE: no order 'NOPE'" in out.stderr
    assert "1 order(s) changed (1 event(s)), 1 line(s) failed" in out.stdout
    with Store(db) as store:
        assert _orders(store)["2026000123"] == ("shipped", "Z77")
        assert rows(store, "order_status_events")[0]["carrier"] == "PPL"

    both = runner.invoke(cli, [*base, "2026000123", "2026000124", "delivered", "--json"])
    assert both.exit_code == 0, both.output
    assert [c["status"] for c in json.loads(both.output)["changes"]] == ["delivered", "delivered"]
    assert runner.invoke(cli, [*base, "2026000123"]).exit_code == 2
    assert runner.invoke(cli, [*base, "1", "2", "shipped", "--tracking", "T"]).exit_code == 2


def test_the_report_keeps_the_list_s_order(store: Store, tmp_path: Path) -> None:
    import_file(store, UPGATES_ORDERS, "upgates")
    listing = tmp_path / "list.csv"
    listing.write_text("NOPE,shipped\n,shipped\n2026000123,shipped\n", encoding="utf-8")
    lines, refused = read_status_file(listing)
    result = set_statuses(store, lines, failures=refused)
    assert [(f.line, f.number) for f in result.failures] == [(1, "NOPE"), (2, "")]
    assert [c.number for c in result.changes] == ["2026000123"]


def test_a_list_saved_as_utf16_or_with_a_bom_reads_as_the_catalogue_does(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    for encoding in ("utf-16", "utf-8-sig", "cp1250"):
        listing.write_bytes("2026000123\tshipped\tZ77\tZásilkovna\n".encode(encoding))
        lines, refused = read_status_file(listing)
        assert refused == []
        assert [(x.number, x.status, x.tracking, x.carrier) for x in lines] == [
            ("2026000123", "shipped", "Z77", "Zásilkovna")], encoding
