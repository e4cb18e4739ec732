"""POST /api/leads/<id>/events: replies, bounces and complaints; authenticated; matched by the reply
token or In-Reply-To."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from crm.config import Settings
from crm.db import Database
from crm.intake.security import sign
from crm.mail import transport_from_url
from crm.models import ApiToken, EnrolmentStatus, Suppression, User
from tests.conftest import make_app
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, count, enrolments, get_lead, new_lead, run_due

API_TOKEN = "events-token-for-tests"


def _token(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        user = User(email="ops@maple-route.example", password_hash="x", role="admin")
        session.add(user)
        session.flush()
        session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(API_TOKEN.encode()).hexdigest()))
    return {"Authorization": f"Bearer {API_TOKEN}"}


def _post(client: FlaskClient, lead_id: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/api/leads/{lead_id}/events", data=json.dumps(payload), content_type="application/json",
                       headers=headers)


def test_a_reply_matched_by_token_stops_the_sequence(client: FlaskClient, db: Database, smtp_settings: Settings,
                                                     sink: Sink) -> None:
    # Given a lead who got the first email
    lead_id = new_lead(db, email="replier@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    reply_to = str(sink.to("replier@example.ie")[0]["Reply-To"])
    # When the mailbox script reports the lead's reply, sent to the Reply-To address
    response = _post(client, lead_id, {"type": "reply", "to": reply_to, "subject": "Re: your next steps"},
                     _token(db))
    # Then the sequence stops and the reply is on the timeline
    assert response.status_code == 200
    assert response.get_json() == {"lead_id": lead_id, "type": "reply", "matched_by": "reply-token", "changed": True}
    assert enrolments(db, lead_id)[0].stop_reason == "replied"
    assert "replied" in activity_kinds(db, lead_id)
    assert run_due(db, smtp_settings, transport, T0 + timedelta(days=30)) == []
    transport.close()
    assert len(sink.to("replier@example.ie")) == 1


def test_a_reply_matched_by_in_reply_to(client: FlaskClient, db: Database, smtp_settings: Settings,
                                        sink: Sink) -> None:
    lead_id = new_lead(db, email="threaded@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    transport.close()
    message_id = str(sink.to("threaded@example.ie")[0]["Message-ID"])
    response = _post(client, lead_id, {"type": "reply", "in_reply_to": message_id}, _token(db))
    assert response.status_code == 200 and response.get_json()["matched_by"] == "message-id"
    assert enrolments(db, lead_id)[0].status == EnrolmentStatus.STOPPED.value


def test_a_reply_token_of_another_lead_is_refused(client: FlaskClient, db: Database, smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="one@example.ie")
    other = new_lead(db, email="two@example.ie")
    token = get_lead(db, other).reply_token
    response = _post(client, lead_id, {"type": "reply", "to": f"hello+{token}@maple-route.example"}, _token(db))
    assert response.status_code == 422
    assert enrolments(db, lead_id)[0].status == EnrolmentStatus.ACTIVE.value


def test_bounce_and_complaint_events(client: FlaskClient, db: Database, smtp_settings: Settings) -> None:
    headers = _token(db)
    bounced = new_lead(db, email="gone@example.ie")
    assert _post(client, bounced, {"type": "bounce", "detail": "550 mailbox unavailable"}, headers).status_code == 200
    assert get_lead(db, bounced).bounced_at is not None
    assert count(db, Suppression, Suppression.email_key == "gone@example.ie", Suppression.reason == "bounced") == 1
    assert enrolments(db, bounced)[0].stop_reason == "bounced"
    complained = new_lead(db, email="angry@example.ie")
    assert _post(client, complained, {"type": "complaint"}, headers).status_code == 200
    assert get_lead(db, complained).unsubscribed_at is not None
    assert count(db, Suppression, Suppression.email_key == "angry@example.ie", Suppression.reason == "complaint") == 1


def test_events_need_a_token_or_a_signature(client: FlaskClient, db: Database, settings: Settings,
                                            smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="guarded@example.ie")
    body = json.dumps({"type": "reply"}).encode()
    # Without credentials, or with a wrong token: 401 and nothing changes
    assert client.post(f"/api/leads/{lead_id}/events", data=body, content_type="application/json").status_code == 401
    assert _post(client, lead_id, {"type": "reply"}, {"Authorization": "Bearer nope"}).status_code == 401
    assert enrolments(db, lead_id)[0].status == EnrolmentStatus.ACTIVE.value
    # With the webhook secret's signature: accepted
    signed = make_app(smtp_settings, db, webhook_secret="hook-secret").test_client()
    bad = signed.post(f"/api/leads/{lead_id}/events", data=body, content_type="application/json",
                      headers={"X-CRM-Signature": sign("wrong", body)})
    assert bad.status_code == 401
    good = signed.post(f"/api/leads/{lead_id}/events", data=body, content_type="application/json",
                       headers={"X-CRM-Signature": sign("hook-secret", body)})
    assert good.status_code == 200
    assert enrolments(db, lead_id)[0].stop_reason == "replied"


def test_malformed_events(client: FlaskClient, db: Database, smtp_settings: Settings) -> None:
    headers = _token(db)
    lead_id = new_lead(db, email="odd@example.ie")
    assert _post(client, lead_id, {"type": "party"}, headers).status_code == 422
    assert _post(client, "no-such-lead", {"type": "reply"}, headers).status_code == 404
    response = client.post(f"/api/leads/{lead_id}/events", data="[1, 2", content_type="application/json",
                           headers=headers)
    assert response.status_code == 400


def test_a_consultant_token_cannot_report_a_bounce_or_complaint(client: FlaskClient, db: Database,
                                                                smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="kept@example.ie")
    with db.transaction() as session:
        user = User(email="consultant@maple-route.example", password_hash="x", role="consultant")
        session.add(user)
        session.flush()
        session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(b"consultant-token").hexdigest()))
    headers = {"Authorization": "Bearer consultant-token"}
    for kind in ("bounce", "complaint"):
        assert _post(client, lead_id, {"type": kind}, headers).status_code == 403
    assert count(db, Suppression) == 0
    assert _post(client, lead_id, {"type": "reply"}, headers).status_code == 200
