"""Benchmark: N products -> price-list feed, against two bare baselines over the same rows.

Variants (each in a fresh subprocess, so peak RSS is per variant):
  engine  exchange.exporters.export_feed (store query, VAT basis, sellable stock, gate, atomic publish)
  jinja   the same Jinja2 template rendered with generate() over rows straight from a sqlite3 cursor
  lxml    an lxml ``etree.xmlfile`` writer over the same sqlite3 rows

Usage: .venv/bin/python bench/bench_export.py [--products 500000] [--template shoptet/pricelist_flat.xml.j2]
                                             [--media off,on]
--media runs every variant with images and descriptions off, then on (the feed options the engine
and the bare render both get), and prints the engine's ratio for each.
The database is generated once (seeded) and cached in --workdir.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_SQL = """
SELECT p.code, p.ean, p.name, p.unit, p.vat_rate, p.is_service, '' AS parent_code, '' AS parent_name,
       p.variant_name, p.description, p.manufacturer, p.url, p.image_url, p.category,
       round(pp.amount, 2) AS price, pl.currency,
       CASE WHEN p.is_service THEN NULL ELSE max(coalesce(s.avail, 0), 0) END AS available,
       '' AS labels, '' AS external_id, '' AS variants, 0 AS hidden
FROM products p
JOIN product_prices pp ON pp.product_id = p.id
JOIN price_lists pl ON pl.id = pp.price_list_id AND pl.name = 'retail'
LEFT JOIN (SELECT product_id, sum(on_hand - reserved) AS avail FROM stock_levels GROUP BY product_id) s
       ON s.product_id = p.id
