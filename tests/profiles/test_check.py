"""`exchange profiles check` and the profile commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import EXIT_CONFIG, run_cli
from exchange.profiles import DocumentKind, load_profile
from exchange.profiles.check import check_profile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


def test_check_reports_found_empty_unread_and_unmapped() -> None:
    report = check_profile(load_profile("shoptet"), FIXTURES / "shoptet_orders.xml")
    assert [k.kind for k in report.kinds] == [DocumentKind.ORDERS]
    orders = report.kinds[0]
    assert (orders.records, orders.documents) == (3, 2)
    states = {(p.scope, p.field): p.state for p in orders.paths}
    assert states[("record", "number")] == "ok"
    assert states[("record", "delivery.company")] == "empty"
    unknown = dict(orders.unknown_elements)
    assert unknown["DATIVERY/ZASILKOVNA_ID"] == 1
    assert "CUSTOMER/EMAIL" not in unknown
    unmapped = {(v.what, v.value): v.outcome for v in orders.values if v.unmapped}
    assert unmapped == {
        ("status", "Čeká na vyřízení u dodavatele"): "no mapping and no default: held for review",
        ("line type", "gift-certificate"): "no mapping: read as other, with a warning",
        # Shoptet carries the methods as billing/shipping items: listed as taken from a line
        ("payment (from a line)", "Dobírka"): "kept as is (the profile has no map)",
        ("shipping (from a line)", "Zásilkovna - výdejní místo"):
            "kept as is (the profile has no map)",
    }
    assert any("created_at" in e for e in orders.errors)
    assert report.has_problems


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    sample = tmp_path / "few.xml"
    sample.write_text("<ORDERS><ORDER><ORDER_ID>1</ORDER_ID><DATE>2026-01-02 03:04:05</DATE>"
                      "</ORDER></ORDERS>", encoding="utf-8")
    report = check_profile(load_profile("shoptet"), sample, "orders")
    states = {p.field: p.state for p in report.kinds[0].paths if p.scope == "record"}
    assert states["external_id"] == "ok"
    assert states["customer.email"] == "missing"
    assert not report.has_problems


def test_cli_check_prints_the_report_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["profiles", "check", "shoptet",
                                 str(FIXTURES / "shoptet_orders.xml")])
    assert result.exit_code == 0, result.output
    assert "EMPTY   delivery.company" in result.output
    assert "! status 'Čeká na vyřízení u dodavatele'" in result.output
    result = runner.invoke(cli, ["profiles", "check", "shoptet", "--json", "--strict",
                                 str(FIXTURES / "shoptet_orders.xml")])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["kinds"][0]["records"] == 3


def test_cli_list_show_and_copy(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["profiles", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    names = {row["name"]: row["kinds"] for row in json.loads(listed.output)}
    assert names["shoptet"] == "orders, products, invoices"
    assert names["pohoda"] == "orders, invoices"
    shown = runner.invoke(cli, ["profiles", "show", "prestashop"])
    assert "total_shipping_tax_incl" in shown.output
    target = tmp_path / "myshop.yaml"
    copied = runner.invoke(cli, ["profiles", "copy", "shoptet", str(target)])
    assert copied.exit_code == 0, copied.output
    mine = load_profile(target)
    assert mine.name == "myshop"
    assert mine.kinds.keys() == load_profile("shoptet").kinds.keys()


def test_cli_copy_does_not_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "myshop.yaml"
    target.write_text("mine", encoding="utf-8")
    assert run_cli(cli, ["profiles", "copy", "shoptet", str(target)]) == EXIT_CONFIG
    assert "already exists" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine"


def test_cli_unknown_profile_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["profiles", "show", "nosuchshop"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("error: unknown profile 'nosuchshop' (bundled: ")
    assert "Traceback" not in err


def test_cli_check_of_a_broken_profile_lists_every_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kinds:\n  orders:\n    record: /ORDERS/ORDER\n    fields:\n"
                   "      external_id: ORDER_ID\n      numbr: CODE\n      total: x[\n",
                   encoding="utf-8")
    sample = FIXTURES / "shoptet_orders.xml"
    assert run_cli(cli, ["profiles", "check", str(bad), str(sample)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"{bad}:6: kinds.orders.fields.numbr: unknown field" in err
    assert f"{bad}:7: kinds.orders.fields.total: invalid XPath" in err
