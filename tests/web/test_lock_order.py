"""A consultant's assignment and a classification batch lock the same rows in the same order.

Classification locks the leads of its batch, then the consultants' rows (round-robin). A consultant
claiming one of those leads must not hold a consultant's row while waiting for the lead: PostgreSQL
would find a deadlock and abort one side (the consultant would see a 503).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from crm.db import Database
from crm.models import Lead, Role, User
from crm.workspace.actions import claim
from tests.classify.helpers import batch_holding_lead, post_lead


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_claim_during_a_classification_batch_waits_instead_of_deadlocking(
        client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.transaction() as session:
        session.add(User(email="carl@firm.example", password_hash="x", role=Role.CONSULTANT.value))
    lead_id = post_lead(client, email="a@example.ie")
    with db.session() as session:
        user_id = session.query(User).one().id

    errors: dict[str, BaseException] = {}
    # The batch holds its leads; the consultant's transaction runs into them before it goes on.
    with batch_holding_lead(db, lead_id, monkeypatch, errors) as arrived:
        try:
            with db.session() as session, session.begin():
                me = session.get(User, user_id)
                lead = session.get(Lead, lead_id)
                assert me is not None and lead is not None
                arrived()
                claim(session, lead, me)
        except BaseException as exc:
            errors["consultant"] = exc
    assert not errors, {side: f"{type(exc).__name__}: {str(exc).splitlines()[0]}" for side, exc in errors.items()}
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "classified"
        assert lead.assignee_id == user_id
