"""Who may post: HMAC signatures, form tokens, the origin allow-list, the honeypot and the rate limit."""

from __future__ import annotations

import json
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.config import Settings
from crm.db import Database
from crm.intake.security import issue_form_token, sign
from crm.models import Inquiry, Job, Lead
from tests.conftest import make_app
from tests.intake.helpers import counts, lead_payload, post_form

SECRET = "whsec_test_0123456789"


@pytest.fixture
def signed_client(settings: Settings, db: Database) -> FlaskClient:
    return make_app(settings, db, webhook_secret=SECRET, allowed_origins=["https://maple-route.example"]).test_client()


def _post(client: FlaskClient, body: bytes, signature: str | None, **headers: str) -> int:
    if signature is not None:
        headers["X-CRM-Signature"] = signature
    return client.post("/api/leads", data=body, content_type="application/json", headers=headers).status_code


def test_a_correctly_signed_request_is_accepted(signed_client: FlaskClient, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    assert _post(signed_client, body, sign(SECRET, body)) == 201
    assert counts(db)["inquiries"] == 1


@pytest.mark.parametrize(
    "make_signature",
    [
        pytest.param(lambda body: None, id="missing"),
        pytest.param(lambda body: "", id="empty"),
        pytest.param(lambda body: "garbage", id="malformed"),
        pytest.param(lambda body: sign("another-secret", body), id="wrong-secret"),
        pytest.param(lambda body: sign(SECRET, body, int(time.time()) - 301), id="expired"),
        # int() rounds the signing time down, so +301 came within 300 s of the check whenever the request
        # crossed a second boundary after the clock read (a flaky pass of the signature, a failed test).
        pytest.param(lambda body: sign(SECRET, body, int(time.time()) + 302), id="future"),
        pytest.param(lambda body: sign(SECRET, body + b" "), id="body-altered"),
        pytest.param(lambda body: sign(SECRET, body).replace("v1=", "v2="), id="unknown-scheme"),
        pytest.param(lambda body: "t=abc,v1=00", id="bad-timestamp"),
    ],
)
def test_a_missing_wrong_expired_or_altered_signature_is_401_and_stores_nothing(
    signed_client: FlaskClient, db: Database, make_signature: object
) -> None:
    body = json.dumps(lead_payload()).encode()
    signature = make_signature(body)  # type: ignore[operator]
    response = signed_client.post("/api/leads", data=body, content_type="application/json",
                                  headers={} if signature is None else {"X-CRM-Signature": signature})
    assert response.status_code == 401
    assert "X-CRM-Signature" in response.json["errors"]  # type: ignore[index]
    assert counts(db)["inquiries"] == 0


def test_our_own_form_posts_with_its_token_instead_of_a_signature(
    signed_client: FlaskClient, settings: Settings, db: Database
) -> None:
    token = issue_form_token(settings.secret_key, "en")
    response = post_form(signed_client, {"first_name": "Ana", "email": "ana@example.com", "form_token": token})
    assert response.status_code == 201
    forged = post_form(signed_client, {"first_name": "Ana", "email": "ana2@example.com", "form_token": "forged"})
    assert forged.status_code == 401
    assert counts(db)["inquiries"] == 1


def test_a_browser_post_from_an_allowed_origin_needs_no_signature(signed_client: FlaskClient, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    assert _post(signed_client, body, None, Origin="https://maple-route.example") == 201
    assert _post(signed_client, body, None, Origin="https://evil.example") == 401
    assert counts(db)["inquiries"] == 1


def test_cors_preflight_answers_only_allowed_origins(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, allowed_origins=["https://maple-route.example"]).test_client()
    allowed = client.options("/api/leads", headers={"Origin": "https://maple-route.example",
                                                    "Access-Control-Request-Method": "POST"})
    denied = client.options("/api/leads", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://maple-route.example"
    assert "Access-Control-Allow-Origin" not in denied.headers
    posted = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json",
                         headers={"Origin": "https://evil.example"})
    assert posted.status_code == 403


def test_the_honeypot_is_accepted_stored_flagged_and_never_queued(client: FlaskClient, db: Database) -> None:
    normal = client.post("/api/leads", data=json.dumps(lead_payload(email="a@example.com")),
                         content_type="application/json")
    spam = client.post("/api/leads", data=json.dumps(lead_payload(email="bot@example.com", website="http://x.example")),
                       content_type="application/json")
    assert spam.status_code == normal.status_code == 201
    assert set(spam.json) == set(normal.json)  # type: ignore[arg-type]
    with db.session() as session:
        lead = session.get(Lead, spam.json["id"])  # type: ignore[index]
        assert lead is not None and lead.status == "spam" and lead.flag_names == ["spam"]
        inquiry = session.scalars(select(Inquiry).where(Inquiry.lead_id == lead.id)).one()
        assert inquiry.is_spam
        assert session.scalars(select(Job).where(Job.lead_id == lead.id)).all() == []


def test_a_client_over_the_rate_limit_gets_429_while_others_are_served(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, rate_limit="3/minute").test_client()

    def post(i: int, ip: str) -> int:
        return client.post("/api/leads", data=json.dumps(lead_payload(email=f"p{i}@example.com")),
                           content_type="application/json", environ_base={"REMOTE_ADDR": ip}).status_code

    first = [post(i, "203.0.113.7") for i in range(5)]
    other = post(99, "198.51.100.2")
    assert first == [201, 201, 201, 429, 429]
    assert other == 201
    limited = client.post("/api/leads", data=b"{}", content_type="application/json",
                          environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert limited.status_code == 429
    assert "rate_limit" in limited.json["errors"]  # type: ignore[index]
    assert limited.headers.get("Retry-After")
