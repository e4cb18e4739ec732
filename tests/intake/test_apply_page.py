"""The public /apply form in English and French, working without JavaScript."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import ConsentRecord, Lead


def _form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_the_english_form_has_every_label_and_an_unchecked_consent_box(client: FlaskClient) -> None:
    html = client.get("/apply").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Work in Canada: tell us about yourself" in html
    consent = re.search(r'<input id="consent_marketing"[^>]*>', html)
    assert consent is not None and "checked" not in consent.group(0)
    assert 'action="/api/leads"' in html and 'method="post"' in html
    assert "<script" not in html  # works without JavaScript
    for name in ("first_name", "email", "citizenships", "date_of_birth", "message", "website"):
        assert f'name="{name}"' in html
    assert len(re.findall(r'<label for="', html)) >= 15


def test_the_french_form_is_in_french(client: FlaskClient) -> None:
    html = client.get("/apply?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Travailler au Canada : parlez-nous de vous" in html
    assert "Prénom" in html and "Courriel" in html
    assert '<option value="DE" >Allemagne</option>' in html.replace("  ", " ")


def test_accept_language_picks_french_when_no_lang_is_given(client: FlaskClient) -> None:
    html = client.get("/apply", headers={"Accept-Language": "fr-CA,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_submitting_the_french_form_stores_the_wording_shown_with_the_consent(
    client: FlaskClient, db: Database
) -> None:
    html = client.get("/apply?lang=fr").get_data(as_text=True)
    hidden = _form_fields(html)
    wording = hidden["consent_text"].replace("&#39;", "'").replace("&#x27;", "'")
    response = client.post("/api/leads", data={**hidden, "first_name": "Chloé", "email": "chloe@example.fr",
                                               "citizenships": "FR", "consent_marketing": "yes", "website": ""},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/apply/thanks?lang=fr&reply=email")
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.preferred_language == "fr"
        consent = session.scalars(select(ConsentRecord)).one()
        assert consent.kind == "express"
        assert consent.wording is not None and consent.wording.startswith("Oui, Maple Route Immigration")
        assert consent.wording == wording.replace("&#39;", "'")
        assert consent.form_id == "crm-apply-fr"
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Merci" in thanks


def test_an_invalid_browser_submission_shows_the_form_again_with_the_errors(client: FlaskClient) -> None:
    hidden = _form_fields(client.get("/apply").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "", "email": "not-an-email"},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="first_name-error"' in html and 'id="email-error"' in html
    assert 'value="not-an-email"' in html


def test_the_french_form_shows_its_errors_in_french(client: FlaskClient, db: Database) -> None:
    # Given the French form as rendered, sent back with no first name, a bad email and a date in the future
    hidden = _form_fields(client.get("/apply?lang=fr").get_data(as_text=True))
    response = client.post("/api/leads", data={**hidden, "first_name": "", "email": "chloe @example.fr",
                                               "date_of_birth": "2999-01-01", "citizenships": "FR",
                                               "last_name": "b" * 101},
                           headers={"Accept": "text/html"}, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    # Then the form comes back with every message in French (a quoted detail kept as it is)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in html
    assert "L’adresse courriel contient des caractères invalides avant le @ : U+0020 (espace)." in html
    assert "Ne doit pas être dans le futur." in html
    assert "Doit comporter au plus 100 caractères." in html
    assert "This field is required" not in html and "before the @-sign" not in html and "at most" not in html
    # And nothing was stored
    with db.session() as session:
        assert session.scalars(select(Lead)).first() is None


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"  # type: ignore[index]
