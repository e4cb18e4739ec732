"""Cases found by an exploratory pass of the API and /apply (ninth session).

Each test here failed before its fix.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import Inquiry, Lead
from crm.workspace import accounts
from tests.intake.helpers import counts, lead_payload, post_form, post_json

both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


# The read API's addresses with a trailing slash, as POST /api/leads/ already is

@both_backends
def test_the_read_api_answers_with_a_trailing_slash_as_without(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        user = accounts.create_user(session, "api@firm.example", "admin", "a long enough password")
        token = accounts.create_token(session, user)
    auth = {"Authorization": f"Bearer {token}"}
    lead_id = post_json(client, lead_payload()).json["id"]  # type: ignore[index]

    one, slashed = client.get(f"/api/leads/{lead_id}", headers=auth), client.get(f"/api/leads/{lead_id}/", headers=auth)
    assert slashed.status_code == 200 and slashed.get_json() == one.get_json()
    listed = client.get("/api/leads/", headers=auth)
    assert listed.status_code == 200 and listed.get_json() == client.get("/api/leads", headers=auth).get_json()
    assert [lead["id"] for lead in listed.get_json()["leads"]] == [lead_id]
    assert client.get("/api/leads/?status=nonsense", headers=auth).status_code == 400
    assert client.get("/api/leads/nope/", headers=auth).status_code == 404
    assert client.get(f"/api/leads/{lead_id}/").status_code == 401  # still behind the token
    patched = client.patch(f"/api/leads/{lead_id}/", data=json.dumps({"status": "contacted"}),
                           content_type="application/json", headers=auth)
    assert patched.status_code == 200 and patched.get_json()["status"] == "contacted"


# A Canadian city before a province code that is also a country code

@pytest.mark.parametrize("typed", ["Regina, SK", "Halifax, NL", "Charlottetown, PE", "St. John's, NL",
                                   "Saskatoon , sk", "Trois-Rivières, QC"])
def test_a_canadian_city_and_a_province_code_is_canada_with_a_note(client: FlaskClient, db: Database,
                                                                    typed: str) -> None:
    assert post_json(client, lead_payload(country_of_residence=typed)).status_code == 201
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        inquiry = session.scalars(select(Inquiry)).one()
        assert lead.country_of_residence == "CA"
        assert {"note": "residence-read-as", "typed": typed, "country": "CA"} in inquiry.normalised["notes"]


@pytest.mark.parametrize("typed, code", [("Bratislava, SK", "SK"), ("Amsterdam, NL", "NL"), ("Lima, PE", "PE"),
                                         ("Kosice, SK", "SK"), ("London, NL", "NL"), ("SK", "SK")])
def test_a_city_abroad_and_a_country_code_stays_that_country(typed: str, code: str) -> None:
    from crm.intake.normalise import residence_in

    match = residence_in(typed)
    assert match is not None and match.code == code and match.how == "code"


# An invisible character in an email address, named on the French page

def _email_error(client: FlaskClient, lang: str, email: str) -> str:
    page = client.get(f"/apply?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    response = post_form(client, {"first_name": "Zoé", "email": email, "form_token": html.unescape(token[1])},
                         headers={"Accept": "text/html"})
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="email-error">(.*?)</p>', response.get_data(as_text=True),
                      re.DOTALL)
    assert error is not None
    return html.unescape(error[1]).strip()


@pytest.mark.parametrize("email, french", [
    ("a@b\u200c.com", "U+200C (antiliant sans chasse)"),
    ("a@b\u00ad.com", "U+00AD (trait d’union conditionnel)"),
    ("a@b\u200e.com", "U+200E"),  # no French description: its code point alone
    ("a\u200b@b.com", "U+200B (espace sans chasse)"),
    ("a\u200d@example.com", "U+200D (liant sans chasse)"),
    ("a\ufeff@example.com", "U+FEFF (indicateur d’ordre des octets, BOM)"),
    ("a\u00a0@example.com", "U+00A0 (espace insécable)"),
])
def test_the_french_page_names_a_refused_character_by_its_code_point_in_french(client: FlaskClient, email: str,
                                                                                french: str) -> None:
    error = _email_error(client, "fr", email)
    assert error.endswith(f" : {french}.") and "@-sign" not in error
    assert not re.search(r"(?<!U\+)\b[A-Z]{4,}\b", error)  # no English Unicode name ("ZERO WIDTH ...")
    invisible = next(char for char in email if unicodedata.category(char)[0] not in "LNP")
    assert _email_error(client, "en", email).endswith(f": {unicodedata.name(invisible)}.")  # English as it was


# A JSON object that repeats a field name

@both_backends
@pytest.mark.parametrize("body, name", [
    ('{"first_name": "Ana", "email": "a@x.com", "email": "b@x.com"}', "email"),
    ('{"first_name": "Ana", "email": "a@x.com", "first_name": "Bea"}', "first_name"),
    ('{"first_name": "Ana", "email": "a@x.com", "citizenships": ["FR"], "citizenships": ["IE"]}', "citizenships"),
    ('{"first_name": "Ana", "email": "a@x.com", "extra": {"k": 1, "k": 2}}', "k"),
])
def test_a_json_object_that_repeats_a_field_is_refused_naming_it(client: FlaskClient, db: Database, body: str,
                                                                  name: str) -> None:
    response = client.post("/api/leads", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"body": [
        f'The JSON object has the field "{name}" more than once: send each field once.']}}
    assert counts(db) == {"leads": 0, "inquiries": 0, "consents": 0, "jobs": 0}
    once = client.post("/api/leads", data=json.dumps(lead_payload(email="a@x.com")), content_type="application/json")
    assert once.status_code == 201


def test_a_form_post_that_repeats_a_field_keeps_its_documented_reading(client: FlaskClient, db: Database) -> None:
    pairs = [("first_name", "Ana"), ("email", "ana@example.es"), ("citizenships", "FR"), ("citizenships", "IE")]
    assert post_form(client, pairs).status_code == 201
    with db.session() as session:
        assert session.scalars(select(Lead)).one().citizenships == ["FR", "IE"]
