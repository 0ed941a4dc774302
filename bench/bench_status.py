"""Shop return benchmark: set-status of N orders, then one status export of all of them.

N Upgates orders (the test fixture's first order, renumbered) are imported into a fresh store;
each is set shipped with a tracking number (one ``set_status`` call, one transaction, each); then
``export order-status`` renders the Upgates CSV (split by columns) into a folder, and the
PrestaShop order_histories (one document per order) are pushed to a loopback HTTP server in its
own process. A second export, which finds nothing, is timed too.

    .venv/bin/python bench/bench_status.py [--orders 2000] [--db postgresql://…]
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exchange.importers.run import import_file  # noqa: E402
from exchange.profiles import load_profile  # noqa: E402
from exchange.shopreturn.events import set_status  # noqa: E402
from exchange.shopreturn.publish import export_order_status  # noqa: E402
from exchange.store import Store  # noqa: E402

FIXTURE = ROOT / "tests" / "profiles" / "fixtures" / "upgates_orders.xml"
SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(201); self.send_header("Content-Length", "0"); self.end_headers()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def orders_file(folder: Path, count: int, shop_id: str) -> Path:
    """``count`` copies of the fixture's first order, each with its own code."""
    text = FIXTURE.read_text(encoding="utf-8")
    order = re.search(r"<ORDER>.*?</ORDER>", text, re.S)
    if order is None:
        raise SystemExit("no ORDER in the fixture")
    body = "".join(order.group(0).replace("<CODE>2026000123</CODE>", f"<CODE>{shop_id}{i:06d}</CODE>")
                   for i in range(count))
    path = folder / f"orders-{shop_id}.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<ORDERS version="1.0">{body}</ORDERS>\n',
                    encoding="utf-8")
    return path


def timed(what: str, fn: object, *args: object, **kwargs: object) -> object:
    start = time.perf_counter()
    result = fn(*args, **kwargs)  # type: ignore[operator]
    print(f"  {what}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--db", help="a store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(args.db or f"sqlite:///{folder / 'bench.db'}")
        upgates, prestashop = load_profile("upgates"), load_profile("prestashop")
        # the PrestaShop profile reads the same orders under its own shop name
        source = orders_file(folder, args.orders, "9")
        print(f"{args.orders} orders, store {store.url.split('@')[-1]}")
        timed("import", import_file, store, source, upgates)
        start = time.perf_counter()
        for i in range(args.orders):
            set_status(store, f"9{i:06d}", "shipped", tracking=f"Z{i:08d}", carrier="PPL")
        took = time.perf_counter() - start
        print(f"  set-status: {took:.2f} s ({args.orders / took:.0f} orders/s)")
        out = folder / "out"
        out.mkdir()
        csv = timed("export order-status (Upgates CSV)", export_order_status, store, upgates,
                    output=out)
        print(f"    {len(csv.orders)} orders in {len(csv.documents)} file(s)")  # type: ignore[attr-defined]
        timed("second export (nothing changed)", export_order_status, store, upgates, output=out)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
        try:
            time.sleep(0.5)
            posted = timed("export order-status (PrestaShop, one POST per order)",
                           export_order_status, store, prestashop, shop="upgates",
                           endpoint=f"http://127.0.0.1:{port}/api/order_histories?method=post",
                           staging=folder / "staging")
            print(f"    {posted.status.value}: {len(posted.documents)} documents")  # type: ignore[attr-defined]
        finally:
            server.terminate()
            server.wait()
        store.close()


if __name__ == "__main__":
    main()
