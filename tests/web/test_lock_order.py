"""A consultant's assignment and a classification batch lock the same rows in the same order.

Classification locks the leads of its batch, then the consultants' rows (round-robin). A consultant
claiming one of those leads must not hold a consultant's row while waiting for the lead: PostgreSQL
would find a deadlock and abort one side (the consultant would see a 503).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from crm.classify import service
from crm.classify.service import classify_pending
from crm.db import Database, utcnow
from crm.models import Lead, Role, User
from crm.workspace.actions import claim
from tests.classify.helpers import post_lead


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_claim_during_a_classification_batch_waits_instead_of_deadlocking(
        client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.transaction() as session:
        session.add(User(email="carl@firm.example", password_hash="x", role=Role.CONSULTANT.value))
    lead_id = post_lead(client, email="a@example.ie")
    with db.session() as session:
        user_id = session.query(User).one().id

    batch_holds_lead, consultant_started = threading.Event(), threading.Event()
    real_assign_many = service.assign_many

    def assign_many_after_the_consultant_started(*args: Any, **kwargs: Any) -> Any:
        # The batch holds its leads here; let the consultant's transaction run into them first.
        batch_holds_lead.set()
        consultant_started.wait(10)
        time.sleep(0.5)
        return real_assign_many(*args, **kwargs)

    monkeypatch.setattr(service, "assign_many", assign_many_after_the_consultant_started)
    errors: dict[str, BaseException] = {}

    def classification() -> None:
        try:
            with db.session() as session, session.begin():
                classify_pending(session, lead_id, "intake", utcnow())
        except BaseException as exc:  # reported by the assertion below
            errors["classification"] = exc

    def consultant() -> None:
        batch_holds_lead.wait(10)
        try:
            with db.session() as session, session.begin():
                me = session.get(User, user_id)
                lead = session.get(Lead, lead_id)
                assert me is not None and lead is not None
                consultant_started.set()
                claim(session, lead, me)
        except BaseException as exc:
            errors["consultant"] = exc
        finally:
            consultant_started.set()

    threads = [threading.Thread(target=classification), threading.Thread(target=consultant)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, {side: f"{type(exc).__name__}: {str(exc).splitlines()[0]}" for side, exc in errors.items()}
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "classified"
        assert lead.assignee_id == user_id
