"""The engine with the reader in a forked child process gives the same results as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.importers import persist_parallel
from exchange.importers.engine import import_file
from exchange.importers.report import Outcome
from exchange.store import Store
from tests.importers.engine_support import count, order_xml, rows, write_orders

pytestmark = pytest.mark.skipif(not persist_parallel.available(),
                                reason="no fork here, or the test process runs threads")


def test_parallel_reading_imports_like_serial(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 450)),
                        order_xml("bad", date="yesterday"), order_xml("held", status="Nevím"))

    report = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                         parallel=True)

    assert report.counts[Outcome.IMPORTED] == 449
    assert report.counts[Outcome.HELD] == 1
    (failed,) = report.failures
    assert (failed.external_id, failed.field) == ("bad", "created_at")
    assert failed.line is not None and failed.line > 1
    again = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                        parallel=False)
    assert again.counts[Outcome.SKIPPED] == 450  # same hashes either way
    assert count(store, "orders") == 450


def test_parallel_reading_of_a_broken_file_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "broken.xml", *(order_xml(str(i)) for i in range(1, 300)),
                        tail="<ORDER><ORDER_ID>x</ORDER_ID></ORDERS>")

    report = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                         parallel=True)

    assert report.file_error is not None and report.file_error_line is not None
    assert count(store, "orders") == 0
    assert rows(store, "processed_files")[0]["status"] == "failed"
