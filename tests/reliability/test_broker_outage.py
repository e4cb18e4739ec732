"""The broker goes away mid-run (slow): Redis killed and restarted without persistence (every
queued message lost), or RabbitMQ refusing our vhost's connections for a while. Web requests
during the outage are still accepted (the job row is committed with the lead); the sweep re-sends
what the broker lost. Counted from the database and the SMTP sink."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import services
from tests.reliability.outages import during_posting, rabbitmq_outage, report
from tests.reliability.private_services import PrivateRedis
from tests.reliability.topology import FAST_RECOVERY, Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_OUTAGE_LEADS", "300"))
DOWN_SECONDS = 5.0
# The sweeps re-send a classify job or an email step whose message has not been handled after a
# while (120 s by default each): shortened (FAST_RECOVERY) so the test's recovery is not mostly waiting.


@pytest.fixture
def redis_topology(tmp_path: Path) -> Iterator[tuple[Topology, PrivateRedis]]:
    redis = PrivateRedis(tmp_path / "redis-server")
    redis.start()
    try:
        with Topology("redis", tmp_path / "topology", postgres_admin_url=services.postgres_url(),
                      broker_admin_url=redis.url, extra_env=FAST_RECOVERY) as topology:
            yield topology, redis
    finally:
        redis.kill()


@pytest.fixture
def rabbitmq_topology(tmp_path: Path) -> Iterator[Topology]:
    with Topology("rabbitmq", tmp_path / "topology", postgres_admin_url=services.postgres_url(),
                  broker_admin_url=services.rabbitmq_url(), extra_env=FAST_RECOVERY) as topology:
        yield topology


def check(topology: Topology, result: object, label: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.reliability.topology import PostResult

    assert isinstance(result, PostResult)
    recovery = topology.wait_until_complete(result.accepted)
    counts = topology.counts(result.accepted, recovery)
    report(capsys, counts, label, f"statuses={result.statuses}")
    # Then every request was accepted, even those made while the broker was down
    assert result.statuses == {201: LEADS}
    # and every lead is stored once, classified and emailed exactly once
    assert counts.accepted == counts.stored == counts.classified == counts.emailed == LEADS
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(topology.sink.message_ids().values()) == 1
    assert topology.db_rows("SELECT COUNT(*) FROM jobs WHERE status = 'failed'")[0][0] == 0


def test_redis_restarted_mid_run_loses_and_duplicates_nothing(
        redis_topology: tuple[Topology, PrivateRedis], capsys: pytest.CaptureFixture[str]) -> None:
    topology, redis = redis_topology
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]
    # When Redis dies (its queues with it) a third of the way through and is back DOWN_SECONDS later
    result = during_posting(topology, payloads, lambda: redis.restart(DOWN_SECONDS), after_posted=LEADS // 3)
    assert redis.restarts == 1
    check(topology, result, "redis-restart", capsys)


def test_rabbitmq_outage_mid_run_loses_and_duplicates_nothing(
        rabbitmq_topology: Topology, capsys: pytest.CaptureFixture[str]) -> None:
    topology = rabbitmq_topology
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]
    user = str(topology.broker_url.split("://", 1)[1].split(":", 1)[0])
    # When every connection to our vhost is dropped and refused for DOWN_SECONDS
    result = during_posting(topology, payloads, lambda: rabbitmq_outage(topology.vhost, user, DOWN_SECONDS),
                            after_posted=LEADS // 3)
    check(topology, result, "rabbitmq-outage", capsys)
