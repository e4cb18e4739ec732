"""Cases found by an exploratory pass of POST /api/leads and /apply (eighth session).

Each test here failed before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.config import Settings
from crm.db import Database
from crm.models import Inquiry, Lead
from tests.conftest import make_app
from tests.intake.helpers import lead_payload, post_json
from tests.intake.test_apply_page import _form_fields

both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = "application/x-www-form-urlencoded"


def _french_form_post(client: FlaskClient, **fields: str) -> str:
    hidden = _form_fields(client.get("/apply?lang=fr").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Chloé", "email": "chloe@example.fr",
                                               **fields}, headers=BROWSER, content_type=FORM)
    assert response.status_code == 422
    return response.get_data(as_text=True)


# Whole numbers where text is expected

@both_backends
def test_a_noc_code_and_a_phone_sent_as_json_numbers_are_read_as_their_digits(client: FlaskClient,
                                                                               db: Database) -> None:
    body = json.dumps(lead_payload(noc_code=21231, phone=4165550101, country_of_residence="Canada")).encode()
    response = client.post("/api/leads", data=body, content_type="application/json")
    assert response.status_code == 201, response.json
    with db.session() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        lead = session.scalars(select(Lead)).one()
        assert bytes(inquiry.raw_body) == body  # the number is stored as it was sent
        assert inquiry.normalised["noc_code"] == "21231"
        assert inquiry.normalised["phone"] == "4165550101"
        assert lead.phone_e164 == "+14165550101"


def test_a_noc_code_number_gets_back_the_leading_zeros_json_cannot_carry(client: FlaskClient, db: Database) -> None:
    assert post_json(client, lead_payload(noc_code=12)).status_code == 201
    with db.session() as session:
        assert session.scalars(select(Inquiry)).one().normalised["noc_code"] == "00012"


@pytest.mark.parametrize("field, value", [("phone", 4.1e9), ("phone", True), ("noc_code", 21231.0),
                                          ("noc_code", False)])
def test_a_decimal_number_or_a_boolean_for_text_is_still_a_clear_422(client: FlaskClient, field: str,
                                                                     value: Any) -> None:
    response = post_json(client, lead_payload(**{field: value}))
    assert response.status_code == 422
    assert response.json["errors"][field] == ["Must be text or a whole number."]  # type: ignore[index]


def test_a_noc_number_of_six_digits_is_refused_as_a_noc_code(client: FlaskClient) -> None:
    response = post_json(client, lead_payload(noc_code=212310))
    assert response.json["errors"]["noc_code"] == ["Must be a NOC 2021 code of five digits."]  # type: ignore[index]


def test_the_french_page_explains_a_decimal_phone_in_french() -> None:
    from crm.intake.views import _translated_error

    assert _translated_error("Must be text or a whole number.", "fr") == "Doit être un texte ou un nombre entier."


# Dates

@pytest.mark.parametrize("day", ["1998-02-29", "2001-04-31", "2000-13-01", "1999-00-10"])
def test_a_date_that_does_not_exist_is_called_so(client: FlaskClient, day: str) -> None:
    response = post_json(client, lead_payload(date_of_birth=day))
    assert response.status_code == 422
    assert response.json["errors"]["date_of_birth"] == [  # type: ignore[index]
        "This date does not exist: check the day and the month."]


def test_a_leap_day_that_exists_is_accepted(client: FlaskClient) -> None:
    assert post_json(client, lead_payload(date_of_birth="2000-02-29")).status_code == 201


def test_a_date_in_another_format_still_gets_the_format_message(client: FlaskClient) -> None:
    response = post_json(client, lead_payload(date_of_birth="29/02/1998"))
    assert response.json["errors"]["date_of_birth"] == ["Must be a date written YYYY-MM-DD."]  # type: ignore[index]


def test_the_earliest_birth_date_message_says_the_rule_it_applies(client: FlaskClient) -> None:
    assert post_json(client, lead_payload(date_of_birth="1900-01-01")).status_code == 201
    response = post_json(client, lead_payload(email="other@example.ie", date_of_birth="1899-12-31"))
    assert response.json["errors"]["date_of_birth"] == ["Must be in 1900 or later."]  # type: ignore[index]


def test_the_french_page_says_a_date_does_not_exist_and_the_1900_rule_in_french(client: FlaskClient) -> None:
    assert "Cette date n’existe pas : vérifiez le jour et le mois." in _french_form_post(
        client, date_of_birth="1998-02-29")
    assert "Doit être en 1900 ou après." in _french_form_post(client, date_of_birth="1899-12-31")


# Enumerated fields written another way

@pytest.mark.parametrize("field, typed, read", [
    ("spouse_status_in_canada", "permanent resident", "permanent_resident"),
    ("spouse_status_in_canada", "Permanent-Resident", "permanent_resident"),
    ("spouse_status_in_canada", " PERMANENT_RESIDENT ", "permanent_resident"),
    ("spouse_status_in_canada", "Résident permanent", "permanent_resident"),
    ("spouse_status_in_canada", "a permanent resident or citizen", "permanent_resident"),
    ("spouse_status_in_canada", "étudiante", "student"),
    ("spouse_status_in_canada", "Travailleur ou travailleuse", "worker"),
    ("spouse_status_in_canada", "pas au Canada / sans objet", "none"),
    ("french_ability", "Langue maternelle", "native"),
    ("french_ability", "Intermédiaire", "intermediate"),
    ("english_ability", "ADVANCED", "advanced"),
    ("english_ability", "Notions", "basic"),
    ("interest", "Work", "work"),
    ("interest", "études", "study"),
    ("interest", "start or run a business in Canada", "business"),
])
def test_an_enumerated_value_in_other_spellings_and_in_french_is_read(client: FlaskClient, db: Database,
                                                                      field: str, typed: str, read: str) -> None:
    response = post_json(client, lead_payload(**{field: typed}))
    assert response.status_code == 201, response.json
    with db.session() as session:
        assert session.scalars(select(Inquiry)).one().normalised[field] == read


def test_an_enumerated_value_in_form_posts_is_read_the_same_way(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads", data={"first_name": "Ana", "email": "ana@example.es",
                                               "spouse_status_in_canada": "permanent-resident"}, content_type=FORM)
    assert response.status_code == 201


@pytest.mark.parametrize("field, typed", [("spouse_status_in_canada", "married"), ("interest", "!!!"),
                                          ("french_ability", "fluent")])
def test_an_enumerated_value_that_is_none_of_them_is_still_refused(client: FlaskClient, field: str,
                                                                    typed: str) -> None:
    response = post_json(client, lead_payload(**{field: typed}))
    assert response.status_code == 422
    assert response.json["errors"][field][0].startswith("Must be one of: ")  # type: ignore[index]


# The address with a trailing slash

def test_the_intake_address_with_a_trailing_slash_is_served_like_the_address(client: FlaskClient,
                                                                              db: Database) -> None:
    response = client.post("/api/leads/", data=json.dumps(lead_payload()), content_type="application/json")
    assert response.status_code == 201 and response.json["status"] == "received"  # type: ignore[index]
    replay = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json")
    assert replay.status_code == 200 and replay.json["id"] == response.json["id"]  # type: ignore[index]
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    assert 'action="/api/leads"' in client.get("/apply").get_data(as_text=True)  # our own form keeps its address
    form = client.post("/api/leads/", data={**hidden, "first_name": "Ana", "email": "ana@example.es"},
                       headers=BROWSER, content_type=FORM)
    assert form.status_code == 303


def test_the_trailing_slash_address_answers_other_websites_and_shares_the_rate_limit(settings: Settings,
                                                                                       db: Database) -> None:
    client = make_app(settings, db, allowed_origins=["https://maple.example"], rate_limit="2/minute").test_client()
    origin = {"Origin": "https://maple.example"}
    preflight = client.options("/api/leads/", headers={**origin, "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://maple.example"
    statuses = []
    for index, path in enumerate(["/api/leads", "/api/leads/", "/api/leads/"]):
        response = client.post(path, data=json.dumps(lead_payload(email=f"p{index}@example.com")),
                               content_type="application/json", headers=origin)
        statuses.append(response.status_code)
        assert response.headers.get("Access-Control-Allow-Origin") == "https://maple.example"
        assert "Origin" in response.headers.get("Vary", "")
    assert statuses == [201, 201, 429]


# The rate limit, met by a person at the /apply form

@pytest.mark.parametrize("lang, words", [
    ("en", "This form was sent too many times from your connection in a short time"),
    ("fr", "Ce formulaire a été envoyé trop de fois depuis votre connexion"),
])
def test_a_person_over_the_rate_limit_gets_the_form_again_in_its_language(settings: Settings, db: Database,
                                                                         lang: str, words: str) -> None:
    client = make_app(settings, db, rate_limit="1/minute").test_client()
    page = client.get(f"/apply?lang={lang}").get_data(as_text=True)
    fields = {**_form_fields(page), "first_name": "Zoë", "email": "zoe@example.fr", "message": "Bonjour à tous"}
    assert client.post("/api/leads", data=fields, headers=BROWSER, content_type=FORM).status_code == 303
    again = client.post("/api/leads", data={**fields, "email": "zoe2@example.fr"}, headers=BROWSER,
                        content_type=FORM)
    html = again.get_data(as_text=True)
    assert again.status_code == 429 and again.mimetype == "text/html"
    assert again.headers.get("Retry-After")
    assert words in html
    assert ("wait a minute" if lang == "en" else "attendez une minute") in html
    assert 'value="Zoë"' in html and "Bonjour à tous" in html and 'value="zoe2@example.fr"' in html
    assert "rate_limit" not in html and "Too many requests" not in html
    assert f'lang="{lang}"' in html


def test_a_json_client_over_the_rate_limit_still_gets_json(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, rate_limit="1/minute").test_client()
    assert post_json(client, lead_payload()).status_code == 201
    for headers in ({}, BROWSER):  # a JSON body is an API call whatever it accepts
        limited = post_json(client, lead_payload(email="x@example.ie"), headers=headers)
        assert limited.status_code == 429 and limited.mimetype == "application/json"
        assert "rate_limit" in limited.json["errors"] and limited.headers.get("Retry-After")  # type: ignore[index]
    form = client.post("/api/leads", data={"first_name": "A", "email": "a@example.ie"}, content_type=FORM)
    assert form.status_code == 429 and form.mimetype == "application/json"


def test_the_wait_is_said_in_minutes_when_the_limit_is_longer(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, rate_limit="1/hour").test_client()
    fields = {**_form_fields(client.get("/apply?lang=fr").get_data(as_text=True)), "first_name": "Zoë",
              "email": "zoe@example.fr"}
    client.post("/api/leads", data=fields, headers=BROWSER, content_type=FORM)
    again = client.post("/api/leads", data=fields, headers=BROWSER, content_type=FORM)
    assert again.status_code == 429
    assert "attendez 60 minutes" in again.get_data(as_text=True)


# Kosovo, everyday names, and a Canadian province typed as the country of residence

@pytest.mark.parametrize("typed", ["Kosovo", "XK", "xk", "XKX", "Kosovar", "Kosova", "Kosovë", "République du Kosovo"])
def test_kosovo_is_a_known_citizenship_under_its_user_assigned_code(client: FlaskClient, db: Database,
                                                                    typed: str) -> None:
    assert post_json(client, lead_payload(citizenships=[typed], country_of_residence=typed)).status_code == 201
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        inquiry = session.scalars(select(Inquiry)).one()
        assert lead.citizenships == ["XK"] and lead.country_of_residence == "XK"
        assert inquiry.normalised["unknown_countries"] == [] and inquiry.normalised["notes"] == []


def test_kosovo_is_offered_and_named_in_both_languages_and_classified_without_iec() -> None:
    from crm.classify.classifier import classify
    from crm.classify.model import LeadInput
    from crm.countries import all_country_options, country_name, is_known_code

    assert ("XK", "Kosovo") in all_country_options("en") and ("XK", "Kosovo") in all_country_options("fr")
    assert country_name("XK", "fr") == "Kosovo" and is_known_code("XK") and not is_known_code("XX")
    result = classify(LeadInput(citizenships=["XK"], stated_age=25, language="en"))
    assert not any(candidate.stream.startswith("iec-") and candidate.stream != "iec-recognized-organization"
                   for candidate in result.candidates)


def test_the_apply_page_sends_kosovo_from_its_select(client: FlaskClient, db: Database) -> None:
    page = client.get("/apply?lang=fr").get_data(as_text=True)
    assert '<option value="XK"' in page
    response = client.post("/api/leads", data={**_form_fields(page), "first_name": "Arta", "email": "arta@example.com",
                                               "citizenships": "XK"}, headers=BROWSER, content_type=FORM)
    assert response.status_code == 303
    with db.session() as session:
        assert session.scalars(select(Lead)).one().citizenships == ["XK"]


@pytest.mark.parametrize("typed, code", [("Aussie", "AU"), ("Brit", "GB"), ("Bosnia", "BA"), ("Bosnian", "BA"),
                                         ("East Timor", "TL"), ("Emirati", "AE"), ("Saudi", "SA"),
                                         ("Pinoy", "PH"), ("Trinidad", "TT")])
def test_everyday_names_and_nationality_words_are_read_exactly(typed: str, code: str) -> None:
    from crm.countries import lookup_country

    match = lookup_country(typed)
    assert match is not None and match.code == code and match.how != "close-match"


@pytest.mark.parametrize("typed", ["Québec", "Ontario", "BC", "C.-B.", "Toronto, ON", "Montréal, Québec"])
def test_a_province_typed_as_the_country_of_residence_is_canada_with_a_note(client: FlaskClient, db: Database,
                                                                           typed: str) -> None:
    assert post_json(client, lead_payload(country_of_residence=typed)).status_code == 201
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        inquiry = session.scalars(select(Inquiry)).one()
        assert lead.country_of_residence == "CA"
        assert inquiry.normalised["unknown_countries"] == []
        assert {"note": "residence-read-as", "typed": typed, "country": "CA"} in inquiry.normalised["notes"]


def test_the_province_note_reads_in_both_languages() -> None:
    from crm.web.labels import intake_note

    note = {"note": "residence-read-as", "typed": "Québec", "country": "CA"}
    assert intake_note(note, "en") == "Country of residence \u201cQuébec\u201d read as Canada"
    assert "Canada" in intake_note(note, "fr") and "Québec" in intake_note(note, "fr")


@pytest.mark.parametrize("typed, code", [("NL", "NL"), ("PE", "PE"), ("SK", "SK")])
def test_a_country_code_that_is_also_a_province_code_stays_the_country(typed: str, code: str) -> None:
    from crm.intake.normalise import residence_in

    match = residence_in(typed)
    assert match is not None and match.code == code and match.how == "code"


# The domain's IDNA errors on the French page

@pytest.mark.parametrize("email, french", [
    ("zoe@\u2615.com", "La partie après le @ n’est pas valide : le caractère ☕ (U+2615) n’est pas autorisé."),
    ("zoe@xn--55qx5d.xn--zz", "La partie après le @ n’est pas un nom de domaine internationalisé valide : une partie "
                              "en Punycode (xn--) non valide."),
    ("zoe@xn--abc.com", "La partie après le @ n’est pas un nom de domaine internationalisé valide : le caractère "
                        "invisible U+0082 n’est pas autorisé."),
    ("zoe@\u0627\u0644a.com", "La partie après le @ n’est pas valide : écritures de droite à gauche et de gauche "
                              "à droite mêlées dans une même partie."),
])
def test_the_french_page_explains_a_domains_idna_error_in_french(client: FlaskClient, email: str,
                                                                 french: str) -> None:
    from html import unescape

    html = unescape(_french_form_post(client, email=email))
    assert french in html
    assert "Codepoint" not in html and "A-label" not in html and "right-to-left" not in html


def test_the_api_keeps_email_validators_english_idna_detail(client: FlaskClient) -> None:
    response = post_json(client, lead_payload(email="zoe@\u2615.com"))
    assert response.json["errors"]["email"] == [  # type: ignore[index]
        "The part after the @-sign is invalid (Codepoint U+2615 at position 1 of '\u2615' not allowed)."]


@both_backends
def test_the_leads_api_filters_by_kosovo_as_by_any_citizenship(client: FlaskClient, db: Database) -> None:
    from crm.workspace import accounts

    with db.transaction() as session:
        user = accounts.create_user(session, "ana@firm.example", "consultant", "a long password 123")
        token = accounts.create_token(session, user, "tests")
    post_json(client, lead_payload(citizenships=["Kosovo"]))
    post_json(client, lead_payload(email="other@example.fr", citizenships=["France"]))
    listed = client.get("/api/leads?scope=all&nationality=XK", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.json
    assert [row["citizenships"] for row in listed.json["leads"]] == [["XK"]]  # type: ignore[index]
