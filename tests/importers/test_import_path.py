"""The import path by stage: the file read once, errors that travel, translated and narrowed."""

from __future__ import annotations

import inspect
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from exchange import errors
from exchange.importers.read.lxml_errors import LXML_ERRORS
from exchange.importers.report import Outcome
from exchange.importers.run import ImportRequest, import_file, run_import
from exchange.store import Store
from exchange.store.processed_files import FileOrigin
from exchange.translate import exception_classes
from tests.importers.engine_support import count, order_xml, rows, strict_profile, write_orders

# -- counting the opens of a file (an audit hook sees every open() and os.open() of this process) --
_watched: list[tuple[str, list[str]]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _watched and isinstance(args[0], str | bytes | Path):
        name = str(Path(args[0].decode() if isinstance(args[0], bytes) else args[0]).resolve())
        for path, seen in _watched:
            if name == path:
                seen.append(event)


sys.addaudithook(_audit)  # hooks cannot be removed: it counts only while a file is watched


@contextmanager
def opens_of(path: Path) -> Iterator[list[str]]:
    """Every open of ``path`` in this process while the block runs."""
    seen: list[str] = []
    _watched.append((str(path.resolve()), seen))
    try:
        yield seen
    finally:
        _watched.pop()


def test_the_open_counter_counts_real_opens(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x", encoding="utf-8")
    with opens_of(path) as seen:
        path.read_text(encoding="utf-8")
        with path.open("rb"):
            pass
    assert len(seen) == 2


def test_an_import_opens_its_file_at_most_twice(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 40)))
    with opens_of(path) as seen:
        report = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                             parallel=False)
    assert report.counts[Outcome.IMPORTED] == 39
    assert len(seen) == 2, seen  # the scan, then the parse


def test_an_import_validated_by_a_schema_opens_its_file_at_most_twice(
        store: Store, tmp_path: Path) -> None:
    path = tmp_path / "good.xml"
    path.write_text("<ORDERS>\n<ORDER><ORDER_ID>1</ORDER_ID><DATE>2026-01-01 10:00:00</DATE>"
                    "</ORDER>\n</ORDERS>\n", encoding="utf-8")
    with opens_of(path) as seen:
        report = import_file(store, path, strict_profile(tmp_path), "orders",
                             quarantine=tmp_path / "q", parallel=False)
    assert report.counts[Outcome.IMPORTED] == 1
    assert len(seen) == 2, seen  # the scan, then the parse


def test_with_a_reader_process_this_process_opens_the_file_once(store: Store,
                                                                 tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", *(order_xml(str(i)) for i in range(1, 40)))
    with opens_of(path) as seen:
        report = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q",
                             parallel=True)
    assert report.counts[Outcome.IMPORTED] == 39
    assert len(seen) == 1  # the scan; the reader process opens it once more to parse


def test_a_pulled_file_brings_the_sha256_its_download_computed(store: Store,
                                                               tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"))
    from exchange.store.processed_files import FileStatus, NewFile, add_files

    with store.begin() as conn:
        (record_id,) = add_files(conn, [NewFile("ftp://shop/out", "orders.xml", 1, "f" * 64,
                                                FileStatus.DOWNLOADED)])
    report = run_import(store, ImportRequest(path, "shoptet", quarantine=tmp_path / "q",
                                             origin=FileOrigin("ftp://shop/out", record_id,
                                                               "f" * 64)))

    assert report.sha256 == "f" * 64  # taken, not computed again
    (row,) = rows(store, "processed_files")  # the pull's row, not a second one
    assert (row["source"], row["status"], row["sha256"]) == ("ftp://shop/out", "imported",
                                                             "f" * 64)


def test_one_pulled_file_is_one_processed_files_row(store: Store, tmp_path: Path) -> None:
    from exchange.pipeline import pull_and_import

    shop = tmp_path / "shop"
    shop.mkdir()
    write_orders(shop / "orders.xml", order_xml("1"), order_xml("2"))
    endpoint = f"file://{shop}?settle=0"
    importer = lambda path, origin: run_import(  # noqa: E731
        store, ImportRequest(path, "shoptet", quarantine=tmp_path / "q", origin=origin))

    result = pull_and_import(store, endpoint, tmp_path / "inbox", importer)

    assert [r.counts[Outcome.IMPORTED] for _, r in result.imported] == [2]
    (row,) = rows(store, "processed_files")
    assert row["status"] == "imported" and row["source"].startswith("file://")
    assert row["report"]["summary"]["imported"] == 2


def test_a_local_file_is_recorded_with_its_folder_as_source(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", order_xml("1"))
    import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q")
    (row,) = rows(store, "processed_files")
    assert row["source"] == tmp_path.resolve().as_uri()


# -- errors -------------------------------------------------------------------------------------
def _document_error_classes() -> list[type[errors.DocumentError]]:
    return [c for c in vars(errors).values()
            if inspect.isclass(c) and issubclass(c, errors.DocumentError)]


@pytest.mark.parametrize("cls", _document_error_classes(), ids=lambda c: c.__name__)
def test_document_errors_pickle_with_their_location(cls: type[errors.DocumentError]) -> None:
    error = cls("bad value", file="orders.xml", line=7, field="total")
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(again) is cls
    assert (again.reason, again.file, again.line, again.field) == ("bad value", "orders.xml", 7,
                                                                   "total")
    assert str(again) == str(error)


def test_every_lxml_exception_class_is_translated() -> None:
    classes = exception_classes(etree.Error, "lxml")
    assert len(classes) > 30
    missing = [c.__qualname__ for c in classes if not LXML_ERRORS.covers(c)]
    assert not missing, f"lxml exceptions without a translation: {missing}"
    for cls in classes:
        try:
            exc = cls("boom")
        except TypeError:  # some take no message
            continue
        assert isinstance(LXML_ERRORS.translate(exc, "orders.xml"), errors.ExchangeError)


def test_a_bug_in_a_writer_fails_the_run_and_keeps_nothing(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exchange.importers.write.documents import OrderWriter

    def broken(*_args: Any) -> tuple[Any, ...]:
        raise ArithmeticError("a bug, not a bad document")

    monkeypatch.setattr(OrderWriter, "line_row", broken)
    path = write_orders(tmp_path / "orders.xml", order_xml("1"), order_xml("2"))

    with pytest.raises(ArithmeticError):
        import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q")

    assert count(store, "orders") == 0
    assert count(store, "processed_files") == 0
