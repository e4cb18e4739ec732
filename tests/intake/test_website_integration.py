"""What a consultancy's website sends when it integrates against the contract by hand."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import Lead
from tests.intake.helpers import lead_payload, post_form, post_json


def _lead(db: Database) -> Lead:
    with db.session() as session:
        return session.scalars(select(Lead)).one()


@pytest.mark.parametrize(("posted", "expected"), [
    ("Français", "fr"), ("francais", "fr"), ("FRENCH", "fr"), (" fra ", "fr"), ("fre", "fr"),
    ("English", "en"), ("anglais", "en"), ("eng", "en"),
])
def test_a_language_select_posting_the_language_name_is_read(
    client: FlaskClient, db: Database, posted: str, expected: str
) -> None:
    response = post_json(client, lead_payload(preferred_language=posted))
    assert response.status_code == 201
    assert _lead(db).preferred_language == expected


def test_a_form_posting_francais_gets_a_french_lead(client: FlaskClient, db: Database) -> None:
    response = post_form(client, {"first_name": "Zoé", "email": "zoe@example.com", "preferred_language": "Français"})
    assert response.status_code == 201
    assert _lead(db).preferred_language == "fr"


@pytest.mark.parametrize("posted", ["Deutsch", "español", "de", "franglais"])
def test_a_language_the_crm_does_not_write_is_refused_by_name_too(client: FlaskClient, posted: str) -> None:
    response = post_json(client, lead_payload(preferred_language=posted))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"preferred_language": ["Must be one of: 'en', 'fr'."]}
