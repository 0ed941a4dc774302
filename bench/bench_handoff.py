"""Benchmark: N issued invoices -> one POHODA dataPack, against a bare lxml ``xmlfile`` writer.

Variants (each in a fresh subprocess on a fresh copy of the store, so peak RSS is per variant):
  engine  exchange.handoff.run.hand_off: new and changed invoices read from the store in batches,
          dataPack items built, each parsed back and validated against POHODA's official XSDs
          before it is written, and the handoff state of every invoice recorded
  lxml    a bare etree.xmlfile writer of the same elements over the same rows (one sqlite3 query
          for the invoices with their customer, one for the lines), no validation, no state

Usage: .venv/bin/python bench/bench_handoff.py [--invoices 100000] [--xsd ../shared/samples/pohoda/xsd]
The store is generated once (seeded) and cached in --workdir.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_database(path: Path, invoices: int, seed: int) -> None:
    """A store with ``invoices`` invoices of 3 lines (2 products, shipping) for 10,000 customers."""
    from exchange.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    Store(f"sqlite:///{tmp}").close()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    db = sqlite3.connect(tmp)
    customers = []
    for i in range(1, 10_001):
        company = rng.random() < 0.4
        customers.append((i, f"Zákazník {i}", f"Firma {i} s.r.o." if company else "",
                          f"{10_000_000 + i}" if company else "", f"CZ{10_000_000 + i}" if company
                          else "", f"c{i}@example.cz", "+420 600 000 000", "Dlouhá", str(i % 200),
                          "Brno", "602 00", "CZ", now, now))
    db.executemany("INSERT INTO customers (id, name, company, company_id, vat_id, email, phone, "
                   "street, house_number, city, postcode, country, created_at, updated_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", customers)
    heads, lines = [], []
    start = date(2026, 1, 1)
    for i in range(1, invoices + 1):
        issued = start + timedelta(days=i % 300)
        net1, net2 = rng.randrange(100, 50_000) / 100, rng.randrange(100, 50_000) / 100
        q1, q2 = rng.randrange(1, 5), 1
        ship = 99.0
        gross = round((net1 * q1 + net2 * q2) * 1.21 + ship, 2)
        number = f"FV2026/{i:06d}"
        heads.append((i, "shop", number, number, "invoice", issued.isoformat(), issued.isoformat(),
                      (issued + timedelta(days=14)).isoformat(), f"2026{i:06d}", f"O{i}", "CZK",
                      rng.randrange(1, 10_001), "Převodem", str(gross), 1, "", f"{i:064x}", "",
                      "", now, now, "bank"))
        for pos, (name, qty, unit_net, rate, kind) in enumerate(
                ((f"Výrobek {i}-A", q1, net1, 21, "product"), (f"Výrobek {i}-B", q2, net2, 21,
                                                               "product"),
                 ("PPL", 1, ship / 1.21, 21, "shipping")), 1):
            unit_gross = round(unit_net * 1.21, 2)
            lines.append((i, pos, kind, f"P{i}-{pos}", name, str(qty), "ks", str(unit_gross),
                          str(rate), "0", str(round(unit_gross * qty, 2))))
        if len(lines) > 60_000:
            _flush(db, heads, lines)
    _flush(db, heads, lines)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    tmp.replace(path)


def _flush(db: sqlite3.Connection, heads: list[Any], lines: list[Any]) -> None:
    db.executemany("INSERT INTO invoices (id, shop, external_id, number, kind, issued_on, tax_date, "
                   "due_on, variable_symbol, order_number, currency, customer_id, payment_method, "
                   "total, prices_include_vat, note, content_hash, review_reason, source_file, "
                   "imported_at, updated_at, payment_code) VALUES "
                   "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", heads)
    db.executemany("INSERT INTO invoice_lines (invoice_id, position, kind, code, name, quantity, "
                   "unit, unit_price, vat_rate, discount_percent, line_total) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?)", lines)
    heads.clear()
    lines.clear()


def run_engine(db: Path, output: Path, xsd: Path) -> int:
    from exchange.handoff.run import HandoffRequest, hand_off
    from exchange.store import Store

    with Store(f"sqlite:///{db}") as store:
        result = hand_off(store, HandoffRequest(kind="invoices", fmt="pohoda", output=output, xsd=xsd))
    return result.documents


def run_lxml(db: Path, output: Path, _xsd: Path) -> int:
    """The same elements, written straight from two sqlite3 cursors."""
    from lxml import etree

    from exchange.handoff.pohoda import NS, q

    conn = sqlite3.connect(db)
    lines = conn.execute("SELECT invoice_id, name, quantity, unit, unit_price FROM invoice_lines "
                         "ORDER BY invoice_id, position")
    pending = next(lines, None)
    count = 0
    with etree.xmlfile(str(output), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(q("dat:dataPack"), {"id": "bare", "application": "bench", "version": "2.0",
                                            "note": "bare"}, nsmap=NS):
            for row in conn.execute(
                    "SELECT i.id, i.number, i.variable_symbol, i.issued_on, i.tax_date, i.due_on, "
                    "i.order_number, c.company, c.name, c.city, c.street, c.house_number, "
                    "c.postcode, c.company_id, c.vat_id, c.country, c.phone, c.email "
                    "FROM invoices i LEFT JOIN customers c ON c.id = i.customer_id ORDER BY i.id"):
                item = etree.Element(q("dat:dataPackItem"), id=f"I{row[0]}", version="2.0", nsmap=NS)
                inv = etree.SubElement(item, q("inv:invoice"), version="2.0")
                head = etree.SubElement(inv, q("inv:invoiceHeader"))
                etree.SubElement(head, q("inv:invoiceType")).text = "issuedInvoice"
                etree.SubElement(etree.SubElement(head, q("inv:number")),
                                 q("typ:numberRequested")).text = row[1]
                etree.SubElement(head, q("inv:symVar")).text = row[2]
                etree.SubElement(head, q("inv:date")).text = row[3]
                etree.SubElement(head, q("inv:dateTax")).text = row[4]
                etree.SubElement(head, q("inv:dateDue")).text = row[5]
                etree.SubElement(head, q("inv:text")).text = f"Faktura {row[1]}"
                partner = etree.SubElement(etree.SubElement(head, q("inv:partnerIdentity")),
                                           q("typ:address"))
                for tag, value in (("company", row[7]), ("name", row[8]), ("city", row[9]),
                                   ("street", f"{row[10]} {row[11]}"), ("zip", row[12]),
                                   ("ico", row[13]), ("dic", row[14])):
                    if value:
                        etree.SubElement(partner, q(f"typ:{tag}")).text = value
                etree.SubElement(etree.SubElement(partner, q("typ:country")),
                                 q("typ:ids")).text = row[15]
                etree.SubElement(partner, q("typ:phone")).text = row[16]
                etree.SubElement(partner, q("typ:email")).text = row[17]
                etree.SubElement(head, q("inv:numberOrder")).text = row[6]
                etree.SubElement(etree.SubElement(head, q("inv:paymentType")),
                                 q("typ:paymentType")).text = "draft"
                etree.SubElement(head, q("inv:intNote")).text = f"exchange: shop/{row[1]}"
                detail = etree.SubElement(inv, q("inv:invoiceDetail"))
                while pending is not None and pending[0] == row[0]:
                    line = etree.SubElement(detail, q("inv:invoiceItem"))
                    etree.SubElement(line, q("inv:text")).text = pending[1]
                    etree.SubElement(line, q("inv:quantity")).text = pending[2]
                    etree.SubElement(line, q("inv:unit")).text = pending[3]
                    etree.SubElement(line, q("inv:payVAT")).text = "true"
                    etree.SubElement(line, q("inv:rateVAT")).text = "high"
                    etree.SubElement(etree.SubElement(line, q("inv:homeCurrency")),
                                     q("typ:unitPrice")).text = pending[4]
                    pending = next(lines, None)
                summary = etree.SubElement(inv, q("inv:invoiceSummary"))
                etree.SubElement(summary, q("inv:roundingDocument")).text = "none"
                xf.write(item)
                xf.write("\n")
                count += 1
    conn.close()
    return count


VARIANTS = {"engine": run_engine, "lxml": run_lxml}


def child(variant: str, db: Path, workdir: Path, xsd: Path) -> None:
    import exchange.handoff.run  # noqa: F401 - imports before the clock starts

    copy = workdir / f"run-{variant}.db"
    shutil.copyfile(db, copy)  # a fresh store: nothing handed off yet
    output = workdir / f"pack-{variant}.xml"
    output.unlink(missing_ok=True)
    start = time.perf_counter()
    cpu = time.process_time()
    count = VARIANTS[variant](copy, output, xsd)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"variant": variant, "items": count, "seconds": elapsed, "cpu_seconds": cpu,
                      "items_per_s": count / elapsed, "peak_rss_mb": peak_kb / 1024,
                      "bytes": output.stat().st_size}))
    copy.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--xsd", type=Path, default=ROOT.parent / "shared" / "samples" / "pohoda" / "xsd")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/exchange-bench-handoff"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the best is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.workdir / f"handoff-{args.invoices}-{args.seed}.db"
    if args.child:
        child(args.child, db, args.workdir, args.xsd)
        return
    if not db.exists():
        t0 = time.perf_counter()
        build_database(db, args.invoices, args.seed)
        print(f"built {db} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    results: dict[str, dict[str, Any]] = {}
    for variant in ("lxml", "engine"):
        for _ in range(args.repeat):
            proc = subprocess.run([sys.executable, __file__, "--child", variant, "--invoices",
                                   str(args.invoices), "--seed", str(args.seed), "--xsd",
                                   str(args.xsd), "--workdir", str(args.workdir)],
                                  check=True, capture_output=True, text=True)
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            if variant not in results or run["seconds"] < results[variant]["seconds"]:
                results[variant] = run
    base = results["lxml"]["items_per_s"]
    print(f"{args.invoices} invoices (3 lines each) -> one POHODA dataPack")
    print(f"{'variant':8} {'items':>8} {'seconds':>8} {'items/s':>9} {'vs lxml':>8} {'cpu s':>6} "
          f"{'peak RSS':>9} {'MB out':>7}")
    for name, r in results.items():
        print(f"{name:8} {r['items']:>8} {r['seconds']:>8.2f} {r['items_per_s']:>9,.0f} "
              f"{r['items_per_s'] / base:>7.2f}x {r['cpu_seconds']:>6.2f} {r['peak_rss_mb']:>7.1f}MB "
              f"{r['bytes'] / 1e6:>7.1f}")


if __name__ == "__main__":
    main()
