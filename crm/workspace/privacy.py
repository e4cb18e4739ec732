"""PIPEDA tools: export everything held about a person, and erase it.

Erasing anonymises the lead in place rather than deleting it: the suppression list entry (so the
address is never emailed again) and the consent records (CASL proof of consent) stay, as the law
requires; the erase itself is on the timeline with a hash of the address, not the address.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.models import (
    Activity,
    Classification,
    ConsentRecord,
    Delivery,
    Enrolment,
    Inquiry,
    Job,
    JobStatus,
    Lead,
    LeadFlag,
    LeadStatus,
    ReplayedKey,
    ScheduledStep,
    Suppression,
    User,
)
from crm.models.lead import OPEN_STATUS_VALUES
from crm.workspace import WorkspaceError

ERASED = "(erased)"


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                value = {"base64": base64.b64encode(value).decode()}
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[column.key] = value
    return data


def export_person(session: Session, lead: Lead) -> dict[str, Any]:
    """Every row about the lead, as JSON-ready dicts (the answer to a PIPEDA access request)."""
    lead_id = lead.id

    def rows(model: Any, *order: Any) -> list[dict[str, Any]]:
        return [_row(obj) for obj in session.scalars(select(model).where(model.lead_id == lead_id).order_by(*order))]

    suppression = session.scalars(select(Suppression).where(Suppression.email_key == lead.email_key)).first()
    assignee = session.get(User, lead.assignee_id) if lead.assignee_id else None
    return {
        "exported_at": utcnow().isoformat(),
        "lead": _row(lead, skip=("queue_rank", "last_name_key", "search_text", "company_key")),
        "assigned_consultant": assignee.email if assignee else None,
        "flags": lead.flag_names,
        "inquiries": rows(Inquiry, Inquiry.received_at),
        "consent_records": rows(ConsentRecord, ConsentRecord.recorded_at),
        "classifications": rows(Classification, Classification.created_at),
        "activities": rows(Activity, Activity.at),
        "enrolments": rows(Enrolment, Enrolment.enrolled_at),
        "scheduled_steps": rows(ScheduledStep, ScheduledStep.due_at),
        "deliveries": rows(Delivery, Delivery.created_at),
        "suppression": _row(suppression) if suppression else None,
    }


def erase_person(session: Session, lead: Lead, by: User, now: datetime | None = None) -> None:
    """Anonymise the lead and everything that repeats their personal data; keep the legal proof."""
    if not by.is_admin:
        raise WorkspaceError("Only an admin can erase a lead.", status=403)
    if lead.anonymised_at is not None:
        raise WorkspaceError("This lead was already erased.", status=409)
    now = now or utcnow()
    lead_id, email_key = lead.id, lead.email_key
    from crm import sequences

    sequences.stop(session, lead_id, "erased", by_user_id=by.id)
    # Nothing is left to classify: a pending classification must not run on the erased row.
    session.execute(update(Job).where(Job.lead_id == lead_id, Job.kind == "classify_lead",
                                      Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]))
                    .values(status=JobStatus.DONE.value, finished_at=now, last_error="lead erased"))
    if session.scalars(select(Suppression).where(Suppression.email_key == email_key)).first() is None:
        session.add(Suppression(email_key=email_key, reason="erased", source="pipeda-erase", created_at=now))

    lead.first_name, lead.last_name = ERASED, None
    lead.email, lead.email_key = f"erased-{lead_id}@invalid", f"erased:{lead_id}"
    lead.phone = lead.phone_e164 = None
    lead.citizenships, lead.message_citizenships, lead.unknown_countries, lead.facts = [], [], [], {}
    lead.country_of_residence = None
    lead.date_of_birth = lead.stated_age = lead.stated_age_on = None
    lead.search_text, lead.company_key = "", None
    lead.assignee_id = None
    lead.anonymised_at = now
    # Out of the queue: nobody can work a lead whose details are gone (the actions refuse it too).
    status_was = lead.status
    if lead.status in OPEN_STATUS_VALUES:
        lead.status, lead.status_changed_at = LeadStatus.LOST.value, now
    session.execute(update(Inquiry).where(Inquiry.lead_id == lead_id).values(
        raw_body=b"", payload={}, normalised={}, headers={}, remote_addr=None, source_url=None,
        utm_source=None, utm_medium=None, utm_campaign=None, idempotency_key=None, dedupe_key=None))
    session.execute(delete(ReplayedKey).where(
        ReplayedKey.inquiry_id.in_(select(Inquiry.id).where(Inquiry.lead_id == lead_id))))
    session.execute(update(Activity).where(Activity.lead_id == lead_id).values(summary=ERASED, data={}))
    session.execute(update(Delivery).where(Delivery.lead_id == lead_id).values(
        to_address=ERASED, subject=ERASED, text_body="", html_body="", headers={}))
    session.execute(delete(Classification).where(Classification.lead_id == lead_id))
    session.execute(delete(LeadFlag).where(LeadFlag.lead_id == lead_id))
    session.add(Activity(lead_id=lead_id, at=now, kind="erased", user_id=by.id,
                         summary="Personal data erased (PIPEDA request)",
                         data={"email_sha256": hashlib.sha256(email_key.encode()).hexdigest(),
                               "status_was": status_was}))
