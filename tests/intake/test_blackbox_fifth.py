"""Cases found by a website integrator posting to a running `crm run` / `crm web` (fifth session).

Each test here failed before its fix.
"""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from crm import MAX_BODY_BYTES
from crm.db import Database
from tests.intake.helpers import counts


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
