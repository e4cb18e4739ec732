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
