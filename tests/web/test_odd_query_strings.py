"""Query strings a client can send to the queue and the API never produce a 500."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient

from crm.db import Database
from crm.workspace import accounts
from tests.web.conftest import Browser, Team


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


ODD = [
    "limit=²", "limit=-1", "limit=99999999999999999999", "consultant=²", "consultant=99999999999999999999",
    "to=9999-12-31", "from=0001-01-01", "to=2026-02-30", "nationality=%00", "q=%00", "q=" + "a" * 5000,
    "after=" + _cursor([10**30, "2020-01-01T00:00:00+00:00", "x"]),
    "after=" + _cursor([1, "0001-01-01T00:00:00+14:00", "x"]), "after=%%%", "status=nope", "flag=%FF",
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_odd_query_strings_get_a_page_or_a_client_error(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        user = accounts.create_user(session, "odd@firm.example", "admin", "a long enough password")
        token = accounts.create_token(session, user)
    auth = {"Authorization": f"Bearer {token}"}
    for query in ODD:
        response = client.get(f"/api/leads?{query}", headers=auth)
        assert response.status_code in (200, 400), (query, response.status_code)
    assert client.get("/api/leads/abc%00", headers=auth).status_code in (400, 404)



def test_query_names_that_url_for_takes_as_options_are_kept_in_the_language_link(
        client: FlaskClient, team: Team, consultant: Browser) -> None:
    # Every page renders the "other language" link from its own query; url_for would take these names
    # ("endpoint", "_external"...) as its own arguments: signed out and signed in, a page, not a 500.
    odd = "endpoint=x&_external=1&_scheme=javascript&values=1"
    login = client.get(f"/login?{odd}")
    assert login.status_code == 200
    assert "endpoint=x" in login.get_data(as_text=True).replace("&amp;", "&")
    queue = consultant.get(f"/leads?{odd}&q=ana")
    assert queue.status_code == 200
    html = queue.get_data(as_text=True).replace("&amp;", "&")
    assert "?endpoint=x&_external=1&_scheme=javascript&values=1&q=ana&lang=fr" in html
