"""Quarantine and `exchange retry`: a failed file waits with its report, and goes through once fixed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.importers.run import import_file
from exchange.jobs.quarantine import inspect
from exchange.store import Store

BROKEN = b"""<?xml version="1.0" encoding="utf-8"?>
<ORDERS><ORDER><ORDER_ID>77</ORDER_ID><CODE>77</CODE><DATE>2026-11-20 10:00:00</DATE>
<STATUS>Vy\xc5\x99izuje se</STATUS><CURRENCY><CODE>CZK</CODE></CURRENCY>
<CUSTOMER><EMAIL>a@example.cz</EMAIL><BILLING_ADDRESS><NAME>A</NAME></BILLING_ADDRESS></CUSTOMER>
<ORDER_ITEMS><ITEM><TYPE>product</TYPE><CODE>X</CODE><NAME>X</NAME><AMOUNT>1</AMOUNT>
<UNIT_PRICE><WITH_VAT>10</WITH_VAT><VAT_RATE>21</VAT_RATE></UNIT_PRICE></ITEM></ORDER_ITEMS>
</ORDER>
"""  # the closing </ORDERS> is missing


def test_a_broken_file_waits_in_quarantine_and_retry_imports_it_once_fixed(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = inbox / "orders.xml"
    source.write_bytes(BROKEN)
    store = Store(db)
    report = import_file(store, source, "shoptet", "orders", shop="eshop",
                         quarantine=tmp_path / "quarantine")
    assert report.file_error is not None
    held = tmp_path / "quarantine" / "orders.xml"
    assert held.exists()
    info = inspect(held)
    assert (info.profile, info.kind) == ("shoptet", "orders")
    assert info.report is not None
    assert "orders.xml" in info.report.read_text()

    runner = CliRunner()
    still = runner.invoke(cli, ["--db", db, "retry", str(held)])
    assert still.exit_code == 4
    assert "still failing" in still.output
    assert held.exists()

    held.write_bytes(BROKEN + b"</ORDERS>\n")  # the user fixed the file
    fixed = runner.invoke(cli, ["--db", db, "retry", str(held), "--shop", "eshop"])
    assert fixed.exit_code == 0, fixed.output
    assert not held.exists()
    assert (tmp_path / "quarantine" / "resolved" / "orders.xml").exists()
    listed = runner.invoke(cli, ["--db", db, "orders", "list", "--json"])
    assert '"number": "77"' in listed.output
    store.close()
