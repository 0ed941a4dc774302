"""Golden results of the bundled profiles on the real samples in ../shared/samples.

Each case imports one sample file with a bundled profile into a fresh store and keeps what is stored
in the ``orders show`` / ``invoices show`` shape (without the history, whose times change), plus the
file's outcome counts and each failure's field and reason. :func:`compare` reports every field that
differs. ``python -m tests.formats.golden`` rewrites the JSON files from what the engine books now
(review the diff: every change is a changed booking) and prints the figures; ``--check`` only compares.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.document_view import document_view
from exchange.store.schema import invoices, orders

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "shared" / "samples"
TESTS = HERE.parent  # fixtures of our own (a format no real sample exists of), relative to tests/


@dataclass(frozen=True)
class Case:
    """One sample file read by one bundled profile as one kind."""

    sample: str
    profile: str
    kind: str
    fixture: bool = False  # sample is a fixture under tests/, not a shared sample

    @property
    def source(self) -> Path:
        """The file imported."""
        return (TESTS if self.fixture else SAMPLES) / self.sample

    @property
    def golden(self) -> Path:
        """The JSON file of its expected result."""
        name = self.sample.replace("/", "__").removesuffix(".xml")
        return HERE / f"{name}.{self.profile}.{self.kind}.json"


CASES = (
    Case("pohoda/vitex_all-invoices-response_cp1250.xml", "pohoda", "invoices"),
    Case("pohoda/accsync_faktury_02_v2.0_response_cp1250.xml", "pohoda", "invoices"),
    Case("pohoda/masa331_response_pack_listInvoice.xml", "pohoda", "invoices"),
    Case("pohoda/masa331_response_pack_listInvoice.xml", "shoptet", "invoices"),
    Case("pohoda/accsync_objednavky_01_v2.0_response_cp1250.xml", "pohoda", "orders"),
    Case("pohoda/accsync_objednavky_02_v2.0_issued_response_cp1250.xml", "pohoda", "orders"),
    Case("prestashop/axelor_order.xml", "prestashop", "orders"),
    Case("prestashop/axelor_orders.xml", "prestashop", "orders"),
    Case("other/zynk_magento1_orders.xml", "magento1", "orders"),
    Case("other/zynk_magento2_orders.xml", "magento2", "orders"),
    Case("other/zynk_shopify_orders.xml", "shopify", "orders"),
    Case("woocommerce/zynk_woocommerce_legacyapi_orders.xml", "woocommerce_legacy", "orders"),
    # no real Upgates export is public: a fixture written from its documentation (see its header)
    Case("profiles/fixtures/upgates_orders.xml", "upgates", "orders", fixture=True),
)


def result_of(store: Store, case: Case, quarantine: Path) -> dict[str, Any]:
    """Import the case's sample into ``store`` and return what was booked, in the golden shape."""
    report = import_file(store, case.source, case.profile, case.kind,
                         quarantine=quarantine)
    table = orders if case.kind == "orders" else invoices
    with store.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(table.select().with_only_columns(table.c.id)
                                               .order_by(table.c.id))]
        views = [document_view(conn, case.kind, i) for i in ids]
    documents = {}
    for view in views:
        view.pop("events")
        documents[f"{view['shop']}/{view['external_id']}"] = view
    return {
        "sample": case.sample, "profile": case.profile, "kind": case.kind,
        "outcome": {o.value: n for o, n in report.counts.items()},
        "file_error": report.file_error,
        "failures": [{"external_id": d.external_id, "field": d.field, "reason": d.reason}
                     for d in report.failures],
        "documents": documents,
    }


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {f"{prefix}.length": len(value)}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[int, list[str]]:
    """(fields compared, one line per field that differs: path: expected → actual)."""
    want, got = _flat(expected), _flat(actual)
    differences = [f"{key}: {want.get(key, '<absent>')!r} → {got.get(key, '<absent>')!r}"
                   for key in sorted(set(want) | set(got)) if want.get(key) != got.get(key)
                   or (key in want) != (key in got)]
    return len(set(want) | set(got)), differences


def _main(argv: list[str]) -> int:
    check = "--check" in argv
    total = differing = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(CASES):
            store = Store(f"sqlite:///{Path(tmp) / f'{i}.db'}")
            try:
                actual = result_of(store, case, Path(tmp) / "q")
            finally:
                store.close()
            if not check:
                case.golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
            expected = json.loads(case.golden.read_text(encoding="utf-8"))
            count, diffs = compare(expected, actual)
            total += count
            differing += len(diffs)
            print(f"{case.golden.name}: {count} fields, {len(diffs)} differ")
            for line in diffs:
                print(f"  {line}")
    print(f"golden: {total} fields compared, {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
