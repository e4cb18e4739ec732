"""The team page (/admin/users): creating a team member."""

from __future__ import annotations

import re

from tests.web.conftest import Browser, Team


def test_a_refused_new_member_keeps_what_the_admin_typed(team: Team, admin: Browser) -> None:
    response = admin.post("/admin/users", {"email": "nadia@firm.example", "name": "Nadia", "role": "admin",
                                           "password": "short", "languages": ["fr"]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The password must be at least 10 characters long." in html
    assert 'value="nadia@firm.example"' in html and 'value="Nadia"' in html
    assert re.search(r'<option value="admin" selected>', html)
    assert re.search(r'name="languages" value="fr" checked', html)
    assert "short" not in re.findall(r'<input id="new-password"[^>]*>', html)[0]  # never the password


def test_a_new_member_is_given_streams_from_the_form(team: Team, admin: Browser) -> None:
    html = admin.get("/admin/users").get_data(as_text=True)
    offered = re.findall(r'<input type="checkbox" name="streams" value="([a-z-]+)"', html)
    assert len(offered) == 15 and "francophone-mobility" in offered
    refused = admin.post("/admin/users", {"email": "nadia@firm.example", "password": "short",
                                          "streams": ["francophone-mobility"]})
    assert refused.status_code == 422
    assert 'name="streams" value="francophone-mobility" checked' in refused.get_data(as_text=True)
    created = admin.post("/admin/users", {"email": "nadia@firm.example", "role": "consultant",
                                          "password": "a-long-password", "streams": ["francophone-mobility"]})
    assert created.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    row = page[page.index("nadia@firm.example"):]
    assert re.search(r'<option value="francophone-mobility" selected>', row[:row.index("</tr>")])
