"""?nationality=XX with a code that is no country is named as ignored, like a bogus scope or date."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from crm.db import Database
from tests.web.conftest import Browser, Team, classify


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "Filter ignored: Nationality (ISO code) “XX” is not a country code (ISO 3166-1, such as FR)."),
    ("fr", "n&#39;est pas un code de pays (ISO 3166-1, par exemple FR)."),
])
def test_an_unknown_country_code_is_named_and_ignored(db: Database, team: Team, consultant: Browser,
                                                      post_lead: Callable[..., str], lang: str, said: str) -> None:
    lead_id = post_lead(first_name="Shown")
    classify(db, lead_id)
    for value in ("XX", "France"):
        html = consultant.get(f"/leads?nationality={value}&lang={lang}").get_data(as_text=True)
        assert said.replace("XX", value) in html or (value != "XX" and f"« {value} »" in html), value
        assert "Shown Murphy" in html  # the filter is left out, not applied as "nobody"
    html = consultant.get("/leads?nationality=ie").get_data(as_text=True)
    assert "Filter ignored" not in html and "Shown Murphy" in html


def test_the_api_refuses_an_unknown_country_code(team: Team, client: FlaskClient) -> None:
    headers = {"Authorization": f"Bearer {team.token}"}
    response = client.get("/api/leads?nationality=XX", headers=headers)
    assert response.status_code == 400 and "nationality" in response.get_json()["errors"]
    assert client.get("/api/leads?nationality=fr", headers=headers).status_code == 200
