"""Shop identity you cannot fool by accident: a copied profile is its own shop, and the same bytes
are not booked again under another shop without --force."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.profiles import load_profile
from exchange.store import Store
from tests.importers.engine_support import count, rows

AXELOR = ("prestashop", "axelor_orders.xml")


def test_a_copied_profile_names_its_own_shop(tmp_path: Path) -> None:
    target = tmp_path / "eshop-sk.yaml"

    result = CliRunner().invoke(cli, ["profiles", "copy", "prestashop", str(target)])

    assert result.exit_code == 0, result.output
    copied = load_profile(target)
    assert (copied.name, copied.import_options.shop) == ("eshop-sk", "eshop-sk")
    # everything else is the original's
    assert copied.import_options.platform == "prestashop"
    assert target.read_text(encoding="utf-8").count("shop: eshop-sk") == 1


def test_the_same_file_under_another_shop_is_refused_unless_forced(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    sample = shared_samples.joinpath(*AXELOR)
    first = import_file(store, sample, "prestashop", "orders", quarantine=tmp_path)
    assert first.counts[Outcome.IMPORTED] == 1

    again = import_file(store, sample, "prestashop", "orders", shop="eshop-sk",
                        quarantine=tmp_path)

    assert again.status == "refused" and again.exit_code == 4
    assert again.file_error is not None
    assert "already imported under shop 'prestashop'" in again.file_error
    assert "--force" in again.file_error
    assert count(store, "orders") == 1
    # refusing it does not forget whose file it is
    assert import_file(store, sample, "prestashop", "orders", shop="eshop-sk",
                       quarantine=tmp_path).status == "refused"
    # the same shop may take its own file again (its documents are simply unchanged)
    same = import_file(store, sample, "prestashop", "orders", quarantine=tmp_path)
    assert same.counts[Outcome.SKIPPED] == 1
    forced = import_file(store, sample, "prestashop", "orders", shop="eshop-sk", force=True,
                         quarantine=tmp_path)
    assert forced.counts[Outcome.IMPORTED] == 1
    assert sorted(o["shop"] for o in rows(store, "orders")) == ["eshop-sk", "prestashop"]


def test_the_cli_refuses_another_shops_file_and_force_imports_it(
        shared_samples: Path, tmp_path: Path) -> None:
    sample = str(shared_samples.joinpath(*AXELOR))
    base = ["--db", f"sqlite:///{tmp_path / 'exchange.db'}", "--create", "import", sample, "--profile",
            "prestashop", "--as", "orders", "--quarantine", str(tmp_path / "q")]
    runner = CliRunner()
    assert runner.invoke(cli, base).exit_code == 0

    refused = runner.invoke(cli, [*base, "--shop", "eshop-sk"])
    forced = runner.invoke(cli, [*base, "--shop", "eshop-sk", "--force"])

    assert refused.exit_code == 4
    assert "already imported under shop 'prestashop'" in refused.output
    assert forced.exit_code == 0, forced.output
