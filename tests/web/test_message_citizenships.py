"""Citizenship read from the message is on the lead (`message_citizenships`, apart from the form's): the
queue shows it marked, its nationality filter and the dashboard count it, privacy erases and exports it."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable

import pytest

from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Lead
from crm.workspace import stats
from tests.web.conftest import Browser, Team


def _classified(db: Database, lead_id: str) -> Lead:
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow(), force=True)
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


@pytest.fixture
def message_only(db: Database, post_lead: Callable[..., str]) -> str:
    """A lead who gave no citizenship in the form and wrote "Je suis française"."""
    return post_lead(first_name="Camille", last_name="Durand", email="camille@example.fr", citizenships=[],
                     preferred_language="fr", message="Bonjour, je suis française et j'ai 27 ans.")


def _nationality_cell(queue: str, name: str) -> str:
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{name}(?:(?!</tr>).)*</tr>", queue, re.DOTALL)
    assert row is not None, name
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", cells[5])).strip()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_classification_writes_the_citizenship_read_from_the_message(
        db: Database, post_lead: Callable[..., str], message_only: str) -> None:
    lead = _classified(db, message_only)
    assert (lead.citizenships, lead.message_citizenships) == ([], ["FR"])
    # The form wins, as in the classifier: a form citizenship leaves nothing read from the message.
    formed = post_lead(email="jeanne@example.fr", citizenships=["Belgium"], preferred_language="fr",
                       message="Je suis française.")
    lead = _classified(db, formed)
    assert (lead.citizenships, lead.message_citizenships) == (["BE"], [])
    # Replaced by each stored classification: a later inquiry giving the citizenship in the form.
    post_lead(first_name="Camille", last_name="Durand", email="camille@example.fr", citizenships=["France"],
              preferred_language="fr", message="Bonjour, je suis française et j'ai 27 ans.")
    lead = _classified(db, message_only)
    assert (lead.citizenships, lead.message_citizenships) == (["FR"], [])


@pytest.mark.parametrize("interface", ["en", "fr"])
def test_the_queue_shows_it_marked(db: Database, team: Team, admin: Browser, post_lead: Callable[..., str],
                                   message_only: str, interface: str) -> None:
    _classified(db, message_only)
    _classified(db, post_lead(first_name="Aoife", last_name="Murphy", citizenships=["Ireland"]))
    queue = admin.get(f"/leads?lang={interface}&scope=all").get_data(as_text=True)
    assert _nationality_cell(queue, "Camille Durand") == "FR (message)"
    assert _nationality_cell(queue, "Aoife Murphy") == "IE"
    title = {"en": "Read from the message: the form gave no citizenship",
             "fr": "Lu dans le message : le formulaire ne donnait pas de citoyenneté"}[interface]
    assert title in html_lib.unescape(queue)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_nationality_filter_and_the_dashboard_count_it(db: Database, team: Team, admin: Browser,
                                                           post_lead: Callable[..., str], message_only: str) -> None:
    _classified(db, message_only)
    _classified(db, post_lead(first_name="Jean", last_name="Dubois", email="jean@example.fr",
                              citizenships=["France"], preferred_language="fr"))
    _classified(db, post_lead(first_name="Aoife", last_name="Murphy", citizenships=["Ireland"]))
    queue = admin.get("/leads?scope=all&nationality=FR").get_data(as_text=True)
    assert "Camille Durand" in queue and "Jean Dubois" in queue and "Aoife Murphy" not in queue
    assert "Camille Durand" not in admin.get("/leads?scope=all&nationality=IE").get_data(as_text=True)
    csv_text = admin.get("/leads/export.csv?scope=all&nationality=FR").get_data(as_text=True)
    header, *rows = csv_text.strip().splitlines()
    assert "message_citizenships" in header.split(",") and len(rows) == 2
    with db.transaction() as session:
        assert stats.dashboard(session).nationalities == [("FR", 2), ("IE", 1)]


def test_privacy_exports_and_erases_it(db: Database, team: Team, admin: Browser, message_only: str) -> None:
    _classified(db, message_only)
    data = json.loads(admin.get(f"/leads/{message_only}/export.json").data)
    assert data["lead"]["message_citizenships"] == ["FR"]
    admin.post(f"/leads/{message_only}/erase", {"confirm": "ERASE"})
    with db.session() as session:
        lead = session.get(Lead, message_only)
        assert lead is not None and lead.anonymised_at is not None
        assert lead.message_citizenships == []
