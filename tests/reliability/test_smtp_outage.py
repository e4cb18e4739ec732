"""The SMTP server misbehaves (slow): down for 60 seconds, then answering 4xx for a while, then 5xx
for one address. Every other lead still gets its first email exactly once; the 5xx address is
bounced (delivery bounced, suppression row, sequence stopped) and not tried again."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import private_redis_topology
from tests.reliability.outages import report
from tests.reliability.topology import Topology, lead_payload

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_OUTAGE_LEADS", "100"))
DOWN_SECONDS = 60.0


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    with private_redis_topology(tmp_path) as running:
        yield running


def poll(condition: object, what: str, limit: float = 600) -> None:
    """Wait for `condition()`; the limit only turns a hang into a failure message."""
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.5)


def test_smtp_down_then_4xx_then_5xx_for_one_address(topology: Topology,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    sink = topology.sink
    payloads = [lead_payload(i, topology.run_id) for i in range(LEADS)]
    bounce_address = str(payloads[7]["email"]).lower()
    # Given an SMTP server that is down (port closed) while the leads arrive and are classified
    sink.stop()
    down_since = time.monotonic()
    result = topology.post_leads(payloads, concurrency=8)
    assert result.statuses == {201: LEADS}
    topology.wait_until_complete(result.accepted, emails=False)
    # it stays down for 60 seconds (the one real wait of these tests)
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_since)))
    assert sink.total() == 0
    deferred_while_down = topology.db_rows("SELECT COUNT(*) FROM deliveries WHERE status = 'deferred'")[0][0]
    # When it comes back answering 451 to every recipient until a quarter of the leads were refused so
    sink.temporary_failure = True
    sink.start()
    poll(lambda: sink.temporary_answers >= LEADS // 4, "4xx answers given")
    four_xx = sink.temporary_answers
    # and then accepts everyone except one address, which it refuses with 550
    sink.rejected = {bounce_address}
    sink.temporary_failure = False
    topology.last_fault = time.monotonic()
    others = {email: lead_id for email, lead_id in result.accepted.items() if email.lower() != bounce_address}
    recovery = topology.wait_until_complete(others)
    bounced_id = result.accepted[str(payloads[7]["email"])]
    poll(lambda: topology.db_rows("SELECT COUNT(*) FROM deliveries WHERE lead_id = :id AND status = 'bounced'",
                                  id=bounced_id)[0][0] == 1, "the 550 recorded as a bounce")
    counts = topology.counts(others, recovery)
    report(capsys, counts, "smtp-down-4xx-5xx",
           f"deferred_while_down={deferred_while_down} answers_4xx={four_xx} "
           f"answers_5xx={sink.permanent_refusals[bounce_address]}")

    # Then every other lead was stored, classified and emailed exactly once
    assert counts.accepted == counts.stored == counts.classified == counts.emailed == LEADS - 1
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(sink.message_ids().values()) == 1
    assert deferred_while_down > 0 and four_xx >= LEADS // 4
    # and the refused address got nothing, is suppressed, its sequence stopped, and it was asked once only
    assert sink.per_recipient()[bounce_address] == 0
    suppressed = topology.db_rows("SELECT s.reason FROM suppressions s JOIN leads l ON l.email_key = s.email_key "
                                  "WHERE l.id = :id", id=bounced_id)
    assert [row[0] for row in suppressed] == ["bounced"]
    enrolments = topology.db_rows("SELECT status FROM enrolments WHERE lead_id = :id", id=bounced_id)
    assert enrolments and {row[0] for row in enrolments} == {"stopped"}
    assert topology.db_rows("SELECT COUNT(*) FROM scheduled_steps WHERE lead_id = :id AND status IN "
                            "('scheduled', 'queued', 'sending')", id=bounced_id)[0][0] == 0
    assert sink.permanent_refusals[bounce_address] == 1
