"""PIPEDA: an admin exports everything held about a lead, and erases it keeping the legal proof."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from crm.db import Database
from crm.models import Activity, Classification, ConsentRecord, Delivery, Enrolment, Inquiry, Lead, Suppression
from tests.web.conftest import Browser, Team, classify, enrol


def test_export_holds_every_record(db: Database, team: Team, admin: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(consent_marketing=True, consent_text="Yes please", message="My story")
    classify(db, lead_id)
    enrol(db, lead_id)
    admin.post(f"/leads/{lead_id}/note", {"note": "Spoke on the phone"})
    response = admin.get(f"/leads/{lead_id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["lead"]["email"] == "aoife1@example.ie"
    assert data["inquiries"][0]["payload"]["message"] == "My story"
    assert data["consent_records"][0]["wording"] == "Yes please"
    assert data["classifications"] and data["enrolments"] and data["deliveries"]
    assert any(a["summary"] == "Spoke on the phone" for a in data["activities"])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_erase_anonymises_but_keeps_suppression_and_consent_proof(
        db: Database, team: Team, admin: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(consent_marketing=True, consent_text="Yes please", message="My story",
                        phone="+353 85 123 4567")
    classify(db, lead_id)
    enrol(db, lead_id)
    assert admin.post(f"/leads/{lead_id}/erase", {"confirm": "nope"}).status_code == 302
    with db.transaction() as session:
        assert session.get(Lead, lead_id).anonymised_at is None
    admin.post(f"/leads/{lead_id}/erase", {"confirm": "ERASE"})
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead.anonymised_at is not None and lead.first_name == "(erased)" and lead.phone is None
        assert "aoife" not in (lead.email + lead.search_text)
        inquiry = session.scalars(select(Inquiry).where(Inquiry.lead_id == lead_id)).one()
        assert inquiry.raw_body == b"" and inquiry.payload == {}
        assert session.scalars(select(Classification).where(Classification.lead_id == lead_id)).all() == []
        assert session.scalars(select(Delivery.to_address).where(Delivery.lead_id == lead_id)).all() == ["(erased)"]
        assert session.scalars(select(Enrolment.status).where(Enrolment.lead_id == lead_id)).one() == "stopped"
        assert all("aoife" not in a.summary.lower() for a in session.scalars(
            select(Activity).where(Activity.lead_id == lead_id)))
        # Kept, as the law requires: the address is never emailed again, and the consent proof stays.
        assert session.scalars(select(Suppression).where(Suppression.email_key == "aoife1@example.ie")).one()
        consent = session.scalars(select(ConsentRecord).where(ConsentRecord.lead_id == lead_id)).one()
        assert consent.wording == "Yes please" and consent.kind == "express"
    html = admin.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "was erased" in html and "My story" not in html


def test_consultants_cannot_use_pipeda_tools(team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    assert consultant.get(f"/leads/{lead_id}/export.json").status_code == 403
    assert consultant.post(f"/leads/{lead_id}/erase", {"confirm": "ERASE"}).status_code == 403
    assert "Privacy (PIPEDA)" not in consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
