"""HTTP pull benchmark: the engine's pull against curl, on the same loopback server in the same run.

The server is Python's ``http.server`` in its own process, serving a folder: one big file and many
small ones. The engine runs its real pull (conditional GET, streaming to ``.part``, sha256, size
checks, store bookkeeping in a fresh SQLite store); curl downloads the same URLs (one process, URL
globbing for the small files). After --warmup untimed runs of each, engine and curl alternate,
--runs times; medians are reported and the ratio is curl's time over the engine's (1.0 = as fast
as curl; the target is 0.8).

The engine also takes the sha256 of what it downloads (the content's identity, which the import
reuses); curl does not. So the big file's line also gives, as a reference, the time hashlib takes
for the sha256 of curl's file and the ratio to curl followed by that sha256: the same work done by
the two tools. On two cores, with the server on one, the download and its sha256 share the other,
so the sha256 alone bounds the first ratio (see docs/transport.md).

    .venv/bin/python bench/bench_http.py [--small 1000] [--big-mb 200] [--runs 3] [--parallel N]

The load average is printed with the figures: the ratio depends on it (see the last line).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exchange.store import Store  # noqa: E402
from exchange.sync.pull import pull_detailed  # noqa: E402

TARGET = 0.8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the HTTP server did not start")


def engine_pull(url: str, work: Path) -> tuple[float, float]:
    """The pull's wall time and the engine's CPU time (all its threads)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    with Store(f"sqlite:///{work / 'bench.db'}") as store:
        cpu = time.process_time()
        start = time.perf_counter()
        out = pull_detailed(url, work / "inbox", store)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    if out.skipped:
        raise SystemExit(f"engine skipped {out.skipped[:3]}")
    return elapsed, cpu


def curl(args: list[str], work: Path) -> float:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", *args], cwd=work, check=True)
    return time.perf_counter() - start


def sha256_time(path: Path) -> float:
    """Seconds hashlib takes for the sha256 of ``path`` (1 MiB blocks, as the pull hashes)."""
    start = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
    digest.hexdigest()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="number of small files")
    parser.add_argument("--small-size", type=int, default=2048, help="bytes per small file")
    parser.add_argument("--big-mb", type=int, default=200, help="size of the big file in MiB")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each side first (a fresh process's first pull "
                             "pays for the allocator and the page cache)")
    parser.add_argument("--parallel", type=int, default=None,
                        help="the endpoint's ?parallel= for the small files (default: its default)")
    parser.add_argument("--tmp", default="/dev/shm" if Path("/dev/shm").is_dir() else None)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is not installed")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        base = Path(tmp)
        served = base / "served"
        (served / "small").mkdir(parents=True)
        block = os.urandom(args.small_size)
        names = [f"f{i:04d}.xml" for i in range(args.small)]
        for name in names:
            (served / "small" / name).write_bytes(block + name.encode())
        with (served / "big.xml").open("wb") as f:
            chunk = os.urandom(1024 * 1024)
            for _ in range(args.big_mb):
                f.write(chunk)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
             "--directory", str(served)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(port)
            host = f"http://127.0.0.1:{port}"
            last = f"f{args.small - 1:04d}"
            parallel = f"&parallel={args.parallel}" if args.parallel else ""
            cases = {
                "big": (f"{host}/big.xml?expect=any&max_size={2**40}",
                        [f"{host}/big.xml", "-o", "big.xml"]),
                "small": (f"{host}/small/?expect=any{parallel}&paths=" + ",".join(names),
                          [f"{host}/small/f[0000-{last[1:]}].xml", "-o", "f#1.xml"]),
            }
            print(f"HTTP pull on loopback: {args.big_mb} MiB file, {args.small} x "
                  f"{args.small_size} B files, {args.runs} runs, medians; load "
                  f"{os.getloadavg()[0]:.2f}")
            print(f"{'case':6} {'engine s':>9} {'cpu s':>6} {'curl s':>8} {'ratio':>6} target")
            for case, (url, curl_args) in cases.items():
                eng, cpu, bare, hashed = [], [], [], []
                for _ in range(args.warmup):
                    engine_pull(url, base / "engine")
                    curl(curl_args, base / "curl")
                for _ in range(args.runs):
                    wall, used = engine_pull(url, base / "engine")
                    eng.append(wall)
                    cpu.append(used)
                    bare.append(curl(curl_args, base / "curl"))
                    if case == "big":
                        hashed.append(sha256_time(base / "curl" / "big.xml"))
                ratio = statistics.median(bare) / statistics.median(eng)
                verdict = "ok" if ratio >= TARGET else "below"
                print(f"{case:6} {statistics.median(eng):9.3f} {statistics.median(cpu):6.3f} "
                      f"{statistics.median(bare):8.3f} {ratio:6.2f} {TARGET} {verdict}")
                if hashed:
                    same = statistics.median(b + h for b, h in zip(bare, hashed, strict=True))
                    print(f"       sha256 of curl's file alone {statistics.median(hashed):.3f} s;"
                          f" curl then sha256 {same:.3f} s: ratio "
                          f"{same / statistics.median(eng):.2f} for the same work")
            print(f"load at the end {os.getloadavg()[0]:.2f} (curl waits for the server on "
                  "each request, so a busy machine slows it more than the parallel engine)")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
