"""Configuration checked at load, every problem at once; a typo'd --db refused; CSV encodings detected."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.catalog import detect_csv_encoding
from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.store import Store
from exchange.store.schema import products

CONFIG = """\
folders: {inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}
shops:
  myshop:
    profile: shoptet
    orders_from: ftp://orders@127.0.0.1:99999/export/?pasive=1
    feed_to: sftp://feeds@127.0.0.1/import/
jobs:
  pull: {do: import, shop: myshop, every: 10 minutes}
  push-feed:
    do: export
    shop: myshop
    feed: pricelsit
    every: 1 hour
"""


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the CLI as the console script does: (exit code, stdout + stderr)."""
    def run(*args: str) -> tuple[int, str]:
        code = run_cli(cli, list(args))
        out = capsys.readouterr()
        return code, out.out + out.err
    return run


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'exchange.db'}"
    Store(url).close()
    return url


def test_every_problem_of_the_file_is_told_at_load_with_its_line(tmp_path: Path, say) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exchange.yaml").write_text(CONFIG, encoding="utf-8")
    code, output = say("--config", str(tmp_path / "exchange.yaml"), "--db", _db(tmp_path), "status")
    assert code == 3, output
    assert "Traceback" not in output
    assert "exchange.yaml: 2 problems" in output
    assert "exchange.yaml:5: shops.myshop.orders_from" in output
    assert "unknown option 'pasive'" in output and "passive" in output
    assert "bad port" in output and "99999" in output
    assert ":12: jobs.push-feed.feed" in output
    assert "no feed 'pricelsit'; it offers: pricelist" in output


@pytest.mark.parametrize("text", ["", "# nothing yet\n\n   # really\n", "\n\n"])
def test_an_empty_or_comment_only_file_says_nothing_is_configured(tmp_path: Path, text: str,
                                                                  say) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exchange.yaml").write_text(text, encoding="utf-8")
    for command in (["status"], ["run", "--once", "pull"], ["run"]):
        code, output = say("--config", str(tmp_path / "exchange.yaml"), "--db", _db(tmp_path),
                           *command)
        assert code == 3, output
        assert "nothing configured" in output
        assert "Traceback" not in output


def test_a_db_naming_a_missing_sqlite_file_is_refused_unless_created(tmp_path: Path, say) -> None:  # type: ignore[no-untyped-def]
    config = ("--config", str(tmp_path / "exchange.yaml"))
    (tmp_path / "exchange.yaml").write_text("folders: {inbox: inbox}\n", encoding="utf-8")
    typo = tmp_path / "sub" / "exchnage.db"
    code, output = say(*config, "--db", f"sqlite:///{typo}", "orders", "list")
    assert code == 3, output
    assert "no store at" in output and "--create" in output
    assert not typo.exists() and not typo.parent.exists()  # nothing made, not even its folder
    code, output = say(*config, "--db", f"sqlite:///{typo}", "--create", "orders", "list")
    assert code == 0, output
    assert typo.exists()
    code, output = say(*config, "--db", f"sqlite:///{typo}", "orders", "list")  # it exists now
    assert code == 0, output


def test_init_creates_the_store_it_is_given(tmp_path: Path, say) -> None:  # type: ignore[no-untyped-def]
    code, output = say("--config", str(tmp_path / "exchange.yaml"), "--db",
                       f"sqlite:///{tmp_path / 'new.db'}", "init")
    assert code == 0, output
    assert (tmp_path / "new.db").exists()


CSV = ("code,name,vat_rate,price:retail,stock:MAIN\n"
       "HRNEK,Hrnek Žluťoučký kůň,21,149,5\n"
       "TRIKO,Triko Šárka – bavlna,21,399,2\n")


@pytest.mark.parametrize(("codec", "bom", "detected"), [
    ("windows-1250", b"", "windows-1250"),
    ("utf-8", b"", "utf-8"),
    ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    ("utf-16-le", b"", "utf-16-le"),
])
def test_catalog_load_detects_the_encoding_excel_saved(tmp_path: Path, codec: str, bom: bytes,
                                                        detected: str, say) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "katalog.csv"
    csv_file.write_bytes(bom + CSV.encode(codec))
    assert detect_csv_encoding(csv_file.read_bytes()) == detected
    url = _db(tmp_path)
    code, output = say("--db", url, "catalog", "load", str(csv_file))
    assert code == 0, output
    assert "2 created" in output
    with Store(url) as store, store.connect() as conn:
        names = sorted(conn.execute(select(products.c.name)).scalars())
    assert names == ["Hrnek Žluťoučký kůň", "Triko Šárka – bavlna"]


def test_catalog_load_encoding_option_overrides_the_guess(tmp_path: Path, say) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "katalog.csv"
    csv_file.write_bytes(CSV.encode("windows-1250"))
    url = _db(tmp_path)
    code, output = say("--db", url, "catalog", "load", "--encoding", "utf-8", str(csv_file))
    assert code == 3
    assert "katalog.csv:2: not valid utf-8" in output and "Traceback" not in output
    code, output = say("--db", url, "catalog", "load", "--encoding", "iso-8859-2", str(csv_file))
    assert code == 0, output
    with Store(url) as store, store.connect() as conn:  # read as told: Š and ž differ there
        names = sorted(conn.execute(select(products.c.name)).scalars())
    assert names != ["Hrnek Žluťoučký kůň", "Triko Šárka – bavlna"] and len(names) == 2
