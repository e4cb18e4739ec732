"""Sending one step exactly once, in three parts (the actor runs them, see workers/actors/email.py):

1. `prepare_send` (transaction 1, committed BEFORE talking to the mail server): checks that the step
   may go (enrolment active, consultant has not taken over, consent, daytime), renders it and claims
   the Delivery row, unique per (lead, content). A duplicate message or a second worker finds the
   claim and does nothing.
2. The transport hands the message over, outside any transaction; the actor journals the point of no
   return (crm/mail/journal.py) so that a dead worker's claim can be settled: see scheduling.py.
3. `record_outcome` (transaction 2): sent, deferred (temporary failure: retried), bounced (5xx for
   the address: suppressed and stopped), failed, or unknown (connection lost after the data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import cache
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, aliased, lazyload

from crm.config import Settings
from crm.mail import MailError, PermanentMailError, TemporaryMailError, UncertainDeliveryError
from crm.mail.journal import host_name
from crm.mail.message import MailMessage, compose
from crm.models import Delivery, Enrolment, EnrolmentStatus, Lead, ScheduledStep, StepStatus, Suppression
from crm.sequences import history
from crm.sequences.consent import refusal as consent_refusal
from crm.sequences.content import Sender, build_context, current_classification
from crm.sequences.definitions import get_sequence
from crm.sequences.enrolment import STOP_STATUSES, complete_if_done, stop
from crm.sequences.rendering import build_message, render
from crm.sequences.timezones import in_window, next_window, zone_for
from crm.sequences.unsubscribe import suppress, unsubscribe_url


@dataclass
class Outgoing:
    """A claimed delivery. Holds the loaded rows so that recording the outcome in the same session
    needs no second read (the session keeps them across the commit: expire_on_commit=False)."""

    delivery: Delivery  # the claimed row's values (detached: updates go through plain UPDATEs)
    step: ScheduledStep
    enrolment: Enrolment
    message: MailMessage
    final: bool  # no other step of the enrolment is waiting: completing it may end the enrolment

    @property
    def delivery_id(self) -> int:
        return self.delivery.id


def _skip(session: Session, step: ScheduledStep, reason: str, now: datetime, record: bool = True) -> None:
    step.status = StepStatus.SKIPPED.value
    step.last_error = reason[:500]
    if record:
        history.record(session, step.lead_id, history.SKIPPED, f"Email step {step.step_index} not sent: {reason}",
                        now, step_id=step.id, template=step.template, reason=reason)


def _fail(session: Session, step: ScheduledStep, error: str, now: datetime) -> None:
    step.status = StepStatus.FAILED.value
    step.last_error = error[:2000]
    history.record(session, step.lead_id, history.FAILED, f"Email step {step.step_index} failed: {error[:300]}",
                    now, step_id=step.id, template=step.template, error=error[:2000])
    history.flag(session, step.lead_id, "email-failed")


@cache
def _load_step_statement() -> Select[Any]:
    """The step, its enrolment, its lead, how many other steps are still open, the address's suppression
    reason and an existing claim for the same content, in one query.
    Built once: an aliased() per call costs more than the query itself."""
    others = aliased(ScheduledStep)
    later_open = (select(func.count()).select_from(others)
                  .where(others.enrolment_id == ScheduledStep.enrolment_id, others.id != ScheduledStep.id,
                         others.status.in_([StepStatus.SCHEDULED.value, StepStatus.QUEUED.value]))
                  .scalar_subquery())
    suppression = (select(Suppression.reason).where(Suppression.email_key == Lead.email_key)
                   .limit(1).scalar_subquery())
    claimed = (select(Delivery.id).where(Delivery.lead_id == ScheduledStep.lead_id,
                                         Delivery.content_key == ScheduledStep.content_key)
               .limit(1).scalar_subquery())
    return (select(ScheduledStep, Enrolment, Lead, later_open, suppression, claimed)
            .join(Enrolment, Enrolment.id == ScheduledStep.enrolment_id)
            .join(Lead, Lead.id == ScheduledStep.lead_id)
            .where(ScheduledStep.id == bindparam("step_id"))
            .options(lazyload(Lead.flags)))


def prepare_send(session: Session, step_id: int, settings: Settings, now: datetime) -> Outgoing | None:
    """Everything before the mail server; None when there is nothing to send (now or ever).

    Raises IntegrityError when another worker claimed the same content for this lead at the same
    moment: the caller rolls back and sends nothing.
    """
    row = session.execute(_load_step_statement(), {"step_id": step_id}).first()
    if row is None:
        return None
    step, enrolment, lead, others_open, suppressed, claimed_id = row
    if step.status not in (StepStatus.QUEUED.value, StepStatus.SCHEDULED.value):
        return None  # already sent, skipped or failed: a duplicate message
    if step.status == StepStatus.SCHEDULED.value and step.due_at > now:
        return None  # not due yet; the scheduler will queue it
    sequence = get_sequence(enrolment.sequence)
    if sequence is None or step.step_index >= len(sequence.steps):
        _skip(session, step, "sequence no longer defined", now)
        return None
    if enrolment.status == EnrolmentStatus.PAUSED.value:
        step.status = StepStatus.SCHEDULED.value  # sent after resume
        return None
    if enrolment.status != EnrolmentStatus.ACTIVE.value:
        _skip(session, step, f"sequence {enrolment.status}: {enrolment.stop_reason or ''}".strip(), now, record=False)
        return None
    if lead.status in STOP_STATUSES:
        stop(session, lead.id, f"status:{lead.status}", now=now)
        _skip(session, step, f"lead status is {lead.status}", now, record=False)
        return None
    definition = sequence.steps[step.step_index]
    refusal = consent_refusal(session, lead, definition.marketing, now, suppressed)
    if refusal is not None:
        stop(session, lead.id, refusal, now=now)
        _skip(session, step, refusal, now)
        complete_if_done(session, enrolment, now)
        return None
    zone = zone_for(lead.country_of_residence, lead.citizenships)
    if step.step_index > 0 and not in_window(now, zone):
        step.status, step.due_at = StepStatus.SCHEDULED.value, next_window(now, zone)
        return None

    existing = session.get(Delivery, claimed_id) if claimed_id is not None else None
    if existing is not None:
        return _reclaim(session, existing, step, enrolment, now, final=not others_open)

    sender = Sender.from_settings(settings)
    unsub = unsubscribe_url(settings.base_url, settings.secret_key, lead.id)
    try:
        context = build_context(lead, current_classification(session, lead.id), sequence, enrolment.language,
                                sender, unsub, now)
        subject, text, html = render(step.template, enrolment.language, context)
        message = build_message(subject=subject, text=text, html=html, mail_from=settings.mail_from,
                                to_name=lead.full_name, to_address=lead.email, reply_token=lead.reply_token,
                                unsubscribe_url=unsub, now=now)
    except (TemplateError, ValueError, LookupError, TypeError) as exc:
        # A broken template or unusable data fails this step visibly, and only this step.
        _fail(session, step, f"could not render {step.template}: {type(exc).__name__}: {exc}", now)
        complete_if_done(session, enrolment, now)
        return None
    values = dict(lead_id=lead.id, step_id=step.id, content_key=step.content_key, sequence=enrolment.sequence,
                  template=step.template, language=enrolment.language, status="sending", to_address=lead.email,
                  subject=subject, text_body=text, html_body=html, headers=message.headers,
                  message_id=message.message_id, created_at=now, claimed_at=now, claimed_by=host_name(), attempts=1)
    # The unique (lead_id, content_key) claim: IntegrityError here if another worker has it.
    delivery_id = session.execute(insert(Delivery).values(**values).returning(Delivery.id)).scalar_one()
    _mark_step(session, step.id, status=StepStatus.QUEUED.value, queued_at=now,  # in flight; re-sent if lost
               attempts=ScheduledStep.attempts + 1)
    return Outgoing(Delivery(id=delivery_id, **values), step, enrolment, message, final=not others_open)


def _mark_step(session: Session, step_id: int, **values: object) -> None:
    session.execute(update(ScheduledStep).where(ScheduledStep.id == step_id).values(**values)
                    .execution_options(synchronize_session=False))


def _mark_delivery(session: Session, delivery_id: int, **values: object) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values)
                    .execution_options(synchronize_session=False))


def _settle_claim(session: Session, delivery: Delivery, **values: object) -> bool:
    """Record an outcome only while this attempt's claim still stands: a worker so slow that the
    scheduler settled its claim meanwhile (crm.sequences.scheduling.settle_claims) changes nothing."""
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "sending",
                               Delivery.attempts == delivery.attempts)
        .values(**values).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _reclaim(session: Session, delivery: Delivery, step: ScheduledStep, enrolment: Enrolment,
             now: datetime, final: bool) -> Outgoing | None:
    if delivery.step_id != step.id:
        if delivery.status in ("sent", "sending", "unknown", "deferred"):
            _skip(session, step, "content already sent", now, record=False)
            return None
        return None
    if delivery.status != "deferred":
        return None  # "sending": another worker has it (or died: settled by the scheduler)
    won = session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "deferred")
        .values(status="sending", claimed_at=now, claimed_by=host_name(), attempts=Delivery.attempts + 1)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(delivery)
    _mark_step(session, step.id, queued_at=now, attempts=ScheduledStep.attempts + 1)
    return Outgoing(delivery, step, enrolment, rebuild_message(delivery), final=final)


def rebuild_message(delivery: Delivery) -> MailMessage:
    """The same message again (same headers, Message-ID and bodies) for a retry after a temporary failure."""
    headers = dict(delivery.headers or {})
    return MailMessage(sender=parseaddr(headers.get("From", ""))[1], recipients=[delivery.to_address],
                       data=compose(list(headers.items()), delivery.text_body, delivery.html_body),
                       message_id=delivery.message_id or headers.get("Message-ID", ""), headers=headers)


def record_outcome(session: Session, outgoing: Outgoing, now: datetime, error: MailError | None = None) -> None:
    """Transaction 2: what the mail server said (plain UPDATEs by id: no re-read, no unit-of-work flush)."""
    delivery, step = outgoing.delivery, outgoing.step
    problem = str(error)[:2000] if error is not None else None
    if error is None:
        if not _settle_claim(session, delivery, status="sent", sent_at=now, error=None):
            return
        _mark_step(session, step.id, status=StepStatus.SENT.value, last_error=None)
        history.record(session, delivery.lead_id, history.SENT, f"Email sent: {delivery.subject}", now,
                       delivery_id=delivery.id, step_id=step.id, message_id=delivery.message_id,
                       template=delivery.template, language=delivery.language, sequence=delivery.sequence)
    elif isinstance(error, TemporaryMailError):
        if not _settle_claim(session, delivery, status="deferred", error=problem):
            return
        _mark_step(session, step.id, last_error=problem, queued_at=now)
        history.record(session, delivery.lead_id, history.DEFERRED,
                       f"Email delayed (attempt {delivery.attempts}): the mail server is unavailable; retrying",
                       now, delivery_id=delivery.id, error=str(error)[:500])
        return
    elif isinstance(error, PermanentMailError) and error.recipient:
        if not _settle_claim(session, delivery, status="bounced", error=problem):
            return
        _mark_step(session, step.id, status=StepStatus.FAILED.value, last_error=f"bounced: {error}"[:2000])
        record_bounce(session, delivery.lead_id, "smtp", now, detail=str(error)[:500])
    elif isinstance(error, UncertainDeliveryError):
        if not _settle_claim(session, delivery, status="unknown", error=problem):
            return
        _mark_step(session, step.id, status=StepStatus.FAILED.value, last_error=problem)
        history.record(session, delivery.lead_id, history.UNCERTAIN,
                       f"Email \u201c{delivery.subject}\u201d may not have been sent; check before resending", now,
                       delivery_id=delivery.id, error=str(error)[:500])
        history.flag(session, delivery.lead_id, "email-uncertain")
    else:
        if not _settle_claim(session, delivery, status="failed", error=problem):
            return
        _mark_step(session, step.id, status=StepStatus.FAILED.value, last_error=problem)
        history.record(session, step.lead_id, history.FAILED, f"Email step {step.step_index} failed: {problem}",
                       now, step_id=step.id, template=step.template, error=problem)
        history.flag(session, step.lead_id, "email-failed")
    if outgoing.final:
        complete_if_done(session, outgoing.enrolment, now)


def record_bounce(session: Session, lead_id: str, source: str, now: datetime, detail: str = "") -> None:
    """The address does not take mail: suppress it, stop the sequence, flag the lead."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return
    lead.bounced_at = lead.bounced_at or now
    suppress(session, lead.email_key, "bounced", source, now)
    stop(session, lead_id, "bounced", now=now)
    history.record(session, lead_id, history.BOUNCED, f"Email address bounced ({source})", now,
                    source=source, detail=detail)
    history.flag(session, lead_id, "bounced")
