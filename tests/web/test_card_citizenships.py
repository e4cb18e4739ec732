"""The lead page's contact card lists every citizenship read from the message (the lead's
message_citizenships, as the queue does), not only the one signal the classification's timeline kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask.testing import FlaskClient

from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Lead
from crm.workspace.leadview import contact_card
from tests.web.conftest import Browser, Team


def test_the_card_is_built_from_the_leads_column_with_the_quote_once() -> None:
    lead = Lead(citizenships=[], message_citizenships=["FR", "IT"])
    signals = {"citizenship": {"kind": "citizenship", "value": "FR", "quote": "Je suis française et italienne"}}
    card = contact_card(lead, signals, "en", date(2026, 11, 26))
    assert [fact.text for fact in card.citizenships] == ["France (FR)", "Italy (IT)"]
    assert [fact.quote for fact in card.citizenships] == [None, "Je suis française et italienne"]
    # The form's citizenships win, as in the queue.
    assert [f.text for f in contact_card(Lead(citizenships=["BE"], message_citizenships=[]), signals, "en",
                                         date(2026, 11, 26)).citizenships] == ["Belgium (BE)"]


def test_the_lead_page_shows_both_citizenships_of_the_message(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Giulia", citizenships=[], preferred_language="fr",
                        message="Bonjour, je suis française et italienne, j'ai 27 ans.")
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow(), force=True)
        lead = session.get(Lead, lead_id)
        lead.message_citizenships = ["FR", "IT"]  # what the queue shows (whatever the classifier read)
    html = consultant.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True)
    card = html.split('id="contact-h"', 1)[1].split("</dl>", 1)[0]
    assert "France (FR)" in card and "Italy (IT)" in card


def test_the_api_returns_the_citizenships_read_from_the_message(
        db: Database, team: Team, client: FlaskClient, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(citizenships=[], message="Je suis française et italienne")
    with db.transaction() as session:
        session.get(Lead, lead_id).message_citizenships = ["FR", "IT"]
    headers = {"Authorization": f"Bearer {team.token}"}
    one = client.get(f"/api/leads/{lead_id}", headers=headers).get_json()
    listed = client.get("/api/leads?nationality=IT", headers=headers).get_json()["leads"]
    assert one["message_citizenships"] == ["FR", "IT"] and one["citizenships"] == []
    assert [row["id"] for row in listed] == [lead_id] and listed[0]["message_citizenships"] == ["FR", "IT"]
