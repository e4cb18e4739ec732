"""Error pages speak the interface language, for a 404 a view raised as for a 404 or 405 no view handled."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import Browser, Team

TEXTS = {
    "en": {"404": "404 · Not Found", "405": "405 · Method Not Allowed",
           "405 message": "The method is not allowed for the requested URL."},
    "fr": {"404": "404 · Introuvable", "405": "405 · Méthode non autorisée",
           "405 message": "Cette méthode n&#39;est pas autorisée pour cette adresse."},
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_consultants_error_pages_are_in_their_language(team: Team, consultant: Browser, lang: str) -> None:
    consultant.get(f"/leads?lang={lang}")  # the language chosen on a page, kept for the session
    for path, status in (("/leads/no-such-lead", 404), ("/no/such/page", 404), ("/leads/no-such-lead/note", 405)):
        response = consultant.get(path, headers={"Accept": "text/html"})
        assert response.status_code == status
        html = response.get_data(as_text=True)
        assert f"<title>{TEXTS[lang][str(status)]}</title>" in html, (path, html)
        assert f"<h1>{TEXTS[lang][str(status)]}</h1>" in html
        assert f'<html lang="{lang}">' in html
        if status == 405:
            assert TEXTS[lang]["405 message"] in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_visitors_error_page_follows_their_browser(client: FlaskClient, lang: str) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html", "Accept-Language": lang})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f"<h1>{TEXTS[lang]['404']}</h1>" in html
    assert {"en": ">Home<", "fr": ">Accueil<"}[lang] in html


def test_every_page_links_an_icon_and_favicon_ico_is_served(client: FlaskClient) -> None:
    # Browsers ask for /favicon.ico on every page: it was a 404 each time.
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data().startswith(b"<svg")
    for path in ("/login", "/apply"):
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get(path).get_data(
            as_text=True)
    assert client.get("/static/favicon.svg").status_code == 200
