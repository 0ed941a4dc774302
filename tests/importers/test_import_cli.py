"""`exchange import` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from tests.importers.engine_support import order_xml, write_orders


def _run(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    return CliRunner().invoke(cli, ["--db", db, "--create", "import", *args], catch_exceptions=False)


def test_import_json_then_again_skips(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"), order_xml("2"))

    first = _run(tmp_path, str(path), "--profile", "shoptet", "--json")

    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data["summary"]["imported"] == 2
    assert data["files"][0]["status"] == "imported"
    second = _run(tmp_path, str(path), "--profile", "shoptet", "--json")
    assert json.loads(second.output)["summary"] == {
        "imported": 0, "updated": 0, "skipped": 2, "held": 0, "failed": 0}


def test_dry_run_and_text_report(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"))

    dry = _run(tmp_path, str(path), "--profile", "shoptet", "--dry-run")
    real = _run(tmp_path, str(path), "--profile", "shoptet")

    assert dry.exit_code == 0
    assert "dry run, nothing written" in dry.output and "1 imported" in dry.output
    assert "1 imported" in real.output  # the dry run left nothing behind


def test_held_and_failed_documents_exit_4_and_quarantine(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1", status="Neznámý"),
                        order_xml("2", date="31.12.2026"))
    quarantine = tmp_path / "q"

    result = _run(tmp_path, str(path), "--profile", "shoptet", "--quarantine", str(quarantine))

    assert result.exit_code == 4
    assert "1 held" in result.output and "1 failed" in result.output
    assert "field created_at" in result.output
    assert (quarantine / "orders.xml.error.txt").is_file()


def test_options_reach_the_engine(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1", date="2025-06-01 10:00:00"),
                        order_xml("2", date="2026-06-01 10:00:00", status="Odeslaná"),
                        order_xml("3", date="2026-06-01 10:00:00"))

    result = _run(tmp_path, str(path), "--profile", "shoptet", "--since", "2026-01-01",
                  "--status", "processing", "--warehouse", "W2", "--pos", "Praha", "--json")

    data = json.loads(result.output)
    assert data["summary"]["imported"] == 1 and data["summary"]["skipped"] == 2


def test_unknown_profile_is_one_line_and_exit_3(tmp_path: Path) -> None:
    from exchange.cli.common import run_cli

    path = write_orders(tmp_path / "orders.xml", order_xml("1"))
    code = run_cli(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--create", "import", str(path),
                         "--profile", "no-such-shop"])
    assert code == 3
