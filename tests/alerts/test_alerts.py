"""Alerts against real servers: aiosmtpd with STARTTLS and a login, and a loopback webhook."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from exchange.alerts.settings import EmailTarget, parse_alerts
from exchange.alerts.watch import Cause, sweep
from exchange.errors import ConfigError
from exchange.store import Store
from exchange.store.history import finish_run, list_events, record_event, start_run
from exchange.store.types import utcnow
from tests.alerts.servers import SMTP_PASSWORD, SMTP_USER, smtp_server, webhook_server
from tests.transport.servers import make_certs


def _failed_run(store: Store, job: str = "pull-orders") -> None:
    with store.begin() as conn:
        run = start_run(conn, job)
        finish_run(conn, run, "failed", {"message": "ftp.shop.cz: connection refused"})


def _alert_events(store: Store) -> list[dict[str, object]]:
    with store.connect() as conn:
        return [e for e in list_events(conn) if e["kind"] == "alert"]


@pytest.fixture
def certs(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_certs(tmp_path)


def test_a_failed_run_is_mailed_over_starttls_with_a_login(store: Store, certs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXCHANGE_SMTP_PASSWORD", SMTP_PASSWORD)
    _failed_run(store)
    with smtp_server(certs) as (port, mailbox):
        settings = parse_alerts({"email": {"host": "localhost", "port": port, "user": SMTP_USER,
                                           "from": "exchange@example.cz", "to": ["ops@example.cz"],
                                           "cafile": str(certs.ca)}})
        sent = sweep(store, settings)
        assert mailbox.received.wait(10)
    assert [a.cause for a in sent] == [Cause.RUN_FAILED]
    (message,) = mailbox.messages
    assert message["Subject"] == "[exchange] 1 failed runs"
    assert message["To"] == "ops@example.cz"
    body = message.get_payload(decode=True).decode("utf-8")
    assert "pull-orders" in body and "connection refused" in body
    (event,) = _alert_events(store)
    assert event["level"] == "info" and event["document"] == "alert:run_failed"


def test_alerts_are_throttled_then_sent_as_a_digest(store: Store) -> None:
    with webhook_server() as (url, hooks):
        settings = parse_alerts({"webhook": url, "throttle_minutes": 60})
        _failed_run(store, "a")
        assert len(sweep(store, settings)) == 1
        _failed_run(store, "b")
        _failed_run(store, "c")
        assert sweep(store, settings) == []  # within the hour: nothing more
        later = utcnow() + timedelta(minutes=61)
        (digest,) = sweep(store, settings, now=later)
    assert [p["cause"] for p in hooks.payloads] == ["run_failed", "run_failed"]
    assert len(hooks.payloads[1]["items"]) == 2 and "b: run" in " ".join(digest.items)
    assert len(_alert_events(store)) == 2


def test_a_failed_send_is_in_the_history_and_tried_again_later(store: Store) -> None:
    with webhook_server() as (url, hooks):
        hooks.status = 500
        settings = parse_alerts({"webhook": url})
        _failed_run(store)
        sweep(store, settings)
        assert sweep(store, settings) == []  # not on every sweep
        hooks.status = 204
        assert len(sweep(store, settings, now=utcnow() + timedelta(minutes=11))) == 1
    levels = [e["level"] for e in _alert_events(store)]
    assert sorted(levels) == ["error", "info"]
    failed = next(e for e in _alert_events(store) if e["level"] == "error")
    assert "500" in str(failed["message"])


def test_held_documents_outbox_quarantine_and_drift_alert(store: Store, tmp_path: Path) -> None:
    quarantine = tmp_path / "quarantine"
    quarantine.mkdir()
    (quarantine / "bad.xml").write_text("<x", encoding="utf-8")
    (quarantine / "bad.xml.error.txt").write_text("report", encoding="utf-8")
    with store.begin() as conn:
        record_event(conn, kind="held", level="warning", document="orders:shop:1",
                     message="status 'X' has no mapping")
        record_event(conn, kind="reconciled", level="warning", document="shop.xml",
                     message="price_drift 3", details={"price_drift": 3})
    with webhook_server() as (url, hooks):
        settings = parse_alerts({"webhook": url, "drift_threshold": 2}, quarantine=quarantine)
        sent = sweep(store, settings)
    assert {a.cause for a in sent} == {Cause.HELD, Cause.QUARANTINE, Cause.DRIFT}
    by_cause = {p["cause"]: p["items"] for p in hooks.payloads}
    assert by_cause["quarantine"] == ["bad.xml"]
    assert "orders:shop:1" in by_cause["held"][0]


def test_the_alerts_section_is_validated_all_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_alerts({"email": {"host": "", "password": "x", "to": []}, "webhook": "ftp://x",
                      "throttle": 5})
    text = str(caught.value)
    for expected in ("alerts.throttle: unknown key", "alerts.email.password: not allowed",
                     "alerts.email.host: required", "alerts.email.to", "alerts.webhook"):
        assert expected in text


def test_the_smtp_password_never_comes_from_the_file() -> None:
    target = EmailTarget(host="h", port=25, sender="a@b", to=("c@d",), user="u")
    assert target.password({"EXCHANGE_SMTP_PASSWORD": "from env"}) == "from env"
