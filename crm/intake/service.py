"""Storing an inquiry: lead, inquiry, consent, timeline entry and classification job in one go.

`receive_inquiry` works inside the caller's transaction and never commits. Concurrent duplicates
are settled by unique constraints (lead email, idempotency key, dedupe key): the loser's commit
fails with IntegrityError and the caller runs it again, when it finds the winner's rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.intake.normalise import NormalisedInquiry, NormaliseError, normalise, normalise_email
from crm.intake.parsing import storable
from crm.intake.schema import field_errors, validate_fields
from crm.jobs import pending_job, record_job
from crm.models import Activity, ConsentKind, ConsentRecord, Inquiry, Job, Lead, LeadFlag, LeadStatus

REPLAY_WINDOW = timedelta(hours=24)
# Fields that change on every page load of the same form and so must not defeat the replay check.
VOLATILE_FIELDS = frozenset({"form_token", "_form_token", "csrf_token"})


class IntakeError(Exception):
    """A client mistake, with the HTTP status the contract names and field-level messages."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


@dataclass
class IntakeRequest:
    body: bytes
    content_type: str
    fields: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    remote_addr: str | None = None
    idempotency_key: str | None = None
    form_language: str | None = None  # "fr" when the form itself was the French one

    @property
    def request_hash(self) -> str:
        return hashlib.sha256(self.content_type.encode() + b"\n" + self.body).hexdigest()


@dataclass
class IntakeResult:
    lead_id: str
    inquiry_id: str
    created: bool  # False: a replay of an earlier request, nothing new stored
    language: str
    jobs: list[Job] = field(default_factory=list)

    def as_json(self) -> dict[str, str]:
        return {"id": self.lead_id, "inquiry_id": self.inquiry_id, "status": "received"}


