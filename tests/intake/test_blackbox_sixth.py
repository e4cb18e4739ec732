"""Cases found by a website integrator posting to a running `crm run` (sixth session).

Each test here failed before its fix.
"""

from __future__ import annotations

import gzip
import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import Inquiry, Lead
from tests.intake.helpers import counts, lead_payload, post_form, post_json


def _lead(db: Database, email: str) -> Lead:
    with db.session() as session:
        lead = session.scalars(select(Lead).where(Lead.email_key == email)).one()
        session.expunge(lead)
        return lead


def test_a_json_post_gets_json_whatever_its_accept_header(client: FlaskClient) -> None:
    # Java's HttpURLConnection sends this Accept header by default; a JSON body never comes from a form.
    java_accept = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    response = post_json(client, lead_payload(email="java@example.com"), headers={"Accept": java_accept})
    assert response.status_code == 201 and response.get_json()["status"] == "received"


def test_a_browser_form_post_is_still_redirected(client: FlaskClient) -> None:
    response = post_form(client, {"first_name": "Ana", "email": "ana@example.com"},
                         headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 303


@pytest.mark.parametrize("key", ["citizenships[]", "citizenships[0]"])
def test_php_style_list_keys_are_the_list(client: FlaskClient, db: Database, key: str) -> None:
    second = key.replace("0", "1")
    response = post_form(client, [("first_name", "Zoë"), ("email", "zoe@example.com"),
                                  (key, "FR"), (second, "Ireland")])
    assert response.status_code == 201
    assert _lead(db, "zoe@example.com").citizenships == ["FR", "IE"]
    with db.session() as session:
        assert session.scalars(select(Inquiry.payload)).one()["citizenships"] == ["FR", "Ireland"]


def test_php_style_list_keys_in_multipart(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads", data={"first_name": "Zoë", "email": "zoe@example.com",
                                               "citizenships[]": ["FR", "IE"]}, content_type="multipart/form-data")
    assert response.status_code == 201
    assert _lead(db, "zoe@example.com").citizenships == ["FR", "IE"]


def test_a_bracketed_key_that_is_not_a_list_field_is_kept_as_sent(client: FlaskClient, db: Database) -> None:
    response = post_form(client, [("first_name", "Zoë"), ("email", "zoe@example.com"), ("tags[]", "a")])
    assert response.status_code == 201
    with db.session() as session:
        assert session.scalars(select(Inquiry.payload)).one()["tags[]"] == "a"


@pytest.mark.parametrize("header", ["", "   "])
def test_a_blank_idempotency_key_is_no_key(client: FlaskClient, db: Database, header: str) -> None:
    first = post_json(client, lead_payload(), headers={"Idempotency-Key": header})
    assert first.status_code == 201, first.get_json()
    again = post_json(client, lead_payload(), headers={"Idempotency-Key": header})
    assert again.status_code == 200 and again.get_json()["inquiry_id"] == first.get_json()["inquiry_id"]
    with db.session() as session:
        assert session.scalars(select(Inquiry.idempotency_key)).one() is None


def test_a_too_long_idempotency_key_is_still_refused(client: FlaskClient) -> None:
    response = post_json(client, lead_payload(), headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]


@pytest.mark.parametrize(("text", "codes"), [
    ("Korea, Republic of, France", ["KR", "FR"]),
    ("France, Korea, Republic of", ["FR", "KR"]),
    ("Virgin Islands, British, Ireland", ["VG", "IE"]),
    ("France, Ireland", ["FR", "IE"]),
    ("France, , Korea, Republic of", ["FR", "KR"]),
])
def test_iso_names_with_a_comma_inside_a_comma_list(client: FlaskClient, db: Database, text: str,
                                                   codes: list[str]) -> None:
    response = post_json(client, lead_payload(citizenships=text))
    assert response.status_code == 201
    lead = _lead(db, "aoife.murphy@example.ie")
    assert lead.citizenships == codes and lead.unknown_countries == []


