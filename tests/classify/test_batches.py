"""Batches: one classify_lead message classifies every lead whose job is open, set-based, exactly once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from crm.classify import service
from crm.classify.service import classify_pending, settled
from crm.db import Database, utcnow
from crm.models import Activity, Classification, Enrolment, Job, Lead, LeadStatus, Role, ScheduledStep, User
from tests.classify.helpers import activity_count, classifications, jobs, lead, post_lead
from tests.conftest import RecordingDispatcher
from workers.dispatch import BrokerDispatcher, message_kwargs

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def drain(broker: StubBroker, worker: dramatiq.Worker) -> None:
    broker.join("default", fail_fast=True)
    worker.join()


def count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@BOTH
def test_one_message_classifies_every_open_lead_once(client: FlaskClient, db: Database,
                                                     dispatcher: RecordingDispatcher) -> None:
    # Given five leads posted to intake (five open jobs), of different kinds
    ids = [post_lead(client, email="a@example.ie"),
           post_lead(client, email="b@example.fr", citizenships=["France"], preferred_language="fr"),
           post_lead(client, email="c@example.com", citizenships=["USA"], interest="hire", company="Acme"),
           post_lead(client, email="d@example.ie", message="I own a restaurant", owns_business=True),
           post_lead(client, email="e@example.ie", citizenships=["Atlantis"])]
    # When the first lead's message runs (as the actor does)
    with db.session() as session, session.begin():
        outcome = classify_pending(session, ids[0], "intake", utcnow())
    assert outcome.status == "classified"
    # Then all five are classified in that one transaction, each once, with its own trigger and job done
    for lead_id in ids:
        stored = lead(db, lead_id)
        assert stored.status == LeadStatus.CLASSIFIED.value and stored.classified_at is not None
        [row] = classifications(db, lead_id)
        assert row.is_current and row.trigger == "intake" and row.assignment_reason
        assert activity_count(db, lead_id, "classified") == 1
        assert [job.status for job in jobs(db, lead_id)] == ["done"]
        assert count(db, Enrolment, Enrolment.lead_id == lead_id) == 1
        assert count(db, ScheduledStep, ScheduledStep.lead_id == lead_id) >= 4
    assert lead(db, ids[1]).primary_stream.startswith("iec-")
    assert lead(db, ids[2]).lead_type == "employer"
    assert {"needs-review", "unknown-country"} <= set(lead(db, ids[4]).flag_names)
    # And the other leads' messages find nothing to do, with one query and no write
    before = [lead(db, lead_id).updated_at for lead_id in ids]
    with db.session() as session:
        assert [settled(session, lead_id).status for lead_id in ids[1:]] == ["duplicate"] * 4  # type: ignore[union-attr]
    with db.session() as session, session.begin():
        assert classify_pending(session, ids[3], "intake", utcnow()).status == "duplicate"
    assert [lead(db, lead_id).updated_at for lead_id in ids] == before
    assert count(db, Classification) == 5 and count(db, Activity, Activity.kind == "classified") == 5


@BOTH
def test_a_batch_reclassifies_with_history_and_moves_the_sequence(client: FlaskClient, db: Database,
                                                                  dispatcher: RecordingDispatcher) -> None:
    # Given two classified leads, who both write again (two new open jobs)
    first = post_lead(client, email="marie@example.fr", citizenships=["France"], date_of_birth="1975-05-05")
    second = post_lead(client, email="paul@example.fr", citizenships=["France"], date_of_birth="1975-05-05")
    with db.session() as session, session.begin():
        classify_pending(session, first, "intake", utcnow())
    for email in ("marie@example.fr", "paul@example.fr"):
        post_lead(client, email=email, citizenships=["France"], date_of_birth="1975-05-05", interest="business",
                  owns_business=True)
    # When one message runs
    with db.session() as session, session.begin():
        classify_pending(session, second, "new-inquiry", utcnow())
    # Then both have their history, a new current classification and one live enrolment in the new sequence
    for lead_id in (first, second):
        assert [(c.primary_stream, c.is_current, c.trigger) for c in classifications(db, lead_id)] == [
            ("needs-review", False, "intake"), ("entrepreneur", True, "new-inquiry")]
        with db.session() as session:
            live = session.scalars(select(Enrolment.sequence).where(
                Enrolment.lead_id == lead_id, Enrolment.status == "active")).all()
            stopped = session.scalars(select(Enrolment.stop_reason).where(
                Enrolment.lead_id == lead_id, Enrolment.status == "stopped")).all()
        assert live == ["entrepreneur"] and stopped == ["reclassified"]
        assert all(job.status == "done" for job in jobs(db, lead_id))


@BOTH
def test_round_robin_within_a_batch_and_across_batches(client: FlaskClient, db: Database,
                                                       dispatcher: RecordingDispatcher) -> None:
    with db.transaction() as session:
        session.add_all([User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value),
                         User(email="bruno@firm.example", password_hash="x", role=Role.CONSULTANT.value)])
    ids = [post_lead(client, email=f"lead{number}@example.ie") for number in range(5)]
    # A batch of three: the message's own lead first, then the newest open jobs (leads 4 and 3, in id order)
    with db.session() as session, session.begin():
        classify_pending(session, ids[0], "intake", utcnow(), batch_size=3)
    # Then the next batch: leads 1 and 2
    with db.session() as session, session.begin():
        classify_pending(session, ids[1], "intake", utcnow(), batch_size=3)
    with db.session() as session:
        assigned = dict(session.execute(select(Lead.id, User.email).join(User, Lead.assignee_id == User.id)).all())
    # Alternating in the order the leads were classified, within a batch and from one batch to the next
    amelie, bruno = "amelie@firm.example", "bruno@firm.example"
    assert [assigned[ids[number]] for number in (0, 3, 4, 1, 2)] == [amelie, bruno, amelie, bruno, amelie]
    assert all("Round-robin among 2" in (classifications(db, lead_id)[0].assignment_reason or "")
               for lead_id in ids)


@BOTH
def test_a_lead_the_classifier_cannot_handle_is_left_to_its_own_message(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    good = post_lead(client, email="good@example.ie")
    bad = post_lead(client, email="bad@example.fr", citizenships=["France"])
    real = service.classify

    def fragile(lead_input: Any, ruleset: Any) -> Any:
        if lead_input.citizenships == ["FR"]:
            raise RuntimeError("broken")
        return real(lead_input, ruleset)

    monkeypatch.setattr(service, "classify", fragile)
    # A batch started by the good lead classifies it and leaves the bad one's job open, untouched
    with db.session() as session, session.begin():
        assert classify_pending(session, good, "intake", utcnow()).status == "classified"
    assert lead(db, good).status == LeadStatus.CLASSIFIED.value
    assert lead(db, bad).status == LeadStatus.RECEIVED.value
    assert [(job.status, job.attempts, job.last_error) for job in jobs(db, bad)] == [("pending", 0, None)]
    # Its own message raises (the actor then records the failed attempt)
    with pytest.raises(RuntimeError), db.session() as session, session.begin():
        classify_pending(session, bad, "intake", utcnow())


@BOTH
def test_many_messages_on_several_threads_classify_each_lead_once(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two consultants and 40 leads, every message sent twice, small batches so that they overlap
    monkeypatch.setattr(service, "BATCH_SIZE", 7)
    with db.transaction() as session:
        session.add_all([User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value),
                         User(email="bruno@firm.example", password_hash="x", role=Role.CONSULTANT.value)])
    ids = [post_lead(client, email=f"lead{number}@example.ie") for number in range(40)]
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs + dispatcher.jobs)
    drain(stub_broker, stub_worker)
    # Then every lead is classified exactly once, every job is done, and the work is shared evenly
    assert count(db, Lead, Lead.status == LeadStatus.CLASSIFIED.value) == 40
    assert count(db, Classification) == 40 and count(db, Activity, Activity.kind == "classified") == 40
    assert count(db, Job, Job.status != "done") == 0
    assert count(db, Enrolment) == 40
    with db.session() as session:
        per_consultant = Counter(session.scalars(select(Lead.assignee_id).where(Lead.id.in_(ids))))
    assert sorted(per_consultant.values()) == [20, 20]


def _no_query(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a query was made")


@BOTH
def test_a_message_whose_job_a_batch_closed_costs_no_query(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given five leads posted to intake, and the first one's message run through the broker (a batch)
    ids = [post_lead(client, email=f"lead{number}@example.ie") for number in range(5)]
    first, *others = dispatcher.jobs
    assert message_kwargs(first) == {"lead_id": ids[0], "trigger": "intake", "job_id": first.id}
    BrokerDispatcher(stub_broker).dispatch([first])
    drain(stub_broker, stub_worker)
    assert count(db, Job, Job.status != "done") == 0
    # When the other leads' messages (carrying their job ids) arrive at the same process
    monkeypatch.setattr(service, "_probe_on_driver", _no_query)
    with db.session() as session:
        monkeypatch.setattr(session, "connection", _no_query)
        outcomes = [settled(session, job.args["lead_id"], job.id) for job in others]
    # Then each is a duplicate found without a query
    assert [outcome.status for outcome in outcomes if outcome is not None] == ["duplicate"] * 4
    # But a message without a job id, or for a job not seen done, still asks the database
    with db.session() as session:
        monkeypatch.setattr(session, "connection", _no_query)
        with pytest.raises(AssertionError, match="a query was made"):
            settled(session, ids[1])
    with db.session() as session:
        monkeypatch.setattr(session, "connection", _no_query)
        with pytest.raises(AssertionError, match="a query was made"):
            settled(session, ids[1], 10_000)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_probe_notes_the_done_jobs_that_come_next(client: FlaskClient, db: Database,
                                                      dispatcher: RecordingDispatcher) -> None:
    # Given five leads classified by one batch in another process (this one saw nothing)
    ids = [post_lead(client, email=f"lead{number}@example.ie") for number in range(5)]
    with db.session() as session, session.begin():
        classify_pending(session, ids[0], "intake", utcnow())
    with db.session() as session:
        assert not [job.id for job in dispatcher.jobs if job.id in service.done_jobs(session)]
        # When the second lead's message is probed (one query)
        assert settled(session, ids[1], dispatcher.jobs[1].id).status == "duplicate"  # type: ignore[union-attr]
        # Then the jobs from its own on are known done here: their messages need no query
        assert [job.id in service.done_jobs(session) for job in dispatcher.jobs] == [False] + [True] * 4


def test_done_jobs_are_forgotten_after_their_time() -> None:
    done = service.DoneJobs(ttl=60.0)
    done.add([1, 2])
    assert 1 in done and 2 in done and 3 not in done
    expired = service.DoneJobs(ttl=0.0)  # a lost asynchronous commit cannot hide a job for long
    expired.add([1])
    assert 1 not in expired
    small = service.DoneJobs(ttl=60.0, capacity=4)
    small.add(range(10))
    small.add([20])
    assert 20 in small and len(small._until) <= 10


@BOTH
def test_a_scheduled_step_belongs_to_its_enrolments_lead(client: FlaskClient, db: Database,
                                                         dispatcher: RecordingDispatcher) -> None:
    # Given two classified leads, each enrolled
    first, second = post_lead(client, email="a@example.ie"), post_lead(client, email="b@example.ie")
    with db.session() as session, session.begin():
        classify_pending(session, first, "intake", utcnow())
    with db.session() as session:
        enrolment = session.scalars(select(Enrolment).where(Enrolment.lead_id == first)).one()
    # Then a step of the first lead's enrolment cannot name the second lead (one foreign key for both)
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(ScheduledStep(enrolment_id=enrolment.id, lead_id=second, step_index=99, content_key="x",
                                  template="x", due_at=utcnow(), status="scheduled"))
    # And deleting a lead deletes its enrolments' steps with them
    with db.transaction() as session:
        session.execute(delete(Lead).where(Lead.id == first))
    assert count(db, ScheduledStep, ScheduledStep.lead_id == first) == 0
    assert count(db, ScheduledStep, ScheduledStep.lead_id == second) > 0


@BOTH
def test_a_batch_classifies_each_lead_on_its_own_date(db: Database) -> None:
    import json
    from datetime import UTC, datetime

    from crm.intake.service import IntakeRequest, receive_inquiry

    # Three people who turn 36 (over the IEC limit of New Zealand and Ireland, 18-35) on 1 December 2026,
    # classified in one batch at 12:00 UTC on 30 November: 01:00 on 1 December in Auckland, noon in Dublin
    asked = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    people = {"nz@example.nz": (["NZ"], "NZ"), "ie@example.ie": (["IE"], "IE"), "nz@example.ie": (["NZ"], "IE")}
    ids = {}
    for email, (citizenships, residence) in people.items():
        payload = {"first_name": "Aroha", "email": email, "citizenships": citizenships, "interest": "work",
                   "country_of_residence": residence, "date_of_birth": "1990-12-01"}
        with db.transaction() as session:
            ids[email] = receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                                content_type="application/json", fields=payload),
                                         now=asked).lead_id
    with db.session() as session, session.begin():
        assert classify_pending(session, ids["nz@example.nz"], "intake", asked).status == "classified"
    assert all(job.status == "done" for lead_id in ids.values() for job in jobs(db, lead_id))
    # In Auckland it is her birthday: over the limit, not IEC, no "age-out soon"
    in_auckland = lead(db, ids["nz@example.nz"])
    assert not in_auckland.primary_stream.startswith("iec-") and "age-out-soon" not in in_auckland.flag_names
    # In Dublin it is still the day before (a New Zealander living in Ireland goes by Dublin too)
    for email in ("ie@example.ie", "nz@example.ie"):
        in_dublin = lead(db, ids[email])
        assert in_dublin.primary_stream == "iec-working-holiday" and "age-out-soon" in in_dublin.flag_names, email
