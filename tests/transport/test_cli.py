"""exchange pull, push and outbox as users meet them: exit codes, one-line errors, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.transport.memory import MemoryServer
from tests.transport.servers import free_port


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    return tmp_path


def test_pull_from_a_folder_into_the_default_inbox(workdir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "shop").mkdir()
    (workdir / "shop" / "objednávka.xml").write_text("<o/>")
    code = run_cli(cli, ["pull", f"file://{workdir}/shop?settle=0"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "pulled objednávka.xml" in out.out
    assert (workdir / "inbox" / "objednávka.xml").read_text() == "<o/>"
    assert (workdir / "shop" / "processed" / "objednávka.xml").exists()
    assert run_cli(cli, ["pull", f"file://{workdir}/shop?settle=0", "--to", "other"]) == 0
    assert "0 pulled" in capsys.readouterr().out


def test_push_to_a_down_server_queues_and_outbox_lists_it(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "feed.xml").write_text("<feed/>")
    code = run_cli(cli, ["push", "feed.xml", f"ftp://127.0.0.1:{free_port()}/"])
    err = capsys.readouterr().err
    assert code == 5
    assert err.startswith("queued feed.xml (outbox #1)")
    assert "Traceback" not in err
    assert run_cli(cli, ["outbox"]) == 0
    listing = capsys.readouterr().out
    assert "pending" in listing and "feed.xml" in listing


def test_push_delivers(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = MemoryServer.reset("cli-push")
    (workdir / "feed.xml").write_text("<feed/>")
    assert run_cli(cli, ["push", "feed.xml", "memory://cli-push/out", "--as", "f.xml"]) == 0
    assert "published f.xml" in capsys.readouterr().out
    assert server.read("out/f.xml") == b"<feed/>"
    assert run_cli(cli, ["outbox"]) == 0
    assert "the outbox is empty" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["pull", "gopher://x/"], "unknown endpoint scheme 'gopher'"),
    (["pull", "ftp://bob:hunter2@h/"], "a password in an endpoint URL is refused"),
    (["pull", "ftp://bob@127.0.0.1:1/"], "no password for bob; set EXCHANGE_PASSWORD_127_0_0_1_BOB"),
    (["pull", "sftp://u@h/?colour=red"], "unknown option 'colour'"),
])
def test_user_mistakes_give_one_line_and_a_non_zero_exit(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    args: list[str], message: str
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    code = run_cli(cli, args)
    err = capsys.readouterr().err
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "hunter2" not in err


def test_outbox_as_a_real_subprocess(workdir: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "from exchange.cli import main; main()",
                           "outbox"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "the outbox is empty" in proc.stdout


def test_outbox_deliver_once_the_server_is_back(workdir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    server = MemoryServer.reset("cli-outbox")
    server.down = True
    (workdir / "a.xml").write_text("<a/>")
    (workdir / "b.xml").write_text("<b/>")
    assert run_cli(cli, ["push", "a.xml", "memory://cli-outbox/out"]) == 5
    assert run_cli(cli, ["push", "b.xml", "memory://cli-outbox/out"]) == 5
    assert len(list((workdir / "outbox").iterdir())) == 2  # the spooled copies
    capsys.readouterr()
    server.down = False
    assert run_cli(cli, ["outbox", "--deliver"]) == 0  # backoff: not due yet
    assert "0 delivered, 2 waiting" in capsys.readouterr().err
    assert run_cli(cli, ["outbox", "--deliver", "--force"]) == 0
    out = capsys.readouterr()
    assert "2 delivered, 0 waiting, 0 failed" in out.err
    assert "the outbox is empty" in out.out
    assert sorted(server.files) == ["out/a.xml", "out/b.xml"]
    assert list((workdir / "outbox").iterdir()) == []
