"""classify_lead and the sweep through Dramatiq's stub broker and a real worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from crm.classify.sweep import sweep_overdue
from crm.db import Database, utcnow
from crm.models import Activity, Job, Lead, LeadStatus, Role, User
from tests.classify.helpers import activity_count, classifications, jobs, lead, post_lead
from tests.conftest import RecordingDispatcher
from workers.actors import classify as classify_actor
from workers.dispatch import BrokerDispatcher

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def drain(broker: StubBroker, worker: dramatiq.Worker) -> None:
    broker.join("default", fail_fast=True)
    worker.join()


def wait_until(condition: Callable[[], bool], limit_seconds: float = 60.0) -> None:
    """A bounded polling loop (the limit only stops a hung test; nothing asserts on time)."""
    deadline = time.monotonic() + limit_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


@BOTH
def test_it_classifies_a_lead_posted_to_intake(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                               stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given a lead posted to the intake endpoint (one classify_lead job recorded)
    lead_id = post_lead(client, message="I'd like to work in Vancouver for a year.")
    assert [job.kind for job in dispatcher.jobs] == ["classify_lead"]
    # When the job's message goes through the broker to a worker
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    drain(stub_broker, stub_worker)
    # Then the lead is classified, with the classification, timeline entry and finished job stored
    stored = lead(db, lead_id)
    assert stored.status == LeadStatus.CLASSIFIED.value
    assert stored.primary_stream == "iec-working-holiday" and stored.lead_type == "worker"
    assert stored.classified_at is not None and stored.score > 0
    [row] = classifications(db, lead_id)
    assert row.is_current and row.trigger == "intake"
    assert row.candidates[0]["stream"] == "iec-working-holiday" and row.candidates[0]["exemption_code"] == "C21"
    assert set(row.candidates[0]) >= {"stream", "exemption_code", "verdict", "reasons", "missing"}
    assert row.assignment_reason == "Unassigned: there is no active consultant."
    assert activity_count(db, lead_id, "classified") == 1
    assert [job.status for job in jobs(db, lead_id)] == ["done"]


@BOTH
def test_it_is_idempotent(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                          stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given a lead whose job message is delivered twice at once, then once more later
    lead_id = post_lead(client, citizenships=["France"], date_of_birth="1990-01-01")
    for _ in range(2):
        stub_broker.get_actor("classify_lead").send(lead_id=lead_id, trigger="intake")
    drain(stub_broker, stub_worker)
    first = lead(db, lead_id)
    stub_broker.get_actor("classify_lead").send(lead_id=lead_id, trigger="intake")
    drain(stub_broker, stub_worker)
    # Then there is one classification, one timeline entry, and nothing on the lead changed
    assert len(classifications(db, lead_id)) == 1
    assert activity_count(db, lead_id, "classified") == 1
    again = lead(db, lead_id)
    assert (again.updated_at, again.score, again.flag_names) == (first.updated_at, first.score, first.flag_names)


@BOTH
def test_a_new_inquiry_keeps_the_history(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                         stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given a classified lead who writes again as a business owner
    lead_id = post_lead(client, email="marie@example.fr", citizenships=["France"], date_of_birth="1975-05-05")
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    drain(stub_broker, stub_worker)
    post_lead(client, email="marie@example.fr", citizenships=["France"], date_of_birth="1975-05-05",
              interest="business", owns_business=True)
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs[1:])
    drain(stub_broker, stub_worker)
    # Then the new classification is current and the earlier one is kept as history
    history = classifications(db, lead_id)
    assert [(c.primary_stream, c.is_current) for c in history] == [("needs-review", False), ("entrepreneur", True)]
    assert history[1].trigger == "new-inquiry"
    assert lead(db, lead_id).primary_stream == "entrepreneur"


@BOTH
def test_spam_is_never_classified(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                  stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    lead_id = post_lead(client, website="http://spam.example")
    assert dispatcher.jobs == []  # intake records no job for spam
    stub_broker.get_actor("classify_lead").send(lead_id=lead_id)  # a stray message all the same
    drain(stub_broker, stub_worker)
    assert lead(db, lead_id).status == LeadStatus.SPAM.value
    assert classifications(db, lead_id) == []


@BOTH
def test_bad_facts_go_to_review_without_crashing(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                                 stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    lead_id = post_lead(client, citizenships=["Atlantis"], date_of_birth="1999-01-01",
                        message="I'm 52 years old and a citizen of nowhere")
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    drain(stub_broker, stub_worker)
    stored = lead(db, lead_id)
    assert stored.status == LeadStatus.CLASSIFIED.value and stored.primary_stream == "needs-review"
    assert {"needs-review", "unknown-country", "contradiction"} <= set(stored.flag_names)
    assert any("Atlantis" in reason for reason in classifications(db, lead_id)[0].candidates[0]["reasons"])


@BOTH
def test_repeated_failure_ends_visibly_failed(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                              stub_broker: StubBroker, stub_worker: dramatiq.Worker,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Given classification that always fails (a broken dependency)
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("ruleset store unavailable")

    monkeypatch.setattr(classify_actor, "classify_pending", broken)
    lead_id = post_lead(client)
    # When its message is processed, with short backoffs so that the retries run now
    stub_broker.get_actor("classify_lead").send_with_options(
        kwargs={"lead_id": lead_id, "trigger": "intake"}, min_backoff=10, max_backoff=50)
    wait_until(lambda: lead(db, lead_id).status == LeadStatus.FAILED.value)
    stub_worker.join()
    # Then the lead, its job and its timeline say so, with the error
    [job] = jobs(db, lead_id)
    assert job.status == "failed" and job.attempts == classify_actor.MAX_ATTEMPTS
    assert job.last_error == "RuntimeError: ruleset store unavailable"
    assert "classification-failed" in lead(db, lead_id).flag_names
    assert activity_count(db, lead_id, "classification-failed") == 1
    # And a later successful run (after a new inquiry) clears the failure
    monkeypatch.undo()
    stub_broker.flush_all()  # forget the dead-lettered message, which join(fail_fast=True) would re-raise
    post_lead(client, message="Any news?")
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs[1:])
    drain(stub_broker, stub_worker)
    stored = lead(db, lead_id)
    assert stored.status == LeadStatus.CLASSIFIED.value and "classification-failed" not in stored.flag_names


@BOTH
def test_sweep_resends_a_lost_message_and_stuck_leads(client: FlaskClient, db: Database,
                                                      dispatcher: RecordingDispatcher, stub_broker: StubBroker,
                                                      stub_worker: dramatiq.Worker) -> None:
    # Given a lead whose message was lost, and one stuck in `received` with no job at all
    lost = post_lead(client, email="lost@example.ie")
    stuck = post_lead(client, email="stuck@example.ie")
    with db.transaction() as session:
        session.execute(delete(Job).where(Job.lead_id == stuck))
    # When the sweep runs before the threshold, nothing is sent; after it, both are
    early = sweep_overdue(db, BrokerDispatcher(stub_broker), now=utcnow() + timedelta(seconds=30))
    assert (early.resent, early.recorded) == (0, 0)
    report = sweep_overdue(db, BrokerDispatcher(stub_broker), now=utcnow() + timedelta(minutes=3))
    assert (report.resent, report.recorded) == (1, 1)
    drain(stub_broker, stub_worker)
    # Then both leads are classified, once each
    for lead_id in (lost, stuck):
        assert lead(db, lead_id).status == LeadStatus.CLASSIFIED.value
        assert len(classifications(db, lead_id)) == 1
    assert [job.status for job in jobs(db, stuck)] == ["done"]


@BOTH
def test_round_robin_assignment(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given two French-speaking consultants, an English-only one, and an inactive one
    with db.transaction() as session:
        session.add_all([
            User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value, languages=["fr"]),
            User(email="bruno@firm.example", password_hash="x", role=Role.CONSULTANT.value, languages=["en", "fr"]),
            User(email="carl@firm.example", password_hash="x", role=Role.CONSULTANT.value, languages=["en"]),
            User(email="dora@firm.example", password_hash="x", role=Role.CONSULTANT.value, active=False),
        ])
    # When three French leads are classified one after the other
    assignees = []
    for number in range(3):
        lead_id = post_lead(client, email=f"fr{number}@example.fr", preferred_language="fr",
                            citizenships=["France"])
        BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs[-1:])
        drain(stub_broker, stub_worker)
        with db.session() as session:
            assignees.append(session.scalar(select(User.email).join(Lead, Lead.assignee_id == User.id)
                                             .where(Lead.id == lead_id)))
        reason = classifications(db, lead_id)[0].assignment_reason or ""
        assert "Round-robin among 2" in reason
    # Then they alternate between the two who cover French
    assert assignees == ["amelie@firm.example", "bruno@firm.example", "amelie@firm.example"]


def test_an_existing_assignee_is_kept(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                      stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    with db.transaction() as session:
        session.add(User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value))
        session.add(User(email="bruno@firm.example", password_hash="x", role=Role.CONSULTANT.value))
    lead_id = post_lead(client)
    with db.transaction() as session:
        bruno = session.scalar(select(User.id).where(User.email == "bruno@firm.example"))
        session.execute(update(Lead).where(Lead.id == lead_id).values(assignee_id=bruno))
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    drain(stub_broker, stub_worker)
    assert lead(db, lead_id).assignee_id == bruno
    assert (classifications(db, lead_id)[0].assignment_reason or "").startswith("Kept the current assignee")
    with db.session() as session:
        assert session.scalar(select(Activity.summary).where(Activity.kind == "classified")).startswith("Classified")
