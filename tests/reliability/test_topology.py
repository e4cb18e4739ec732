"""End to end on the production topology: gunicorn (2 workers), `crm worker` (2 processes),
`crm scheduler`, PostgreSQL, Redis or RabbitMQ, and an SMTP sink. 1,000 leads posted concurrently:
each stored once, classified, and sent its first email exactly once (counted at the sink)."""

from __future__ import annotations

import os

import pytest

from tests.reliability.outages import during_posting
from tests.reliability.topology import Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_RELIABILITY_LEADS", "1000"))


def test_every_lead_is_stored_once_classified_and_emailed_once(shared_topology: Topology,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    topology = shared_topology
    # (first in this module: the topology is fresh, so the table and sink totals below are this test's)
    assert topology.db_rows("SELECT COUNT(*) FROM leads")[0][0] == 0 and topology.sink.total() == 0
    # Given 1,000 different people posting at the same time
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]

    # When they post through gunicorn
    result = topology.post_leads(payloads, concurrency=16)
    recovery = topology.wait_until_complete(result.accepted)
    counts = topology.counts(result.accepted, recovery)
    with capsys.disabled():
        print("\n" + counts.line(f"e2e-{topology.broker}") + f" statuses={result.statuses}")

    # Then every one was acknowledged and stored once
    assert result.statuses == {201: LEADS}
    assert counts.accepted == counts.stored == LEADS
    assert topology.db_rows("SELECT COUNT(*) FROM inquiries")[0][0] == LEADS
    # classified
    assert counts.classified == LEADS
    # and sent exactly one message (its first email): one per address at the sink, no other messages
    per_recipient = topology.sink.per_recipient()
    assert sorted(per_recipient[email.lower()] for email in result.accepted) == [1] * LEADS
    assert topology.sink.total() == LEADS
    assert max(topology.sink.message_ids().values()) == 1
    # and the database agrees: one step-0 delivery marked sent per lead
    sent = topology.db_rows(
        "SELECT d.lead_id, COUNT(*) FROM deliveries d JOIN scheduled_steps s ON s.id = d.step_id "
        "WHERE s.step_index = 0 AND d.status = 'sent' GROUP BY d.lead_id")
    assert len(sent) == LEADS and {count for _, count in sent} == {1}
    assert counts.duplicates == 0 and counts.lost == 0


def test_no_process_logs_personal_data(shared_topology: Topology) -> None:
    topology = shared_topology
    payloads = [lead_payload(i, f"logs.{topology.run_id}") for i in range(50)]
    result = topology.post_leads(payloads, concurrency=8)
    topology.wait_until_complete(result.accepted, emails=False, stall_seconds=60)
    names_and_addresses = [p["email"] for p in payloads] + [str(p["first_name"]) for p in payloads] + ["Reliability"]
    leaks = topology.log_leaks(names_and_addresses)
    assert not leaks, leaks[:3]
    # and the logs are JSON lines that carry lead ids
    web_lines = topology.processes["web"].log_lines()
    assert any('"lead received"' in line and '"lead_id"' in line for line in web_lines)


def test_sigterm_to_the_workers_mid_run_loses_nothing(shared_topology: Topology,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    topology = shared_topology
    worker = topology.processes["worker"]
    payloads = [lead_payload(i, f"sigterm.{topology.run_id}") for i in range(300)]
    done_jobs_sql = "SELECT COUNT(*) FROM jobs WHERE kind = 'classify_lead' AND status = 'done'"
    done_before = topology.db_rows(done_jobs_sql)[0][0]  # the earlier tests' leads
    stopped_with: list[int] = []

    def stop_and_start_again() -> None:
        assert worker.terminate(timeout=120) == 0, "\n".join(worker.log_lines()[-5:])
        stopped_with.append(topology.db_rows(done_jobs_sql)[0][0] - done_before)
        worker.start()

    # Given messages queued and in progress (leads still arriving)
    # When the workers are told to stop (as systemd or Docker would) a third of the way through, and
    # started again once they have stopped, while the posts go on
    result = during_posting(topology, payloads, stop_and_start_again, after_posted=100, concurrency=16)
    assert result.statuses == {201: 300}
    recovery = topology.wait_until_complete(result.accepted, emails=False)
    counts = topology.counts(result.accepted, recovery, emails=False)
    with capsys.disabled():
        print("\n" + counts.line(f"sigterm-worker-{topology.broker}") + f" classified_before_stop={stopped_with[0]}")
    # Then every lead is classified, with no job left failed
    assert counts.classified == counts.stored == 300 and counts.duplicates == 0
    assert topology.db_rows("SELECT COUNT(*) FROM jobs WHERE status = 'failed'")[0][0] == 0
