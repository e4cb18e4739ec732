"""Cases found by a website integrator trying POST /api/leads (seventh session).

Each test here failed before its fix.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.config import Settings
from crm.db import Database
from crm.models import ConsentRecord, Inquiry, Lead
from tests.conftest import make_app
from tests.intake.helpers import counts, lead_payload, post_json
from tests.intake.test_apply_page import _form_fields

SECRET = "whsec_test_0123456789"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def secret_client(settings: Settings, db: Database) -> FlaskClient:
    return make_app(settings, db, webhook_secret=SECRET).test_client()


# 1. A bad or missing form token

@pytest.mark.parametrize("token", ["garbled", "eyJsYW5nIjoiZW4ifQ.abc.def", "", None])
def test_a_browser_form_post_with_a_bad_or_missing_token_gets_the_form_again(
    secret_client: FlaskClient, db: Database, token: str | None
) -> None:
    fields = {"first_name": "Chloé", "email": "chloe@example.fr", "message": "Bonjour",
              "preferred_language": "fr"}
    if token is not None:
        fields["form_token"] = token
    response = secret_client.post("/api/leads", data=fields, headers=BROWSER, content_type=FORM)
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and response.mimetype == "text/html"
    assert "ce formulaire n&#39;a pas pu être vérifié" in html
    assert "X-CRM-Signature" not in html and "4 heures" not in html
    assert 'value="Chloé"' in html and "Bonjour" in html
    assert counts(db)["inquiries"] == 0
    # The fresh token it carries lets the visitor send it again
    again = secret_client.post("/api/leads", data={**_form_fields(html), "first_name": "Chloé",
                                                   "email": "chloe@example.fr"},
                               headers=BROWSER, content_type=FORM)
    assert again.status_code == 303
    assert counts(db)["inquiries"] == 1


def test_the_form_shown_again_for_a_bad_token_is_in_the_browsers_language(secret_client: FlaskClient) -> None:
    response = secret_client.post("/api/leads", data={"first_name": "Ana", "email": "ana@example.com",
                                                      "form_token": "garbled"},
                                  headers={**BROWSER, "Accept-Language": "en-CA,en;q=0.9"}, content_type=FORM)
    assert response.status_code == 401
    assert "this form could not be verified" in response.get_data(as_text=True)


@pytest.mark.parametrize("content_type", [FORM, "application/json"])
def test_a_script_posting_a_bad_form_token_is_told_about_the_token(
    secret_client: FlaskClient, db: Database, content_type: str
) -> None:
    fields = {"first_name": "Ana", "email": "ana@example.com", "form_token": "garbled"}
    data = json.dumps(fields) if content_type == "application/json" else fields
    response = secret_client.post("/api/leads", data=data, content_type=content_type)
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.json == {"errors": {"form_token": [  # type: ignore[comparison-overlap]
        "The form token is not valid; reload the form and send it again."]}}
    assert counts(db)["inquiries"] == 0


def test_a_script_posting_an_expired_form_token_is_told_it_expired(
    secret_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_hours_ago = time.time() - 5 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: five_hours_ago)
        hidden = _form_fields(secret_client.get("/apply").get_data(as_text=True))
    response = secret_client.post("/api/leads", data={**hidden, "first_name": "Ana", "email": "ana@example.com"},
                                  content_type=FORM)
    assert response.status_code == 401
    assert "has expired" in response.json["errors"]["form_token"][0]  # type: ignore[index]


def test_a_script_without_a_form_token_still_gets_the_signature_error(secret_client: FlaskClient) -> None:
    response = secret_client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json")
    assert response.status_code == 401 and "X-CRM-Signature" in response.json["errors"]  # type: ignore[index]


# 2. A full textarea, its line breaks sent as CRLF

@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_full_textarea_with_crlf_line_breaks_is_within_the_limit_and_stored_as_sent(
    client: FlaskClient, db: Database
) -> None:
    # maxlength=5000 counts a line break as one character; the browser sends it as CRLF
    message = "Ninechars\r\n" * 499 + "Tenchars.."
    assert len(message) - message.count("\r\n") == 5000
    body = urlencode({"first_name": "Ana", "email": "ana@example.com", "message": message})
    response = client.post("/api/leads", data=body, headers=BROWSER, content_type=FORM)
    assert response.status_code == 303, response.get_data(as_text=True)
    with db.session() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        assert inquiry.raw_body == body.encode()
        assert inquiry.payload["message"] == message


@pytest.mark.parametrize(("field", "limit"), [("message", 5000), ("consent_text", 2000)])
def test_a_multi_line_field_one_character_over_its_limit_is_still_refused(
    client: FlaskClient, db: Database, field: str, limit: int
) -> None:
    value = "ab\r\n" * (limit // 3) + "x" * (limit - (limit // 3) * 3 + 1)
    assert len(value) - value.count("\r\n") == limit + 1
    response = post_json(client, lead_payload(**{field: value}))
    assert response.status_code == 422
    assert response.json["errors"] == {field: [f"Must be at most {limit} characters."]}  # type: ignore[index]
    within = value[:-1]
    assert post_json(client, lead_payload(**{field: within})).status_code == 201


# 3. JSON in another charset than UTF-8

@pytest.mark.parametrize(("charset", "body"), [
    ("latin-1", '{"first_name": "Zoë", "email": "zoe@example.de"}'.encode("latin-1")),
    ("ISO-8859-1", '{"first_name": "Zoë", "email": "zoe@example.de"}'.encode("latin-1")),
    ("utf-16", '{"first_name": "Zoe", "email": "zoe@example.de"}'.encode("utf-16")),
    ("utf-16le", '{"first_name": "Zoe", "email": "zoe@example.de"}'.encode("utf-16-le")),
])
def test_json_in_another_charset_is_a_415_naming_the_content_type(
    client: FlaskClient, db: Database, charset: str, body: bytes
) -> None:
    response = client.post("/api/leads", data=body, content_type=f"application/json; charset={charset}")
    assert response.status_code == 415
    errors = response.json["errors"]  # type: ignore[index]
    assert list(errors) == ["Content-Type"] and "UTF-8" in errors["Content-Type"][0]
    assert charset in errors["Content-Type"][0]
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8",
    "application/json;charset=utf8", "application/json; charset=\"Utf-8\"",
    # A charset has no effect on JSON (RFC 8259): a UTF-8 body under another name is read as before
    "application/json; charset=latin-1",
])
def test_json_in_utf8_is_accepted_whatever_its_charset_parameter(
    client: FlaskClient, db: Database, content_type: str
) -> None:
    body = '{"first_name": "Zoë", "email": "zoe@example.de"}'.encode()
    response = client.post("/api/leads", data=body, content_type=content_type)
    assert response.status_code == 201, response.get_data(as_text=True)


def test_broken_utf8_json_without_a_foreign_charset_is_still_a_400(client: FlaskClient) -> None:
    response = client.post("/api/leads", data=b'{"first_name": "Zo\xeb", "email": "zoe@example.de"}',
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 400 and response.json == {  # type: ignore[comparison-overlap]
        "errors": {"body": ["The body is not valid UTF-8."]}}


# 4. A name of invisible characters only

INVISIBLE = ["\u200b", "\u200d\u200c", "\u00ad", "\ufeff", "\u2060\u200b", "\u3000\u200b", "\u034f", "\ufe0f",
             "\u200e"]


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_first_name_of_invisible_characters_is_refused_as_empty(client: FlaskClient, db: Database,
                                                                   name: str) -> None:
    response = post_json(client, lead_payload(first_name=name))
    assert response.status_code == 422
    assert response.json["errors"] == {"first_name": ["This field is required."]}  # type: ignore[index]
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_last_name_of_invisible_characters_is_left_empty(client: FlaskClient, db: Database, name: str) -> None:
    assert post_json(client, lead_payload(last_name=name)).status_code == 201
    with db.session() as session:
        assert session.scalars(select(Lead.last_name)).one() is None


@pytest.mark.parametrize("name", ["Ana\u200b", "\u0646\u0648\u06cc\u062f\u200c\u0631\u0636\u0627", "\u0915\u093c",
                                  "Zoe\u0308"])
def test_names_with_joiners_or_marks_among_their_letters_are_kept(client: FlaskClient, name: str) -> None:
    assert post_json(client, lead_payload(first_name=name)).status_code == 201


def test_the_apply_page_shows_an_invisible_first_name_as_missing_in_french(client: FlaskClient,
                                                                           db: Database) -> None:
    hidden = _form_fields(client.get("/apply?lang=fr").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "\u200b", "email": "chloe@example.fr"},
                           headers=BROWSER, content_type=FORM)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert 'id="first_name-error"' in response.get_data(as_text=True)
    assert counts(db)["inquiries"] == 0


# 5. CORS answers vary with the Origin

@pytest.mark.parametrize("origins", [["https://maple.example"], ["https://maple.example", "https://other.example"]])
@pytest.mark.parametrize("origin", ["https://maple.example", "HTTPS://Maple.example", "https://evil.example", None])
def test_every_answer_of_the_cors_endpoint_varies_with_the_origin(
    settings: Settings, db: Database, origins: list[str], origin: str | None
) -> None:
    client = make_app(settings, db, allowed_origins=origins).test_client()
    headers = {"Origin": origin} if origin else {}
    answers = [
        client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json", headers=headers),
        client.post("/api/leads", data="first_name=&email=x", content_type=FORM, headers={**headers, **BROWSER}),
        client.options("/api/leads", headers={**headers, "Access-Control-Request-Method": "POST"}),
    ]
    for response in answers:
        assert "origin" in response.vary, (response.status_code, response.headers)
    if origin and origin != "https://evil.example":
        assert answers[0].headers["Access-Control-Allow-Origin"] == origin


def test_pages_outside_the_cors_endpoint_do_not_vary_with_the_origin(settings: Settings, db: Database) -> None:
    client = make_app(settings, db, allowed_origins=["https://maple.example"]).test_client()
    assert "origin" not in client.get("/apply", headers={"Origin": "https://maple.example"}).vary


# 6. The signature is made over `t` as sent

def _signed(client: FlaskClient, body: bytes, header: str) -> FlaskClient:
    return client.post("/api/leads", data=body, content_type="application/json",  # type: ignore[return-value]
                       headers={"X-CRM-Signature": header})


def _hmac(body: bytes, prefix: str) -> str:
    return hmac.new(SECRET.encode(), prefix.encode() + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("written", ["0{t}", "00{t}", "+{t}", "{t}_0", " +{t}"])
def test_a_timestamp_written_otherwise_than_it_was_signed_is_refused(
    secret_client: FlaskClient, db: Database, written: str
) -> None:
    body = json.dumps(lead_payload()).encode()
    t = str(int(time.time()))
    response = _signed(secret_client, body, f"t={written.format(t=t)},v1={_hmac(body, f'{t}.')}")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "X-CRM-Signature" in response.json["errors"]  # type: ignore[attr-defined]
    assert counts(db)["inquiries"] == 0


def test_the_signature_is_checked_over_t_exactly_as_sent(secret_client: FlaskClient, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    t = "0" + str(int(time.time()))
    assert _signed(secret_client, body, f"t={t},v1={_hmac(body, f'{t}.')}").status_code == 201  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["t={t},v0={digest}", "t={t},v2={digest},v0=00", "t={t}", "t={t},v1"])
def test_a_header_without_a_v1_value_is_malformed_not_a_mismatch(secret_client: FlaskClient, header: str) -> None:
    body = json.dumps(lead_payload()).encode()
    t = str(int(time.time()))
    response = _signed(secret_client, body, header.format(t=t, digest=_hmac(body, f"{t}.")))
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.json["errors"]["X-CRM-Signature"] == [  # type: ignore[attr-defined]
        "The signature header must look like t=<unix seconds>,v1=<hex>."]


# 7. Booleans are trimmed like the other fields

@pytest.mark.parametrize(("sent", "read"), [(" yes ", True), ("\ttrue\n", True), (" 1", True), ("no ", False),
                                            (" oui ", True), (" Non", False), (" on ", True)])
def test_a_boolean_with_surrounding_whitespace_is_read(client: FlaskClient, db: Database, sent: str,
                                                       read: bool) -> None:
    response = post_json(client, lead_payload(consent_marketing=sent, job_offer=sent))
    assert response.status_code == 201, response.get_data(as_text=True)
    with db.session() as session:
        consent = session.scalars(select(ConsentRecord)).one()
        assert (consent.kind == "express") is read


def test_a_form_boolean_with_surrounding_whitespace_is_read(client: FlaskClient) -> None:
    response = client.post("/api/leads", data={"first_name": "Ana", "email": "ana@example.com",
                                               "studied_in_canada": " yes "}, content_type=FORM)
    assert response.status_code == 201, response.get_data(as_text=True)


# 8. The thank-you page promises the automatic answer only when it will come

PROMISE = {"en": "You will also receive an email confirming what you told us",
           "fr": "Vous recevrez aussi un courriel qui reprend ce que vous nous avez dit"}


def _apply(client: FlaskClient, language: str, **answers: str) -> str:
    """Send the /apply page in `language` as a browser does; the thank-you page it lands on."""
    hidden = _form_fields(client.get(f"/apply?lang={language}").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, **answers}, headers=BROWSER, content_type=FORM)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_new_lead_is_promised_the_answer_email_and_a_known_one_is_not(
    client: FlaskClient, db: Database, language: str
) -> None:
    first = _apply(client, language, first_name="Chloé", email="chloe@example.fr", message="Bonjour")
    assert PROMISE[language] in first
    again = _apply(client, language, first_name="Chloé", email="Chloe@example.fr", message="Une autre question")
    assert PROMISE[language] not in again
    assert ("consultant" in again) and counts(db)["inquiries"] == 2


def test_a_lead_who_unsubscribed_and_writes_again_is_not_promised_the_answer_email(
    client: FlaskClient, db: Database
) -> None:
    from crm.db import utcnow
    from crm.sequences.unsubscribe import unsubscribe

    assert PROMISE["fr"] in _apply(client, "fr", first_name="Chloé", email="chloe@example.fr")
    with db.transaction() as session:
        unsubscribe(session, session.scalars(select(Lead)).one(), "test", utcnow())
    assert PROMISE["fr"] not in _apply(client, "fr", first_name="Chloé", email="chloe@example.fr",
                                       consent_marketing="yes", message="De nouveau")


def test_a_new_lead_whose_address_bounced_before_is_not_promised_the_answer_email(client: FlaskClient,
                                                                                 db: Database) -> None:
    from crm.db import utcnow
    from crm.sequences.unsubscribe import suppress

    with db.transaction() as session:
        suppress(session, "ana@example.com", "bounced", "test", utcnow())
    assert PROMISE["en"] not in _apply(client, "en", first_name="Ana", email="ana@example.com")


def test_the_thank_you_page_makes_no_promise_by_itself(client: FlaskClient) -> None:
    assert PROMISE["en"] not in client.get("/apply/thanks").get_data(as_text=True)
    assert PROMISE["en"] in client.get("/apply/thanks?reply=email").get_data(as_text=True)
