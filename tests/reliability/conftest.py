"""Fixtures for the topology tests: a broker admin URL of its own for each broker kind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import services
from tests.reliability.private_services import PrivateRedis
from tests.reliability.topology import FAST_RECOVERY, Topology

TOPOLOGY_REDIS_DB = "/13"  # the unit tests use /15 and the abuse tests /12: flushing this one is safe


def broker_admin_url(kind: str) -> str:
    if kind == "redis":
        return urlunsplit(urlsplit(services.redis_url())._replace(path=TOPOLOGY_REDIS_DB))
    return services.rabbitmq_url()


@pytest.fixture(params=["redis", "rabbitmq"])
def fault_topology(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Topology]:
    """The production topology (Redis or RabbitMQ) with the fault tests' recovery thresholds (`FAST_RECOVERY`)."""
    kind = str(request.param)
    with Topology(kind, tmp_path / kind, postgres_admin_url=services.postgres_url(),
                  broker_admin_url=broker_admin_url(kind), extra_env=FAST_RECOVERY) as running:
        yield running


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def shared_topology(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """One topology per broker for all the tests of a module, in their order (each posts leads of its
    own; the first test of the module gets it fresh): saves a start and a stop per test."""
    kind = str(request.param)
    with Topology(kind, tmp_path_factory.mktemp(kind), postgres_admin_url=services.postgres_url(),
                  broker_admin_url=broker_admin_url(kind)) as running:
        yield running


@contextmanager
def private_redis_topology(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[Topology]:
    """The Redis topology on a Redis server of its own, for tests that stop or disturb it."""
    redis = PrivateRedis(tmp_path / "redis-server")
    redis.start()
    try:
        with Topology("redis", tmp_path / "topology", postgres_admin_url=services.postgres_url(),
                      broker_admin_url=redis.url, extra_env=extra_env) as running:
            yield running
    finally:
        redis.kill()
