"""An erased lead (PIPEDA) is out of the queue and its counts, no action is offered or accepted on it
(one by one, in bulk, through the API), and its page says plainly that it was erased, when and by whom."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from crm.db import Database
from crm.models import Activity, Lead
from tests.web.conftest import Browser, Team, classify, enrol


def _erased_lead(db: Database, admin: Browser, post_lead: Callable[..., str]) -> str:
    lead_id = post_lead(first_name="Gone", message="Call me about IEC")
    classify(db, lead_id, score=80)
    enrol(db, lead_id)
    assert admin.post(f"/leads/{lead_id}/erase", {"confirm": "ERASE"}).status_code == 302
    return lead_id


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_erased_lead_leaves_the_queue_and_its_counts(
        db: Database, team: Team, admin: Browser, post_lead: Callable[..., str]) -> None:
    kept = post_lead(first_name="Kept")
    classify(db, kept)
    lead_id = _erased_lead(db, admin, post_lead)
    for query in ("scope=all", "scope=all&status=any", "scope=all&status=lost", "scope=all&status=classified"):
        html = admin.get(f"/leads?{query}").get_data(as_text=True)
        assert "(erased)" not in html and lead_id not in html, query
    assert "Kept Murphy" in admin.get("/leads?scope=all").get_data(as_text=True)
    assert admin.get("/leads/counts?scope=all").get_json()["counts"] == {"iec-working-holiday": 1}
    assert admin.get("/leads/counts?scope=all&status=any").get_json()["counts"] == {"iec-working-holiday": 1}
    csv_text = admin.get("/leads/export.csv?scope=all&status=any").get_data(as_text=True)
    assert lead_id not in csv_text


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_no_action_is_accepted_on_an_erased_lead(
        db: Database, team: Team, admin: Browser, client: FlaskClient, post_lead: Callable[..., str]) -> None:
    lead_id = _erased_lead(db, admin, post_lead)
    with db.transaction() as session:
        before = (session.get(Lead, lead_id).status, session.get(Lead, lead_id).assignee_id)
        activities = session.query(Activity).filter_by(lead_id=lead_id).count()
    for action, form in (("status", {"status": "contacted"}), ("claim", {}), ("note", {"note": "hello"}),
                         ("assign", {"assignee": str(team.admin_id)}), ("reclassify", {}),
                         ("sequence", {"do": "resume"})):
        admin.post(f"/leads/{lead_id}/{action}", form)
        flashed = admin.get(f"/leads/{lead_id}").get_data(as_text=True)
        assert "nothing can be done with it any more" in flashed, action
    admin.post("/leads/bulk", {"lead_ids": [lead_id], "action": "status", "status": "consultation_booked"})
    admin.post("/leads/bulk", {"lead_ids": [lead_id], "action": "assign", "assignee": str(team.admin_id)})
    html = admin.get("/leads").get_data(as_text=True)
    assert "0 updated, 1 skipped." in html and "an erased lead cannot be changed" in html
    api = client.patch(f"/api/leads/{lead_id}", json={"status": "contacted"},
                       headers={"Authorization": f"Bearer {team.token}"})
    assert api.status_code == 409
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert (lead.status, lead.assignee_id) == before
        assert session.query(Activity).filter_by(lead_id=lead_id).count() == activities


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_page_of_an_erased_lead_says_so_and_offers_nothing(
        db: Database, team: Team, admin: Browser, post_lead: Callable[..., str], lang: str) -> None:
    lead_id = _erased_lead(db, admin, post_lead)
    html = admin.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    if lang == "en":
        assert "was erased on" in html and "by admin@firm.example" in html
        assert "nothing can be done with it any more" in html
        assert "The classification was deleted with the personal data." in html
        assert "Not classified yet" not in html
    else:
        assert "ont été effacées le" in html and "par admin@firm.example" in html
        assert "La classification a été supprimée" in html
    for action in ("/status", "/claim", "/assign", "/reclassify", "/note", "/sequence"):
        assert f'action="/leads/{lead_id}{action}"' not in html, action
    assert "Show the email" not in html and "Raw payload as received" not in html
    assert "Preview emails" not in html
    assert admin.get(f"/leads/{lead_id}/preview/0.html").status_code == 404


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_lead_erased_before_its_classification_ran_is_never_classified_or_assigned(
        db: Database, team: Team, admin: Browser, post_lead: Callable[..., str]) -> None:
    from sqlalchemy import select

    from crm.classify.service import classify_pending
    from crm.db import utcnow
    from crm.models import Classification, Job

    lead_id = post_lead(first_name="Gone")  # its classify job is pending: the workers have not run yet
    assert admin.post(f"/leads/{lead_id}/erase", {"confirm": "ERASE"}).status_code == 302
    with db.transaction() as session:
        assert {job.status for job in session.scalars(select(Job).where(Job.lead_id == lead_id))} == {"done"}
        outcome = classify_pending(session, lead_id, "intake", utcnow())  # a message already on its way
    assert outcome.status == "erased"
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.assignee_id is None and lead.status == "lost"
        assert session.scalars(select(Classification).where(Classification.lead_id == lead_id)).first() is None


def test_an_erased_leads_page_says_erased_in_its_language(
        db: Database, admin: Browser, post_lead: Callable[..., str]) -> None:
    # The French page read "(erased)" as the name, the email's subject and every timeline line but the erasure's.
    lead_id = _erased_lead(db, admin, post_lead)
    with db.transaction() as session:  # a note written before the erasure is erased with it
        assert session.scalar(select(func.count()).select_from(Activity).where(
            Activity.lead_id == lead_id, Activity.summary == "(erased)")) >= 1
    html = admin.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True)
    assert "(erased)" not in html
    assert "<h1>(effacé)" in html and "<title>(effacé) · IMP Lead CRM</title>" in html
    assert "<h1>(erased)" in admin.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True)
