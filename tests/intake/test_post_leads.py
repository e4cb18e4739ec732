"""POST /api/leads: every response code of the contract, both content types, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from crm.db import Database
from crm.intake import service
from crm.models import Activity, ConsentRecord, Inquiry, Job, Lead
from tests.conftest import RecordingDispatcher
from tests.intake.helpers import counts, lead_payload, post_form, post_json

both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@both_backends
def test_it_stores_a_json_inquiry_with_lead_consent_timeline_and_job(
    client: FlaskClient, db: Database, dispatcher: RecordingDispatcher
) -> None:
    body = json.dumps(lead_payload(extra_field={"kept": True})).encode()
    response = client.post("/api/leads", data=body, content_type="application/json")

    assert response.status_code == 201
    assert response.json is not None and response.json["status"] == "received"
    with db.session() as session:
        lead = session.get(Lead, response.json["id"])
        assert lead is not None
        assert lead.email_key == "aoife.murphy@example.ie"
        assert lead.citizenships == ["IE"]
        assert lead.country_of_residence == "IE"
        assert lead.phone_e164 == "+353851234567"
        assert lead.date_of_birth is not None and lead.date_of_birth.isoformat() == "1998-04-12"
        assert lead.facts["interest"] == "work"
        inquiry = session.get(Inquiry, response.json["inquiry_id"])
        assert inquiry is not None
        assert inquiry.raw_body == body
        assert inquiry.payload["extra_field"] == {"kept": True}
        consent = session.scalars(select(ConsentRecord).where(ConsentRecord.lead_id == lead.id)).one()
        assert consent.kind == "express"
        assert consent.wording == "Yes, send me emails about work permits."
        job = session.scalars(select(Job).where(Job.lead_id == lead.id)).one()
        assert (job.kind, job.status, job.args["lead_id"]) == ("classify_lead", "pending", lead.id)
        assert session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all() == ["inquiry"]
    assert [job.lead_id for job in dispatcher.jobs] == [response.json["id"]]


@both_backends
def test_a_new_lead_gets_the_same_column_values_on_both_backends(
    client: FlaskClient, db: Database, dispatcher: RecordingDispatcher
) -> None:
    """On PostgreSQL a new lead's rows are one statement that sets every column itself (defaults
    included); on SQLite the ORM's defaults fill them. Both must store the same values."""
    response = post_json(client, lead_payload(last_name="MacMurphy"))
    assert response.status_code == 201 and response.json is not None
    with db.session() as session:
        lead = session.get(Lead, response.json["id"])
        assert lead is not None
        assert (lead.status, lead.score, lead.queue_rank, lead.notes_count) == ("received", 0, 0, 0)
        assert (lead.primary_stream, lead.assignee_id, lead.classified_at, lead.anonymised_at) == (None,) * 4
        assert lead.last_name_key == "macmurphy"
        assert lead.search_text == "aoife macmurphy aoife.murphy@example.ie"
        assert len(lead.reply_token) == 32 and int(lead.reply_token, 16) >= 0
        assert lead.first_inquiry_at == lead.last_inquiry_at == lead.created_at == lead.status_changed_at
        assert lead.updated_at is not None
        inquiry = session.get(Inquiry, response.json["inquiry_id"])
        assert inquiry is not None and inquiry.received_at == lead.created_at and not inquiry.is_spam
        consent = session.scalars(select(ConsentRecord).where(ConsentRecord.lead_id == lead.id)).one()
        assert (consent.inquiry_id, consent.source, consent.recorded_at) == (inquiry.id, "intake", lead.created_at)
        activity = session.scalars(select(Activity).where(Activity.lead_id == lead.id)).one()
        assert (activity.summary, activity.data["inquiry_id"], activity.at) == ("First inquiry", inquiry.id,
                                                                             lead.created_at)
        job = session.scalars(select(Job).where(Job.lead_id == lead.id)).one()
        assert (job.attempts, job.started_at, job.finished_at, job.last_error) == (0, None, None, None)
        assert job.args == {"lead_id": lead.id, "trigger": "intake"} and job.enqueued_at == lead.created_at
    # The job handed to the dispatcher is the row written, id included.
    assert [(j.id, j.kind, j.args) for j in dispatcher.jobs] == [(job.id, "classify_lead", job.args)]


