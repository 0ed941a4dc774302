"""Transport benchmark: the engine's pull and push against bare tools, on loopback.

FTP: pyftpdlib in its own process; bare tools: curl (the big file) and lftp mirror (small files).
SFTP: OpenSSH's sshd started with its own config and host keys in a temp folder, so both
clients meet the same fast server; bare tool: OpenSSH's sftp -b.

The engine runs its real pull (listing, stability check, download as .part, sha256, store
bookkeeping) and its real push (outbox spool, temp-name upload, size check, rename). Each
variant runs --runs times, engine and bare tool alternately; medians are reported.

    .venv/bin/python bench/bench_transport.py [--small 1000] [--big-mb 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exchange.store import Store  # noqa: E402
from exchange.sync import pull, push_many  # noqa: E402
from tests.transport.servers import sshd_server  # noqa: E402

PASSWORD = "bench-pass"
TARGETS = {("ftp", "pull", "big"): 0.8, ("ftp", "pull", "small"): 0.8,
           ("ftp", "push", "big"): 0.8, ("ftp", "push", "small"): 0.8,
           ("sftp", "pull", "big"): 0.6, ("sftp", "push", "big"): 0.6,
           ("sftp", "pull", "small"): 0.7, ("sftp", "push", "small"): 0.7}


@dataclass
class Row:
    proto: str
    direction: str
    size: str
    nbytes: int
    engine: list[float]
    bare_name: str
    bare: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.bare) / statistics.median(self.engine)


def make_data(folder: Path, small: int, small_size: int, big_mb: int) -> tuple[Path, Path]:
    small_dir = folder / "small"
    small_dir.mkdir(parents=True)
    block = os.urandom(small_size)
    for i in range(small):
        (small_dir / f"order-{i:05d}.xml").write_bytes(block[i % 97:] + block[: i % 97])
    big = folder / "big" / "big.bin"
    big.parent.mkdir()
    with big.open("wb") as f:
        chunk = os.urandom(1024 * 1024)
        for i in range(big_mb):
            f.write(chunk[i:] + chunk[:i])
    return small_dir, big


def clear(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def total_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="number of small files")
    parser.add_argument("--small-size", type=int, default=2048, help="bytes per small file")
    parser.add_argument("--big-mb", type=int, default=200, help="size of the big file in MiB")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["ftp", "sftp"])
    parser.add_argument("--tmp", default="/dev/shm" if Path("/dev/shm").is_dir() else None,
                        help="work folder; tmpfs by default, to time transports, not disks")
    args = parser.parse_args()
    missing = [b for b in ("curl", "lftp", "sftp", "ssh-keygen") if not shutil.which(b)]
    if missing:
        sys.exit(f"missing tools: {', '.join(missing)} (apt-get install curl lftp openssh-client)")

    work = Path(tempfile.mkdtemp(prefix="bench-transport-", dir=args.tmp))
    srv = work / "srv"
    small_src, big_src = make_data(srv, args.small, args.small_size, args.big_mb)
    small_bytes = total_size(small_src)
    big_bytes = big_src.stat().st_size
    os.environ["EXCHANGE_PASSWORD_127_0_0_1_BENCH"] = PASSWORD
    rows: list[Row] = []
    ftpd = subprocess.Popen([sys.executable, str(ROOT / "bench" / "transport" / "ftpd.py"),
                             str(srv), "bench", PASSWORD], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert ftpd.stdout is not None
    ftp_port = int(ftpd.stdout.readline())  # printed once the server listens
    (work / "sshd").mkdir()
    sshd, key, known = sshd_server(work / "sshd")
    try:
        protos = [args.only] if args.only else ["ftp", "sftp"]
        for proto in protos:
            if proto == "ftp":
                base = f"ftp://bench@127.0.0.1:{ftp_port}"
                remote_dir = ""  # the FTP user's home is srv
                opts = "settle=0&after=keep"
            else:
                base = f"sftp://root@127.0.0.1:{sshd.port}"
                remote_dir = str(srv)
                opts = f"settle=0&after=keep&key={key}&known_hosts={known}"
            lftp = ["lftp", "-u", f"bench,{PASSWORD}", "-p", str(ftp_port), "-e"]
            sftp = ["sftp", "-q", "-P", str(sshd.port), "-i", str(key), "-o", "BatchMode=yes",
                    "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
                    "-b", "-", "root@127.0.0.1"]

            def sftp_batch(commands: str, _sftp: list[str] = sftp) -> None:
                subprocess.run(_sftp, input=commands, text=True, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

            for size, nbytes in (("small", small_bytes), ("big", big_bytes)):
                src_dir = small_src if size == "small" else big_src.parent
                files = sorted(src_dir.iterdir())
                remote_src = f"{remote_dir}/{size}"
                remote_up = f"{remote_dir}/up"
                # -- pull ---------------------------------------------------------------
                row = Row(proto, "pull", size, nbytes, [], "", [])
                for i in range(args.runs):
                    inbox = clear(work / "inbox")
                    store = Store(f"sqlite:///{work / f'store-{proto}-{size}-{i}.db'}")
                    endpoint = f"{base}{remote_src}?{opts}"
                    row.engine.append(timed(pull, endpoint, inbox, store))
                    store.close()
                    assert total_size(inbox) == nbytes, "engine pull incomplete"
                    dest = clear(work / "bare")
                    if proto == "ftp" and size == "big":
                        row.bare_name = "curl"
                        cmd = ["curl", "-s", "-o", str(dest / "big.bin"),
                               f"ftp://bench:{PASSWORD}@127.0.0.1:{ftp_port}/big/big.bin"]
                        row.bare.append(timed(run, cmd))
                    elif proto == "ftp":
                        row.bare_name = "lftp mirror"
                        cmd = [*lftp, f"set ftp:ssl-allow no; mirror /small {dest}; quit",
                               "127.0.0.1"]
                        row.bare.append(timed(run, cmd))
                    else:
                        row.bare_name = "sftp -b"
                        batch = f"get {remote_src}/* {dest}/\n"
                        row.bare.append(timed(sftp_batch, batch))
                    assert total_size(dest) == nbytes, f"{row.bare_name} pull incomplete"
                rows.append(row)
                print(f"{proto} pull {size}: engine {row.engine} bare {row.bare}", flush=True)
                # -- push ---------------------------------------------------------------
                row = Row(proto, "push", size, nbytes, [], "", [])
                up = srv / "up"
                for i in range(args.runs):
                    clear(up)
                    store = Store(f"sqlite:///{work / f'push-{proto}-{size}-{i}.db'}")
                    spool = work / "spool"
                    endpoint = f"{base}{remote_up}?{opts}"
                    start = time.perf_counter()
                    results = push_many(files, endpoint, store, spool_dir=spool)
                    row.engine.append(time.perf_counter() - start)
                    store.close()
                    assert all(r.delivered for r in results), "engine push incomplete"
                    assert total_size(up) == nbytes
                    clear(up)
                    if proto == "ftp" and size == "big":
                        row.bare_name = "curl"
                        cmd = ["curl", "-s", "-T", str(big_src),
                               f"ftp://bench:{PASSWORD}@127.0.0.1:{ftp_port}/up/"]
                        row.bare.append(timed(run, cmd))
                    elif proto == "ftp":
                        row.bare_name = "lftp mirror -R"
                        cmd = [*lftp, f"set ftp:ssl-allow no; mirror -R {small_src} /up; quit",
                               "127.0.0.1"]
                        row.bare.append(timed(run, cmd))
                    else:
                        row.bare_name = "sftp -b"
                        batch = f"put {src_dir}/* {remote_up}/\n"
                        row.bare.append(timed(sftp_batch, batch))
                    assert total_size(up) == nbytes, f"{row.bare_name} push incomplete"
                rows.append(row)
                print(f"{proto} push {size}: engine {row.engine} bare {row.bare}", flush=True)
    finally:
        ftpd.terminate()
        ftpd.wait()
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(rows, args)


def report(rows: list[Row], args: argparse.Namespace) -> None:
    print()
    print(f"medians of {args.runs} runs; small = {args.small} x {args.small_size} B, "
          f"big = {args.big_mb} MiB; ratio = engine throughput / bare tool throughput")
    head = (f"{'proto':5} {'op':4} {'files':5} {'engine s':>9} {'engine MB/s':>11} "
            f"{'bare tool':15} {'bare s':>8} {'bare MB/s':>9} {'ratio':>6} {'target':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        e, b = statistics.median(r.engine), statistics.median(r.bare)
        target = TARGETS[(r.proto, r.direction, r.size)]
        mark = "ok" if r.ratio >= target else "LOW"
        print(f"{r.proto:5} {r.direction:4} {r.size:5} {e:9.3f} {r.nbytes / e / 1e6:11.1f} "
              f"{r.bare_name:15} {b:8.3f} {r.nbytes / b / 1e6:9.1f} {r.ratio:6.2f} "
              f"{target:>4.1f}x {mark}")


if __name__ == "__main__":
    main()
