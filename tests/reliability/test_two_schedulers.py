"""Two `crm scheduler` processes at once for at least 100 ticks each (slow), with the leader frozen
(SIGSTOP) past its lease three times so the other takes over while the first still thinks it leads:
0 duplicate sends, counted at the SMTP sink and in the deliveries table."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import private_redis_topology
from tests.reliability.outages import report
from tests.reliability.topology import Process, Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_OUTAGE_LEADS", "200"))
TICK_SECONDS = 0.2
TICKS = 100
FAST = {"CRM_SCHEDULER_TICK_SECONDS": str(TICK_SECONDS), "CRM_DUE_STEPS_EVERY_SECONDS": str(TICK_SECONDS),
        "CRM_SCHEDULER_LEASE_SECONDS": "1"}


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    with private_redis_topology(tmp_path, extra_env=FAST) as running:
        yield running


def leader_pid(topology: Topology) -> int | None:
    rows = topology.db_rows("SELECT holder FROM leases WHERE name = 'scheduler'")
    return int(str(rows[0][0]).split(":")[1]) if rows else None


def test_two_schedulers_for_100_ticks_send_nothing_twice(topology: Topology,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Given a second scheduler next to the first, both ticking every 0.2 s with a 1 s lease
    first = topology.processes["scheduler"]
    second = Process("scheduler-2", first.argv, first.env, topology.workdir / "scheduler-2.log")
    topology.processes["scheduler-2"] = second
    second.start()
    started = time.monotonic()
    # When leads arrive while the leader is frozen past its lease three times
    result = topology.post_leads([lead_payload(i, topology.run_id) for i in range(LEADS)], concurrency=8)
    freezes = 0
    while freezes < 3 or time.monotonic() - started < TICKS * TICK_SECONDS:
        pid = leader_pid(topology)
        if pid in (first.pid, second.pid) and freezes < 3:
            os.kill(pid, signal.SIGSTOP)
            time.sleep(2.5)  # longer than the 1 s lease: the other scheduler takes it meanwhile
            os.kill(pid, signal.SIGCONT)
            freezes += 1
        time.sleep(1.0)
    ran_for = time.monotonic() - started
    recovery = topology.wait_until_complete(result.accepted)
    counts = topology.counts(result.accepted, recovery)
    takeovers = {name: sum("took the lease" in line for line in topology.processes[name].log_lines())
                 for name in ("scheduler", "scheduler-2")}
    sent = topology.db_rows("SELECT d.step_id, COUNT(*) FROM deliveries d WHERE d.status = 'sent' GROUP BY d.step_id")
    report(capsys, counts, "two-schedulers",
           f"seconds_both_running={ran_for:.0f} ticks_each>={int(ran_for / TICK_SECONDS)} freezes={freezes} "
           f"lease_taken={takeovers} sent_deliveries={sum(c for _, c in sent)}")

    # Then both schedulers held the lease at some point, and it changed hands at each freeze
    assert ran_for >= TICKS * TICK_SECONDS and freezes == 3
    assert all(taken >= 1 for taken in takeovers.values()) and sum(takeovers.values()) >= 4
    # and every lead got its first email exactly once: one message per address, one sent delivery per step
    assert result.statuses == {201: LEADS}
    assert counts.accepted == counts.stored == counts.classified == counts.emailed == LEADS
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(topology.sink.message_ids().values()) == 1
    assert {count for _, count in sent} == {1} and len(sent) == topology.sink.total()
