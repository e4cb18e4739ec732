"""One step that cannot be prepared (an unexpected exception while building its context, rendering it,
or claiming its row) fails only itself: the healthy steps of its batch are sent at once, and the bad
step ends failed, visibly, with the exception's type (never its text, which may quote a lead's data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Activity, StepStatus
from crm.sequences import sending
from crm.sequences.scheduling import claim_due_steps
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, count, deliveries, new_lead, steps
from workers.actors.email import MAX_PREPARE_ATTEMPTS, StepNotPrepared, deliver_batch

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
SECRET = "Personal Data Of The Lead"


def _three_leads(db: Database) -> tuple[list[str], list[int]]:
    addresses = ["healthy1@example.ie", "poison@example.ie", "healthy2@example.ie"]
    leads = [new_lead(db, email=address) for address in addresses]
    with db.transaction() as session:
        claim_due_steps(session, T0)  # what the scheduler's tick does before sending the batch
    return leads, [steps(db, lead_id)[0].id for lead_id in leads]


def _checking_fails(monkeypatch: pytest.MonkeyPatch, step_id: int, error: Exception) -> None:
    """Checking the step `step_id` (inside the batch's claim transaction) raises `error`."""
    original = sending._check

    def check(session: Any, step: Any, *args: Any) -> Any:
        if step.id == step_id:
            raise error
        return original(session, step, *args)

    monkeypatch.setattr(sending, "_check", check)


@BOTH
def test_an_unexpected_error_building_one_leads_email_fails_that_step_only(
        db: Database, smtp_settings: Settings, sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch of three due steps, and building the context of the middle lead raises AttributeError
    leads, step_ids = _three_leads(db)
    original = sending.build_context

    def build_context(lead: Any, *args: Any, **kwargs: Any) -> Any:
        if lead.id == leads[1]:
            raise AttributeError(SECRET)
        return original(lead, *args, **kwargs)

    monkeypatch.setattr(sending, "build_context", build_context)
    transport = transport_from_url(smtp_settings.mail_url)
    # When the batch is sent (twice: a duplicate message)
    with db.session() as session:
        first = deliver_batch(session, step_ids, smtp_settings, transport, T0)
    with db.session() as session:
        deliver_batch(session, step_ids, smtp_settings, transport, T0)
    transport.close()
    # Then each healthy lead got exactly one email, and the bad step failed with the error's type only
    assert [first[step_id] for step_id in step_ids] == ["sent", "nothing", "sent"]
    assert [len(sink.to(a)) for a in ("healthy1@example.ie", "poison@example.ie", "healthy2@example.ie")] == [1, 0, 1]
    bad = steps(db, leads[1])[0]
    assert bad.status == StepStatus.FAILED.value
    assert bad.last_error is not None and "AttributeError" in bad.last_error and SECRET not in bad.last_error
    assert deliveries(db, leads[1]) == []
    assert "email-failed" in activity_kinds(db, leads[1])
    assert count(db, Activity, Activity.summary.contains(SECRET)) == 0
    assert [activity_kinds(db, lead_id).count("email-sent") for lead_id in leads] == [1, 0, 1]


@BOTH
def test_a_step_that_breaks_the_batch_transaction_is_claimed_alone_and_fails_after_its_attempts(
        db: Database, smtp_settings: Settings, sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch of three due steps, and checking the middle one raises outside the rendering
    # (as a database error on its row would): the batch's claim transaction fails as a whole
    leads, step_ids = _three_leads(db)
    _checking_fails(monkeypatch, step_ids[1], RuntimeError(SECRET))
    transport = transport_from_url(smtp_settings.mail_url)
    # When the batch is sent: the healthy steps go at once, the bad one counts an attempt and is retried
    with db.session() as session, pytest.raises(StepNotPrepared):
        deliver_batch(session, step_ids, smtp_settings, transport, T0)
    assert [len(sink.to(a)) for a in ("healthy1@example.ie", "poison@example.ie", "healthy2@example.ie")] == [1, 0, 1]
    bad = steps(db, leads[1])[0]
    assert (bad.status, bad.attempts) == (StepStatus.QUEUED.value, 1)
    assert bad.last_error is not None and "RuntimeError" in bad.last_error and SECRET not in bad.last_error
    # And when Dramatiq retries the batch until the step's attempts are used up
    for attempt in range(2, MAX_PREPARE_ATTEMPTS):
        with db.session() as session, pytest.raises(StepNotPrepared):
            deliver_batch(session, step_ids, smtp_settings, transport, T0 + timedelta(seconds=attempt))
    with db.session() as session:
        last = deliver_batch(session, step_ids, smtp_settings, transport, T0 + timedelta(minutes=1))
    transport.close()
    # Then the bad step failed visibly (timeline, flag), and nobody got a second email
    assert last == {step_ids[0]: "nothing", step_ids[1]: "RuntimeError", step_ids[2]: "nothing"}
    bad = steps(db, leads[1])[0]
    assert (bad.status, bad.attempts) == (StepStatus.FAILED.value, MAX_PREPARE_ATTEMPTS)
    assert bad.last_error is not None and "RuntimeError" in bad.last_error and SECRET not in bad.last_error
    assert "email-failed" in activity_kinds(db, leads[1])
    assert count(db, Activity, Activity.summary.contains(SECRET)) == 0
    assert [len(sink.to(a)) for a in ("healthy1@example.ie", "poison@example.ie", "healthy2@example.ie")] == [1, 0, 1]
    assert len(sink.messages) == 2


@BOTH
def test_a_database_failure_on_one_step_never_uses_up_its_attempts(
        db: Database, smtp_settings: Settings, sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch of three due steps, and the database fails whenever the middle one is claimed
    # (a lost connection, a lock wait, a restart): the step itself is not at fault
    leads, step_ids = _three_leads(db)
    original = sending._check
    _checking_fails(monkeypatch, step_ids[1],
                    OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    transport = transport_from_url(smtp_settings.mail_url)
    # When Dramatiq retries the batch more often than a step's attempts allow
    for attempt in range(MAX_PREPARE_ATTEMPTS + 2):
        with db.session() as session, pytest.raises(StepNotPrepared):
            deliver_batch(session, step_ids, smtp_settings, transport, T0 + timedelta(seconds=attempt))
    # Then the healthy steps went once, and the middle one is still waiting, with no attempt counted
    bad = steps(db, leads[1])[0]
    assert (bad.status, bad.attempts) == (StepStatus.QUEUED.value, 0)
    assert [len(sink.to(a)) for a in ("healthy1@example.ie", "poison@example.ie", "healthy2@example.ie")] == [1, 0, 1]
    # And once the database answers again, it is sent, once
    monkeypatch.setattr(sending, "_check", original)
    with db.session() as session:
        last = deliver_batch(session, step_ids, smtp_settings, transport, T0 + timedelta(minutes=1))
    transport.close()
    assert last[step_ids[1]] == "sent"
    assert [len(sink.to(a)) for a in ("healthy1@example.ie", "poison@example.ie", "healthy2@example.ie")] == [1, 1, 1]
