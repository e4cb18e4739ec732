"""Email events on the lead's timeline (Activity rows) and the flags the consultant queue filters on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crm.bulk import insert_rows
from crm.models import Activity, LeadFlag

# Activity kinds written by this package (the lead page shows them as they are).
SENT = "email-sent"
SKIPPED = "email-skipped"
FAILED = "email-failed"
DEFERRED = "email-deferred"
UNCERTAIN = "email-uncertain"
BOUNCED = "bounced"
COMPLAINED = "complained"
UNSUBSCRIBED = "unsubscribed"
REPLIED = "replied"
SEQUENCE = "sequence"  # enrolled, moved, paused, resumed, stopped, completed


def record(session: Session, lead_id: str, kind: str, summary: str, now: datetime,
           user_id: int | None = None, **data: Any) -> None:
    # A plain INSERT, not session.add(): the send path records an activity per email and the unit of
    # work's flush would cost more than the rest of the transaction.
    session.execute(insert(Activity).values(lead_id=lead_id, at=now, kind=kind, summary=summary[:2000],
                                            user_id=user_id, data=data))


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Several activities in one statement (crm.bulk; the batch sender): each row has lead_id, kind,
    summary, at and data."""
    for row in rows:
        row["summary"] = row["summary"][:2000]
    insert_rows(session.connection(), Activity.__table__, rows)  # type: ignore[arg-type]


def flag(session: Session, lead_id: str, name: str) -> None:
    """Add a queue flag once (email-failed, email-uncertain, bounced)."""
    exists = session.scalars(select(LeadFlag).where(LeadFlag.lead_id == lead_id, LeadFlag.flag == name)).first()
    if exists is None:
        session.add(LeadFlag(lead_id=lead_id, flag=name))


def timeline(session: Session, lead_id: str) -> list[Activity]:
    """The lead's email-related activities, oldest first."""
    kinds = [SENT, SKIPPED, FAILED, DEFERRED, UNCERTAIN, BOUNCED, COMPLAINED, UNSUBSCRIBED, REPLIED, SEQUENCE]
    return list(session.scalars(
        select(Activity).where(Activity.lead_id == lead_id, Activity.kind.in_(kinds)).order_by(Activity.at, Activity.id)
    ))
