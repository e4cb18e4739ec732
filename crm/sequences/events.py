"""Inbound events about a lead's emails: replies, bounces and complaints (POST /api/leads/<id>/events).

A reply stops the sequence: the lead is talking to a person now. Replies are matched by the lead's
reply token (the Reply-To address is <local>+<token>@<domain>) or by In-Reply-To / References
naming one of our Message-IDs; the URL's lead id is used only when it agrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Delivery, Lead
from crm.sequences import history
from crm.sequences.enrolment import stop
from crm.sequences.sending import record_bounce
from crm.sequences.unsubscribe import unsubscribe

EVENT_TYPES = ("reply", "bounce", "complaint")
_TOKEN = re.compile(r"\+([0-9a-f]{16,32})@", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]{1,250}>")


class EventError(ValueError):
    """The event is malformed or does not belong to this lead (mapped to 422 / 404 by the view)."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


@dataclass(frozen=True)
class EventResult:
    lead_id: str
    type: str
    matched_by: str
    changed: bool

    def as_json(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "type": self.type, "matched_by": self.matched_by, "changed": self.changed}


def _match(session: Session, lead: Lead, payload: dict[str, Any]) -> str | None:
    """How the event was tied to the lead: reply-token, message-id, or None when it contradicts it."""
    for field in ("to", "recipient", "reply_to"):
        value = payload.get(field)
        if isinstance(value, str):
            found = _TOKEN.search(value)
            if found:
                return "reply-token" if found.group(1).lower() == lead.reply_token.lower() else None
    ids: list[str] = []
    for field in ("in_reply_to", "references", "message_id"):
        value = payload.get(field)
        if isinstance(value, str):
            ids.extend(_MSGID.findall(value))
    if ids:
        owner = session.scalars(select(Delivery.lead_id).where(Delivery.message_id.in_(ids[:20]))).first()
        return "message-id" if owner == lead.id else None
    return "lead-id"


def handle_event(session: Session, lead_id: str, payload: dict[str, Any], now: datetime,
                 ip_address: str | None = None) -> EventResult:
    kind = payload.get("type")
    if kind not in EVENT_TYPES:
        raise EventError(422, {"type": [f"Must be one of: {', '.join(EVENT_TYPES)}."]})
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise EventError(404, {"lead": ["No such lead."]})
    matched_by = _match(session, lead, payload)
    if matched_by is None:
        raise EventError(422, {"match": ["The reply token or In-Reply-To does not belong to this lead."]})
    changed = True
    if kind == "reply":
        stopped = stop(session, lead.id, "replied", now=now)
        changed = stopped is not None
        history.record(session, lead.id, history.REPLIED, "The lead replied to an email", now,
                        matched_by=matched_by, subject=str(payload.get("subject") or "")[:200])
    elif kind == "bounce":
        changed = lead.bounced_at is None
        record_bounce(session, lead.id, "event", now, detail=str(payload.get("detail") or "")[:500])
    else:
        changed = unsubscribe(session, lead, "complaint", now, ip_address, reason="complaint")
    return EventResult(lead.id, kind, matched_by, changed)
