"""CASL consent rules for sequence emails.

- The direct answer to an inquiry (a step with marketing: false) needs no consent, only the
  identification and unsubscribe content every message carries.
- Every other step needs express consent (lasts until withdrawn) or implied consent from an inquiry,
  which lasts 6 months from the latest inquiry.
- A withdrawal (unsubscribe) ends both; only a later express opt-in restores consent.
- A suppressed address (bounced, complaint, erased) gets nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import ConsentKind, ConsentRecord, Lead, Suppression

IMPLIED_CONSENT_DAYS = 183  # 6 months


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
    last_withdrawal = max((r.recorded_at for r in records if r.kind == ConsentKind.WITHDRAWN.value), default=None)
    express_after = [r for r in records if r.kind == ConsentKind.EXPRESS.value
                     and (last_withdrawal is None or r.recorded_at > last_withdrawal)]
    suppressed = session.scalars(select(Suppression.reason).where(Suppression.email_key == lead.email_key)).first()
    if suppressed is not None and not (suppressed == "unsubscribed" and express_after):
        return ConsentState(blocked=f"suppressed:{suppressed}", marketing_until=None, express=False)
    if last_withdrawal is not None and not express_after:
        return ConsentState(blocked="unsubscribed", marketing_until=None, express=False)
    if express_after:
        return ConsentState(blocked=None, marketing_until=None, express=True)
    inquiries = [r.recorded_at for r in records if r.kind == ConsentKind.IMPLIED.value
                 and (last_withdrawal is None or r.recorded_at > last_withdrawal)]
    latest = max([*inquiries, lead.last_inquiry_at]) if inquiries else None
    until = latest + timedelta(days=IMPLIED_CONSENT_DAYS) if latest else None
    return ConsentState(blocked=None, marketing_until=until, express=False)


def refusal(session: Session, lead: Lead, marketing: bool, at: datetime, suppression: str | None) -> str | None:
    """Why a step may not go to this lead at `at`, or None. `suppression` is the address's
    suppression reason, already read by the caller (None: not suppressed).

    Fast path for the answer to the inquiry: no consent needed, so unless the lead unsubscribed or the
    address is suppressed, there is nothing to read.
    """
    if not marketing and lead.unsubscribed_at is None and suppression is None:
        return None
    return consent_state(session, lead).refusal(marketing, at)
