"""Round-robin assignment of classified leads to the consultants who cover their language and stream."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Lead, Role, User

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def covers(user: User, language: str, stream: str) -> bool:
    """An empty list means the consultant takes every language (or stream)."""
    return (not user.languages or language in user.languages) and (not user.streams or stream in user.streams)


def assign(session: Session, lead: Lead, stream: str, now: datetime) -> str:
    """Give the lead to the matching consultant assigned longest ago; return the explanation.

    A lead that already has an active assignee keeps them. The caller owns the transaction. Two
    workers assigning at the same instant may both pick the same consultant: round-robin is a
    fairness rule, not an invariant, so no lock is taken on the users table.
    """
    if lead.assignee_id is not None:
        current = session.get(User, lead.assignee_id)
        if current is not None and current.active:
            return f"Kept the current assignee ({current.email})."
    language = lead.preferred_language or "en"
    users = session.scalars(
        select(User).where(User.active.is_(True), User.role.in_([Role.CONSULTANT.value, Role.ADMIN.value]))
    ).all()
    if not users:
        lead.assignee_id = None
        return "Unassigned: there is no active consultant."
    matching = [user for user in users if covers(user, language, stream)]
    if not matching:
        lead.assignee_id = None
        return f"Unassigned: no active consultant covers language {language} and stream {stream}."
    chosen = min(matching, key=lambda user: (user.last_assigned_at or _EPOCH, user.id))
    chosen.last_assigned_at = now
    lead.assignee_id = chosen.id
    return (f"Round-robin among {len(matching)} active consultant(s) covering language {language} and "
            f"stream {stream}: {chosen.email} was assigned longest ago.")
