"""Real `exchange` processes for the reliability tests: started, watched through files, killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.jobs.test_end_to_end import orders_xml

CONFIG = """\
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  shop:
    profile: shoptet
    orders_from: file://{orders}/?settle=0
jobs:
  pull: {{do: import, shop: shop, every: 1 second}}
"""

ROOT = Path(__file__).resolve().parents[2]


def write_config(workdir: Path) -> Path:
    """An exchange.yaml whose one job imports a local folder every second."""
    orders = workdir / "orders"
    orders.mkdir(parents=True, exist_ok=True)
    path = workdir / "exchange.yaml"
    path.write_text(CONFIG.format(orders=orders), encoding="utf-8")
    return path


def drop_orders(workdir: Path, name: str, *ids: int) -> None:
    """Put an order file where the job pulls from (written aside, then renamed into place)."""
    tmp = workdir / f".{name}.part"
    tmp.write_bytes(orders_xml(*ids))
    tmp.rename(workdir / "orders" / name)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@dataclass
class Proc:
    """A started `exchange` process and the file its stderr goes to."""

    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.popen.pid

    def stderr(self) -> str:
        """What it wrote to stderr so far."""
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` (if still running) and reap it; returns its exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        return self.popen.wait(60)


def exchange(workdir: Path, db: str, *args: str) -> Proc:
    """Start ``exchange --db DB --config exchange.yaml ARGS`` with its stderr in a file."""
    path = workdir / f"stderr-{time.monotonic_ns()}.txt"
    with path.open("wb") as log:
        popen = subprocess.Popen([sys.executable, "-m", "exchange", "--db", db, "--config",
                                  str(workdir / "exchange.yaml"), *args], cwd=workdir, env=_env(),
                                 stdout=subprocess.DEVNULL, stderr=log)
    return Proc(popen, path)


def run_cli(workdir: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `exchange` command to its end."""
    return subprocess.run([sys.executable, "-m", "exchange", "--db", db, "--config",
                           str(workdir / "exchange.yaml"), *args], cwd=workdir, env=_env(),
                          capture_output=True, text=True, check=False)


def status(workdir: Path, db: str) -> dict[str, Any]:
    """`exchange status --json`, parsed."""
    done = run_cli(workdir, db, "status", "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def wait_for(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Poll ``check`` until it returns something true; fail with ``what`` when it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
