"""Cases found by a website integrator posting to a running `crm run` / `crm web` (fifth session).

Each test here failed before its fix.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm import MAX_BODY_BYTES
from crm.config import Settings
from crm.db import Database
from crm.models import ConsentRecord, Inquiry, Lead
from tests.conftest import make_app
from tests.intake.helpers import counts, lead_payload, post_json
from tests.intake.test_apply_page import _form_fields
from tests.intake.test_blackbox_intake import _BrowserForm


def _submitted(html: str, name: str) -> list[str]:
    """The values a browser would submit for `name` from this page as shown."""
    parser = _BrowserForm()
    parser.feed(html)
    return [value for field, value in parser.pairs if field == name]


def _post_streamed(client: FlaskClient, body: bytes, content_type: str) -> object:
    """A body sent chunked, as a proxy or a browser's fetch stream does: no Content-Length; the server
    marks the stream as terminated (gunicorn and werkzeug's server set wsgi.input_terminated)."""
    return client.post("/api/leads", input_stream=io.BytesIO(body), content_type=content_type,
                       headers={"Transfer-Encoding": "chunked", "Accept": "application/json"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_a_413_not_cut_short_and_stored(client: FlaskClient,
                                                                          db: Database) -> None:
    body = (b"first_name=Ana&email=ana%40example.com&__VIEWSTATE=" + b"A" * MAX_BODY_BYTES
            + b"&citizenships=France&consent_marketing=yes&consent_text=I+agree")
    response = _post_streamed(client, body, "application/x-www-form-urlencoded")
    assert response.status_code == 413, response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert counts(db)["inquiries"] == 0


def test_a_chunked_body_at_the_limit_is_accepted_whole(client: FlaskClient, db: Database) -> None:
    head = b"first_name=Ana&email=ana%40example.com&citizenships=France&notes="
    body = head + b"A" * (MAX_BODY_BYTES - len(head))
    response = _post_streamed(client, body, "application/x-www-form-urlencoded")
    assert response.status_code == 201, response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert counts(db)["inquiries"] == 1


def _stale_form_fields(client: FlaskClient, language: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The hidden fields of our /apply page as rendered five hours ago (its token now expired)."""
    five_hours_ago = time.time() - 5 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: five_hours_ago)
        return _form_fields(client.get(f"/apply?lang={language}").get_data(as_text=True))


def test_an_expired_apply_page_comes_back_with_the_answers_not_as_json(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a webhook secret (so an unsigned post needs a valid form token) and a French /apply page
    # left open for five hours
    client = make_app(settings, db, webhook_secret="whsec_test_0123456789").test_client()
    hidden = _stale_form_fields(client, "fr", monkeypatch)
    response = client.post("/api/leads", data={**hidden, "first_name": "Chloé", "email": "chloe@example.fr",
                                               "citizenships": ["FR", "BE"], "phone": "+33 6 12 34 56 78"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    # Then the visitor gets the French page again, answers in place, a fresh token and a French notice
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert "Cette page est restée ouverte plus de 4 heures" in html
    assert 'value="Chloé"' in html and 'value="chloe@example.fr"' in html
    assert _form_fields(html)["form_token"] != hidden["form_token"]
    assert counts(db)["inquiries"] == 0
    # And sent again, it is accepted
    again = client.post("/api/leads", data={**_form_fields(html), "first_name": "Chloé", "email": "chloe@example.fr",
                                            "citizenships": ["FR", "BE"]},
                        headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert again.status_code == 303
    assert counts(db)["inquiries"] == 1


def test_an_invalid_post_from_an_expired_apply_page_shows_the_page_with_its_errors(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No webhook secret: the expired token is not needed to post, but the page still comes back
    hidden = _stale_form_fields(client, "en", monkeypatch)
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "not-an-email"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_a_token_we_did_not_sign_is_not_taken_for_our_page(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, webhook_secret="whsec_test_0123456789").test_client()
    response = client.post("/api/leads", data={"form_token": "forged.token", "first_name": "Ana",
                                               "email": "ana@example.com"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    # A browser gets the form again, but not as a page of ours left open too long
    assert response.status_code == 401 and response.mimetype == "text/html"
    assert "this form could not be verified" in response.get_data(as_text=True)
    assert "4 hours" not in response.get_data(as_text=True)
    assert counts(db)["inquiries"] == 0


def test_the_apply_page_shown_again_keeps_both_citizenships(client: FlaskClient) -> None:
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "bad",
                                               "citizenships": ["IE", "FR"], "country_of_residence": "BE"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _submitted(html, "citizenships") == ["IE", "FR"]
    assert _submitted(html, "country_of_residence") == ["BE"]


@pytest.mark.parametrize(("typed", "code"), [
    ("B.C.", "BC"), ("Que.", "QC"), ("Qué.", "QC"), ("Ont.", "ON"), ("N.S.", "NS"), ("P.E.I.", "PE"),
    ("Alta", "AB"), ("Sask.", "SK"), ("Man.", "MB"), ("Nfld", "NL"), ("C.-B.", "BC"), ("T.-N.-L.", "NL"),
    ("Î.-P.-É.", "PE"), ("N.W.T.", "NT"), ("T.N.-O.", "NT"), ("Qc", "QC"), ("Y.T.", "YT"), ("Terre-Neuve", "NL"),
    ("Î.-du-P.-É.", "PE"),
])
def test_everyday_province_abbreviations_are_read(client: FlaskClient, db: Database, typed: str, code: str) -> None:
    response = post_json(client, lead_payload(job_offer=True, job_offer_province=typed))
    assert response.status_code == 201, response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(Lead.facts)).one()["job_offer_province"] == code


def test_a_province_we_cannot_read_keeps_the_lead_with_a_note(client: FlaskClient, db: Database) -> None:
    response = post_json(client, lead_payload(job_offer=True, job_offer_province="Texas"))
    assert response.status_code == 201
    with db.session() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        assert inquiry.payload["job_offer_province"] == "Texas"
        assert {"note": "province-not-read", "typed": "Texas"} in inquiry.normalised["notes"]
        assert "job_offer_province" not in session.scalars(select(Lead.facts)).one()


def test_the_same_submission_with_the_email_in_other_letter_case_is_a_replay(client: FlaskClient,
                                                                              db: Database) -> None:
    first = post_json(client, lead_payload(email="Aoife.Murphy@Example.ie"))
    again = post_json(client, lead_payload(email="aoife.murphy@example.ie"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert counts(db)["inquiries"] == 1
    # A different submission from the same person is still a new inquiry on the same lead
    other = post_json(client, lead_payload(email="AOIFE.MURPHY@example.ie", message="One more question."))
    assert other.status_code == 201 and other.json is not None and other.json["id"] == first.json["id"]  # type: ignore[index]


def test_a_form_in_the_charset_its_content_type_names_is_read_in_that_charset(client: FlaskClient,
                                                                              db: Database) -> None:
    body = "first_name=Zoë&last_name=Müller&email=zoe@example.de&citizenships=Deutschland".encode("cp1252")
    response = client.post("/api/leads", data=body,
                           content_type="application/x-www-form-urlencoded; charset=windows-1252")
    assert response.status_code == 201, response.get_data(as_text=True)
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.first_name, lead.last_name) == ("Zoë", "Müller")
        assert session.scalars(select(Inquiry.raw_body)).one() == body


def test_a_form_that_is_not_utf8_is_told_how_to_fix_it(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads", data=b"first_name=Zo\xeb&email=zoe@example.de",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json == {"errors": {"body": [
        'The form data is not valid UTF-8 (on the website\'s form, add accept-charset="UTF-8").']}}
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("charset", ["klingon", "hex", "rot13", "utf-16", "cp037", "utf-7", "unicode_escape", "idna"])
def test_a_charset_that_is_not_a_text_encoding_is_a_415(client: FlaskClient, db: Database, charset: str) -> None:
    response = client.post("/api/leads", data=b"first_name=Zoe&email=zoe@example.de",
                           content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 415 and "Content-Type" in response.json["errors"]  # type: ignore[index]
    assert counts(db)["inquiries"] == 0


def test_the_thank_you_page_takes_the_language_in_any_letter_case(client: FlaskClient) -> None:
    assert "Merci" in client.get("/apply/thanks?lang=FR").get_data(as_text=True)


@pytest.mark.parametrize("name", ["Ana\u202egnp.exe", "Ana\u2066x\u2069", "A\x85na", "A\x9bna"])
def test_names_refuse_bidi_overrides_and_c1_controls(client: FlaskClient, db: Database, name: str) -> None:
    response = post_json(client, lead_payload(first_name=name))
    assert response.status_code == 422 and response.json is not None
    assert set(response.json["errors"]) == {"first_name"}
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("name", ["محمد", "שרה", "Zoë", "李小龍", "O'Brien-Ní Bhriain"])
def test_names_in_any_script_are_still_accepted(client: FlaskClient, name: str) -> None:
    assert post_json(client, lead_payload(first_name=name)).status_code == 201


def test_a_known_leads_province_is_forgotten_when_a_new_inquiry_names_one_we_cannot_read(
    client: FlaskClient, db: Database
) -> None:
    assert post_json(client, lead_payload(job_offer=True, job_offer_province="QC")).status_code == 201
    assert post_json(client, lead_payload(job_offer=True, job_offer_province="Kebec?",
                                          message="New offer")).status_code == 201
    with db.session() as session:
        assert "job_offer_province" not in session.scalars(select(Lead.facts)).one()


def test_a_valid_apply_page_with_a_bad_signature_header_is_not_called_expired(settings: Settings,
                                                                               db: Database) -> None:
    client = make_app(settings, db, webhook_secret="whsec_test_0123456789").test_client()
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "ana@example.com"},
                           headers={"Accept": "text/html", "X-CRM-Signature": "t=1,v1=00"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401 and response.mimetype == "application/json"


def test_an_expired_apply_page_from_a_listed_origin_is_shown_again_on_a_403(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_app(settings, db, allowed_origins=["https://maple.example"]).test_client()
    hidden = _stale_form_fields(client, "en", monkeypatch)
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "ana@example.com"},
                           headers={"Accept": "text/html", "Origin": "https://elsewhere.example"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "open for more than 4 hours" in response.get_data(as_text=True)
    assert counts(db)["inquiries"] == 0


def test_an_expired_apply_page_accepted_without_a_secret_keeps_the_wording_we_showed(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = _stale_form_fields(client, "fr", monkeypatch)
    response = client.post("/api/leads", data={**hidden, "consent_text": "Something else entirely",
                                               "first_name": "Chloé", "email": "chloe@example.fr",
                                               "consent_marketing": "yes"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    with db.session() as session:
        consent = session.scalars(select(ConsentRecord)).one()
        assert consent.wording is not None and consent.wording.startswith("Oui, ")


def test_a_form_posted_to_the_french_address_is_french_in_any_letter_case(client: FlaskClient,
                                                                           db: Database) -> None:
    response = client.post("/api/leads?lang=FR", data={"first_name": "Chloé", "email": "chloe@example.fr"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    with db.session() as session:
        assert session.scalars(select(Lead.preferred_language)).one() == "fr"


def test_a_listed_origin_is_recognised_in_any_letter_case(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, webhook_secret="whsec_test_0123456789",
                      allowed_origins=["https://www.maple.example/"]).test_client()
    preflight = client.options("/api/leads", headers={"Origin": "https://WWW.Maple.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("Access-Control-Allow-Origin")
    response = post_json(client, lead_payload(), headers={"Origin": "https://WWW.Maple.example"})
    assert response.status_code == 201


def test_no_cors_header_is_sent_to_a_request_without_an_origin(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, allowed_origins=["https://www.maple.example"]).test_client()
    response = post_json(client, lead_payload())
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(("override", "field", "message"), [
    ({"age": 121}, "age", "Must be at most 120."),
    ({"age": -1}, "age", "Must be at least 0."),
    ({"preferred_language": "de"}, "preferred_language", "Must be one of: 'en', 'fr'."),
    ({"age": "9" * 5000}, "age", "Must be a whole number."),
])
def test_errors_are_in_the_projects_words_not_pydantics(client: FlaskClient, override: dict[str, object],
                                                         field: str, message: str) -> None:
    response = post_json(client, lead_payload(**override))
    assert response.status_code == 422 and response.json is not None
    assert response.json["errors"][field] == [message]


def test_the_french_apply_page_translates_errors_with_values(client: FlaskClient) -> None:
    hidden = _form_fields(client.get("/apply?lang=fr").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Chloé", "email": "chloe@example.fr",
                                               "english_ability": "fluent"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Doit être l&#39;une des valeurs : &#39;none&#39;, &#39;basic&#39;" in html or \
        "Doit être l'une des valeurs : 'none', 'basic'" in html


def test_the_apply_page_shown_again_keeps_the_consent_box_the_visitor_ticked(client: FlaskClient) -> None:
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "bad",
                                               "consent_marketing": "yes"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert _submitted(response.get_data(as_text=True), "consent_marketing") == ["yes"]
    # and the page as first shown never has it ticked
    assert _submitted(client.get("/apply").get_data(as_text=True), "consent_marketing") == []


def test_errors_of_fields_the_page_does_not_show_are_listed(client: FlaskClient) -> None:
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "ana@example.com",
                                               "age": "abc", "noc_code": "12"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<code>age</code>: Must be a whole number." in html
    assert "<code>noc_code</code>: Must be a NOC 2021 code of five digits." in html


def test_a_name_typed_with_combining_accents_is_stored_composed_and_replays_match(client: FlaskClient,
                                                                                  db: Database) -> None:
    composed = post_json(client, lead_payload(first_name="Zoë", last_name="Ångström"))
    decomposed = post_json(client, lead_payload(first_name="Zoe\u0308", last_name="A\u030angstro\u0308m"))
    assert (composed.status_code, decomposed.status_code) == (201, 200)  # the same submission: a replay
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.first_name, lead.last_name) == ("Zoë", "Ångström")
        # Then the name as German is written without umlauts (crm.text.search_text_of).
        assert (lead.search_text, lead.last_name_key) == ("zoe angstrom zoe angstroem aoife.murphy@example.ie",
                                                          "angstrom")


@pytest.mark.parametrize("website", [False, 0, [], "  "])
def test_an_untouched_honeypot_sent_as_false_zero_or_blank_is_not_spam(client: FlaskClient, db: Database,
                                                                        website: object) -> None:
    assert post_json(client, lead_payload(website=website)).status_code == 201
    with db.session() as session:
        assert session.scalars(select(Inquiry.is_spam)).one() is False


def test_a_stated_age_is_dated_on_the_leads_own_day(client: FlaskClient, db: Database) -> None:
    # 20:00 in Toronto on 26 November is already 27 November in UTC; 09:00 in Auckland on 27 November
    # is still 26 November in UTC
    from datetime import UTC, datetime

    from crm.intake.service import IntakeRequest, receive_inquiry

    cases = [("CA", datetime(2026, 11, 27, 1, 0, tzinfo=UTC), "2026-11-26"),
             ("NZ", datetime(2026, 11, 26, 20, 0, tzinfo=UTC), "2026-11-27")]
    for residence, now, day in cases:
        payload = lead_payload(email=f"ana.{residence.lower()}@example.com", date_of_birth=None, age=30,
                               country_of_residence=residence, citizenships=[residence])
        body = json.dumps(payload).encode()
        with db.transaction() as session:
            result = receive_inquiry(session, IntakeRequest(body=body, content_type="application/json",
                                                            fields=payload), now=now)
        with db.session() as session:
            assert session.get(Lead, result.lead_id).stated_age_on.isoformat() == day  # type: ignore[union-attr]


@pytest.mark.parametrize(("code", "english", "french"), [
    ("KR", "South Korea", "Corée du Sud"), ("TW", "Taiwan", "Taïwan"), ("RU", "Russia", "Russie"),
    ("IR", "Iran", "Iran"), ("KP", "North Korea", "Corée du Nord"), ("FR", "France", "France"),
])
def test_countries_are_shown_by_the_names_people_use(code: str, english: str, french: str) -> None:
    # ISO's French names read "Corée, République de" and "Taïwan, province de Chine" in emails and pages
    from crm.countries import all_country_options, country_name, lookup_country

    assert (country_name(code, "en"), country_name(code, "fr")) == (english, french)
    assert (code, french) in all_country_options("fr")
    match = lookup_country(french)
    assert match is not None and match.code == code
