"""Temporary failures retry, permanent ones bounce, template errors fail one step visibly.
A worker that dies mid-send: tests/email/test_crash_points.py."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import update

from crm.config import Settings
from crm.db import Database
from crm.mail import TemporaryMailError, transport_from_url
from crm.models import EnrolmentStatus, LeadFlag, ScheduledStep, StepStatus, Suppression
from tests.email.conftest import Sink, free_port
from tests.email.helpers import (
    T0,
    activity_kinds,
    count,
    deliveries,
    enrolments,
    get_lead,
    new_lead,
    run_due,
    steps,
)
from workers.actors.email import deliver, send_step


def test_a_temporary_failure_is_retried_and_then_sent_once(db: Database, smtp_settings: Settings, sink: Sink,
                                                           stub_broker: StubBroker,
                                                           stub_worker: dramatiq.Worker) -> None:
    # Given a server that answers 451 to the next two messages
    lead_id = new_lead(db, email="busy@example.ie")
    sink.tempfail_next = 2
    # When the step goes through the actor (Dramatiq retries with backoff; the test backoff is short)
    send_step.send_with_options(kwargs={"step_id": steps(db, lead_id)[0].id, "now": T0.isoformat()},
                                min_backoff=10, max_backoff=20)
    stub_broker.join(send_step.queue_name)
    stub_worker.join()
    # Then the third attempt was accepted, and only it
    assert len(sink.to("busy@example.ie")) == 1
    [delivery] = deliveries(db, lead_id)
    assert delivery.status == "sent" and delivery.attempts == 3
    assert steps(db, lead_id)[0].status == StepStatus.SENT.value
    assert activity_kinds(db, lead_id).count("email-deferred") == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_server_that_is_down_delays_mail_and_loses_none(db: Database, settings: Settings, sink: Sink) -> None:
    # Given the mail server is down (nothing listens on the port)
    lead_id = new_lead(db, email="patient@example.ie")
    step_id = steps(db, lead_id)[0].id
    down = Settings(**{**settings.__dict__, "mail_url": f"smtp://127.0.0.1:{free_port()}?starttls=off&timeout=2"})
    transport = transport_from_url(down.mail_url)
    # When the worker tries, it records a temporary failure and raises so Dramatiq retries
    with db.session() as session, pytest.raises(TemporaryMailError):
        deliver(session, step_id, down, transport, T0)
    assert deliveries(db, lead_id)[0].status == "deferred"
    assert steps(db, lead_id)[0].status == StepStatus.QUEUED.value
    # And when the server is back, the retry sends it, once
    up = Settings(**{**settings.__dict__, "mail_url": f"smtp://127.0.0.1:{sink.port}?starttls=off"})  # type: ignore[attr-defined]
    up_transport = transport_from_url(up.mail_url)
    with db.session() as session:
        assert deliver(session, step_id, up, up_transport, T0 + timedelta(minutes=1)) == "sent"
    with db.session() as session:
        assert deliver(session, step_id, up, up_transport, T0 + timedelta(minutes=2)) == "nothing"
    up_transport.close()
    assert len(sink.to("patient@example.ie")) == 1


def test_a_permanent_refusal_bounces_suppresses_and_stops(db: Database, smtp_settings: Settings,
                                                          sink: Sink) -> None:
    # Given a server that answers 550 for this address
    sink.refuse.add("nobody@example.ie")
    lead_id = new_lead(db, email="nobody@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    # When the first step is sent, and later steps come due
    assert run_due(db, smtp_settings, transport, T0) == ["PermanentMailError"]
    assert run_due(db, smtp_settings, transport, T0 + timedelta(days=30)) == []
    transport.close()
    # Then nothing was accepted, the address is suppressed, the sequence stopped, the lead flagged
    assert sink.to("nobody@example.ie") == []
    assert deliveries(db, lead_id)[0].status == "bounced"
    assert count(db, Suppression, Suppression.email_key == "nobody@example.ie", Suppression.reason == "bounced") == 1
    assert get_lead(db, lead_id).bounced_at is not None
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "bounced"
    assert [s.status for s in steps(db, lead_id)] == ["failed"] + ["skipped"] * 4
    assert "bounced" in activity_kinds(db, lead_id)
    assert count(db, LeadFlag, LeadFlag.lead_id == lead_id, LeadFlag.flag == "bounced") == 1


def test_a_template_error_fails_that_step_only(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given two leads, one of whose first step points to a template that is broken (missing)
    broken = new_lead(db, email="broken@example.ie")
    fine = new_lead(db, email="fine@example.ie")
    assert fine != broken
    with db.transaction() as session:
        session.execute(update(ScheduledStep).where(ScheduledStep.lead_id == broken, ScheduledStep.step_index == 0)
                        .values(template="no-such-template"))
    transport = transport_from_url(smtp_settings.mail_url)
    # When the scheduler runs
    outcomes = run_due(db, smtp_settings, transport, T0)
    transport.close()
    # Then the broken step failed visibly, and the other lead got its email
    assert sorted(outcomes) == ["nothing", "sent"]
    failed = steps(db, broken)[0]
    assert failed.status == StepStatus.FAILED.value and "no-such-template" in (failed.last_error or "")
    assert "email-failed" in activity_kinds(db, broken)
    assert count(db, LeadFlag, LeadFlag.lead_id == broken, LeadFlag.flag == "email-failed") == 1
    assert len(sink.to("fine@example.ie")) == 1 and sink.to("broken@example.ie") == []
    # And the rest of the broken lead's sequence goes on
    assert [s.status for s in steps(db, broken)][1:] == ["scheduled"] * 4
