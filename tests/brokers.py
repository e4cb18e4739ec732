"""Dramatiq's stub broker and an in-process worker (the pattern from Dramatiq's own test suite),
shared by the classification and email tests: their conftest files import these fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

import workers.actors  # noqa: F401  (declares every actor on the global broker)
from crm.db import Database
from workers.broker import broker as global_broker


@pytest.fixture
def stub_broker(db: Database) -> Iterator[StubBroker]:
    """The process's broker (a StubBroker when CRM_BROKER_URL is unset), emptied around each test."""
    if not isinstance(global_broker, StubBroker):
        pytest.skip("these tests need the embedded (stub) broker: unset CRM_BROKER_URL")
    global_broker.flush_all()
    yield global_broker
    global_broker.flush_all()


@pytest.fixture
def stub_worker(stub_broker: StubBroker) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(stub_broker, worker_timeout=100, worker_threads=4)
    worker.start()
    yield worker
    worker.stop()
