"""Jobs: do: realise runs --auto for a shop; do: handoff publishes to the folder POHODA watches, and
POHODA's answer coming back into a watched folder sets the documents' state."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.config import load_config
from exchange.errors import ConfigError
from exchange.jobs.actions import ACTIONS
from exchange.jobs.runner import run_job
from exchange.store import Store
from tests.handoff.support import ShopOrder, import_orders, load_stock
from tests.importers.engine_support import rows


def _config(tmp_path: Path, shared: Path) -> Path:
    path = tmp_path / "exchange.yaml"
    path.write_text(
        f"company:\n  name: Obchod s.r.o.\n  ico: '87654321'\n"
        f"handoff:\n  pohoda_xsd: {shared / 'pohoda' / 'xsd'}\n"
        f"shops:\n  shoptet:\n    profile: shoptet\n"
        f"jobs:\n"
        f"  realise:\n    do: realise\n    shop: shoptet\n    every: 10 minutes\n"
        f"  to-pohoda:\n    do: handoff\n    shop: shoptet\n    documents: invoices\n"
        f"    to: file://{tmp_path / 'pohoda-in'}\n    every: 15 minutes\n"
        f"  answers:\n    do: watch\n    shop: shoptet\n    folder: pohoda-out\n", encoding="utf-8")
    return path


def test_realise_then_handoff_jobs_then_the_answer_in_a_watched_folder(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    (tmp_path / "pohoda-in").mkdir()
    (tmp_path / "pohoda-out").mkdir()
    config = load_config(_config(tmp_path, shared_samples))
    load_stock(store, tmp_path, {"P1": "10"})
    import_orders(store, tmp_path, ShopOrder("1", company_id="12345678"), ShopOrder("2", paid="0"))

    realised = run_job(store, config, config.job("realise"), actions=ACTIONS)
    assert realised.counts == {"realised": 1, "not_realised": 1}

    handed = run_job(store, config, config.job("to-pohoda"), actions=ACTIONS)
    assert handed.status == "ok" and handed.counts["handed_off"] == 1
    [pack] = list((tmp_path / "pohoda-in").glob("*.xml"))
    assert b"FV" in pack.read_bytes()
    again = run_job(store, config, config.job("to-pohoda"), actions=ACTIONS)
    assert again.counts["handed_off"] == 0

    # POHODA answers for the item it imported (the ok sample, re-addressed to our item id)
    [state] = rows(store, "erp_handoffs")
    answer = (shared_samples / "pohoda" / "jakubdusek_import-response_invoice_ok_cp1250.xml"
              ).read_bytes().replace(b'id="AD001"', f'id="{state["pack_item"]}"'.encode())
    response = tmp_path / "pohoda-out" / "response.xml"
    response.write_bytes(answer)
    watched = run_job(store, config, config.job("answers"), actions=ACTIONS, files=[response])

    assert watched.counts["erp_answers"] == 3
    [state] = rows(store, "erp_handoffs")
    assert (state["erp_state"], state["erp_id"], state["erp_number"]) == ("booked", "95", "140100015")
    assert (tmp_path / "pohoda-out" / "processed" / "response.xml").exists()


def test_a_handoff_job_needs_its_endpoint(tmp_path: Path) -> None:
    path = tmp_path / "exchange.yaml"
    path.write_text("shops:\n  s:\n    profile: shoptet\n"
                    "jobs:\n  h:\n    do: handoff\n    shop: s\n    format: isdoc\n"
                    "    documents: orders\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "jobs.h.to: required for a handoff job" in str(caught.value)
