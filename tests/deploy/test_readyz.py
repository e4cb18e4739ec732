"""/readyz: 200 only when the database and, when one is configured, the broker answer."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests import services
from tests.conftest import make_app


def readyz(settings: Settings, db: Database, broker_url: str) -> tuple[int, dict]:
    client = make_app(settings, db, broker_url=broker_url).test_client()
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_without_a_broker_only_the_database_is_checked(settings: Settings, db: Database) -> None:
    assert readyz(settings, db, "") == (200, {"status": "ready", "checks": {"database": "ok"}})


@pytest.mark.redis
def test_a_reachable_redis_is_ready(settings: Settings, db: Database) -> None:
    status, body = readyz(settings, db, services.redis_url())
    assert (status, body["checks"]) == (200, {"database": "ok", "broker": "ok"})


@pytest.mark.rabbitmq
def test_a_reachable_rabbitmq_is_ready(settings: Settings, db: Database) -> None:
    status, body = readyz(settings, db, services.rabbitmq_url())
    assert (status, body["checks"]) == (200, {"database": "ok", "broker": "ok"})


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "amqp://guest:guest@127.0.0.1:1/%2F"])
def test_an_unreachable_broker_is_not_ready(settings: Settings, db: Database, url: str) -> None:
    status, body = readyz(settings, db, url)
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable (")


@pytest.mark.rabbitmq
def test_wrong_rabbitmq_credentials_are_not_ready(settings: Settings, db: Database) -> None:
    url = services.rabbitmq_url().replace("guest:guest@", "guest:wrong@")
    status, body = readyz(settings, db, url)
    assert status == 503 and body["checks"]["broker"].startswith("unavailable (")
