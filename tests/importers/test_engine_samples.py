"""Import engine on the real third-party samples in ../shared/samples (read in place)."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from tests.importers.engine_support import count, rows


def test_pohoda_invoices_import_once(store: Store, shared_samples: Path, tmp_path: Path) -> None:
    path = shared_samples / "pohoda" / "vitex_all-invoices-response_cp1250.xml"

    first = import_file(store, path, "pohoda", "invoices", quarantine=tmp_path / "q")
    again = import_file(store, path, "pohoda", "invoices", quarantine=tmp_path / "q")

    assert first.counts[Outcome.IMPORTED] == 16
    assert again.counts[Outcome.SKIPPED] == 16
    assert count(store, "invoices") == 16
    assert count(store, "invoice_lines") > 16
    # the POHODA profile keeps unknown stock items as text lines, each with a warning
    assert all(line["product_id"] is None for line in rows(store, "invoice_lines"))
    assert any("not in the catalogue" in w for d in first.documents for w in d.warnings)


def test_prestashop_order_sample(store: Store, shared_samples: Path, tmp_path: Path) -> None:
    path = shared_samples / "prestashop" / "axelor_orders.xml"

    report = import_file(store, path, "prestashop", "orders", quarantine=tmp_path / "q")

    assert report.counts[Outcome.IMPORTED] + report.counts[Outcome.HELD] == 1
    (order,) = rows(store, "orders")
    assert order["shop"] == "prestashop"
    assert order["ordered_at"].tzinfo is not None
    assert count(store, "order_lines") >= 1
