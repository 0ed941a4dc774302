"""The distribution has a name of its own: no install line anywhere installs PyPI's unrelated `exchange`."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the requirement of PyPI's `exchange` (an exchange-rate package from 2015), with or without extras
_FOREIGN = re.compile(r"^exchange(\[[^\]]*\])?([<>=!~].*)?$", re.IGNORECASE)


def _install_lines() -> list[tuple[Path, str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted(p for p in (ROOT / "deploy").iterdir() if p.is_file())]
    return [(path, line) for path in files for line in path.read_text(encoding="utf-8").splitlines()
            if re.search(r"\bpip\S*\s+install\b", line)]


def _requirements(line: str) -> list[str]:
    after = re.split(r"\bpip\S*\s+install\b", line, maxsplit=1)[1]
    after = re.split(r"[`#;&|]", after.replace("&&", ";"), maxsplit=1)[0]
    try:
        words = shlex.split(after, posix=True)
    except ValueError:
        words = after.split()
    return [w for w in words if not w.startswith("-")]


def test_the_distribution_is_not_named_exchange_but_the_command_and_package_are() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "eshop-erp-exchange"
    assert project["scripts"] == {"exchange": "exchange.cli:main"}
    assert (ROOT / "exchange" / "__init__.py").exists()


def test_no_install_line_installs_the_foreign_exchange_package() -> None:
    lines = _install_lines()
    assert len(lines) >= 4  # README, deployment (Linux, Windows), the systemd unit at least
    foreign = [(path.name, line.strip()) for path, line in lines
               if any(_FOREIGN.match(req) for req in _requirements(line))]
    assert foreign == []


def test_the_check_itself_catches_the_old_lines() -> None:
    for old in ("C:\\exchange\\venv\\Scripts\\pip install exchange",
                "sudo /opt/exchange/bin/pip install 'exchange[postgres]'",
                "pip install exchange==0.1"):
        assert any(_FOREIGN.match(req) for req in _requirements(old)), old
    assert not any(_FOREIGN.match(req) for req in _requirements("pip install '.[postgres]'"))