ORDER BY p.id
"""


def build_database(path: Path, products: int, seed: int) -> None:
    """A store with ``products`` products (10 % variants, 1 % services), 2 price lists, 2 warehouses."""
    from exchange.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    Store(f"sqlite:///{tmp}").close()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    db = sqlite3.connect(tmp)
    db.execute("INSERT INTO price_lists (id, name, currency, includes_vat) VALUES (1, 'retail', 'CZK', 1)")
    db.execute("INSERT INTO price_lists (id, name, currency, includes_vat) VALUES (2, 'wholesale', 'CZK', 0)")
    db.execute("INSERT INTO warehouses (id, code, name) VALUES (1, 'MAIN', 'Main'), (2, 'W2', 'Second')")
    rows, prices, stock, labels = [], [], [], []
    parent = 0
    for i in range(1, products + 1):
        is_variant = parent and rng.random() < 0.10
        if not is_variant:
            parent = i
        service = rng.random() < 0.01
        vat = 21 if rng.random() < 0.8 else 12
        rows.append((i, f"P{i:07d}", f"{rng.randrange(10**12, 10**13)}",
                     f"Výrobek č. {i} & <spol.> {rng.choice(['modrý', 'žlutý', 'černý'])}", "ks", vat,
                     int(service), parent if is_variant and parent != i else None,
                     "M" if is_variant else "", "", "Výrobce", f"https://shop.example/p/{i}",
                     f"https://cdn.example/p/{i}.jpg", "Kategorie | Podkategorie", now, now))
        retail = rng.randrange(100, 1_000_000) / 100
        prices.append((i, 1, retail, now))
        prices.append((i, 2, round(retail / 1.21, 2), now))
        if not service and rng.random() < 0.8:
            stock.append((i, 1, rng.randrange(0, 50), rng.randrange(0, 3), now))
            if rng.random() < 0.3:
                stock.append((i, 2, rng.randrange(0, 20), 0, now))
        if rng.random() < 0.2:
            labels.append((i, "eshop1"))
    db.executemany("INSERT INTO products (id, code, ean, name, unit, vat_rate, is_service, parent_id, "
                   "variant_name, description, manufacturer, url, image_url, category, created_at, "
                   "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO product_prices VALUES (?,?,?,?)", prices)
    db.executemany("INSERT INTO stock_levels VALUES (?,?,?,?,?)", stock)
    db.executemany("INSERT INTO product_labels VALUES (?,?)", labels)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    tmp.replace(path)


@dataclass
class _Profile:
    name: str
    exports: dict[str, Any] = field(default_factory=dict)


def run_engine(db: Path, template: str, output: Path, media: bool) -> int:
    from exchange.exporters.engine import export_feed
    from exchange.profiles import ExportSpec
    from exchange.store import Store

    profile = _Profile("bench", {"pricelist": ExportSpec(name="pricelist", template=template,
                                                         options={"differential": "none"})})
    with Store(f"sqlite:///{db}") as store:
        result = export_feed(store, profile, "pricelist", output, force=True,
                             overrides={"images": media, "descriptions": media})
    return result.item_count


def run_jinja(db: Path, template_name: str, output: Path, media: bool) -> int:
    from exchange.exporters.query import FeedItem
    from exchange.exporters.render import _write_chunks, build_environment

    template = build_environment().get_template(template_name)
    conn = sqlite3.connect(db)
    counter = [0]

    def rows() -> Any:
        make = FeedItem._make
        n = 0
        for row in conn.execute(BARE_SQL):
            n += 1
            yield make(row)
        counter[0] = n

    feed = {"name": "pricelist", "key": "bench/pricelist", "profile": "bench",
            "generated_at": datetime.now(UTC), "price_list": "retail", "currency": "CZK",
            "vat_included": True, "full": True, "since": None, "label": None, "warehouses": (),
            "images": media, "descriptions": media, "categories": True, "stock": True,
            "prices": True}
    with open(output, "w", encoding="utf-8", buffering=1 << 20) as handle:
        _write_chunks(template.generate(items=rows(), feed=feed, options={}), handle)
    conn.close()
    return counter[0]


def run_lxml(db: Path, _template: str, output: Path, _media: bool) -> int:
    from lxml import etree

    conn = sqlite3.connect(db)
    n = 0
    with etree.xmlfile(str(output), encoding="utf-8", buffered=True) as xf:
        xf.write_declaration()
        with xf.element("SHOP"):
            for row in conn.execute(BARE_SQL):
                (code, ean, name, _u, vat, *_rest) = row
                price, currency, available = row[14], row[15], row[16]
                item = etree.Element("SHOPITEM")
                etree.SubElement(item, "CODE").text = code
                etree.SubElement(item, "NAME").text = name
                if ean:
                    etree.SubElement(item, "EAN").text = ean
                etree.SubElement(item, "CURRENCY").text = currency
                etree.SubElement(item, "VAT").text = str(int(vat)) if float(vat).is_integer() else str(vat)
                etree.SubElement(item, "PRICE_VAT").text = f"{price:.2f}"
                if available is not None:
                    stock = etree.SubElement(item, "STOCK")
                    etree.SubElement(stock, "AMOUNT").text = (
                        str(int(available)) if float(available).is_integer() else str(available))
                xf.write(item)
                n += 1
    conn.close()
    return n


VARIANTS = {"engine": run_engine, "jinja": run_jinja, "lxml": run_lxml}


def child(variant: str, db: Path, template: str, output: Path, media: bool) -> None:
    # imports happen before the clock starts: the figure compares rendering, not start-up
    import exchange.exporters.engine
    import exchange.profiles
    import exchange.store  # noqa: F401

    start = time.perf_counter()
    cpu = time.process_time()
    count = VARIANTS[variant](db, template, output, media)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"variant": variant, "items": count, "seconds": elapsed, "cpu_seconds": cpu,
                      "items_per_s": count / elapsed, "peak_rss_mb": peak_kb / 1024,
                      "bytes": output.stat().st_size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--products", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--template", default="shoptet/pricelist_flat.xml.j2")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/exchange-bench-export"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the best is kept")
    parser.add_argument("--variants", default="jinja,engine,lxml")
    parser.add_argument("--media", default="off,on",
                        help="images and descriptions: off, on, or off,on for both")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.workdir / f"export-{args.products}-{args.seed}.db"
    if args.child:
        child(args.child, db, args.template, args.workdir / f"feed-{args.child}.xml",
              args.media == "on")
        return
    if not db.exists():
        t0 = time.perf_counter()
        build_database(db, args.products, args.seed)
        print(f"built {db} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    for media in args.media.split(","):
        report(args, db, media)


def report(args: argparse.Namespace, db: Path, media: str) -> None:
    """Run every variant (best of --repeat) with images and descriptions ``media`` and print the table."""
    results: dict[str, dict[str, Any]] = {}
    for variant in args.variants.split(","):
        for _ in range(args.repeat):
            proc = subprocess.run([sys.executable, __file__, "--child", variant, "--products",
                                   str(args.products), "--seed", str(args.seed), "--template",
                                   args.template, "--workdir", str(args.workdir), "--media", media],
                                  check=True, capture_output=True, text=True)
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            if variant not in results or run["cpu_seconds"] < results[variant]["cpu_seconds"]:
                results[variant] = run
    base = results.get("jinja", {}).get("items_per_s")
    base_cpu = results.get("jinja", {}).get("cpu_seconds")
    print(f"{args.products} products, template {args.template}, images and descriptions {media}")
    print(f"{'variant':8} {'items':>8} {'seconds':>8} {'items/s':>9} {'vs jinja':>8} {'cpu s':>6} "
          f"{'cpu vs':>6} {'peak RSS':>9} {'MB out':>7}")
    for name, r in results.items():
        ratio = f"{r['items_per_s'] / base:.2f}x" if base else "-"
        cpu_ratio = f"{base_cpu / r['cpu_seconds']:.2f}x" if base_cpu else "-"
        print(f"{name:8} {r['items']:>8} {r['seconds']:>8.2f} {r['items_per_s']:>9,.0f} {ratio:>8} "
              f"{r['cpu_seconds']:>6.2f} {cpu_ratio:>6} {r['peak_rss_mb']:>7.1f}MB "
              f"{r['bytes'] / 1e6:>7.1f}")
    counts = {r["items"] for r in results.values()}
    if len(counts) > 1:
        print(f"WARNING: item counts differ: {counts}")


if __name__ == "__main__":
    main()
