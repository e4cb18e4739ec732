"""Fault tests on the production topology (slow): processes killed mid-run, nothing lost, nothing
duplicated, counted from the database and the SMTP sink."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.reliability.topology import Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_RELIABILITY_LEADS", "1000"))
CRASHES_EACH = 3


def crash_repeatedly(topology: Topology, names: list[str], rounds: int, every: float,
                     stop: threading.Event) -> list[str]:
    """SIGKILL each named process group `rounds` times, one every `every` seconds, in turn."""
    done: list[str] = []
    for _ in range(rounds):
        for name in names:
            if stop.wait(every):
                return done
            topology.crash(name)
            done.append(name)
    return done


def test_sigkill_web_workers_and_scheduler_during_a_run_loses_and_duplicates_nothing(
        fault_topology: Topology, capsys: pytest.CaptureFixture[str]) -> None:
    topology = fault_topology
    # Given 1,000 leads being posted by senders that retry (same Idempotency-Key) when they get no answer
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]
    stop, crashed = threading.Event(), []
    crasher = threading.Thread(target=lambda: crashed.extend(
        crash_repeatedly(topology, ["web", "worker", "scheduler"], CRASHES_EACH, 1.5, stop)))
    # When the web processes, the workers and the scheduler are each SIGKILLed three times meanwhile
    crasher.start()
    result = topology.post_leads(payloads, concurrency=16, attempts=100)
    while crasher.is_alive():  # finish the crash schedule even if posting was quicker
        time.sleep(0.5)
    stop.set()
    crasher.join()
    recovery = topology.wait_until_complete(result.accepted)
    counts = topology.counts(result.accepted, recovery)
    with capsys.disabled():
        print("\n" + counts.line(f"sigkill-all-{topology.broker}") + f" crashes={len(crashed)} "
              f"statuses={result.statuses} unanswered_attempts={result.connection_errors}"
              + (f" unfinished_after_{topology.NOTE_AFTER_SECONDS:.0f}s: {topology.waiting_on}"
                 if topology.waiting_on else ""))

    # Then each process was killed three times
    assert sorted(crashed) == sorted(["web", "worker", "scheduler"] * CRASHES_EACH)
    # and every acknowledged lead is stored once, classified and emailed exactly once
    assert counts.accepted == LEADS, result.statuses
    assert counts.stored == counts.classified == counts.emailed == LEADS
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(topology.sink.message_ids().values()) == 1
