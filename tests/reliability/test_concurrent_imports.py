"""Two concurrent imports of the same files: one imports, the other skips; no false failure, no quarantine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.catalog import load_catalog_csv
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.history import list_events
from exchange.store.schema import order_lines, orders
from tests.jobs.test_end_to_end import orders_xml
from tests.reliability.procs import ROOT

# both processes wait at this gate (a FIFO each opens for reading) so that they start importing together
IMPORTER = """
import os, sys
from exchange.cli import main
gate = sys.argv.pop(1)
with open(gate, "rb") as fifo:
    fifo.read(1)
sys.argv[0] = "exchange"
main()
"""


def _count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


@pytest.mark.parametrize("rounds", [3])
def test_two_processes_importing_the_same_files_at_once(store: Store, tmp_path: Path, rounds: int) -> None:
    load_catalog_csv(store, samples_dir() / "catalog.csv")
    total = 0
    for r in range(rounds):
        files = []
        for n in range(2):
            path = tmp_path / f"round{r}" / f"orders{n}.xml"
            path.parent.mkdir(exist_ok=True)
            first = 10_000 * (r + 1) + 1000 * n
            path.write_bytes(orders_xml(*range(first, first + 300)))
            files.append(str(path))
        total += 600
        procs, gates = [], []
        for p in range(2):
            gate = tmp_path / f"gate{r}-{p}"
            os.mkfifo(gate)
            gates.append(gate)
            procs.append(subprocess.Popen(
                [sys.executable, "-c", IMPORTER, str(gate), "--db", store.url, "import", "--profile",
                 "shoptet", "--shop", "eshop", "--quarantine", str(tmp_path / "quarantine"), "--json",
                 *(files if p == 0 else files[::-1])],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}))
        for gate in gates:
            with gate.open("wb") as fifo:  # opens once the process waits on it; both go on together
                fifo.write(b"!")
        outputs = [p.communicate(timeout=300) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()
            assert b"pipeline aborted" not in err
        reports = [rep for out, _ in outputs for rep in _reports(out)]
        summaries = [rep["summary"] for rep in reports]
        assert sum(s["failed"] for s in summaries) == 0
        assert sum(s["imported"] for s in summaries) == 600  # each order once, by one of the two
        assert sum(s["skipped"] for s in summaries) == 600  # and skipped as unchanged by the other
        assert _count(store, orders) == total
        assert _count(store, order_lines) == total
    with store.connect() as conn:
        assert list_events(conn, failed_only=True) == []
    assert not (tmp_path / "quarantine").exists()


def _reports(out: bytes) -> list[dict]:  # type: ignore[type-arg]
    data = json.loads(out)
    return data if isinstance(data, list) else data.get("files", [data])
