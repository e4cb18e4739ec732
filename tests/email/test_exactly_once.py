"""Exactly once per (lead, step): duplicate messages, concurrent workers and the scheduler's claim."""

from __future__ import annotations

import threading
from datetime import timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Delivery, StepStatus
from crm.sequences.scheduling import claim_due_steps
from tests.email.conftest import Sink
from tests.email.helpers import T0, count, new_lead, steps
from workers.actors.email import deliver, due_steps_tick, send_step

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def drain(broker: StubBroker, worker: dramatiq.Worker) -> None:
    broker.join(send_step.queue_name, fail_fast=True)
    worker.join()


@BOTH
def test_duplicate_messages_and_concurrent_workers_send_once(db: Database, smtp_settings: Settings, sink: Sink,
                                                            stub_broker: StubBroker,
                                                            stub_worker: dramatiq.Worker) -> None:
    # Given three leads whose first step is due now
    leads = [new_lead(db, email=f"lead{i}@example.ie") for i in range(3)]
    first_steps = [steps(db, lead_id)[0].id for lead_id in leads]
    # When every step's message is delivered 8 times to 4 worker threads at once
    for _ in range(8):
        for step_id in first_steps:
            send_step.send(step_id=step_id, now=T0.isoformat())
    drain(stub_broker, stub_worker)
    # Then the sink received exactly one message per lead
    for i in range(3):
        assert len(sink.to(f"lead{i}@example.ie")) == 1
    assert len(sink.messages) == 3
    assert count(db, Delivery) == 3
    assert all(steps(db, lead_id)[0].status == StepStatus.SENT.value for lead_id in leads)


@BOTH
def test_two_threads_racing_on_one_step_send_it_once(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given one due step and two workers with their own sessions and connections
    lead_id = new_lead(db, email="race@example.ie")
    step_id = steps(db, lead_id)[0].id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        transport = transport_from_url(smtp_settings.mail_url)
        barrier.wait()
        with db.session() as session:
            outcomes.append(deliver(session, step_id, smtp_settings, transport, T0))
        transport.close()

    # When both try to send it at the same moment
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one sent it and the other found the claim
    assert sorted(outcomes) == ["nothing", "sent"]
    assert len(sink.to("race@example.ie")) == 1


@BOTH
def test_two_schedulers_never_claim_the_same_step(db: Database, smtp_settings: Settings) -> None:
    # Given ten leads with a due first step
    for i in range(10):
        new_lead(db, email=f"claim{i}@example.ie")
    claimed: list[list[int]] = []
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        barrier.wait()
        with db.transaction() as session:
            claimed.append(claim_due_steps(session, T0 + timedelta(minutes=1)))

    # When two schedulers claim at once
    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every step was claimed by exactly one of them
    together = claimed[0] + claimed[1]
    assert len(together) == len(set(together)) == 10


def test_the_scheduler_tick_enqueues_due_steps_for_the_actor(db: Database, smtp_settings: Settings, sink: Sink,
                                                            stub_broker: StubBroker,
                                                            stub_worker: dramatiq.Worker) -> None:
    # Given a lead enrolled now
    new_lead(db, email="tick@example.ie")
    # When the scheduler's periodic task runs twice, then the worker drains the queue
    assert due_steps_tick(T0 + timedelta(minutes=1)) == 1
    assert due_steps_tick(T0 + timedelta(minutes=2)) == 0
    drain(stub_broker, stub_worker)
    # Then the first email went out once
    assert len(sink.to("tick@example.ie")) == 1


def test_a_step_whose_message_was_lost_is_sent_again(db: Database, smtp_settings: Settings, sink: Sink,
                                                     stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given a step claimed by the scheduler whose message never reached a worker (broker restarted)
    lead_id = new_lead(db, email="lost@example.ie")
    stub_worker.pause()  # so that the message is really lost, not picked up before the flush
    due_steps_tick(T0 + timedelta(minutes=1))
    stub_broker.flush_all()
    stub_worker.resume()
    assert steps(db, lead_id)[0].status == StepStatus.QUEUED.value
    # When the scheduler ticks after the stuck threshold
    assert due_steps_tick(T0 + timedelta(minutes=30)) == 1
    drain(stub_broker, stub_worker)
    # Then the email was sent, once
    assert len(sink.to("lost@example.ie")) == 1
    assert steps(db, lead_id)[0].status == StepStatus.SENT.value
