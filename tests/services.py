"""Real services for tests: PostgreSQL, Redis, RabbitMQ, found by URL.

Locally, a test whose service is not running is skipped with the reason. Under CI (CI=true) a
missing service is a failure: CI must exercise the real thing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("CRM_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, url: str, default_port: int) -> str:
    if reachable(url, default_port):
        return url
    message = f"{name} is not reachable at {url}"
    if in_ci():
        pytest.fail(f"{message}: under CI every service must run (see .ci/run)")
    pytest.skip(message)
    raise AssertionError("unreachable")


def postgres_url() -> str:
    return require("PostgreSQL", POSTGRES_URL, 5432)


def redis_url() -> str:
    return require("Redis", REDIS_URL, 6379)


def rabbitmq_url() -> str:
    return require("RabbitMQ", RABBITMQ_URL, 5672)


@contextmanager
def scratch_postgres_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database of that name (one a crashed run left is dropped first), dropped afterwards:
    its URL."""
    admin_url = make_url(postgres_url()).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
