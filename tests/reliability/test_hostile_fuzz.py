"""The hostile corpus grown with hypothesis: mutated order files (cut, bytes overwritten, hostile field
values). Whatever comes in, the import ends with a report, never a traceback; a refused file leaves
the document tables as they were; a failed document names its reason; the original stays as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.catalog import load_catalog_csv
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.resources import samples_dir
from exchange.store import Store
from tests.reliability.store_view import document_counts

CORPUS = Path(__file__).parent / "corpus"
SOUND = (CORPUS / "nan-price.xml").read_bytes().replace(b"NaN", b"249")
FIELDS = (b"1001", b"2026-11-20 10:00:00", b"249", b"21", b"<AMOUNT>1<", b"Hrnek")
#: examples per test: a few in `make test`; EXCHANGE_FUZZ_EXAMPLES=2000 for a long run
FUZZ = settings(max_examples=int(os.environ.get("EXCHANGE_FUZZ_EXAMPLES", "20")), deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Store, Path]]:
    """One SQLite store for every example (each is checked against the counts before it)."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        store = Store(f"sqlite:///{work / 'fuzz.db'}")
        load_catalog_csv(store, samples_dir() / "catalog.csv")
        yield store, work
        store.close()


def _check(store: Store, work: Path, data: bytes) -> None:
    path = work / "in.xml"
    path.write_bytes(data)
    before = document_counts(store)
    report = import_file(store, path, "shoptet", "orders", shop="eshop", quarantine=work / "q")
    after = document_counts(store)
    assert path.read_bytes() == data
    if report.file_error is not None:
        assert report.file_error.strip()
        assert after == before
        return
    for document in report.documents:
        if document.outcome in (Outcome.FAILED, Outcome.HELD):
            assert document.reason.strip()
    new = after["orders"] - before["orders"]  # a held change of a stored order adds no row
    assert report.counts[Outcome.IMPORTED] <= new <= report.counts[Outcome.IMPORTED] + \
        report.counts[Outcome.HELD]
    if not any(report.counts[o] for o in (Outcome.IMPORTED, Outcome.HELD, Outcome.UPDATED)):
        assert after == before


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(SOUND) - 1))
def test_a_file_cut_anywhere(shared: tuple[Store, Path], cut: int) -> None:
    _check(*shared, SOUND[:cut])


@FUZZ
@given(at=st.integers(min_value=0, max_value=len(SOUND) - 1), junk=st.binary(min_size=1, max_size=12))
def test_bytes_overwritten_anywhere(shared: tuple[Store, Path], at: int, junk: bytes) -> None:
    _check(*shared, SOUND[:at] + junk + SOUND[at + len(junk):])


@FUZZ
@given(field=st.sampled_from(FIELDS),
       value=st.one_of(st.text(max_size=40), st.sampled_from([
           "NaN", "-Infinity", "1e400", "-0", "0x10", "1_000", "٣", "9" * 40, "-5", "37",
           "2026-02-30 10:00:00", "0001-01-01 00:00:00", "&amp;", "]]>", "x" * 400])))
def test_hostile_field_values(shared: tuple[Store, Path], field: bytes, value: str) -> None:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8", "surrogatepass")
    if field.startswith(b"<AMOUNT>"):
        data = SOUND.replace(field, b"<AMOUNT>" + escaped + b"<", 1)
    else:
        data = SOUND.replace(field, escaped, 1)
    _check(*shared, data)
