"""The core CLI as users meet it: init, catalogue load, listings, errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import run_cli

CSV = "code,name,ean,vat_rate,price:retail,stock:W1\nA1,Hrnek & <spol>,8590000000011,21,249,5\nB2,Čaj,,12,99,1\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    return tmp_path


def test_init_writes_config_and_database(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "database:" in (workdir / "exchange.yaml").read_text()
    assert (workdir / "exchange.db").exists()
    again = CliRunner().invoke(cli, ["init"])
    assert again.exit_code != 0


def test_catalog_load_then_products_list_json(workdir: Path) -> None:
    (workdir / "c.csv").write_text(CSV, encoding="utf-8")
    runner = CliRunner()
    loaded = runner.invoke(cli, ["catalog", "load", "c.csv"])
    assert loaded.exit_code == 0, loaded.output
    assert "2 created" in loaded.output
    listed = runner.invoke(cli, ["products", "list", "--json"])
    rows = {r["code"]: r for r in json.loads(listed.output)}
    assert rows["A1"]["name"] == "Hrnek & <spol>"
    assert rows["A1"]["prices"] == {"retail": "249"}
    assert rows["A1"]["available"] == "5"
    table = runner.invoke(cli, ["products", "list"])
    assert "Hrnek & <spol>" in table.output and "CODE" in table.output


def test_empty_listings_say_so(workdir: Path) -> None:
    runner = CliRunner()
    assert "no orders yet" in runner.invoke(cli, ["orders", "list"]).output
    assert "no invoices yet" in runner.invoke(cli, ["invoices", "list"]).output
    assert json.loads(runner.invoke(cli, ["orders", "list", "--json"]).output) == []


def test_bad_rows_give_exit_code_4_and_row_numbers(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "c.csv").write_text(CSV + "C3,Bad,12345,21,x,1\n", encoding="utf-8")
    code = run_cli(cli, ["catalog", "load", "c.csv"])
    assert code == 4
    assert "c.csv:4:" in capsys.readouterr().err


def test_user_mistake_is_one_line_without_traceback(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(cli, ["--db", "nosuch://db", "orders", "list"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_runs_as_a_real_process(workdir: Path) -> None:
    env = {**os.environ, "EXCHANGE_DATABASE_URL": f"sqlite:///{workdir / 'p.db'}"}
    done = subprocess.run([sys.executable, "-m", "exchange", "--create", "orders", "list", "--json"],
                          capture_output=True, text=True, env=env, cwd=workdir, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    bad = subprocess.run([sys.executable, "-m", "exchange", "catalog", "load", "missing.csv"],
                         capture_output=True, text=True, env=env, cwd=workdir, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
