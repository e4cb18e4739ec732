"""Unsubscribe by the link in the email (page + confirm) and by RFC 8058 one-click POST."""

from __future__ import annotations

import html
import time
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Activity, ConsentKind, ConsentRecord, EnrolmentStatus, Lead, Suppression
from crm.sequences.unsubscribe import TOKEN_MAX_AGE_SECONDS, make_token, read_token
from crm.workspace.accounts import create_user
from crm.workspace.privacy import erase_person
from tests.conftest import make_app
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, count, enrolments, get_lead, new_lead, run_due

SECRET = "test-secret-key-not-for-production"


def _token_from_email(sink: Sink, address: str) -> str:
    [message] = sink.to(address)
    return str(message["List-Unsubscribe"]).strip("<>").rsplit("/unsubscribe/", 1)[1]


def _assert_unsubscribed(db: Database, lead_id: str, email: str, source: str) -> None:
    assert get_lead(db, lead_id).unsubscribed_at is not None
    assert count(db, ConsentRecord, ConsentRecord.lead_id == lead_id, ConsentRecord.kind == ConsentKind.WITHDRAWN.value,
                 ConsentRecord.source == source) == 1
    assert count(db, Suppression, Suppression.email_key == email, Suppression.reason == "unsubscribed") == 1
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "unsubscribed"
    assert "unsubscribed" in activity_kinds(db, lead_id)


