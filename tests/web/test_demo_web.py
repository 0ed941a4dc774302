"""The README's demo with the console: `exchange demo --web` as a real process prints the console's
address, and the console answers there with the demo's orders.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_the_demo_starts_the_console_and_prints_its_address(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "exchange", "demo", "--dir", str(tmp_path / "demo"), "--web", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    assert process.stdout is not None
    try:
        address = None
        lines = []
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"exchange console on (http://127\.0\.0\.1:\d+/)", line)
            if found:
                address = found.group(1)
                break
        assert address, "".join(lines)
        with urllib.request.urlopen(address + "orders.json", timeout=10) as answer:  # noqa: S310
            orders = json.loads(answer.read())
        assert orders["total"] == 3
        with urllib.request.urlopen(address, timeout=10) as answer:  # noqa: S310
            assert "Dashboard" in answer.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM)
