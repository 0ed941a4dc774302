"""The real broker for the scale-out tests: RabbitMQ on loopback, a fresh vhost per test."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from exchange.scale.broker import reachable

BROKER = "amqp://guest@127.0.0.1:5672"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def vhost(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh RabbitMQ vhost for one test, deleted after it; the broker password in the environment."""
    if not reachable(BROKER):
        if os.environ.get("CI") == "true" or os.environ.get("EXCHANGE_TEST_NO_SKIPS") == "1":
            pytest.fail("RabbitMQ does not answer on 127.0.0.1:5672: the scale-out tests need it in CI")
        pytest.skip("RabbitMQ does not answer on 127.0.0.1:5672 (the scale-out tests need it)")
    name = f"exchange-test-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    monkeypatch.setenv("EXCHANGE_BROKER_PASSWORD", "guest")
    try:
        yield name
    finally:
        _rabbitmqctl("delete_vhost", name)
