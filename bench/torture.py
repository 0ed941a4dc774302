"""SIGKILL at random moments across import (SQLite and PostgreSQL), pull, push and a daemon job.

Each kill point starts a real `exchange` process, kills it with SIGKILL after a random delay within
the time a clean run takes, then reruns it and checks what the issue promises:

- every document stored exactly once (orders and lines against a clean reference run), and the
  stock reservations equal the reference's;
- no process is left behind (no reader child, no worker) once the killed one is gone;
- the rerun finishes without waiting on a lock (within a bound of the clean run's time);
- pull: every file in the inbox under a final name is a complete copy of its remote file, and each
  remote file is there once; push: no partial file sits under the final name on the server, and
  the rerun publishes the complete file.

    python bench/torture.py --points 60 2>/dev/null  # spread over the five operations (stderr: the FTP server log)
    python bench/torture.py --points 20 --ops import-sqlite,push

PostgreSQL points need EXCHANGE_TEST_DATABASE_URL (else they are skipped). Prints one line per
point and a table: points, lost, duplicated, partial (let in), leftover processes, slow reruns.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from exchange.catalog import load_catalog_csv  # noqa: E402
from exchange.resources import samples_dir  # noqa: E402
from exchange.store import Store  # noqa: E402
from exchange.store.schema import order_lines, orders, stock_levels  # noqa: E402
from tests.jobs.test_end_to_end import orders_xml  # noqa: E402
from tests.transport.servers import PASSWORD, FTPServerThread  # noqa: E402

PG_URL = os.environ.get("EXCHANGE_TEST_DATABASE_URL", "")
OPS = ("import-sqlite", "import-pg", "pull", "push", "daemon")


@dataclass
class Tally:
    """What the kill points of one operation found."""

    points: int = 0
    lost: int = 0
    duplicated: int = 0
    partial: int = 0  # let in: a partial or wrong file under a final name
    leftover: int = 0  # processes still alive after the kill
    slow: int = 0  # reruns that waited past the bound (a lock not freed)
    notes: list[str] = field(default_factory=list)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("EXCHANGE_") and "PASSWORD" in k)}
    env.update(PYTHONPATH=str(ROOT), EXCHANGE_PASSWORD_127_0_0_1_ALICE=PASSWORD)
    env.pop("EXCHANGE_DATABASE_URL", None)
    return env


def _start(work: Path, db: str, *args: str) -> subprocess.Popen[bytes]:
    log = (work / f"stderr-{time.monotonic_ns()}.txt").open("wb")
    return subprocess.Popen([sys.executable, "-m", "exchange", "--db", db, "--create", "--config",
                             str(work / "exchange.yaml"), *args], cwd=work, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=log)


def _run(work: Path, db: str, *args: str, timeout: float = 600) -> tuple[int, float]:
    started = time.monotonic()
    proc = _start(work, db, *args)
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    return code, time.monotonic() - started


#: kills that hit a running process (a delay past its end kills nothing), per operation
KILLED: dict[str, int] = {}


def _kill_after(proc: subprocess.Popen[bytes], delay: float, op: str = "") -> None:
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        KILLED[op] = KILLED.get(op, 0) + 1
    proc.wait()


def _leftovers(marker: str) -> int:
    """Processes (other than us) whose command line names ``marker`` (the point's folder)."""
    time.sleep(1.0)  # a reader child notices its parent's death through its pipe and signal
    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and "torture.py" not in cmdline:
            found += 1
    return found


@contextmanager
def _store(backend: str, work: Path) -> Iterator[Store]:
    if backend == "sqlite":
        store = Store(f"sqlite:///{work / 'exchange.db'}")
        try:
            yield store
        finally:
            store.close()
        return
    schema = f"torture_{uuid.uuid4().hex[:10]}"
    admin = create_engine(Store(PG_URL, migrate=False).url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    store = Store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _counts(store: Store) -> tuple[int, int, str]:
    with store.connect() as conn:
        n_orders = int(conn.execute(select(func.count()).select_from(orders)).scalar() or 0)
        n_lines = int(conn.execute(select(func.count()).select_from(order_lines)).scalar() or 0)
        reserved = conn.execute(select(func.sum(stock_levels.c.reserved))).scalar()
    return n_orders, n_lines, str(reserved or 0)


def _judge(tally: Tally, got: tuple[int, int, str], want: tuple[int, int, str], what: str) -> None:
    if got[0] < want[0] or got[1] < want[1]:
        tally.lost += 1
        tally.notes.append(f"{what}: lost {got} vs {want}")
    elif got[0] > want[0] or got[1] > want[1]:
        tally.duplicated += 1
        tally.notes.append(f"{what}: duplicated {got} vs {want}")
    elif got[2] != want[2]:
        tally.lost += 1
        tally.notes.append(f"{what}: reservations {got[2]} vs {want[2]}")


# --- import ----------------------------------------------------------------------------------------

def _import_point(backend: str, n_orders: int, rng: random.Random, tally: Tally,
                  reference: dict[str, tuple[tuple[int, int, str], float]]) -> str:
    with tempfile.TemporaryDirectory(prefix="torture-") as folder:
        work = Path(folder)
        (work / "exchange.yaml").write_text("folders: {quarantine: quarantine}\n", encoding="utf-8")
        big = work / "big.xml"
        big.write_bytes(orders_xml(*range(1, n_orders + 1)))
        args = ("import", str(big), "-p", "shoptet", "--as", "orders", "--quarantine", "q")
        if backend not in reference:
            with _store(backend, work) as store:
                load_catalog_csv(store, samples_dir() / "catalog.csv")
                code, took = _run(work, store.url, *args)
                assert code == 0, f"clean import failed ({code})"
                reference[backend] = (_counts(store), took)
        want, took = reference[backend]
        with _store(backend, work) as store:
            load_catalog_csv(store, samples_dir() / "catalog.csv")
            delay = rng.uniform(0, took * 1.1)
            _kill_after(_start(work, store.url, *args), delay,
                        "import-sqlite" if backend == "sqlite" else "import-pg")
            tally.leftover += _leftovers(folder)
            code, rerun = _run(work, store.url, *args)
            if code != 0 or rerun > took * 3 + 30:
                tally.slow += 1
                tally.notes.append(f"import-{backend}: rerun exit {code} in {rerun:.1f} s")
            _judge(tally, _counts(store), want, f"import-{backend}@{delay:.2f}s")
            return f"kill at {delay:.2f} s of {took:.2f} s, rerun {rerun:.1f} s"


# --- pull ------------------------------------------------------------------------------------------

def _pull_point(rng: random.Random, tally: Tally, reference: dict[str, float]) -> str:
    with tempfile.TemporaryDirectory(prefix="torture-") as folder:
        work = Path(folder)
        root = work / "ftp"
        (root / "orders").mkdir(parents=True)
        remote: dict[str, str] = {}
        for n in range(8):
            data = orders_xml(*range(n * 400 + 1, n * 400 + 401))
            (root / "orders" / f"o{n}.xml").write_bytes(data)
            remote[f"o{n}.xml"] = hashlib.sha256(data).hexdigest()
        (work / "exchange.yaml").write_text("folders: {inbox: inbox}\n", encoding="utf-8")
        server = FTPServerThread(root)
        try:
            url = server.url("ftp", path="/orders") + "?settle=0&after=keep"
            with _store("sqlite", work) as store:
                args = ("pull", url, "--to", "inbox", "--keep-remote")
                if "pull" not in reference:
                    code, took = _run(work, store.url, *args)
                    assert code == 0, f"clean pull failed ({code})"
                    reference["pull"] = took
                    for p in (work / "inbox").iterdir():
                        p.unlink()
                    with store.begin() as conn:
                        conn.execute(text("DELETE FROM processed_files"))
                took = reference["pull"]
                delay = rng.uniform(0, took * 1.1)
                _kill_after(_start(work, store.url, *args), delay, "pull")
                tally.leftover += _leftovers(folder)
                code, rerun = _run(work, store.url, *args)
                if code != 0 or rerun > took * 3 + 30:
                    tally.slow += 1
                    tally.notes.append(f"pull: rerun exit {code} in {rerun:.1f} s")
                finals = [p for p in (work / "inbox").iterdir() if not p.name.endswith(".part")]
                shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in finals]
                if any(s not in remote.values() for s in shas):
                    tally.partial += 1
                    tally.notes.append(f"pull@{delay:.2f}s: a partial file under a final name")
                if len(shas) > len(set(shas)):
                    tally.duplicated += 1
                    tally.notes.append(f"pull@{delay:.2f}s: a file twice in the inbox")
                if set(shas) != set(remote.values()):
                    tally.lost += 1
                    tally.notes.append(f"pull@{delay:.2f}s: {len(set(shas))} of {len(remote)} files")
                return f"kill at {delay:.2f} s of {took:.2f} s, rerun {rerun:.1f} s"
        finally:
            server.stop()


# --- push ------------------------------------------------------------------------------------------

def _push_point(rng: random.Random, tally: Tally, reference: dict[str, float]) -> str:
    with tempfile.TemporaryDirectory(prefix="torture-") as folder:
        work = Path(folder)
        root = work / "ftp"
        (root / "feeds").mkdir(parents=True)
        feed = work / "feed.xml"
        feed.write_bytes(b"<SHOP>" + os.urandom(12 << 20).hex().encode() + b"</SHOP>")
        want = hashlib.sha256(feed.read_bytes()).hexdigest()
        (work / "exchange.yaml").write_text("folders: {feeds: feeds}\n", encoding="utf-8")
        server = FTPServerThread(root)
        try:
            url = server.url("ftp", path="/feeds")
            with _store("sqlite", work) as store:
                if "push" not in reference:
                    code, took = _run(work, store.url, "push", str(feed), url)
                    assert code == 0, f"clean push failed ({code})"
                    reference["push"] = took
                    for p in (root / "feeds").iterdir():
                        p.unlink()
                took = reference["push"]
                delay = rng.uniform(0, took * 1.1)
                _kill_after(_start(work, store.url, "push", str(feed), url), delay, "push")
                tally.leftover += _leftovers(folder)
                final = root / "feeds" / "feed.xml"
                if final.exists() and hashlib.sha256(final.read_bytes()).hexdigest() != want:
                    tally.partial += 1
                    tally.notes.append(f"push@{delay:.2f}s: a partial feed.xml on the server")
                code, rerun = _run(work, store.url, "push", str(feed), url)
                if code != 0 or rerun > took * 3 + 30:
                    tally.slow += 1
                    tally.notes.append(f"push: rerun exit {code} in {rerun:.1f} s")
                if not final.exists() or hashlib.sha256(final.read_bytes()).hexdigest() != want:
                    tally.lost += 1
                    tally.notes.append(f"push@{delay:.2f}s: the rerun did not publish the feed")
                return f"kill at {delay:.2f} s of {took:.2f} s, rerun {rerun:.1f} s"
        finally:
            server.stop()


# --- a daemon job ----------------------------------------------------------------------------------

DAEMON_CONFIG = """\
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop: {{profile: shoptet, orders_from: 'file://{orders}/?settle=0'}}
jobs:
  pull: {{do: import, shop: shop, every: 1 second}}
"""


_FILES, _PER_FILE = 6, 300


def _daemon_folder(work: Path) -> None:
    (work / "orders").mkdir()
    (work / "exchange.yaml").write_text(DAEMON_CONFIG.format(orders=work / "orders"),
                                        encoding="utf-8")
    for n in range(_FILES):
        (work / f".o{n}").write_bytes(orders_xml(*range(n * _PER_FILE + 1, (n + 1) * _PER_FILE + 1)))
        (work / f".o{n}").rename(work / "orders" / f"o{n}.xml")


def _daemon_clean_run() -> float:
    """How long a daemon takes, unkilled, to import every file (the range of the kill delay)."""
    with tempfile.TemporaryDirectory(prefix="torture-") as folder:
        work = Path(folder)
        _daemon_folder(work)
        with _store("sqlite", work) as store:
            load_catalog_csv(store, samples_dir() / "catalog.csv")
            started = time.monotonic()
            daemon = _start(work, store.url, "run")
            _wait(lambda: _counts(store)[0] >= _FILES * _PER_FILE, 300)
            took = time.monotonic() - started
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
            return took


def _daemon_point(rng: random.Random, tally: Tally, reference: dict[str, float]) -> str:
    total = _FILES * _PER_FILE
    if "daemon" not in reference:
        reference["daemon"] = _daemon_clean_run()
    with tempfile.TemporaryDirectory(prefix="torture-") as folder:
        work = Path(folder)
        _daemon_folder(work)
        with _store("sqlite", work) as store:
            load_catalog_csv(store, samples_dir() / "catalog.csv")

            def done() -> bool:
                return _counts(store)[0] >= total

            took = reference["daemon"]
            delay = rng.uniform(0, took * 1.1)
            _kill_after(_start(work, store.url, "run"), delay, "daemon")
            tally.leftover += _leftovers(folder)
            started = time.monotonic()
            daemon = _start(work, store.url, "run")
            _wait(done, 180)
            rerun = time.monotonic() - started
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
            if rerun > took * 3 + 30:
                tally.slow += 1
                tally.notes.append(f"daemon: rerun took {rerun:.1f} s")
            with tempfile.TemporaryDirectory() as ref_folder, _store("sqlite", Path(ref_folder)) as ref:
                load_catalog_csv(ref, samples_dir() / "catalog.csv")
                want_reserved = None
                if "daemon-reserved" not in reference:
                    ref_work = Path(ref_folder)
                    big = ref_work / "all.xml"
                    big.write_bytes(orders_xml(*range(1, total + 1)))
                    (ref_work / "exchange.yaml").write_text("{}\n", encoding="utf-8")
                    _run(ref_work, ref.url, "import", str(big), "-p", "shoptet", "--as", "orders")
                    reference["daemon-reserved"] = float(_counts(ref)[2])
                want_reserved = reference["daemon-reserved"]
            got = _counts(store)
            _judge(tally, got, (total, total, str(got[2])), f"daemon@{delay:.2f}s")
            if float(got[2]) != want_reserved:
                tally.lost += 1
                tally.notes.append(f"daemon@{delay:.2f}s: reservations {got[2]} vs {want_reserved}")
            return f"kill at {delay:.2f} s, all {total} orders after {rerun:.1f} s"


def _wait(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not check():
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=50, help="kill points in all")
    parser.add_argument("--ops", default=",".join(OPS), help=f"which of {', '.join(OPS)}")
    parser.add_argument("--orders", type=int, default=3000, help="orders in an import's file")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    ops = [op for op in args.ops.split(",") if op]
    if "import-pg" in ops and not PG_URL:
        print("import-pg skipped: set EXCHANGE_TEST_DATABASE_URL")
        ops.remove("import-pg")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"seed {seed}; {args.points} kill points over {', '.join(ops)}")
    tallies = {op: Tally() for op in ops}
    reference: dict = {}
    imports: dict[str, tuple[tuple[int, int, str], float]] = {}
    for n in range(args.points):
        op = ops[n % len(ops)]
        tally = tallies[op]
        if op.startswith("import-"):
            said = _import_point("sqlite" if op == "import-sqlite" else "pg", args.orders, rng,
                                 tally, imports)
        elif op == "pull":
            said = _pull_point(rng, tally, reference)
        elif op == "push":
            said = _push_point(rng, tally, reference)
        else:
            said = _daemon_point(rng, tally, reference)
        tally.points += 1
        print(f"{n + 1:3d} {op:13s} {said}", flush=True)
    print(f"\n{'operation':13s} points killed lost duplicated partial leftover slow")
    for op, t in tallies.items():
        print(f"{op:13s} {t.points:6d} {KILLED.get(op, 0):6d} {t.lost:4d} {t.duplicated:10d} "
              f"{t.partial:7d} {t.leftover:8d} {t.slow:4d}")
        for note in t.notes:
            print(f"    {note}")


if __name__ == "__main__":
    main()