def test_unsubscribe_by_link_then_confirm(client: FlaskClient, db: Database, smtp_settings: Settings,
                                          sink: Sink) -> None:
    # Given a lead who received the first email
    lead_id = new_lead(db, email="leave@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    token = _token_from_email(sink, "leave@example.ie")
    # When the lead opens the link: a confirmation page that changes nothing (mail scanners open links)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Yes, unsubscribe me" in page.get_data(as_text=True)
    assert get_lead(db, lead_id).unsubscribed_at is None
    # And confirms
    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    # Then it takes effect at once and is recorded with its time and source
    _assert_unsubscribed(db, lead_id, "leave@example.ie", "unsubscribe-link")
    # And no later step is sent
    assert run_due(db, smtp_settings, transport, T0 + timedelta(days=30)) == []
    transport.close()
    assert len(sink.to("leave@example.ie")) == 1
    # And a second visit says it is done, without a second record
    assert "You are unsubscribed" in client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    client.post(f"/unsubscribe/{token}")
    assert count(db, ConsentRecord, ConsentRecord.lead_id == lead_id,
                 ConsentRecord.kind == ConsentKind.WITHDRAWN.value) == 1


def test_one_click_unsubscribe(client: FlaskClient, db: Database, smtp_settings: Settings, sink: Sink) -> None:
    lead_id = new_lead(db, email="oneclick@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    transport.close()
    token = _token_from_email(sink, "oneclick@example.ie")
    # When the mail provider posts the RFC 8058 body to the List-Unsubscribe URL (no cookies, no CSRF token)
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    _assert_unsubscribed(db, lead_id, "oneclick@example.ie", "one-click")


def test_the_french_page_is_in_french(client: FlaskClient, db: Database, smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="fr@example.fr", preferred_language="fr", citizenships=["France"])
    page = client.get(f"/unsubscribe/{make_token(SECRET, lead_id)}").get_data(as_text=True)
    assert "Ne plus recevoir nos courriels\u00a0?" in page and "Oui, me désabonner" in page
    assert "fr@example.fr" not in page  # the address is masked


@pytest.mark.parametrize(("language", "name", "expected"), [
    ("fr", "Érable Immigration Conseil Inc.", "Vous ne recevrez plus de courriels d'Érable Immigration Conseil Inc."),
    ("fr", "Maple Route Immigration", "Vous ne recevrez plus de courriels de Maple Route Immigration"),
    ("en", "Érable Immigration Conseil Inc.", "You will no longer receive emails from Érable Immigration Conseil Inc."),
])
def test_the_page_elides_de_before_a_business_name_with_a_vowel(settings: Settings, db: Database, language: str,
                                                                 name: str, expected: str) -> None:
    app = make_app(settings, db, business_name=name)
    lead_id = new_lead(db, email=f"elide.{language}.{len(name)}@example.fr", preferred_language=language)
    page = app.test_client().get(f"/unsubscribe/{make_token(SECRET, lead_id)}").get_data(as_text=True)
    assert expected in html.unescape(page), page


def test_a_forged_or_broken_link_does_nothing(client: FlaskClient, db: Database, smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="safe@example.ie")
    forged = make_token("another-secret", lead_id)
    assert client.get(f"/unsubscribe/{forged}").status_code == 404
    assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert client.post("/unsubscribe/garbage", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert get_lead(db, lead_id).unsubscribed_at is None


def test_links_stay_valid_for_at_least_60_days() -> None:
    token = make_token(SECRET, "lead-1")
    assert read_token(SECRET, token, now=time.time() + 90 * 86400) == "lead-1"
    assert TOKEN_MAX_AGE_SECONDS >= 60 * 86400
    assert read_token(SECRET, token, now=time.time() + TOKEN_MAX_AGE_SECONDS + 86400) is None


def _old_token(monkeypatch: pytest.MonkeyPatch, lead_id: str, days: int) -> str:
    signed = int(time.time()) - days * 86400
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: signed)
        return make_token(SECRET, lead_id)


@pytest.mark.parametrize(("language", "expired", "not_there"), [
    ("fr", "Ce lien de désabonnement a expiré", "This unsubscribe link"),
    ("en", "This unsubscribe link has expired", "Ce lien de désabonnement"),
])
def test_an_expired_link_says_so_in_the_leads_language(client: FlaskClient, db: Database,
                                                        monkeypatch: pytest.MonkeyPatch, language: str,
                                                        expired: str, not_there: str) -> None:
    # Given a genuine link from an email sent more than a year ago (lead trial: a French lead read, in English only,
    # that the link "may be incomplete")
    lead_id = new_lead(db, email=f"old.{language}@example.fr", preferred_language=language, citizenships=["France"])
    token = _old_token(monkeypatch, lead_id, TOKEN_MAX_AGE_SECONDS // 86400 + 30)
    for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 410 and expired in page and not_there not in page, page
    one_click = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 410
    # Then it changes nothing, and a link within the year still works
    assert get_lead(db, lead_id).unsubscribed_at is None
    recent = _old_token(monkeypatch, lead_id, 90)
    assert client.post(f"/unsubscribe/{recent}").status_code == 200
    assert get_lead(db, lead_id).unsubscribed_at is not None


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_that_is_not_ours_is_explained_in_english_and_french(client: FlaskClient, db: Database,
                                                                    method: str) -> None:
    lead_id = new_lead(db, email=f"tampered.{method}@example.fr", preferred_language="fr", citizenships=["France"])
    token = make_token(SECRET, lead_id)
    tampered = token.rsplit(".", 1)[0] + "." + "A" * 27  # the payload and time kept, the signature not ours
    response = getattr(client, method)(f"/unsubscribe/{tampered}")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 404
    assert "This unsubscribe link is not valid" in page and "Ce lien de désabonnement n'est pas valide" in page
    assert '<div lang="fr">' in page
    # A language the URL names is used alone; anything else is ignored, not looked up
    french = html.unescape(getattr(client, method)(f"/unsubscribe/{tampered}?lang=fr").get_data(as_text=True))
    if method == "get":
        assert "Ce lien de désabonnement n'est pas valide" in french and "This unsubscribe link" not in french
    odd = getattr(client, method)(f"/unsubscribe/{tampered}?lang=../../etc/passwd")
    assert odd.status_code == 404 and "Ce lien de désabonnement" in odd.get_data(as_text=True)
    assert get_lead(db, lead_id).unsubscribed_at is None


@pytest.mark.parametrize(("language", "promise", "button"), [
    ("en", "(no login; one click to confirm, and it takes effect at once).", "Yes, unsubscribe me"),
    ("fr", "(sans connexion ; un clic pour confirmer, et l'effet est immédiat).", "Oui, me désabonner"),
])
def test_the_footer_promises_what_the_link_does(client: FlaskClient, db: Database, smtp_settings: Settings,
                                                sink: Sink, language: str, promise: str, button: str) -> None:
    # Lead trial: the footer said "one click" ("un clic"), but the link opens a page with a button to press (mail
    # scanners open links, so the link alone must change nothing).
    lead_id = new_lead(db, email=f"promise.{language}@example.fr", preferred_language=language,
                       citizenships=["France"])
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    transport.close()
    [message] = sink.to(f"promise.{language}@example.fr")
    for part in ("plain", "html"):
        body = " ".join(html.unescape(message.get_body(preferencelist=(part,)).get_content()).split())
        assert promise in body.replace("\u00a0", " "), part
    token = _token_from_email(sink, f"promise.{language}@example.fr")
    page = client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert page.count('type="submit"') == 1 and button in page
    assert get_lead(db, lead_id).unsubscribed_at is None


@pytest.mark.parametrize("one_click", [False, True])
def test_an_erased_lead_unsubscribing_records_nothing_about_them(client: FlaskClient, db: Database,
                                                                 one_click: bool) -> None:
    # Lead trial: an old email's link, clicked after the lead was erased, showed "e***@invalid" and a button that
    # recorded a new consent withdrawal with the clicker's IP address and a timeline entry for the erased person.
    lead_id = new_lead(db, email=f"gone.{one_click}@example.fr", preferred_language="fr", citizenships=["France"])
    token = make_token(SECRET, lead_id)
    with db.transaction() as session:
        admin = create_user(session, f"admin.{one_click}@firm.example", "admin", "a long enough password 123")
        lead = session.get(Lead, lead_id)
        assert lead is not None
        erase_person(session, lead, admin)
    with db.session() as session:
        before = (session.scalar(select(func.count()).select_from(ConsentRecord)),
                  session.scalar(select(func.count()).select_from(Activity)))
    page = html.unescape(client.get(f"/unsubscribe/{token}").get_data(as_text=True))
    assert "Votre désabonnement est confirmé" in page and "@invalid" not in page
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"} if one_click else {})
    assert response.status_code == 200
    with db.session() as session:
        after = (session.scalar(select(func.count()).select_from(ConsentRecord)),
                 session.scalar(select(func.count()).select_from(Activity)))
    assert after == before
