"""Workspace cases from the second consultant trial (sixth session). Each failed before its fix."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from crm.db import Database
from crm.models import Activity, Job, Lead
from tests.web.conftest import Browser, Team, classify


def test_a_french_admin_erases_with_the_french_word(db: Database, team: Team, admin: Browser,
                                                   post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Gone")
    page = admin.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True)
    assert "tapez EFFACER pour confirmer" in page
    refused = admin.post(f"/leads/{lead_id}/erase", {"confirm": "effacr"}, follow_redirects=True)
    assert "Tapez EFFACER pour confirmer." in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Lead, lead_id).anonymised_at is None
    assert admin.post(f"/leads/{lead_id}/erase", {"confirm": " effacer "}).status_code == 302
    with db.session() as session:
        assert session.get(Lead, lead_id).anonymised_at is not None


def test_the_english_word_still_erases_in_french(db: Database, team: Team, admin: Browser,
                                                 post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Gone")
    admin.get("/leads?lang=fr")
    assert admin.post(f"/leads/{lead_id}/erase", {"confirm": "ERASE"}).status_code == 302
    with db.session() as session:
        assert session.get(Lead, lead_id).anonymised_at is not None


def test_reclassifying_spam_is_refused_not_pretended(db: Database, team: Team, admin: Browser,
                                                     post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Spammy", website="http://spam.example")
    with db.session() as session:
        assert session.get(Lead, lead_id).status == "spam"
        jobs_before = session.query(Job).filter_by(kind="classify_lead").count()
    page = admin.post(f"/leads/{lead_id}/reclassify", {}, follow_redirects=True).get_data(as_text=True)
    assert "A lead marked spam is not classified: change its status first." in page
    assert "in a few seconds" not in page
    with db.session() as session:
        assert session.query(Job).filter_by(kind="classify_lead").count() == jobs_before
        assert session.query(Activity).filter_by(lead_id=lead_id, kind="reclassify").count() == 0


def test_the_queue_says_when_it_matched_inside_names(db: Database, team: Team, consultant: Browser,
                                                     post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Siobhán", last_name="Ní Bhriain", email="siobhan@example.ie")
    classify(db, lead_id)
    inside = consultant.get("/leads?scope=all&q=bhriain").get_data(as_text=True)
    assert lead_id in inside and "No name or email starts with “bhriain”" in inside
    french = consultant.get("/leads?scope=all&q=bhriain&lang=fr").get_data(as_text=True)
    assert "Aucun nom ni courriel ne commence par « bhriain »" in french
    prefix = consultant.get("/leads?scope=all&q=siob").get_data(as_text=True)
    assert lead_id in prefix and "No name or email starts with" not in prefix


def test_the_api_reads_status_new_as_the_queue_does(db: Database, team: Team, client: FlaskClient,
                                                    post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    headers = {"Authorization": f"Bearer {team.token}"}
    response = client.get("/api/leads?status=new&scope=all", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert [lead["id"] for lead in response.get_json()["leads"]] == [lead_id]
