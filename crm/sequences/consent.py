"""CASL consent rules for sequence emails.

- The direct answer to an inquiry (a step with marketing: false) needs no consent, only the
  identification and unsubscribe content every message carries.
- Every other step needs express consent (lasts until withdrawn) or implied consent from an inquiry,
  which lasts 6 months from the latest inquiry.
- A withdrawal (unsubscribe) ends both; only a later express opt-in restores consent.
- A suppressed address (bounced, complaint, erased) gets nothing at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulk import among
from crm.classify.ages import add_months
from crm.models import ConsentKind, ConsentRecord, Lead, Suppression

# CASL s. 10(10)(b): an inquiry implies consent for messages sent within the six months that follow it.
IMPLIED_CONSENT_MONTHS = 6


def implied_consent_until(inquiry_at: datetime) -> datetime:
    """When the consent implied by an inquiry at `inquiry_at` runs out: the start (UTC) of the same day of
    the month six calendar months later (the month's last day when it has no such day). A fixed count of
    days (183) ran up to two days past six months; ending at the start of that day stays inside them."""
    moment = inquiry_at if inquiry_at.tzinfo else inquiry_at.replace(tzinfo=UTC)
    end_day = add_months(moment.astimezone(UTC).date(), IMPLIED_CONSENT_MONTHS)
    return datetime.combine(end_day, time.min, UTC)


@dataclass(frozen=True)
class ConsentState:
    blocked: str | None  # why nothing at all may be sent (suppressed, unsubscribed), else None
    marketing_until: datetime | None  # marketing steps allowed before this time; None: not allowed
    express: bool

    def allows(self, marketing: bool, at: datetime) -> bool:
        if self.blocked:
            return False
        if not marketing:
            return True
        return self.express or (self.marketing_until is not None and at < self.marketing_until)

    def refusal(self, marketing: bool, at: datetime) -> str | None:
        """Why a step may not be sent at `at`, or None when it may."""
        if self.blocked:
            return self.blocked
        if self.allows(marketing, at):
            return None
        return "consent-expired" if self.marketing_until is not None else "no-consent"


def consent_state(session: Session, lead: Lead) -> ConsentState:
    records = session.execute(
        select(ConsentRecord.kind, ConsentRecord.recorded_at).where(ConsentRecord.lead_id == lead.id)
    ).all()
    suppressed = session.scalars(select(Suppression.reason).where(Suppression.email_key == lead.email_key)).first()
    return state_from(lead, [(r.kind, r.recorded_at) for r in records], suppressed)


def records_for(session: Session, lead_ids: Collection[str]) -> dict[str, list[tuple[str, datetime]]]:
    """Every lead's consent records (kind, time), in one query: the batch sender's read."""
    found: dict[str, list[tuple[str, datetime]]] = {lead_id: [] for lead_id in lead_ids}
    if found:
        for lead_id, kind, at in session.execute(
                select(ConsentRecord.lead_id, ConsentRecord.kind, ConsentRecord.recorded_at)
                .where(among(session.connection(), ConsentRecord.lead_id, list(found)))):
            found[lead_id].append((kind, at))
    return found


def state_from(lead: Lead, records: list[tuple[str, datetime]], suppressed: str | None) -> ConsentState:
    """The consent state from the lead's records (kind, time) and its address's suppression reason."""
    last_withdrawal = max((at for kind, at in records if kind == ConsentKind.WITHDRAWN.value), default=None)
    express_after = [at for kind, at in records if kind == ConsentKind.EXPRESS.value
                     and (last_withdrawal is None or at > last_withdrawal)]
    if suppressed is not None and not (suppressed == "unsubscribed" and express_after):
        return ConsentState(blocked=f"suppressed:{suppressed}", marketing_until=None, express=False)
    if last_withdrawal is not None and not express_after:
        return ConsentState(blocked="unsubscribed", marketing_until=None, express=False)
    if express_after:
        return ConsentState(blocked=None, marketing_until=None, express=True)
    inquiries = [at for kind, at in records if kind == ConsentKind.IMPLIED.value
                 and (last_withdrawal is None or at > last_withdrawal)]
    latest = max([*inquiries, lead.last_inquiry_at]) if inquiries else None
    until = implied_consent_until(latest) if latest else None
    return ConsentState(blocked=None, marketing_until=until, express=False)


def needs_records(lead: Lead, marketing: bool, suppression: str | None) -> bool:
    """False for the answer to the inquiry when nothing blocks it: no consent to read."""
    return marketing or lead.unsubscribed_at is not None or suppression is not None
