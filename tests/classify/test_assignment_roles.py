"""Round-robin assignment goes to active consultants; an admin gets a lead only when no active consultant
covers it (a one-person firm whose only user is its admin still gets its leads)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.classify.service import classify_pending
from crm.db import Database, utcnow
from crm.models import Lead, Role, User
from tests.classify.helpers import classifications, post_lead
from tests.conftest import RecordingDispatcher

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _classify(db: Database, lead_ids: list[str]) -> dict[str, tuple[str | None, str]]:
    """Each lead's assignee's email and the stored reason, the leads classified one after the other."""
    for lead_id in lead_ids:
        with db.session() as session, session.begin():
            classify_pending(session, lead_id, "intake", utcnow(), batch_size=1)
    with db.session() as session:
        emails = {lead_id: session.scalar(select(User.email).join(Lead, Lead.assignee_id == User.id)
                                          .where(Lead.id == lead_id)) for lead_id in lead_ids}
    return {lead_id: (emails[lead_id], classifications(db, lead_id)[0].assignment_reason or "")
            for lead_id in lead_ids}


def _users(db: Database, *users: User) -> None:
    with db.transaction() as session:
        session.add_all(list(users))


@BOTH
def test_the_admin_is_not_in_the_rotation_when_a_consultant_covers_the_lead(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher) -> None:
    _users(db, User(email="owner@firm.example", password_hash="x", role=Role.ADMIN.value),
           User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value))
    ids = [post_lead(client, email=f"lead{number}@example.ie") for number in range(4)]
    assigned = _classify(db, ids)
    assert [email for email, _ in assigned.values()] == ["amelie@firm.example"] * 4
    assert all(reason == "Round-robin among 1 active consultant(s) covering language en and stream "
               "iec-working-holiday: amelie@firm.example was assigned longest ago." for _, reason in assigned.values())


@BOTH
def test_a_firm_whose_only_user_is_its_admin_still_gets_its_leads(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher) -> None:
    _users(db, User(email="owner@firm.example", password_hash="x", role=Role.ADMIN.value))
    [(email, reason)] = _classify(db, [post_lead(client)]).values()
    assert email == "owner@firm.example"
    assert reason == ("No active consultant covers language en and stream iec-working-holiday; round-robin among "
                      "1 active admin(s): owner@firm.example was assigned longest ago.")


@BOTH
def test_an_admin_gets_only_the_leads_no_consultant_covers(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher) -> None:
    # A French-only consultant, two admins covering everything, one inactive consultant covering everything
    _users(db, User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value, languages=["fr"]),
           User(email="owner@firm.example", password_hash="x", role=Role.ADMIN.value),
           User(email="partner@firm.example", password_hash="x", role=Role.ADMIN.value),
           User(email="gone@firm.example", password_hash="x", role=Role.CONSULTANT.value, active=False))
    french = [post_lead(client, email=f"fr{n}@example.fr", citizenships=["France"], preferred_language="fr")
              for n in range(2)]
    english = [post_lead(client, email=f"en{n}@example.ie") for n in range(2)]
    assigned = _classify(db, [french[0], english[0], french[1], english[1]])
    assert [assigned[lead_id][0] for lead_id in french] == ["amelie@firm.example"] * 2
    assert [assigned[lead_id][0] for lead_id in english] == ["owner@firm.example", "partner@firm.example"]
    assert assigned[english[1]][1].startswith("No active consultant covers language en and stream ")
    assert "round-robin among 2 active admin(s): partner@firm.example" in assigned[english[1]][1]


@BOTH
def test_a_lead_nobody_covers_stays_unassigned(client: FlaskClient, db: Database,
                                               dispatcher: RecordingDispatcher) -> None:
    _users(db, User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value, languages=["fr"]),
           User(email="owner@firm.example", password_hash="x", role=Role.ADMIN.value, languages=["fr"]))
    [(email, reason)] = _classify(db, [post_lead(client)]).values()
    assert email is None
    assert reason == "Unassigned: no active consultant covers language en and stream iec-working-holiday."