@both_backends
def test_it_accepts_a_plain_html_form_with_repeated_and_comma_separated_lists(
    client: FlaskClient, db: Database
) -> None:
    pairs = [("first_name", "Léa"), ("email", "lea@example.fr"), ("citizenships", "France"),
             ("citizenships", "Ireland, UK"), ("job_offer", "on"), ("owns_business", "no"),
             ("age", "29"), ("job_offer_province", "Ontario")]
    response = post_form(client, pairs)

    assert response.status_code == 201
    with db.session() as session:
        lead = session.get(Lead, response.json["id"])  # type: ignore[index]
        assert lead is not None
        assert lead.citizenships == ["FR", "IE", "GB"]
        assert lead.stated_age == 29
        assert lead.facts["job_offer"] is True
        assert lead.facts["owns_business"] is False
        assert lead.facts["job_offer_province"] == "ON"


def test_it_redirects_a_browser_form_post_to_the_thank_you_page(client: FlaskClient) -> None:
    response = post_form(client, {"first_name": "Léa", "email": "lea@example.fr"},
                         headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 303
    assert "/apply/thanks" in response.headers["Location"]


def test_it_accepts_multipart_form_data(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads", data={"first_name": "Kenji", "email": "kenji@example.jp",
                                               "nationality": "Japan"}, content_type="multipart/form-data")
    assert response.status_code == 201
    with db.session() as session:
        assert session.get(Lead, response.json["id"]).citizenships == ["JP"]  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"first_name=A&email=a@b.co", 415),
        ("application/xml", b"<lead/>", 415),
        ("", b"{}", 415),
        ("application/json", b"{not json", 400),
        ("application/json", b"[1, 2]", 400),
        ("application/json", b'"a string"', 400),
        ("application/json", b"\xff\xfe\x00garbage", 400),
        ("application/json", b'{"first_name": NaN}', 400),
        ("application/json", b"[" * 5000 + b"]" * 5000, 400),
        ("application/x-www-form-urlencoded", b"first_name=%FF%FE&email=a%40b.co", 400),
    ],
)
def test_it_rejects_bodies_it_cannot_read_and_stores_nothing(
    client: FlaskClient, db: Database, content_type: str, body: bytes, status: int
) -> None:
    response = client.post("/api/leads", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.json is not None and response.json["errors"]
    assert counts(db)["inquiries"] == 0


def test_it_answers_413_for_a_body_over_64_kib(client: FlaskClient, db: Database) -> None:
    body = json.dumps(lead_payload(message="x" * (65 * 1024))).encode()
    response = client.post("/api/leads", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json == {"errors": {"body": ["The request body is larger than 64 KiB."]}}
    assert counts(db)["inquiries"] == 0


@both_backends
@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"first_name": ""}, {"first_name"}),
        ({"first_name": "x" * 101}, {"first_name"}),
        ({"first_name": 42}, {"first_name"}),
        ({"first_name": "Ann\r\nBcc: victim@example.com"}, {"first_name"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": None}, {"email"}),
        ({"date_of_birth": "12/04/1998"}, {"date_of_birth"}),
        ({"date_of_birth": "2999-01-01"}, {"date_of_birth"}),
        ({"date_of_birth": "1998-02-30"}, {"date_of_birth"}),
        ({"age": "twenty"}, {"age"}),
        ({"age": 300}, {"age"}),
        ({"preferred_language": "de"}, {"preferred_language"}),
        ({"interest": "tourism"}, {"interest"}),
        ({"job_offer": "maybe"}, {"job_offer"}),
        ({"noc_code": "abc"}, {"noc_code"}),
        ({"message": "m" * 5001}, {"message"}),
        ({"message": "nul\x00byte"}, {"message"}),
        ({"citizenships": [{"nested": "garbage"}]}, {"citizenships"}),
        ({"spouse_status_in_canada": "married"}, {"spouse_status_in_canada"}),
        ({"first_name": "", "email": "nope"}, {"first_name", "email"}),
    ],
)
def test_it_answers_422_with_field_level_messages_and_writes_nothing(
    client: FlaskClient, db: Database, overrides: dict[str, object], fields: set[str]
) -> None:
    response = post_json(client, lead_payload(**overrides))
    assert response.status_code == 422
    assert response.json is not None
    assert set(response.json["errors"]) == fields
    assert all(isinstance(m, str) and m for msgs in response.json["errors"].values() for m in msgs)
    assert counts(db) == {"leads": 0, "inquiries": 0, "consents": 0, "jobs": 0}


