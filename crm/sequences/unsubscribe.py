"""Unsubscribe links (signed, no login, valid for a year) and the unsubscribe itself (at once)."""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import ConsentKind, ConsentRecord, Lead, Suppression
from crm.sequences import history
from crm.sequences.enrolment import stop

# CASL requires at least 60 days; a year keeps old emails' links working.
TOKEN_MAX_AGE_SECONDS = 365 * 24 * 3600


@lru_cache(maxsize=8)
def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="crm.unsubscribe")


def make_token(secret_key: str, lead_id: str) -> str:
    return _serializer(secret_key).dumps(lead_id)


def unsubscribe_url(base_url: str, secret_key: str, lead_id: str) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{make_token(secret_key, lead_id)}"


def read_token(secret_key: str, token: str, now: float | None = None) -> str | None:
    """The lead id in a valid token, else None."""
    if not token or len(token) > 300:
        return None
    serializer = _serializer(secret_key)
    try:
        if now is None:
            value = serializer.loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
        else:
            value, signed_at = serializer.loads(token, return_timestamp=True)
            if now - signed_at.timestamp() > TOKEN_MAX_AGE_SECONDS:
                return None
    except (BadSignature, SignatureExpired):
        return None
    return value if isinstance(value, str) else None


def expired_token_lead(secret_key: str, token: str, now: float | None = None) -> str | None:
    """The lead id in a token we signed that is older than TOKEN_MAX_AGE_SECONDS, else None: its page can
    say the link expired, in the lead's language, instead of calling a genuine link broken."""
    if not token or len(token) > 300:
        return None
    try:
        value, signed_at = _serializer(secret_key).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    age = (time.time() if now is None else now) - signed_at.timestamp()
    return value if isinstance(value, str) and age > TOKEN_MAX_AGE_SECONDS else None


def unsubscribe(session: Session, lead: Lead, source: str, now: datetime, ip_address: str | None = None,
                reason: str = "unsubscribed") -> bool:
    """Withdraw consent, suppress the address and stop the sequence. False when already done."""
    if lead.unsubscribed_at is not None and reason == "unsubscribed":
        return False
    if lead.unsubscribed_at is None:
        lead.unsubscribed_at = now
    session.add(ConsentRecord(lead_id=lead.id, kind=ConsentKind.WITHDRAWN.value, recorded_at=now, source=source,
                              ip_address=ip_address, wording=f"Withdrawn: {reason} via {source}"))
    suppress(session, lead.email_key, reason, source, now)
    stop(session, lead.id, reason, now=now)
    kind = history.COMPLAINED if reason == "complaint" else history.UNSUBSCRIBED
    label = "Marked an email as spam" if reason == "complaint" else "Unsubscribed"
    history.record(session, lead.id, kind, f"{label} ({source})", now, source=source)
    return True


def suppress(session: Session, email_key: str, reason: str, source: str, now: datetime) -> None:
    existing = session.scalars(select(Suppression).where(Suppression.email_key == email_key)).first()
    if existing is None:
        session.add(Suppression(email_key=email_key, reason=reason, source=source, created_at=now))
    elif existing.reason == "unsubscribed" and reason != "unsubscribed":
        existing.reason = reason  # a bounce or complaint outranks an unsubscribe
