"""PostgreSQL restarted mid-run (slow), on a private cluster (the shared one serves other tests):
stopped with `-m immediate` (a crash: no shutdown checkpoint) and started again while leads are
being posted. Requests during the outage get 503, never a 2xx for data not stored; senders retry
with the same Idempotency-Key; every acknowledged lead is present, classified and emailed once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.outages import during_posting, report
from tests.reliability.private_services import PrivateCluster, PrivateRedis
from tests.reliability.topology import FAST_RECOVERY, Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_OUTAGE_LEADS", "300"))
DOWN_SECONDS = 5.0


@pytest.fixture
def cluster_topology(tmp_path: Path) -> Iterator[tuple[Topology, PrivateCluster]]:
    cluster = PrivateCluster()
    redis = PrivateRedis(tmp_path / "redis-server")
    cluster.init()
    cluster.start()
    redis.start()
    try:
        with Topology("redis", tmp_path / "topology", postgres_admin_url=cluster.admin_url,
                      broker_admin_url=redis.url, extra_env=FAST_RECOVERY) as topology:
            yield topology, cluster
    finally:
        redis.kill()
        cluster.destroy()


def test_postgres_restarted_mid_run_answers_503_and_loses_nothing(
        cluster_topology: tuple[Topology, PrivateCluster], capsys: pytest.CaptureFixture[str]) -> None:
    topology, cluster = cluster_topology
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]
    down: list[float] = []

    def outage() -> None:
        cluster.stop("immediate")
        started = time.monotonic()
        time.sleep(DOWN_SECONDS)
        cluster.start()
        down.append(time.monotonic() - started)
        assert topology.engine is not None
        topology.engine.dispose()  # the test's own counting connections died with the server

    # When PostgreSQL crashes a third of the way through and is back about DOWN_SECONDS later,
    # with senders that retry (same Idempotency-Key) on 503 or no answer
    result = during_posting(topology, payloads, outage, after_posted=LEADS // 3, attempts=200)
    recovery = topology.wait_until_complete(result.accepted)
    counts = topology.counts(result.accepted, recovery)
    dead = [name for name, process in topology.processes.items() if not process.group_alive()]
    report(capsys, counts, "postgres-restart",
           f"statuses={result.statuses} attempts={result.attempt_statuses} down_seconds={down[0]:.1f} "
           f"exited={dead}")

    # Then the outage was seen by the senders as 503s (or no answer), never as a 2xx
    assert result.attempt_statuses.get(503, 0) > 0
    assert set(result.attempt_statuses) <= {0, 200, 201, 503}
    # every lead was finally acknowledged, and every acknowledged lead is stored once
    assert sum(result.statuses.values()) == LEADS and set(result.statuses) <= {200, 201}
    assert counts.accepted == counts.stored == LEADS
    # classified and emailed exactly once, and no process died of the outage
    assert counts.classified == counts.emailed == LEADS
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(topology.sink.message_ids().values()) == 1
    assert not dead
