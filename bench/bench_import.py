"""Benchmark: the import from the CLI and from a daemon job against a bare lxml + executemany baseline.

Usage: ``python bench/bench_import.py [--sizes 20000 100000] [--repeat 3] [--seed 42] [--keep DIR]``

For each size a seeded Shoptet order export is generated (a catalogue of products loaded into the store
first, a few thousand distinct customers so that matching hits). Each repetition runs every variant
once, in this order, each on a fresh SQLite file with the catalogue loaded:

* ``baseline`` — lxml ``iterparse(tag=…)``, the same fields pulled in one pass over each record's
  children, customers/orders/order_lines written with ``executemany`` in one transaction;
* ``cli``      — ``exchange import FILE --profile shoptet --json`` as a user runs it;
* ``daemon``   — ``exchange run`` with a ``watch`` job: the file is dropped (renamed) into the
  watched folder and the job's time is read from ``exchange status --json`` (``last_duration_s``
  of the run that imported it; the daemon's start-up and the folder's settle time are not in it);
* ``engine``   — ``import_file`` called in a process whose modules are already loaded (reference).

``baseline`` and ``cli`` are timed from outside, start to exit of their process, so both pay their
interpreter start-up. The ratios are taken within one repetition (the machine may be shared, so
runs far apart are not comparable), and the medians over the repetitions are printed. Peak RSS is
the larger of the importing process and its reader process (``wait4`` for the subprocesses,
``VmHWM`` for the daemon and its reader).

On a shared machine the wall-clock ratio also measures how busy the cores were. The ratio "by CPU
critical path" divides the baseline's CPU time by the larger of the importing process's and its
reader process's CPU time: what the wall-clock ratio would be with two free cores (the two
processes overlap), so it stays readable when the machine is loaded.

Target: cli and daemon ≥ 0.5 × baseline orders/s (stretch 0.7), peak RSS < 150 MB, at 20,000 and
100,000 orders.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
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


# -- variants ------------------------------------------------------------------------------------
def run_engine(xml: Path, db: Path) -> int:
    """Import with ``import_file`` in this (already warmed-up) process."""
    from exchange.importers.run import import_file
    from exchange.store import Store

    store = Store(f"sqlite:///{db}")
    report = import_file(store, xml, "shoptet", "orders", quarantine=db.parent / "quarantine")
    store.close()
    if report.counts["failed"] or report.file_error:
        raise SystemExit(f"engine import failed: {report.summary()}")
    return report.counts["imported"] + report.counts["held"]


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


def child(variant: str, xml: Path, db: Path) -> None:
    """Run ``baseline`` or ``engine`` and print its count, time and CPU time as JSON."""
    import lxml.etree  # noqa: F401

    if variant == "engine":
        import exchange.importers.run  # noqa: F401
    started, cpu = time.perf_counter(), time.process_time()
    count = {"baseline": run_baseline, "engine": run_engine}[variant](xml, db)
    figures = {"orders": count, "seconds": time.perf_counter() - started,
               "cpu": time.process_time() - cpu, "reader_cpu": 0.0}
    if variant == "engine":
        from exchange.importers.read import process

        figures["reader_cpu"] = sum(_cpu_seconds(r.proc.pid) for r in process._IDLE)
    print(json.dumps(figures))


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _reader_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"exchange.importers.read.process" in argv and str(parent).encode() in argv:
            pids.append(int(entry.name))
    return pids


def _fresh_db(work: Path, name: str, seed: int) -> Path:
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    _load_catalogue(db, seed)
    return db


def _timed(cmd: list[str], cwd: Path, cpu: dict[str, float] | None = None
           ) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the process and its waited-for children, stdout).

    With ``cpu``, the CPU seconds of the process (``own``) and of its reader process (``reader``)
    are sampled while it runs, the last sample before it ends kept.
    """
    out_path = cwd / "stdout.txt"
    with out_path.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out)
        readers: list[int] = []
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if cpu is not None else 0)
            if pid:
                break
            assert cpu is not None
            # /proc is scanned for the reader until it is found, not on every sample: a scan
            # costs CPU time the measured processes would otherwise have
            own, readers = _cpu_seconds(proc.pid), readers or _reader_pids(proc.pid)
            if own:
                cpu["own"] = own
                cpu["reader"] = max([_cpu_seconds(r) for r in readers] + [cpu.get("reader", 0)])
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(encoding="utf-8")
    if proc.returncode:
        raise SystemExit(f"{cmd[:4]} failed with {proc.returncode}: {text[-500:]}")
    return seconds, usage.ru_maxrss / 1024, text


def measure_baseline(xml: Path, work: Path, seed: int) -> dict[str, float]:
    """The bare baseline, start to exit of its process."""
    db = _fresh_db(work, "baseline", seed)
    seconds, rss, out = _timed([sys.executable, __file__, "--child", "baseline", str(xml),
                                str(db)], work)
    figures = json.loads(out)
    return {"orders": figures["orders"], "seconds": seconds, "rss": rss,
            "critical_cpu": figures["cpu"]}


def measure_engine(xml: Path, work: Path, seed: int) -> dict[str, float]:
    """``import_file`` timed inside a process with its modules loaded."""
    db = _fresh_db(work, "engine", seed)
    _, rss, out = _timed([sys.executable, __file__, "--child", "engine", str(xml), str(db)], work)
    figures = json.loads(out)
    return {"orders": figures["orders"], "seconds": figures["seconds"], "rss": rss,
            "critical_cpu": max(figures["cpu"], figures["reader_cpu"])}


