"""Builders for the email tests: leads through the real intake service, a classification row, and
running the scheduler's claim plus the send for a given moment (time moves by passing `now`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from crm.classify.service import classify_and_store
from crm.config import Settings
from crm.db import Database
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.mail import Transport
from crm.models import Activity, Classification, Delivery, Enrolment, Lead, ScheduledStep
from crm.sequences import on_classified
from crm.sequences.scheduling import claim_due_steps
from workers.actors.email import deliver

# A Monday at noon UTC: daytime in Europe and at the start of the day in Toronto.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def inquire(db: Database, now: datetime = T0, **fields: Any) -> str:
    payload: dict[str, Any] = {"first_name": "Aoife", "email": "aoife@example.ie", "citizenships": ["Ireland"],
                               "country_of_residence": "Ireland", "date_of_birth": "1998-04-12",
                               "interest": "work", "preferred_language": "en"}
    payload.update(fields)
    body = json.dumps(payload).encode()
    with db.transaction() as session:
        result = receive_inquiry(session, IntakeRequest(body=body, content_type="application/json", fields=payload),
                                 now=now)
    return result.lead_id


def classified_inquiry(db: Database, now: datetime = T0, **fields: Any) -> str:
    """An inquiry with exactly these fields (and interest "work"), classified by the real classifier (which enrols
    it)."""
    payload = {"interest": "work", **fields}
    with db.transaction() as session:
        lead_id = receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                         content_type="application/json", fields=payload),
                                  now=now).lead_id
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", now)
    return lead_id

def classify(db: Database, lead_id: str, stream: str = "iec-working-holiday", now: datetime = T0,
             lead_type: str = "worker", flags: list[str] | None = None) -> Enrolment | None:
    """What the classification actor does: a current Classification row, then on_classified."""
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        for old in session.scalars(select(Classification).where(Classification.lead_id == lead_id)):
            old.is_current = False
        if lead.status == "received":
            lead.status = "classified"
        row = Classification(lead_id=lead_id, created_at=now, ruleset_version="test", primary_stream=stream,
                             lead_type=lead_type, score=60, flags=flags or [],
                             candidates=[{"stream": stream, "verdict": "eligible", "reasons": [
                                 "Citizen of an IEC partner country"], "missing": []}])
        session.add(row)
        session.flush()
        return on_classified(session, lead, row, now)


def new_lead(db: Database, stream: str = "iec-working-holiday", now: datetime = T0, **fields: Any) -> str:
    lead_id = inquire(db, now, **fields)
    classify(db, lead_id, stream, now)
    return lead_id


def run_due(db: Database, settings: Settings, transport: Transport, now: datetime) -> list[str]:
    """One scheduler tick at `now`, then each claimed step sent by the actor's code at `now`."""
    with db.transaction() as session:
        step_ids = claim_due_steps(session, now)
    outcomes = []
    for step_id in step_ids:
        with db.session() as session:
            outcomes.append(deliver(session, step_id, settings, transport, now))
    return outcomes


def steps(db: Database, lead_id: str) -> list[ScheduledStep]:
    with db.session() as session:
        return list(session.scalars(select(ScheduledStep).where(ScheduledStep.lead_id == lead_id)
                                    .order_by(ScheduledStep.enrolment_id, ScheduledStep.step_index)))


def enrolments(db: Database, lead_id: str) -> list[Enrolment]:
    with db.session() as session:
        return list(session.scalars(select(Enrolment).where(Enrolment.lead_id == lead_id).order_by(Enrolment.id)))


def deliveries(db: Database, lead_id: str) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery).where(Delivery.lead_id == lead_id).order_by(Delivery.id)))


def activity_kinds(db: Database, lead_id: str) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Activity.kind).where(Activity.lead_id == lead_id)
                                    .order_by(Activity.at, Activity.id)))


def count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def get_lead(db: Database, lead_id: str) -> Lead:
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead
