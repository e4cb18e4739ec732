"""Cases found in review: forged origins, closed leads writing again, consent wording, odd addresses."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from crm.config import Settings
from crm.db import Database
from crm.intake.security import issue_form_token
from crm.models import ConsentRecord, Job, Lead
from tests.conftest import make_app
from tests.intake.helpers import counts, lead_payload, post_form, post_json


def test_an_origin_matching_its_own_host_does_not_replace_the_signature(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, webhook_secret="s3cret").test_client()
    response = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json",
                           headers={"Origin": "http://evil.example", "Host": "evil.example"})
    assert response.status_code == 401
    assert counts(db)["inquiries"] == 0


def test_our_form_is_accepted_from_behind_a_proxy_even_with_an_allow_list(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, allowed_origins=["https://www.site.example"]).test_client()
    token = issue_form_token(settings.secret_key, "en")
    response = post_form(client, {"first_name": "Ana", "email": "ana@example.com", "form_token": token},
                         headers={"Origin": "https://crm.example"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("citizenships", "codes"),
    [(["Korea, Republic of"], ["KR"]), (["Korea, Democratic People's Republic of"], ["KP"]),
     ("France, Ireland", ["FR", "IE"]), (["Congo, The Democratic Republic of the"], ["CD"])],
)
def test_iso_names_with_commas_are_one_country(client: FlaskClient, db: Database, citizenships: object,
                                                codes: list[str]) -> None:
    response = post_json(client, lead_payload(citizenships=citizenships))
    with db.session() as session:
        lead = session.get(Lead, response.json["id"])  # type: ignore[index]
        assert lead is not None and lead.citizenships == codes and lead.unknown_countries == []


def test_a_real_inquiry_reopens_a_lead_the_honeypot_marked_spam(client: FlaskClient, db: Database) -> None:
    first = post_json(client, lead_payload(email="victim@example.com", website="x"))
    second = post_json(client, lead_payload(email="victim@example.com", message="Real question"))
    assert first.json["id"] == second.json["id"]  # type: ignore[index]
    with db.session() as session:
        lead = session.get(Lead, first.json["id"])  # type: ignore[index]
        assert lead is not None and lead.status == "received" and "spam" not in lead.flag_names
        assert session.scalars(select(Job).where(Job.lead_id == lead.id)).one().kind == "classify_lead"


def test_a_consultants_spam_decision_stands(client: FlaskClient, db: Database) -> None:
    lead_id = post_json(client, lead_payload()).json["id"]  # type: ignore[index]
    with db.transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(status="spam"))
        session.execute(update(Job).values(status="done"))
    post_json(client, lead_payload(message="again"))
    with db.session() as session:
        assert session.get(Lead, lead_id).status == "spam"  # type: ignore[union-attr]


def test_a_lost_lead_that_writes_again_is_back_in_the_queue(client: FlaskClient, db: Database) -> None:
    lead_id = post_json(client, lead_payload()).json["id"]  # type: ignore[index]
    with db.transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(status="lost"))
        session.execute(update(Job).values(status="done"))
    post_json(client, lead_payload(message="I got a job offer, please call me!"))
    with db.session() as session:
        assert session.get(Lead, lead_id).status == "received"  # type: ignore[union-attr]
        assert session.scalars(select(Job).where(Job.status == "pending")).one().lead_id == lead_id


def test_ticking_the_box_without_the_wording_is_implied_consent(client: FlaskClient, db: Database) -> None:
    payload = lead_payload(consent_marketing=True)
    del payload["consent_text"]
    assert post_json(client, payload).status_code == 201
    with db.session() as session:
        consent = session.scalars(select(ConsentRecord)).one()
        assert (consent.kind, consent.wording) == ("implied", None)


def test_our_form_stores_the_wording_the_server_showed_not_what_came_back(
    client: FlaskClient, settings: Settings, db: Database
) -> None:
    token = issue_form_token(settings.secret_key, "en")
    post_form(client, {"first_name": "Ana", "email": "ana@example.com", "form_token": token,
                       "consent_marketing": "yes", "consent_text": "I agree to everything, forever"})
    with db.session() as session:
        consent = session.scalars(select(ConsentRecord)).one()
        assert consent.kind == "express"
        assert consent.wording is not None and consent.wording.startswith("Yes, Maple Route Immigration may send")


def test_addresses_we_could_never_email_are_refused_and_idn_domains_are_kept(
    client: FlaskClient, db: Database
) -> None:
    refused = post_json(client, lead_payload(email="josé@example.com"))
    assert refused.status_code == 422 and "email" in refused.json["errors"]  # type: ignore[index]
    accepted = post_json(client, lead_payload(email="ana@exämple.com"))
    assert accepted.status_code == 201
    with db.session() as session:
        assert session.get(Lead, accepted.json["id"]).email == "ana@xn--exmple-cua.com"  # type: ignore[index, union-attr]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_control_characters_in_headers_are_a_client_error(client: FlaskClient, db: Database) -> None:
    response = post_json(client, lead_payload(), headers={"Idempotency-Key": "a\x00b"})
    assert response.status_code == 422
    assert counts(db)["inquiries"] == 0
