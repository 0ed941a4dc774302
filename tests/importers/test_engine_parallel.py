"""The import with its reader in a reader process gives the same results as in-process."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.read import process
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.store import Store
from tests.importers.engine_support import count, order_xml, rows, write_orders


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


def test_codec_round_trips_every_document_kind() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from exchange.documents import (
        Address,
        Customer,
        Invoice,
        InvoiceKind,
        InvoiceLine,
        LineKind,
        Order,
        OrderLine,
        OrderStatus,
        Price,
        Product,
        StockLevel,
    )
    from exchange.importers.read.content_hash import content_hash_of, document_hash
    from exchange.importers.read.wire import decode, encode

    documents = [
        Order("1", "N1", datetime(2026, 1, 1, 8, tzinfo=UTC), "CZK",
              Customer(name="Á", billing=Address(city="Brno")), status=OrderStatus.SHIPPED,
              lines=[OrderLine(LineKind.SHIPPING, "PPL", Decimal("1"), Decimal("99.00"),
                               Decimal("21"), line_total=None)], total=Decimal("99")),
        Invoice("2", "F2", date(2026, 1, 2), "EUR", Customer(), kind=InvoiceKind.CREDIT_NOTE,
                lines=[InvoiceLine(LineKind.PRODUCT, "X", Decimal("-1"), Decimal("5"))],
                due_on=date(2026, 2, 1)),
        Product("A", "Bunda", labels=["akce"], prices=[Price("retail", Decimal("10.5"), "CZK")],
                variants=[Product("A-XL", "Bunda XL", parent_code="A")]),
        StockLevel("A", "MAIN", Decimal("3")),
    ]
    for doc in documents:
        packed = encode(doc)
        assert decode(type(doc), packed) == doc
        assert content_hash_of(type(doc).__name__, packed) == document_hash(doc)


def test_a_reader_process_closed_before_reading_is_stopped(tmp_path: Path) -> None:
    from exchange.importers.read.source import SourceFile
    from exchange.profiles import DocumentKind, load_profile

    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 2000)))
    records = process.ProcessRecords(SourceFile.scan(path), load_profile("shoptet"),
                                     DocumentKind.ORDERS)
    reader = records._reader
    assert reader is not None and reader.alive
    records.close()  # e.g. the store failed before the import read anything
    records.close()

    assert not reader.alive  # stopped mid-file: killed, not kept warm


def test_a_reader_process_that_finished_is_kept_warm_for_the_next_file(
        store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 20)))
    import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q", parallel=True)
    warm = list(process._IDLE)
    assert warm and all(r.alive for r in warm)

    again = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                        parallel=True)

    assert again.counts[Outcome.SKIPPED] == 19
    assert warm == process._IDLE  # the same process read the second file


def test_a_reader_process_works_in_a_process_that_runs_threads(store: Store,
                                                               tmp_path: Path) -> None:
    import threading

    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 30)))
    reports = []
    worker = threading.Thread(target=lambda: reports.append(import_file(
        store, path, "shoptet", "orders", quarantine=tmp_path / "q", parallel=True)))
    worker.start()
    worker.join()

    assert reports[0].counts[Outcome.IMPORTED] == 29
    assert count(store, "orders") == 29


def _children() -> list[int]:
    import os

    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


def test_a_reader_killed_mid_file_books_nothing_and_leaves_the_file_for_the_next_run(
        store: Store, tmp_path: Path) -> None:
    import os
    import signal

    import pytest

    from exchange.errors import ProcessLostError
    from exchange.importers.run import ImportRequest, run_import

    # 6 MB: the reader, at most a pipe (1 MiB) ahead, is still reading after the first chunk
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 10001)))
    killed: list[int] = []

    def kill_the_reader(done: int, size: int) -> None:
        if not killed and done < size:
            for pid in _children():  # the reader is this process's child
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    request = ImportRequest(path=path, profile="shoptet", quarantine=tmp_path / "q", parallel=True,
                            progress=kill_the_reader)
    with pytest.raises(ProcessLostError) as lost:
        run_import(store, request)

    assert killed and lost.value.retryable
    assert "killed by SIGKILL" in lost.value.message and str(path) in lost.value.message
    # not the file's fault: no order, no processed_files verdict, no quarantine, the file in place
    assert count(store, "orders") == 0 and rows(store, "processed_files") == []
    assert not (tmp_path / "q").exists() and path.is_file()
    again = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                        parallel=True)
    assert again.counts[Outcome.IMPORTED] == 10000
