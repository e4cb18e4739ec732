"""What a consultant does to a lead: status changes, notes, assignment, reclassification.

Each action writes an Activity row so the lead's timeline shows who did what and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.jobs import pending_job, record_job
from crm.models import ALLOWED_TRANSITIONS, Activity, Job, Lead, LeadFlag, LeadStatus, User, can_transition
from crm.workspace import WorkspaceError

MAX_NOTE_LENGTH = 10_000
MAX_BULK = 500


def allowed_targets(status: str) -> list[str]:
    try:
        return sorted(s.value for s in ALLOWED_TRANSITIONS[LeadStatus(status)])
    except (KeyError, ValueError):
        return []


def get_lead(session: Session, lead_id: str) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise WorkspaceError("No such lead.", status=404, field="id")
    return lead


def require_not_erased(lead: Lead) -> None:
    """An erased lead (PIPEDA) is a record of the erasure, not a lead: nothing is done with it any more."""
    if lead.anonymised_at is not None:
        raise WorkspaceError("This lead was erased: nothing can be done with it any more.", status=409, field="id")


def change_status(session: Session, lead: Lead, target: str, by: User, now: datetime | None = None) -> Job | None:
    """Move the lead to `target` if the transition table allows it; tell the sequences.

    Returns the classify_lead job recorded when a lead comes out of spam (the caller dispatches it after
    commit), else None.
    """
    now = now or utcnow()
    require_not_erased(lead)
    old = lead.status
    if not can_transition(old, target):
        raise WorkspaceError(f"A lead cannot go from {old} to {target}.", status=409, field="status")
    job = None
    if old == LeadStatus.SPAM.value:
        # A person says the lead is genuine. Spam is never classified, so it is classified now, like any
        # inquiry (else it sits in the queue as "new" without a stream, a sequence or an answer). The
        # honeypot's "spam" flag goes too: intake reads it as "reopen on the next genuine inquiry", which
        # would overrule a consultant who later marks the lead spam again.
        session.execute(delete(LeadFlag).where(LeadFlag.lead_id == lead.id, LeadFlag.flag == "spam"))
        if lead.anonymised_at is None and pending_job(session, "classify_lead", lead.id) is None:
            job = record_job(session, "classify_lead", lead.id, {"lead_id": lead.id, "trigger": "reclassify"})
    lead.status = target
    lead.status_changed_at = now
    if target in (LeadStatus.CONTACTED.value, LeadStatus.CONSULTATION_BOOKED.value) and lead.first_contacted_at is None:
        lead.first_contacted_at = now
    session.add(Activity(lead_id=lead.id, at=now, kind="status", user_id=by.id,
                         summary=f"Status: {old} → {target}", data={"from": old, "to": target}))
    from crm import sequences

    sequences.on_status_changed(session, lead, old, target, now, by_user_id=by.id)
    return job


def add_note(session: Session, lead: Lead, text: str, by: User, now: datetime | None = None) -> Activity:
    require_not_erased(lead)
    text = text.strip()
    if not text:
        raise WorkspaceError("The note is empty.", field="note")
    if len(text) > MAX_NOTE_LENGTH:
        raise WorkspaceError(f"A note holds at most {MAX_NOTE_LENGTH} characters.", field="note")
    note = Activity(lead_id=lead.id, at=now or utcnow(), kind="note", user_id=by.id, summary=text,
                    data={"author": by.email})
    session.add(note)
    lead.notes_count = (lead.notes_count or 0) + 1
    return note


def lock_lead(session: Session, lead: Lead) -> None:
    """Lock the lead's row (PostgreSQL; SQLite's write lock covers it) and read its assignee afresh.

    Lock order: leads before users, as classification does (its batch locks leads, then the consultants
    for the round-robin). Stamping a consultant's row first and then updating a lead that a running
    batch holds would deadlock with that batch.
    """
    session.execute(select(Lead.id).where(Lead.id == lead.id).with_for_update(key_share=True))
    session.refresh(lead, attribute_names=["assignee_id"])


def assign(session: Session, lead: Lead, assignee: User | None, by: User, now: datetime | None = None) -> bool:
    """Give the lead to `assignee` (None: back to the unassigned pool). False when it already was theirs
    (nothing changed, nothing written on the timeline), so that the page can say so."""
    now = now or utcnow()
    require_not_erased(lead)
    lock_lead(session, lead)
    if assignee is not None and not assignee.active:
        raise WorkspaceError("This consultant is deactivated.", field="assignee")
    if lead.assignee_id == (assignee.id if assignee else None):
        return False
    previous = lead.assignee_id
    lead.assignee_id = assignee.id if assignee else None
    if assignee is not None:
        assignee.last_assigned_at = now
    summary = (f"Assigned to {assignee.email}" if assignee and assignee.id != by.id
               else "Claimed" if assignee else "Returned to the unassigned pool")
    session.add(Activity(lead_id=lead.id, at=now, kind="assignment", user_id=by.id, summary=summary,
                         data={"from": previous, "to": lead.assignee_id}))
    return True


def claim(session: Session, lead: Lead, by: User, now: datetime | None = None) -> bool:
    """Take an unassigned lead (or one's own); a consultant cannot take a colleague's lead."""
    require_not_erased(lead)
    lock_lead(session, lead)
    if lead.assignee_id not in (None, by.id) and not by.is_admin:
        raise WorkspaceError("Another consultant already has this lead.", status=409, field="assignee")
    return assign(session, lead, by, by, now)


def find_user(session: Session, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise WorkspaceError("No such active consultant.", field="assignee")
    return user


@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # lead id -> why
    jobs: list[Job] = field(default_factory=list)  # to dispatch after commit


def _bulk_leads(session: Session, lead_ids: Iterable[str]) -> list[Lead]:
    ids = list(dict.fromkeys(lead_ids))
    if len(ids) > MAX_BULK:
        raise WorkspaceError(f"Select at most {MAX_BULK} leads at a time.", field="lead_ids")
    if not ids:
        raise WorkspaceError("Select at least one lead.", field="lead_ids")
    # Locked up front, in id order, before any consultant's row is touched (see lock_lead).
    return list(session.scalars(select(Lead).where(Lead.id.in_(ids)).order_by(Lead.id)
                                .with_for_update(key_share=True)))


# The reason a bulk action gives for an erased lead (the queue names them apart from refused moves).
ERASED = "erased"
ALREADY = "already assigned"


def bulk_assign(session: Session, lead_ids: Iterable[str], assignee: User | None, by: User) -> BulkResult:
    result = BulkResult()
    for lead in _bulk_leads(session, lead_ids):
        if lead.anonymised_at is not None:
            result.skipped[lead.id] = ERASED
            continue
        if assign(session, lead, assignee, by):
            result.changed.append(lead.id)
        else:  # it already was theirs: nothing written, and not counted as updated
            result.skipped[lead.id] = ALREADY
    return result


def bulk_status(session: Session, lead_ids: Iterable[str], target: str, by: User) -> BulkResult:
    if not target:
        raise WorkspaceError("Choose a status.", field="status")
    result = BulkResult()
    for lead in _bulk_leads(session, lead_ids):
        if lead.anonymised_at is not None:
            result.skipped[lead.id] = ERASED
        elif can_transition(lead.status, target):
            job = change_status(session, lead, target, by)
            if job is not None:
                result.jobs.append(job)
            result.changed.append(lead.id)
        else:
            result.skipped[lead.id] = f"{lead.status} → {target} is not allowed"
    return result


def reclassify(session: Session, lead: Lead, by: User, now: datetime | None = None) -> Job | None:
    """Record a classify_lead job (the caller dispatches it after commit); None if one is pending."""
    require_not_erased(lead)
    if lead.status == LeadStatus.SPAM.value:
        # The classification skips spam: the request would be recorded and never answered.
        raise WorkspaceError("A lead marked spam is not classified: change its status first.", status=409)
    if pending_job(session, "classify_lead", lead.id) is not None:
        return None
    session.add(Activity(lead_id=lead.id, at=now or utcnow(), kind="reclassify", user_id=by.id,
                         summary="Reclassification requested"))
    return record_job(session, "classify_lead", lead.id, {"lead_id": lead.id, "trigger": "reclassify"})