def measure_cli(xml: Path, work: Path, seed: int) -> dict[str, float]:
    """``exchange import`` as a user runs it, start to exit."""
    db = _fresh_db(work, "cli", seed)
    cpu: dict[str, float] = {}
    seconds, rss, out = _timed([sys.executable, "-m", "exchange", "--db", f"sqlite:///{db}",
                                "import", str(xml), "--profile", "shoptet", "--json",
                                "--quarantine", str(work / "quarantine")], work, cpu)
    summary = json.loads(out)["summary"]
    return {"orders": summary["imported"] + summary["held"], "seconds": seconds, "rss": rss,
            "critical_cpu": max(cpu.get("own", 0.0), cpu.get("reader", 0.0))}


_DAEMON_CONFIG = """database: sqlite:///{db}
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  bench: {{profile: shoptet, import_as: orders}}
jobs:
  drop:
    do: watch
    shop: bench
    folder: dropbox
"""


def _status(work: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "exchange", "--config", "exchange.yaml", "status",
                          "--json"], cwd=work, check=True, capture_output=True, text=True).stdout
    return next(j for j in json.loads(out)["jobs"] if j["job"] == "drop")


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and of the reader processes it started."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if int(entry.name) == pid or (b"exchange.importers.read.process" in argv
                                      and str(pid).encode() in argv):
            peaks += [int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmHWM:")]
    return max(peaks, default=0) / 1024


def measure_daemon(xml: Path, work: Path, seed: int) -> dict[str, float]:
    """A ``watch`` job of ``exchange run`` importing the dropped file; its time from status."""
    home = work / "daemon"
    shutil.rmtree(home, ignore_errors=True)
    (home / "dropbox").mkdir(parents=True)
    db = _fresh_db(home, "daemon", seed)
    (home / "exchange.yaml").write_text(_DAEMON_CONFIG.format(db=db), encoding="utf-8")
    log = (home / "daemon.log").open("wb")
    daemon = subprocess.Popen([sys.executable, "-m", "exchange", "--config", "exchange.yaml",
                               "run"], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(3)  # the daemon starts its folder watch (and its reader process)
        readers = _reader_pids(daemon.pid)
        own_before = _cpu_seconds(daemon.pid)
        readers_before = {r: _cpu_seconds(r) for r in readers}
        staged = home / xml.name
        shutil.copyfile(xml, staged)
        os.rename(staged, home / "dropbox" / xml.name)  # arrives complete, in one step
        # Wait on the daemon's log, not on `exchange status`: a Python process started every half
        # second would take a core from the import it is timing (2 cores). Status is read once.
        deadline = time.monotonic() + 1800
        while b"drop: run 1 " not in (home / "daemon.log").read_bytes():
            if daemon.poll() is not None:
                raise SystemExit(f"the daemon ended: {(home / 'daemon.log').read_text()[-800:]}")
            if time.monotonic() > deadline:
                raise SystemExit("the watch job did not finish")
            time.sleep(0.1)
        job = _status(home)
        if not job["last_finished"]:
            raise SystemExit(f"the log says the run ended, status does not: {job}")
        rss = _peak_rss_mb(daemon.pid)
        own = _cpu_seconds(daemon.pid) - own_before
        reader = max([_cpu_seconds(r) - readers_before.get(r, 0.0)
                      for r in _reader_pids(daemon.pid)] + [0.0])
        if job["last_status"] != "ok":
            raise SystemExit(f"the watch job ended {job['last_status']}")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    return {"orders": count, "seconds": float(job["last_duration_s"]), "rss": rss,
            "critical_cpu": max(own, reader)}


MEASURES = {"baseline": measure_baseline, "cli": measure_cli, "daemon": measure_daemon,
            "engine": measure_engine}


def main() -> None:
    """Generate, measure every variant per size and repetition, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variants", nargs="+", default=["baseline", "cli", "daemon", "engine"])
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
        runs: list[dict[str, dict[str, float]]] = []
        load_before = os.getloadavg()[0]
        for rep in range(args.repeat):
            results = {v: MEASURES[v](xml, work, args.seed) for v in args.variants}
            for name, r in results.items():
                if r["orders"] != size:
                    raise SystemExit(f"{name} imported {r['orders']} of {size} orders")
            runs.append(results)
            ratios = "  ".join(f"{v} {results['baseline']['seconds'] / results[v]['seconds']:.2f}"
                               for v in args.variants if v != "baseline")
            print(f"  {size:,} orders, repetition {rep + 1}: " + "  ".join(
                f"{v} {r['seconds']:.2f} s" for v, r in results.items()) + f"  | ratios {ratios}",
                flush=True)
        print(f"\n{size:,} orders ({xml.stat().st_size / 1e6:.1f} MB), {args.repeat} repetitions,"
              f" load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        for v in args.variants:
            seconds = statistics.median(r[v]["seconds"] for r in runs)
            rss = max(r[v]["rss"] for r in runs)
            line = (f"  {v:<9} median {seconds:7.2f} s  {size / seconds:>8,.0f} orders/s"
                    f"  peak RSS {rss:6.1f} MB")
            if v != "baseline":
                ratio = statistics.median(r["baseline"]["seconds"] / r[v]["seconds"] for r in runs)
                cpu_ratio = statistics.median(r["baseline"]["critical_cpu"] / r[v]["critical_cpu"]
                                              for r in runs)
                line += (f"  ratio to baseline (median of same-run ratios) {ratio:.2f}"
                         f", by CPU critical path {cpu_ratio:.2f}")
                if v in ("cli", "daemon"):
                    good = ratio >= 0.5 and rss < 150
                    ok = ok and good
                    line += f"  (target ≥ 0.5, RSS < 150 MB): {'OK' if good else 'MISSED'}"
            print(line, flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
