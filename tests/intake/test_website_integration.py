"""What a consultancy's website sends when it integrates against the contract by hand."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import ConsentRecord, Inquiry, Lead
from tests.intake.helpers import counts, lead_payload, post_form, post_json


def _lead(db: Database) -> Lead:
    with db.session() as session:
        return session.scalars(select(Lead)).one()


@pytest.mark.parametrize(("posted", "expected"), [
    ("Français", "fr"), ("francais", "fr"), ("FRENCH", "fr"), (" fra ", "fr"), ("fre", "fr"),
    ("English", "en"), ("anglais", "en"), ("eng", "en"),
])
def test_a_language_select_posting_the_language_name_is_read(
    client: FlaskClient, db: Database, posted: str, expected: str
) -> None:
    response = post_json(client, lead_payload(preferred_language=posted))
    assert response.status_code == 201
    assert _lead(db).preferred_language == expected


def test_a_form_posting_francais_gets_a_french_lead(client: FlaskClient, db: Database) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "preferred_language": "Français"})
    assert response.status_code == 201
    assert _lead(db).preferred_language == "fr"


@pytest.mark.parametrize("posted", ["Deutsch", "español", "de", "franglais"])
def test_a_language_the_crm_does_not_write_is_refused_by_name_too(client: FlaskClient, posted: str) -> None:
    response = post_json(client, lead_payload(preferred_language=posted))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"preferred_language": ["Must be one of: 'en', 'fr'."]}


@pytest.mark.parametrize(("years", "message"), [("-2", "Must be at least 0."), ("71", "Must be at most 70.")])
def test_a_number_out_of_range_names_its_limit_as_a_person_writes_it(
    client: FlaskClient, years: str, message: str
) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "years_with_employer": years})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"years_with_employer": [message]}


def test_the_french_apply_page_shows_the_limit_in_french(client: FlaskClient) -> None:
    page = client.get("/apply?lang=fr").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "years_with_employer": "-2",
                                  "form_token": html.unescape(token[1])}, headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert re.search(r"Doit être au moins 0\.(?!\d)", html.unescape(response.get_data(as_text=True)))


def test_one_unread_country_typed_as_citizenship_and_residence_is_kept_once(client: FlaskClient, db: Database) -> None:
    response = post_json(client, lead_payload(citizenships=["Atlantis"], country_of_residence="Atlantis"))
    assert response.status_code == 201
    assert _lead(db).unknown_countries == ["Atlantis"]


def _post_french_page(client: FlaskClient, fields: dict[str, str]) -> str:
    page = client.get("/apply?lang=fr").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    response = post_form(client, {**fields, "form_token": html.unescape(token[1])}, headers={"Accept": "text/html"})
    assert response.status_code == 422
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("email", "french"), [
    ("ana.@example.com", "ne peut pas avoir de point juste avant le @"),
    ("ana@.example.com", "ne peut pas avoir de point juste après le @"),
    ("ana@example-.com", "un point et un trait d’union côte à côte"),
    ("Ana <ana@example.com>", "sans nom ni chevrons"),
    ("ana@example.invalid", "nom réservé"),
    ("ana@[192.0.2.1]", "adresse IP entre crochets"),
    ('"ana b"@example.com', "entre guillemets"),
    ("ana@" + "a" * 250 + ".com", "trop longue après le @ (1 caractère de trop)"),
    ("a" * 300 + "@example.com", "trop longue (58 caractères de trop)"),
    ("ana@exa\u00admple.com", "caractères non autorisés : U+00AD (trait d’union conditionnel)."),
    ("ana\uff20example.com", "un @ pleine chasse"),  # as a Japanese or Chinese keyboard types it
])
def test_the_french_apply_page_explains_a_mistyped_email_in_french(
    client: FlaskClient, email: str, french: str
) -> None:
    shown = _post_french_page(client, {"first_name": "Zoé", "email": email})
    error = re.search(r'<p class="field-error" id="email-error">(.*?)</p>', shown, re.DOTALL)
    assert error is not None
    assert french in error[1] and "@-sign" not in error[1]


def test_json_sent_as_a_form_is_told_its_content_type(client: FlaskClient, db: Database) -> None:
    # What `curl -d '{...}'` without -H sends, and jQuery's $.ajax with its default contentType.
    body = json.dumps(lead_payload())
    response = client.post("/api/leads", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.get_json()["errors"] == {
        "Content-Type": ["The body is JSON: send it with Content-Type: application/json."]}
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("body", ["first_name=%7B&email=zoe%40example.com", "first_name={Zoé}&email=zoe@example.com"])
def test_a_form_whose_values_hold_braces_is_still_a_form(client: FlaskClient, db: Database, body: str) -> None:
    response = client.post("/api/leads", data=body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201


@pytest.mark.parametrize(("typed", "codes"), [
    ("France / Ireland", ["FR", "IE"]), ("British and Irish", ["GB", "IE"]), ("France et Irlande", ["FR", "IE"]),
    ("Mexique; Espagne", ["MX", "ES"]), ("UK & US", ["GB", "US"]),
    # One country whose name holds a separator word, and one Canadian who says so with a hyphen.
    ("Trinidad and Tobago", ["TT"]), ("French-Canadian", []),
])
def test_a_free_text_citizenship_field_listing_countries_is_read(
    client: FlaskClient, db: Database, typed: str, codes: list[str]
) -> None:
    assert post_json(client, lead_payload(citizenships=typed, country_of_residence=None)).status_code == 201
    lead = _lead(db)
    assert lead.citizenships == codes
    assert lead.unknown_countries == ([] if codes else [typed])


def test_a_list_with_one_unread_part_is_kept_as_typed(client: FlaskClient, db: Database) -> None:
    assert post_json(client, lead_payload(citizenships="France and Atlantis")).status_code == 201
    assert (_lead(db).citizenships, _lead(db).unknown_countries) == ([], ["France and Atlantis"])


@pytest.mark.parametrize(("typed", "code"), [("Paris, France", "FR"), ("Montréal, Canada", "CA"),
                                             ("Seoul, South Korea", "KR"), ("Korea, Republic of", "KR")])
def test_a_residence_written_after_the_city_is_read(client: FlaskClient, db: Database, typed: str, code: str) -> None:
    assert post_json(client, lead_payload(country_of_residence=typed)).status_code == 201
    assert (_lead(db).country_of_residence, _lead(db).unknown_countries) == (code, [])


PROMISE = {"en": "You will also receive an email confirming what you told us",
           "fr": "Vous recevrez aussi un courriel qui reprend ce que vous nous avez dit"}


def _send_apply_page(client: FlaskClient, hidden: dict[str, str], **answers: str) -> str:
    response = post_form(client, {**hidden, **answers}, headers={"Accept": "text/html"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_send_button_clicked_twice_lands_on_the_same_thank_you_page(
    client: FlaskClient, db: Database, language: str
) -> None:
    page = client.get(f"/apply?lang={language}").get_data(as_text=True)
    hidden = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    answers = {"first_name": "Chloé", "email": "chloe@example.fr", "message": "Bonjour"}
    first = _send_apply_page(client, hidden, **answers)
    again = _send_apply_page(client, hidden, **answers)
    assert PROMISE[language] in first and PROMISE[language] in again
    assert counts(db)["inquiries"] == 1
    # A replay of a known lead's later inquiry still promises nothing, as that inquiry did not.
    later = {**answers, "message": "Une autre question"}
    assert PROMISE[language] not in _send_apply_page(client, hidden, **later)
    assert PROMISE[language] not in _send_apply_page(client, hidden, **later)


def test_a_replayed_honeypot_post_is_promised_nothing(client: FlaskClient) -> None:
    page = client.get("/apply").get_data(as_text=True)
    hidden = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    answers = {"first_name": "Bot", "email": "bot@example.com", "website": "http://spam.example"}
    assert PROMISE["en"] not in _send_apply_page(client, hidden, **answers)
    assert PROMISE["en"] not in _send_apply_page(client, hidden, **answers)


@pytest.mark.parametrize("wording", ["\u200b", "\u00a0\u200d", "\ufeff\u2060"])
def test_an_invisible_consent_wording_proves_no_express_consent(
    client: FlaskClient, db: Database, wording: str
) -> None:
    payload = lead_payload(consent_marketing=True, consent_text=wording)
    response = post_json(client, payload)
    assert response.status_code == 201
    with db.session() as session:
        consent = session.scalars(select(ConsentRecord)).one()
        assert (consent.kind, consent.wording) == ("implied", None)
        inquiry = session.scalars(select(Inquiry)).one()
        assert {"note": "consent-without-wording"} in inquiry.normalised["notes"]
        assert inquiry.raw_body == json.dumps(payload).encode()  # as sent