def dedupe_key(email_key: str, fields: dict[str, Any]) -> str:
    stable = {k: v for k, v in fields.items() if k not in VOLATILE_FIELDS}
    canonical = json.dumps(storable(stable), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{email_key}\n{canonical}".encode("utf-8", "replace")).hexdigest()


def _validate(fields: dict[str, Any]) -> NormalisedInquiry:
    try:
        validated = validate_fields(fields)
    except ValidationError as exc:
        errors = field_errors(exc)
        email = fields.get("email")
        if "email" not in errors and isinstance(email, str) and email.strip():
            try:
                normalise_email(email.strip())
            except NormaliseError as email_error:
                errors.update(email_error.errors)
        raise IntakeError(422, errors) from exc
    try:
        return normalise(validated)
    except NormaliseError as exc:
        raise IntakeError(422, exc.errors) from exc


def _replay(inquiry: Inquiry) -> IntakeResult:
    return IntakeResult(inquiry.lead_id, inquiry.id, created=False, language=inquiry.language)


def receive_inquiry(session: Session, request: IntakeRequest, now: datetime | None = None) -> IntakeResult:
    """Validate and store one submission, or find the earlier one it repeats.

    Raises IntakeError for invalid input; nothing is written then.
    """
    now = now or utcnow()
    request_hash = request.request_hash
    if request.idempotency_key:
        earlier = session.scalars(
            select(Inquiry).where(Inquiry.idempotency_key == request.idempotency_key)
        ).first()
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise IntakeError(422, {"Idempotency-Key": [
                    "This key was already used for a different request body."]})
            return _replay(earlier)

    data = _validate(request.fields)
    key = dedupe_key(data.email_key, request.fields)
    earlier = session.scalars(select(Inquiry).where(Inquiry.dedupe_key == key)).first()
    if earlier is not None:
        if earlier.received_at > now - REPLAY_WINDOW:
            return _replay(earlier)
        # Outside the window the same submission is a new inquiry; free the key for it.
        session.execute(update(Inquiry).where(Inquiry.id == earlier.id).values(dedupe_key=None))

    is_spam = request.fields.get("website") not in (None, "", [])
    lead = session.scalars(select(Lead).where(Lead.email_key == data.email_key)).first()
    is_new_lead = lead is None
    language = data.preferred_language or (lead.preferred_language if lead else None) \
        or request.form_language or "en"
    if lead is None:
        lead = Lead(email=data.email, email_key=data.email_key, first_name=data.first_name,
                    preferred_language=language, first_inquiry_at=now, last_inquiry_at=now,
                    created_at=now, status_changed_at=now, facts={}, citizenships=[], unknown_countries=[],
                    status=LeadStatus.SPAM.value if is_spam else LeadStatus.RECEIVED.value)
        if is_spam:
            lead.flags = [LeadFlag(flag="spam")]
        session.add(lead)
    if not is_spam or is_new_lead:
        _apply_to_lead(lead, data, language, now)

    inquiry = Inquiry(
        lead=lead, received_at=now, raw_body=request.body, content_type=request.content_type[:255],
        headers=storable(request.headers), remote_addr=request.remote_addr, payload=storable(request.fields),
        normalised=data.as_json() | {"language": language}, idempotency_key=request.idempotency_key,
        dedupe_key=key, request_hash=request_hash, language=language,
        form_id=request.fields.get("form_id") if isinstance(request.fields.get("form_id"), str) else None,
        source_url=_text(request.fields.get("source_url"), 2000),
        utm_source=_text(request.fields.get("utm_source"), 200),
        utm_medium=_text(request.fields.get("utm_medium"), 200),
        utm_campaign=_text(request.fields.get("utm_campaign"), 200),
        is_spam=is_spam, spam_reason="honeypot field filled in" if is_spam else None,
    )
    session.add(inquiry)
    session.flush()

    session.add(ConsentRecord(
        lead_id=lead.id, inquiry_id=inquiry.id, recorded_at=now,
        kind=(ConsentKind.EXPRESS if data.consent_marketing else ConsentKind.IMPLIED).value,
        wording=data.consent_text, source="intake", ip_address=request.remote_addr,
        form_id=inquiry.form_id, source_url=inquiry.source_url,
    ))
    session.add(Activity(
        lead_id=lead.id, at=now, kind="inquiry",
        summary=("Spam inquiry (honeypot filled in)" if is_spam
                 else "First inquiry" if is_new_lead else "New inquiry from a known lead"),
        data={"inquiry_id": inquiry.id, "source_url": inquiry.source_url, "form_id": inquiry.form_id,
              "spam": is_spam, "notes": data.notes},
    ))

    jobs: list[Job] = []
    if not is_spam and lead.status != LeadStatus.SPAM.value:
        trigger = "intake" if is_new_lead else "new-inquiry"
        if pending_job(session, "classify_lead", lead.id) is None:
            jobs.append(record_job(session, "classify_lead", lead.id, {"lead_id": lead.id, "trigger": trigger}))
    session.flush()
    return IntakeResult(lead.id, inquiry.id, created=True, language=language, jobs=jobs)


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _apply_to_lead(lead: Lead, data: NormalisedInquiry, language: str, now: datetime) -> None:
    """The newest inquiry's answers win; answers it leaves out keep their earlier values."""
    lead.first_name = data.first_name
    lead.last_name = data.last_name or lead.last_name
    lead.email = data.email
    if data.phone:
        lead.phone, lead.phone_e164 = data.phone, data.phone_e164
    if data.citizenships:
        lead.citizenships = data.citizenships
    if data.citizenships or data.unknown_countries:
        lead.unknown_countries = data.unknown_countries
    lead.country_of_residence = data.country_of_residence or lead.country_of_residence
    if data.date_of_birth:
        lead.date_of_birth, lead.stated_age, lead.stated_age_on = data.date_of_birth, None, None
    elif data.stated_age is not None:
        lead.date_of_birth, lead.stated_age, lead.stated_age_on = None, data.stated_age, now.date()
    if data.preferred_language:
        lead.preferred_language = data.preferred_language
    elif not lead.preferred_language:
        lead.preferred_language = language
    lead.facts = {**(lead.facts or {}), **data.facts}
    lead.last_inquiry_at = now
    lead.search_text = " ".join(
        part for part in (data.first_name, data.last_name, data.email_key) if part
    ).casefold()