def test_a_form_body_with_a_byte_order_mark(client: FlaskClient, db: Database) -> None:
    body = "\ufefffirst_name=Bom&email=bom%40example.com".encode()
    response = client.post("/api/leads", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.get_json()
    assert _lead(db, "bom@example.com").first_name == "Bom"
    with db.session() as session:
        assert session.scalars(select(Inquiry.raw_body)).one() == body  # stored as received


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_name_is_measured_as_stored(client: FlaskClient, db: Database) -> None:
    # क़ (U+0958) is two code points in NFC, the form names are stored in.
    too_long = post_json(client, lead_payload(first_name="\u0958" * 60))
    assert too_long.status_code == 422 and "first_name" in too_long.get_json()["errors"]
    too_long = post_json(client, lead_payload(last_name="\u0958" * 60))
    assert too_long.status_code == 422 and "last_name" in too_long.get_json()["errors"]
    assert counts(db)["inquiries"] == 0
    fits = post_json(client, lead_payload(first_name="\u0958" * 50, last_name="\u0958" * 50))
    assert fits.status_code == 201
    lead = _lead(db, "aoife.murphy@example.ie")
    assert len(lead.first_name) == 100 and len(lead.last_name or "") == 100


@pytest.mark.parametrize(("phone", "extra", "e164"), [
    ("0033 6 12 34 56 78", {}, "+33612345678"),  # 00 is the international prefix most of the world dials
    ("0033 6 12 34 56 78", {"country_of_residence": "Canada"}, "+33612345678"),
    ("06 12 34 56 78", {"citizenships": ["France"]}, "+33612345678"),  # no residence: the citizenship's plan
    ("416 555 0199", {"citizenships": ["France"]}, "+14165550199"),  # still Canada's plan first
    ("06 12 34 56 78", {"citizenships": ["France", "Ireland"]}, None),  # which country's? not guessed
])
def test_phone_numbers_as_people_write_them(client: FlaskClient, db: Database, phone: str,
                                            extra: dict[str, object], e164: str | None) -> None:
    payload = lead_payload(phone=phone, **extra)
    if "country_of_residence" not in extra:
        payload.pop("country_of_residence")
    assert post_json(client, payload).status_code == 201
    assert _lead(db, "aoife.murphy@example.ie").phone_e164 == e164


def test_a_wrong_method_names_the_allowed_ones(client: FlaskClient) -> None:
    response = client.put("/api/leads", json=lead_payload())
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_a_compressed_body_is_an_unsupported_media_type(client: FlaskClient, db: Database) -> None:
    body = gzip.compress(json.dumps(lead_payload()).encode())
    response = client.post("/api/leads", data=body, content_type="application/json",
                           headers={"Content-Encoding": "gzip"})
    assert response.status_code == 415 and "Content-Encoding" in response.get_json()["errors"]
    assert counts(db)["inquiries"] == 0
    identity = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json",
                           headers={"Content-Encoding": "identity"})
    assert identity.status_code == 201
    # Some clients put a charset there by mistake: ignored, as before.
    mistaken = client.post("/api/leads", data=json.dumps(lead_payload(email="other@example.com")),
                           content_type="application/json", headers={"Content-Encoding": "UTF-8"})
    assert mistaken.status_code == 201


@pytest.mark.parametrize("tag", ["fr-CA", "fr_CA", "FR-ca", "fr"])
def test_language_tags_name_their_language(client: FlaskClient, db: Database, tag: str) -> None:
    payload = lead_payload(preferred_language=tag)
    assert post_json(client, payload).status_code == 201
    assert _lead(db, "aoife.murphy@example.ie").preferred_language == "fr"


def test_a_language_the_crm_does_not_write_is_still_refused(client: FlaskClient) -> None:
    response = post_json(client, lead_payload(preferred_language="de-CH"))
    assert response.status_code == 422 and "preferred_language" in response.get_json()["errors"]


def test_a_form_posted_with_a_regional_lang_argument(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads?lang=fr-CA", data="first_name=Zo%C3%A9&email=zoe%40example.com",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    assert _lead(db, "zoe@example.com").preferred_language == "fr"


@pytest.mark.parametrize(("value", "expected"), [("oui", True), ("Non", False), ("vrai", True), ("faux", False)])
def test_french_booleans(client: FlaskClient, db: Database, value: str, expected: bool) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "job_offer": value})
    assert response.status_code == 201, response.get_json()
    assert _lead(db, "zoe@example.com").facts["job_offer"] is expected


def test_a_checked_box_beside_a_hidden_french_no(client: FlaskClient, db: Database) -> None:
    response = post_form(client, [("first_name", "Zoé"), ("email", "zoe@example.com"),
                                  ("job_offer", "oui"), ("job_offer", "non")])
    assert response.status_code == 201
    assert _lead(db, "zoe@example.com").facts["job_offer"] is True


@pytest.mark.parametrize(("value", "years"), [("1,5", 1.5), ("2.5", 2.5), ("3", 3.0)])
def test_a_decimal_comma(client: FlaskClient, db: Database, value: str, years: float) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "years_with_employer": value})
    assert response.status_code == 201, response.get_json()
    assert _lead(db, "zoe@example.com").facts["years_with_employer"] == years


@pytest.mark.parametrize("value", ["1,500", "1,5,2", "1.5,2"])
def test_a_comma_that_is_not_a_decimal_one_is_still_refused(client: FlaskClient, value: str) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "years_with_employer": value})
    assert response.status_code == 422 and "years_with_employer" in response.get_json()["errors"]
