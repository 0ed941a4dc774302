"""Benchmark: the import engine against a bare lxml + executemany baseline on a Shoptet order export.

Usage: ``python bench/bench_import.py [--sizes 10000 100000] [--seed 42] [--keep DIR]``

For each size a seeded Shoptet order export is generated (a catalogue of products loaded into the store
first, a few thousand distinct customers so that matching hits). Each variant runs in a fresh
subprocess on a fresh SQLite file, so the peak RSS (``ru_maxrss`` of the child) is per variant:

* ``engine``   — ``exchange.importers.run.import_file`` with the bundled ``shoptet`` profile;
* ``baseline`` — lxml ``iterparse(tag=…)``, the same fields pulled in one pass over each record's
  children, customers/orders/order_lines written with ``executemany`` in one transaction.
* ``reader``   — the engine's reader alone (``read_records``), to tell reader time from engine time.

Target: engine ≥ 0.5 × baseline orders/s, peak RSS < 150 MB at 10,000 and 100,000 orders. CPU time
and peak RSS include the engine's reader child process (files of 8 MB and more are read in a forked
child while the parent writes); the RSS shown is the larger of parent and child.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

PRODUCTS = 2000
CUSTOMERS = 3000
STATUSES = ["Nevyřízená", "Vyřizuje se", "Zaplacená", "Odeslaná", "Vyřízena", "Stornována"]
FIRST = ["Jan", "Petr", "Eva", "Jana", "Tomáš", "Lucie", "Martin", "Tereza", "Pavel", "Anna"]
LAST = ["Novák", "Svoboda", "Dvořák", "Černá", "Procházka", "Kučerová", "Veselý", "Horák"]
CITIES = [("Praha", "110 00"), ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00")]


def _catalogue() -> list[tuple[str, str, str, Decimal]]:
    return [(f"P{i:05d}", f"859{i:010d}", f"Produkt {i}", Decimal(random.randint(50, 5000)))
            for i in range(1, PRODUCTS + 1)]


def generate(path: Path, orders: int, seed: int) -> None:
    """Write a Shoptet order export of ``orders`` orders (deterministic for a seed)."""
    random.seed(seed)
    catalogue = _catalogue()
    customers = []
    for i in range(CUSTOMERS):
        first, last = random.choice(FIRST), random.choice(LAST)
        company = i % 5 == 0
        city, zip_ = random.choice(CITIES)
        customers.append({
            "name": f"{first} {last}", "email": f"zakaznik{i}@example.cz",
            "phone": f"+420 6{i:08d}", "company": f"Firma {i} s.r.o." if company else "",
            "company_id": f"{10000000 + i}" if company else "",
            "vat_id": f"CZ{10000000 + i}" if company else "", "street": "Dlouhá",
            "house": str(random.randint(1, 200)), "city": city, "zip": zip_,
        })
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<ORDERS>\n')
        for n in range(1, orders + 1):
            c = customers[random.randrange(CUSTOMERS)]
            items = []
            total = Decimal(0)
            for _ in range(random.randint(1, 4)):
                code, _ean, name, price = random.choice(catalogue)
                amount = random.randint(1, 3)
                total += price * amount
                items.append(("product", code, name, amount, price, "21"))
            items.append(("shipping", "", "PPL", 1, Decimal("99"), "21"))
            items.append(("billing", "", "Dobírka", 1, Decimal("39"), "21"))
            total += Decimal(138)
            addr = (f"<NAME>{escape(c['name'])}</NAME><COMPANY>{escape(c['company'])}</COMPANY>"
                    f"<STREET>{c['street']}</STREET><HOUSENUMBER>{c['house']}</HOUSENUMBER>"
                    f"<CITY>{c['city']}</CITY><ZIP>{c['zip']}</ZIP>"
                    f"<COUNTRY>Česká republika</COUNTRY>")
            out.write(
                f"<ORDER>\n<ORDER_ID>{n}</ORDER_ID>\n<CODE>2026{n:06d}</CODE>\n"
                f"<DATE>2026-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00</DATE>\n"
                f"<STATUS>{random.choice(STATUSES)}</STATUS>\n<CURRENCY><CODE>CZK</CODE></CURRENCY>\n"
                f"<CUSTOMER><EMAIL>{c['email']}</EMAIL><PHONE>{c['phone']}</PHONE>\n"
                f"<BILLING_ADDRESS>{addr}<COMPANY_ID>{c['company_id']}</COMPANY_ID>"
                f"<VAT_ID>{c['vat_id']}</VAT_ID></BILLING_ADDRESS>\n"
                f"<SHIPPING_ADDRESS>{addr}</SHIPPING_ADDRESS></CUSTOMER>\n"
                f"<TOTAL_PRICE><WITH_VAT>{total:.2f}</WITH_VAT>"
                f"<WITHOUT_VAT>{total / Decimal('1.21'):.2f}</WITHOUT_VAT></TOTAL_PRICE>\n"
                "<ORDER_ITEMS>\n")
            for kind, code, name, amount, price, vat in items:
                out.write(
                    f"<ITEM><TYPE>{kind}</TYPE><CODE>{code}</CODE><NAME>{escape(name)}</NAME>"
                    f"<AMOUNT>{amount}</AMOUNT><UNIT>ks</UNIT><UNIT_PRICE><WITH_VAT>{price:.2f}"
                    f"</WITH_VAT><VAT_RATE>{vat}</VAT_RATE></UNIT_PRICE><TOTAL_PRICE><WITH_VAT>"
                    f"{price * amount:.2f}</WITH_VAT></TOTAL_PRICE></ITEM>\n")
            out.write("</ORDER_ITEMS>\n</ORDER>\n")
        out.write("</ORDERS>\n")


def _load_catalogue(db: Path, seed: int) -> None:
    from exchange.store import Store

    Store(f"sqlite:///{db}").close()  # migrated schema
    random.seed(seed)
    conn = sqlite3.connect(db)
    now = "2026-01-01 00:00:00"
    conn.executemany(
        "INSERT INTO products (code, ean, name, unit, vat_rate, is_service, variant_name, description,"
        " manufacturer, url, image_url, category, created_at, updated_at)"
        " VALUES (?, ?, ?, 'ks', 21, 0, '', '', '', '', '', '', ?, ?)",
        [(code, ean, name, now, now) for code, ean, name, _ in _catalogue()])
    conn.commit()
    conn.close()


# -- variants (each runs in its own subprocess) ---------------------------------------------------
def run_engine(xml: Path, db: Path) -> int:
    """Import with the engine; returns the number of orders imported."""
    from exchange.importers.run import import_file
    from exchange.store import Store

    store = Store(f"sqlite:///{db}")
    report = import_file(store, xml, "shoptet", "orders", quarantine=db.parent / "quarantine")
    store.close()
    if report.counts["failed"] or report.file_error:
        raise SystemExit(f"engine import failed: {report.summary()}")
    return report.counts["imported"] + report.counts["held"]


def run_reader(xml: Path, _db: Path) -> int:
    """Only read the file into canonical documents (the reader's share of the engine's time)."""
    from exchange.importers.read.records import read_records
    from exchange.profiles import load_profile

    return sum(1 for _ in read_records(xml, load_profile("shoptet"), "orders"))


def run_baseline(xml: Path, db: Path) -> int:
    """Bare lxml iterparse + executemany into the same tables in one transaction."""
    from lxml import etree

    conn = sqlite3.connect(db)
    products = dict(conn.execute("SELECT code, id FROM products"))
    customers: dict[str, int] = {}
    next_customer = 1
    next_order = 1
    now = "2026-01-01 00:00:00"
    customer_rows, order_rows, line_rows = [], [], []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO customers (id, name, company, company_id, vat_id, email, phone, street,"
            " house_number, city, postcode, country, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'CZ', ?, ?)", customer_rows)
        conn.executemany(
            "INSERT INTO orders (id, shop, external_id, number, status, shop_status, ordered_at,"
            " currency, customer_id, payment_method, shipping_method, total, prices_include_vat,"
            " note, billing_address, delivery_address, point_of_sale, content_hash, review_reason,"
            " source_file, imported_at, updated_at) VALUES (?, 'shoptet', ?, ?, 'new', ?, ?, ?, ?,"
            " '', '', ?, 1, '', '{}', '{}', '', '', '', '', ?, ?)", order_rows)
        conn.executemany(
            "INSERT INTO order_lines (order_id, position, kind, product_id, code, ean, name, variant,"
            " quantity, unit, unit_price, vat_rate, discount_percent, line_total)"
            " VALUES (?, ?, ?, ?, ?, '', ?, '', ?, ?, ?, ?, 0, ?)", line_rows)
        customer_rows.clear()
        order_rows.clear()
        line_rows.clear()

    count = 0
    for _event, order in etree.iterparse(str(xml), events=("end",), tag="ORDER"):
        f: dict[str, str] = {}
        bill: dict[str, str] = {}
        lines = []
        for child in order:
            tag = child.tag
            if tag == "CUSTOMER":
                for c in child:
                    if c.tag == "BILLING_ADDRESS":
                        for b in c:
                            bill[b.tag] = b.text or ""
                    elif c.tag != "SHIPPING_ADDRESS":
                        f[c.tag] = c.text or ""
            elif tag == "CURRENCY":
                f["CURRENCY"] = child[0].text or ""
            elif tag == "TOTAL_PRICE":
                f["TOTAL"] = child[0].text or ""
            elif tag == "ORDER_ITEMS":
                for item in child:
                    it = {}
                    for x in item:
                        if x.tag == "UNIT_PRICE":
                            it["PRICE"] = x[0].text or ""
                            it["VAT"] = x[1].text or ""
                        elif x.tag == "TOTAL_PRICE":
                            it["LINE_TOTAL"] = x[0].text or ""
                        else:
                            it[x.tag] = x.text or ""
                    lines.append(it)
            else:
                f[tag] = child.text or ""
        email = f.get("EMAIL", "")
        cid = customers.get(email)
        if cid is None:
            cid = customers[email] = next_customer
            next_customer += 1
            customer_rows.append((cid, bill.get("NAME", ""), bill.get("COMPANY", ""),
                                  bill.get("COMPANY_ID", ""), bill.get("VAT_ID", ""), email,
                                  f.get("PHONE", ""), bill.get("STREET", ""),
                                  bill.get("HOUSENUMBER", ""), bill.get("CITY", ""),
                                  bill.get("ZIP", ""), now, now))
        oid = next_order
        next_order += 1
        order_rows.append((oid, f.get("ORDER_ID", ""), f.get("CODE", ""), f.get("STATUS", ""),
                           f.get("DATE", ""), f.get("CURRENCY", ""), cid,
                           float(f.get("TOTAL") or 0), now, now))
        for pos, it in enumerate(lines, start=1):
            line_rows.append((oid, pos, it.get("TYPE", ""), products.get(it.get("CODE", "")),
                              it.get("CODE", ""), it.get("NAME", ""), float(it.get("AMOUNT") or 0),
                              it.get("UNIT", ""), float(it.get("PRICE") or 0),
                              float(it.get("VAT") or 0), float(it.get("LINE_TOTAL") or 0)))
        count += 1
        order.clear(keep_tail=False)
        while order.getprevious() is not None:
            del order.getparent()[0]
        if len(order_rows) >= 1000:
            flush()
    flush()
    conn.commit()
    conn.close()
    return count


VARIANTS = {"engine": run_engine, "baseline": run_baseline, "reader": run_reader}


def child(variant: str, xml: Path, db: Path) -> None:
    """Run one variant and print its figures as JSON (called in a fresh subprocess)."""
    # Module imports are interpreter start-up, not import work: load them before the clock starts.
    import lxml.etree  # noqa: F401

    if variant != "baseline":
        pass
    started = time.perf_counter()
    cpu_started = time.process_time()
    count = VARIANTS[variant](xml, db)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the engine's reader process, if any
    cpu = time.process_time() - cpu_started + children.ru_utime + children.ru_stime
    rss_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss) / 1024
    print(json.dumps({"variant": variant, "orders": count, "seconds": round(seconds, 3),
                      "cpu_seconds": round(cpu, 3), "orders_per_s": round(count / seconds),
                      "orders_per_cpu_s": round(count / cpu), "peak_rss_mb": round(rss_mb, 1)}))


def measure(variant: str, xml: Path, work: Path, seed: int) -> dict[str, float]:
    """Run a variant in a fresh subprocess on a fresh database with the catalogue loaded."""
    db = work / f"{variant}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    _load_catalogue(db, seed)
    out = subprocess.run([sys.executable, __file__, "--child", variant, str(xml), str(db)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate, measure every variant per size, print a table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variants", nargs="+", default=["baseline", "engine", "reader"])
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "XML", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_import_"))
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    for size in args.sizes:
        xml = work / f"orders_{size}.xml"
        if not xml.exists():
            generate(xml, size, args.seed)
        load_before = os.getloadavg()[0]
        results = {v: measure(v, xml, work, args.seed) for v in args.variants}
        # the machine may be shared: the 1-minute load average tells how free the cores were
        print(f"\n{size:,} orders ({xml.stat().st_size / 1e6:.1f} MB), load average"
              f" {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        for r in results.values():
            print(f"  {r['variant']:<9} {r['orders_per_s']:>8,} orders/s  {r['seconds']:>7.2f} s"
                  f"  ({r['orders_per_cpu_s']:>7,} orders per CPU-s)"
                  f"  peak RSS {r['peak_rss_mb']:>6.1f} MB")
        if "engine" in results and "baseline" in results:
            ratio = results["engine"]["orders_per_s"] / results["baseline"]["orders_per_s"]
            cpu_ratio = (results["engine"]["orders_per_cpu_s"]
                         / results["baseline"]["orders_per_cpu_s"])
            rss = results["engine"]["peak_rss_mb"]
            good = ratio >= 0.5 and rss < 150
            ok = ok and good
            # on a shared machine the CPU-time ratio is the steadier of the two
            print(f"  engine/baseline = {ratio:.2f} wall, {cpu_ratio:.2f} CPU"
                  f"  (target ≥ 0.5, RSS < 150 MB): {'OK' if good else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