def test_a_missing_required_field_is_named(client: FlaskClient) -> None:
    response = post_json(client, {"email": "a@example.com"})
    assert response.status_code == 422
    assert response.json == {"errors": {"first_name": ["This field is required."]}}


def test_unknown_countries_are_kept_as_typed_not_refused(client: FlaskClient, db: Database) -> None:
    response = post_json(client, lead_payload(citizenships=["Narnia", "Irland"]))
    assert response.status_code == 201
    with db.session() as session:
        lead = session.get(Lead, response.json["id"])  # type: ignore[index]
        assert lead is not None
        assert lead.citizenships == ["IE"]
        assert lead.unknown_countries == ["Narnia"]


def test_french_form_defaults_the_language_to_french(client: FlaskClient, db: Database) -> None:
    page = client.get("/apply?lang=fr")
    token = page.get_data(as_text=True).split('name="form_token" value="')[1].split('"')[0]
    response = post_form(client, {"first_name": "Chloé", "email": "chloe@example.fr", "form_token": token})
    assert response.status_code == 201
    with db.session() as session:
        assert session.get(Lead, response.json["id"]).preferred_language == "fr"  # type: ignore[index, union-attr]


@pytest.mark.parametrize(("given", "message", "expected"), [
    (None, "Bonjour, je suis française, 27 ans, et je voudrais faire un PVT au Canada.", "fr"),
    (None, "Hi, I'm French and I would like to work in Montreal for a year.", "en"),
    (None, "Bonjour", "en"),  # too little to tell: the contract's default
    ("en", "Bonjour, je suis française et je voudrais faire un PVT.", "en"),  # asked for: kept
])
def test_without_a_preferred_language_a_new_lead_gets_the_language_its_message_is_written_in(
        client: FlaskClient, db: Database, given: str | None, message: str, expected: str) -> None:
    payload = lead_payload(email="lang@example.fr", message=message)
    payload.pop("preferred_language")
    if given:
        payload["preferred_language"] = given
    response = post_json(client, payload)
    assert response.status_code == 201
    with db.session() as session:
        assert session.get(Lead, response.json["id"]).preferred_language == expected  # type: ignore[index, union-attr]


@both_backends
def test_a_new_persons_rows_are_built_before_the_transaction_begins(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the transaction holds the database's write lock from BEGIN IMMEDIATE: a new person's
    rows (ids, JSON, bound parameters) are built before it, once, and the transaction only runs SQL."""
    order: list[str] = []
    built = service.NewPersonWrite.__init__

    def building(self: service.NewPersonWrite, *args: Any, **kwargs: Any) -> None:
        order.append("rows built")
        built(self, *args, **kwargs)

    monkeypatch.setattr(service.NewPersonWrite, "__init__", building)
    event.listen(db.engine, "begin", lambda _connection: order.append("transaction began"))

    response = post_json(client, lead_payload())

    assert response.status_code == 201
    assert order == ["rows built", "transaction began"]
