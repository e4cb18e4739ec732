"""send_steps: the scheduler's batches. Claimed together, sent over one connection, recorded together,
and still exactly once per (lead, step): duplicate batch messages, concurrent workers, a temporary
failure of one message of the batch, and steps of the batch that must not go."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from crm.config import Settings
from crm.db import Database
from crm.mail import TemporaryMailError, transport_from_url
from crm.models import Activity, Delivery, LeadStatus, StepStatus
from crm.sequences.scheduling import claim_due_steps
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, count, deliveries, get_lead, new_lead, steps
from workers.actors.email import deliver_batch, due_steps_tick, send_steps

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def drain(broker: StubBroker, worker: dramatiq.Worker) -> None:
    broker.join(send_steps.queue_name, fail_fast=True)
    worker.join()


@BOTH
def test_duplicate_batches_on_concurrent_workers_send_each_step_once(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker) -> None:
    # Given twelve leads whose first step is due
    addresses = [f"batch{i}@example.ie" for i in range(12)]
    first_steps = [steps(db, new_lead(db, email=address))[0].id for address in addresses]
    # When overlapping batches of them reach 4 worker threads several times each
    for _ in range(4):
        send_steps.send(step_ids=first_steps, now=T0.isoformat())
        send_steps.send(step_ids=first_steps[:6], now=T0.isoformat())
        send_steps.send(step_ids=list(reversed(first_steps[4:])), now=T0.isoformat())
    drain(stub_broker, stub_worker)
    # Then every lead received exactly one message, recorded once on its timeline
    assert [len(sink.to(address)) for address in addresses] == [1] * 12
    assert len(sink.messages) == 12
    assert count(db, Delivery) == 12 and count(db, Delivery, Delivery.status == "sent") == 12
    assert count(db, Activity, Activity.kind == "email-sent") == 12


def test_the_tick_enqueues_batches_and_every_step_is_sent_once(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given seven due steps and batches of three
    monkeypatch.setattr("workers.actors.email.BATCH_SIZE", 3)
    leads = [new_lead(db, email=f"tick{i}@example.ie") for i in range(7)]
    # When the scheduler ticks (twice): three batch messages; then the workers drain the queue
    stub_worker.pause()
    assert due_steps_tick(T0 + timedelta(minutes=1)) == 7
    assert due_steps_tick(T0 + timedelta(minutes=2)) == 0
    batches = [dramatiq.Message.decode(raw).kwargs["step_ids"]
               for raw in stub_broker.queues[send_steps.queue_name].queue]  # type: ignore[attr-defined]
    stub_worker.resume()
    assert [len(batch) for batch in batches] == [3, 3, 1]
    drain(stub_broker, stub_worker)
    # Then each got its first email once, and each step is recorded as sent
    assert [len(sink.to(f"tick{i}@example.ie")) for i in range(7)] == [1] * 7
    assert all(steps(db, lead_id)[0].status == StepStatus.SENT.value for lead_id in leads)


@BOTH
def test_a_temporary_failure_defers_only_that_message_and_the_retry_sends_only_it(
        db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a batch of three due steps, and a server that answers 451 to the second message only
    addresses = ["one@example.ie", "two@example.ie", "three@example.ie"]
    leads = [new_lead(db, email=address) for address in addresses]
    step_ids = [steps(db, lead_id)[0].id for lead_id in leads]
    original = sink.handle_DATA
    seen: list[int] = []

    async def second_fails(server: object, session: object, envelope: object) -> str:
        seen.append(1)
        if len(seen) == 2:
            return "451 4.3.0 Try again later"
        return await original(server, session, envelope)

    sink.handle_DATA = second_fails  # type: ignore[method-assign]
    transport = transport_from_url(smtp_settings.mail_url)
    # When the batch is sent: the failure is recorded for that message and raised for a retry
    with db.session() as session, pytest.raises(TemporaryMailError, match="451"):
        deliver_batch(session, step_ids, smtp_settings, transport, T0)
    assert [d.status for lead_id in leads for d in deliveries(db, lead_id)] == ["sent", "deferred", "sent"]
    assert len(sink.messages) == 2
    assert "email-deferred" in activity_kinds(db, leads[1])
    # And when the whole batch is retried, only the deferred message goes out (same Message-ID)
    with db.session() as session:
        outcome = deliver_batch(session, step_ids, smtp_settings, transport, T0 + timedelta(seconds=10))
    transport.close()
    assert outcome == {step_ids[0]: "nothing", step_ids[1]: "sent", step_ids[2]: "nothing"}
    assert [len(sink.to(address)) for address in addresses] == [1, 1, 1]
    [retried] = deliveries(db, leads[1])
    assert (retried.status, retried.attempts) == ("sent", 2)
    assert sink.to("two@example.ie")[0]["Message-ID"] == retried.message_id
    assert [activity_kinds(db, lead_id).count("email-sent") for lead_id in leads] == [1, 1, 1]


def test_a_server_that_is_down_defers_the_whole_batch_without_a_timeout_per_message(
        db: Database, settings: Settings) -> None:
    # Given a batch of four due steps and no server listening
    from tests.email.conftest import free_port

    leads = [new_lead(db, email=f"down{i}@example.ie") for i in range(4)]
    step_ids = [steps(db, lead_id)[0].id for lead_id in leads]
    down = Settings(**{**settings.__dict__, "mail_url": f"smtp://127.0.0.1:{free_port()}?starttls=off&timeout=2"})
    transport = transport_from_url(down.mail_url)
    # When the batch is sent
    with db.session() as session, pytest.raises(TemporaryMailError):
        deliver_batch(session, step_ids, down, transport, T0)
    # Then every claim is deferred (re-sendable) and every step still queued: nothing is lost
    assert [d.status for lead_id in leads for d in deliveries(db, lead_id)] == ["deferred"] * 4
    assert [steps(db, lead_id)[0].status for lead_id in leads] == [StepStatus.QUEUED.value] * 4


def test_each_step_of_a_batch_is_judged_on_its_own(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a batch with a sendable step, one whose lead a consultant contacted, one not due yet,
    # one already sent, and one whose template is broken
    fine = new_lead(db, email="fine@example.ie")
    contacted = new_lead(db, email="contacted@example.ie")
    later = new_lead(db, email="later@example.ie")
    broken = new_lead(db, email="broken@example.ie")
    with db.transaction() as session:
        get = session.get
        from crm.models import Lead, ScheduledStep

        lead = get(Lead, contacted)
        assert lead is not None
        lead.status = LeadStatus.CONTACTED.value
        step = session.query(ScheduledStep).filter_by(lead_id=broken, step_index=0).one()
        step.template = "no-such-template"
    transport = transport_from_url(smtp_settings.mail_url)
    with db.transaction() as session:
        claim_due_steps(session, T0)
    ids = [steps(db, fine)[0].id, steps(db, contacted)[0].id, steps(db, later)[1].id, steps(db, broken)[0].id]
    # When the batch is sent twice
    with db.session() as session:
        first = deliver_batch(session, ids, smtp_settings, transport, T0)
    with db.session() as session:
        second = deliver_batch(session, ids, smtp_settings, transport, T0)
    transport.close()
    # Then only the sendable one went, once; the others are skipped, left for later, or failed visibly
    assert list(first.values()) == ["sent", "nothing", "nothing", "nothing"]
    assert list(second.values()) == ["nothing"] * 4
    assert len(sink.messages) == 1 and len(sink.to("fine@example.ie")) == 1
    assert steps(db, contacted)[0].status == StepStatus.SKIPPED.value
    assert steps(db, later)[1].status == StepStatus.SCHEDULED.value
    assert steps(db, broken)[0].status == StepStatus.FAILED.value
    assert "email-failed" in activity_kinds(db, broken)
    assert get_lead(db, fine).status != LeadStatus.CONTACTED.value


def test_the_tick_keeps_at_most_max_in_flight_steps_queued_for_the_workers(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given seven due steps, batches of three and room for four steps in flight
    monkeypatch.setattr("workers.actors.email.BATCH_SIZE", 3)
    monkeypatch.setattr("crm.sequences.scheduling.MAX_IN_FLIGHT", 4)
    leads = [new_lead(db, email=f"inflight{i}@example.ie") for i in range(7)]
    stub_worker.pause()
    # When the scheduler ticks while the workers have not taken anything yet
    assert due_steps_tick(T0 + timedelta(minutes=1)) == 4
    assert due_steps_tick(T0 + timedelta(minutes=2)) == 0  # no room: the backlog stays in the database
    queued = [dramatiq.Message.decode(raw).kwargs["step_ids"]
              for raw in stub_broker.queues[send_steps.queue_name].queue]  # type: ignore[attr-defined]
    assert sorted(len(batch) for batch in queued) == [1, 3]
    # Then once the workers sent those, the next tick queues the rest, and everyone gets one email
    stub_worker.resume()
    drain(stub_broker, stub_worker)
    assert due_steps_tick(T0 + timedelta(minutes=3)) == 3
    drain(stub_broker, stub_worker)
    assert [len(sink.to(f"inflight{i}@example.ie")) for i in range(7)] == [1] * 7
    assert all(steps(db, lead_id)[0].status == StepStatus.SENT.value for lead_id in leads)
