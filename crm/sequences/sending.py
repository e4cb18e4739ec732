"""Sending one step exactly once, in three parts (the actor runs them, see workers/actors/email.py):

1. `prepare_send` (transaction 1, committed BEFORE talking to the mail server): checks that the step
   may go (enrolment active, consultant has not taken over, consent, daytime), renders it and claims
   the Delivery row, unique per (lead, content). A duplicate message or a second worker finds the
   claim and does nothing.
2. The transport hands the message over, outside any transaction; the actor journals the point of no
   return (crm/mail/journal.py) so that a dead worker's claim can be settled: see scheduling.py.
3. `record_outcomes` (transaction 2): sent, deferred (temporary failure: retried), bounced (5xx for
   the address: suppressed and stopped), failed, or unknown (connection lost after the data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import cache
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import Integer, Select, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased, lazyload, load_only

from crm.bulk import among, insert_rows
from crm.config import Settings
from crm.jobs import insert_job
from crm.mail import MailError, PermanentMailError, TemporaryMailError, UncertainDeliveryError
from crm.mail.journal import host_name
from crm.mail.message import MailMessage, compose
from crm.models import (
    Classification,
    Delivery,
    Enrolment,
    EnrolmentStatus,
    Lead,
    ScheduledStep,
    StepStatus,
    Suppression,
)
from crm.sequences import history
from crm.sequences.consent import needs_records, records_for, state_from
from crm.sequences.content import Sender, build_context, current_classifications, iec_aged_out, local_date
from crm.sequences.definitions import SequenceDef, get_sequence
from crm.sequences.enrolment import AGED_OUT, STOP_STATUSES, complete_if_done, stop
from crm.sequences.rendering import build_message, render
from crm.sequences.timezones import in_window, lead_zone, next_window
from crm.sequences.unsubscribe import suppress, unsubscribe_url

CLASSIFY = "classify_lead"  # the classification job's kind (crm.classify.service.KIND)


@dataclass
class Claim:
    """What recording an outcome needs of a claimed Delivery row (a plain object: building an ORM
    instance per email costs more than the rest of the bookkeeping)."""

    id: int
    lead_id: str
    step_id: int | None
    attempts: int
    message_id: str | None
    subject: str
    template: str
    language: str
    sequence: str

    @classmethod
    def of(cls, delivery: Delivery) -> Claim:
        return cls(delivery.id, delivery.lead_id, delivery.step_id, delivery.attempts, delivery.message_id,
                   delivery.subject, delivery.template, delivery.language, delivery.sequence)


@dataclass
class Outgoing:
    """A claimed delivery. Holds the loaded rows so that recording the outcome in the same session
    needs no second read (the session keeps them across the commit: expire_on_commit=False)."""

    delivery: Claim  # the claimed row's values (updates go through plain UPDATEs)
    step: ScheduledStep
    enrolment: Enrolment
    message: MailMessage
    final: bool  # no other step of the enrolment is waiting: completing it may end the enrolment

    @property
    def delivery_id(self) -> int:
        return self.delivery.id


def _skip(session: Session, step: ScheduledStep, reason: str, now: datetime, record: bool = True,
          **detail: Any) -> None:
    """`reason` is a key the lead page words (crm.web.labels.stop_reason); `detail` goes with it in the
    timeline entry's data (the country, limit and day of an aged-out stop)."""
    step.status = StepStatus.SKIPPED.value
    step.last_error = reason[:500]
    if record:
        history.record(session, step.lead_id, history.SKIPPED, f"Email step {step.step_index} not sent: {reason}",
                        now, step_id=step.id, template=step.template, reason=reason, **detail)


def _fail(session: Session, step: ScheduledStep, error: str, now: datetime) -> None:
    step.status = StepStatus.FAILED.value
    step.last_error = error[:2000]
    history.record(session, step.lead_id, history.FAILED, f"Email step {step.step_index} failed: {error[:300]}",
                    now, step_id=step.id, template=step.template, error=error[:2000])
    history.flag(session, step.lead_id, "email-failed")


@cache
def _load_steps_statement(postgresql: bool) -> Select[Any]:
    """The steps, their enrolments and leads, how many other steps of each enrolment are still open,
    the address's suppression reason and an existing claim for the same content, in one query.
    Built once per dialect: an aliased() per call costs more than the query itself. On PostgreSQL the
    step ids are one array parameter (crm.bulk.among: the driver prepares the statement once)."""
    others = aliased(ScheduledStep)
    # Counted with FILTER, the enrolment the only condition: with the status in the WHERE clause,
    # PostgreSQL may AND in the status index, thousands of entries per step.
    later_open = (select(func.count().filter(others.id != ScheduledStep.id,
                                             others.status.in_([StepStatus.SCHEDULED.value, StepStatus.QUEUED.value])))
                  .select_from(others).where(others.enrolment_id == ScheduledStep.enrolment_id)
                  .scalar_subquery())
    suppression = (select(Suppression.reason).where(Suppression.email_key == Lead.email_key)
                   .limit(1).scalar_subquery())
    claimed = (select(Delivery.id).where(Delivery.lead_id == ScheduledStep.lead_id,
                                         Delivery.content_key == ScheduledStep.content_key)
               .limit(1).scalar_subquery())
    ids = (ScheduledStep.id == any_(bindparam("step_ids", type_=ARRAY(Integer))) if postgresql
           else ScheduledStep.id.in_(bindparam("step_ids", expanding=True)))
    return (select(ScheduledStep, Enrolment, Lead, later_open, suppression, claimed)
            .join(Enrolment, Enrolment.id == ScheduledStep.enrolment_id)
            .join(Lead, Lead.id == ScheduledStep.lead_id)
            .where(ids)
            .order_by(ScheduledStep.id)
            # Only the lead's columns sending reads (content.build_context, consent, the headers): the
            # others (dates, search text, counters) cost a conversion each per row for nothing.
            .options(lazyload(Lead.flags),
                     load_only(Lead.id, Lead.email, Lead.email_key, Lead.first_name, Lead.last_name,
                               Lead.citizenships, Lead.message_citizenships, Lead.country_of_residence,
                               Lead.date_of_birth, Lead.stated_age, Lead.stated_age_on, Lead.facts, Lead.status,
                               Lead.assignee_id, Lead.reply_token, Lead.unsubscribed_at, Lead.last_inquiry_at)))


@dataclass
class _Candidate:
    step: ScheduledStep
    enrolment: Enrolment
    lead: Lead
    sequence: SequenceDef
    others_open: int
    suppressed: str | None
    claimed_id: int | None


def prepare_send(session: Session, step_id: int, settings: Settings, now: datetime) -> Outgoing | None:
    """Everything before the mail server for one step; None when there is nothing to send (now or ever),
    also when another worker claimed the same content for this lead at the same moment."""
    found = prepare_batch(session, [step_id], settings, now)
    return found[0] if found else None


def prepare_batch(session: Session, step_ids: Sequence[int], settings: Settings, now: datetime) -> list[Outgoing]:
    """Transaction 1 for a batch of steps: check each step may go, render it, and claim its Delivery
    row, set-based (one read, one multi-row INSERT ... ON CONFLICT DO NOTHING, one UPDATE of the
    steps). Returns the claims this call won; a step another worker claimed (duplicate message,
    concurrent worker) is simply not among them. Each step is judged on its own: a stopped lead, a
    broken template or a missing consent affects that step only.
    """
    if not step_ids:
        return []
    statement = _load_steps_statement(session.get_bind().dialect.name == "postgresql")
    rows = session.execute(statement, {"step_ids": sorted(set(step_ids))}).all()
    # The current classifications, in one read: the IEC age check and the rendering go by the country
    # and age the classifier stored on its candidates.
    classifications = current_classifications(session, [row[2].id for row in rows]) if rows else {}
    candidates: list[_Candidate] = []
    for step, enrolment, lead, others_open, suppressed, claimed_id in rows:
        candidate = _check(session, step, enrolment, lead, others_open, suppressed, claimed_id, now,
                           classifications.get(lead.id))
        if candidate is not None:
            candidates.append(candidate)
    return _claim(session, _with_consent(session, candidates, now), settings, now, classifications)


def _check(session: Session, step: ScheduledStep, enrolment: Enrolment, lead: Lead, others_open: int,
           suppressed: str | None, claimed_id: int | None, now: datetime,
           classification: Classification | None = None) -> _Candidate | None:
    """The checks that need no further read, in the order the single-step path always made them."""
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
    # On the lead's own date: the day they pass the limit starts at midnight where they live.
    aged_out = iec_aged_out(lead, sequence.stream, local_date(lead, now), candidates=classification.candidates
                            if classification is not None else None)
    if aged_out is not None:
        # The IEC steps would promote a program the lead can no longer apply to: the sequence ends
        # and the lead waits for a consultant (docs/email.md).
        if stop(session, lead.id, AGED_OUT, now=now, **aged_out.data()) is not None:
            # The stored classification still says IEC (and "age-out soon"): the lead is classified again
            # in this transaction's wake, so the consultant sees where it stands. The job is a row here;
            # the sweep (or the next classification batch) sends it. The new classification enrols the
            # lead nowhere (enrolment.decide: held), so no sequence starts over.
            insert_job(session, CLASSIFY, lead.id, {"lead_id": lead.id, "trigger": "aged-out"}, now)
        _skip(session, step, AGED_OUT, now, **aged_out.data())
        return None
    return _Candidate(step, enrolment, lead, sequence, others_open, suppressed, claimed_id)


def _with_consent(session: Session, candidates: list[_Candidate], now: datetime) -> list[_Candidate]:
    """CASL consent and the send window; the consent records of every lead that needs them in one read."""
    readers = {c.lead.id for c in candidates
               if needs_records(c.lead, c.sequence.steps[c.step.step_index].marketing, c.suppressed)}
    records = records_for(session, readers)
    kept: list[_Candidate] = []
    for c in candidates:
        step, lead, enrolment = c.step, c.lead, c.enrolment
        if enrolment.status != EnrolmentStatus.ACTIVE.value:  # stopped by an earlier step of this batch
            _skip(session, step, f"sequence {enrolment.status}: {enrolment.stop_reason or ''}".strip(), now,
                  record=False)
            continue
        marketing = c.sequence.steps[step.step_index].marketing
        refusal = (state_from(lead, records[lead.id], c.suppressed).refusal(marketing, now)
                   if lead.id in records else None)
        if refusal is not None:
            stop(session, lead.id, refusal, now=now)
            _skip(session, step, refusal, now)
            complete_if_done(session, enrolment, now)
            continue
        zone = lead_zone(lead)
        if step.step_index > 0 and not in_window(now, zone):
            step.status, step.due_at = StepStatus.SCHEDULED.value, next_window(now, zone)
            continue
        kept.append(c)
    return kept


def _claim(session: Session, candidates: list[_Candidate], settings: Settings, now: datetime,
           classifications: dict[str, Classification]) -> list[Outgoing]:
    # Steps of one enrolment in the same batch: each counts the others as open, so "final" (completing
    # the step may end the enrolment) is judged against the steps outside this batch.
    in_batch = Counter(c.enrolment.id for c in candidates)

    def is_final(c: _Candidate) -> bool:
        return c.others_open <= in_batch[c.enrolment.id] - 1

    existing_ids = [c.claimed_id for c in candidates if c.claimed_id is not None]
    existing = ({d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(existing_ids)))}
                if existing_ids else {})
    sender = Sender.from_settings(settings)
    host = host_name()
    outgoing: list[Outgoing] = []
    rendered: list[tuple[_Candidate, dict[str, Any], MailMessage]] = []
    for c in candidates:
        if c.claimed_id is not None:
            delivery = existing.get(c.claimed_id)
            if delivery is not None:
                again = _reclaim(session, delivery, c.step, c.enrolment, now, host, final=is_final(c))
                if again is not None:
                    outgoing.append(again)
            continue
        step, lead, enrolment = c.step, c.lead, c.enrolment
        unsub = unsubscribe_url(settings.base_url, settings.secret_key, lead.id)
        try:
            context = build_context(lead, classifications.get(lead.id), c.sequence, enrolment.language,
                                    sender, unsub, now)
            subject, text, html = render(step.template, enrolment.language, context)
            message = build_message(subject=subject, text=text, html=html, mail_from=settings.mail_from,
                                    to_name=lead.full_name, to_address=lead.email, reply_token=lead.reply_token,
                                    unsubscribe_url=unsub, now=now)
        except (TemplateError, ValueError, LookupError, TypeError) as exc:
            # A broken template or unusable data fails this step visibly, and only this step.
            _fail(session, step, f"could not render {step.template}: {type(exc).__name__}: {exc}", now)
            complete_if_done(session, enrolment, now)
            continue
        except SQLAlchemyError:
            raise  # the database, not this lead: the batch is claimed again one step at a time (the actor)
        except Exception as exc:  # one lead's unexpected problem must not sink the batch
            # Anything else while preparing this lead's email (a bug, odd data): this step fails, the
            # rest of the batch goes. The exception's type only: its text may quote the lead's data.
            _fail(session, step, f"could not prepare {step.template}: {type(exc).__name__}", now)
            complete_if_done(session, enrolment, now)
            continue
        values = dict(lead_id=lead.id, step_id=step.id, content_key=step.content_key, sequence=enrolment.sequence,
                      template=step.template, language=enrolment.language, status="sending", to_address=lead.email,
                      subject=subject, text_body=text, html_body=html, headers=message.headers,
                      message_id=message.message_id, created_at=now, claimed_at=now, claimed_by=host, attempts=1)
        rendered.append((c, values, message))
    if rendered:
        # The unique (lead_id, content_key) claims, in key order (two workers with overlapping batches
        # take the keys in the same order: no deadlock). A key another worker holds is skipped: on
        # PostgreSQL the INSERT waits for that worker's transaction and then does nothing.
        rendered.sort(key=lambda item: (item[1]["lead_id"], item[1]["content_key"]))
        won = {step_id: delivery_id for delivery_id, step_id in insert_rows(
            session.connection(), Delivery.__table__, [values for _c, values, _m in rendered],  # type: ignore[arg-type]
            returning=("id", "step_id"), ignore_conflicts_on=("lead_id", "content_key"))}
        if won:
            steps = ScheduledStep.__table__
            session.execute(update(steps).where(among(session.connection(), steps.c.id, list(won)))
                            .values(status=StepStatus.QUEUED.value, queued_at=now,  # in flight; re-sent if lost
                                    attempts=steps.c.attempts + 1))
        for c, values, message in rendered:
            delivery_id = won.get(c.step.id)
            if delivery_id is not None:
                claim = Claim(delivery_id, values["lead_id"], c.step.id, 1, values["message_id"], values["subject"],
                              values["template"], values["language"], values["sequence"])
                outgoing.append(Outgoing(claim, c.step, c.enrolment, message, final=is_final(c)))
    outgoing.sort(key=lambda o: o.step.id)
    return outgoing


def record_prepare_failure(session: Session, step_id: int, error_type: str, now: datetime,
                           max_attempts: int) -> bool:
    """A step whose claim failed even on its own (an unexpected exception while checking, rendering or
    inserting it): the attempt is counted on the step; at `max_attempts` the step fails visibly (timeline
    and flag, like a broken template). Only the exception's type is kept: its text may quote the lead's
    data. True when the step has failed for good (or is no longer waiting), False when it may be retried.
    """
    step = session.get(ScheduledStep, step_id)
    if step is None or step.status not in (StepStatus.QUEUED.value, StepStatus.SCHEDULED.value):
        return True
    step.attempts = (step.attempts or 0) + 1
    error = f"could not prepare {step.template}: {error_type}"
    if step.attempts < max_attempts:
        step.last_error = error[:2000]  # queued: retried with backoff (requeue_stuck waits for the retries)
        return False
    _fail(session, step, f"{error} (attempt {step.attempts})", now)
    enrolment = session.get(Enrolment, step.enrolment_id)
    if enrolment is not None:
        complete_if_done(session, enrolment, now)
    return True


def _mark_step(session: Session, step_id: int, **values: object) -> None:
    session.execute(update(ScheduledStep).where(ScheduledStep.id == step_id).values(**values)
                    .execution_options(synchronize_session=False))


def _mark_delivery(session: Session, delivery_id: int, **values: object) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values)
                    .execution_options(synchronize_session=False))


def settle_claim(session: Session, delivery: Claim, **values: object) -> bool:
    """Record an outcome only while this attempt's claim still stands: a worker so slow that the
    scheduler settled its claim meanwhile (crm.sequences.scheduling.settle_claims) changes nothing."""
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "sending",
                               Delivery.attempts == delivery.attempts)
        .values(**values).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _reclaim(session: Session, delivery: Delivery, step: ScheduledStep, enrolment: Enrolment,
             now: datetime, host: str, final: bool) -> Outgoing | None:
    if delivery.step_id != step.id:
        if delivery.status in ("sent", "sending", "unknown", "deferred"):
            _skip(session, step, "content already sent", now, record=False)
            return None
        return None
    if delivery.status != "deferred":
        return None  # "sending": another worker has it (or died: settled by the scheduler)
    won = session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "deferred")
        .values(status="sending", claimed_at=now, claimed_by=host, attempts=Delivery.attempts + 1)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(delivery)
    _mark_step(session, step.id, queued_at=now, attempts=ScheduledStep.attempts + 1)
    return Outgoing(Claim.of(delivery), step, enrolment, rebuild_message(delivery), final=final)


def rebuild_message(delivery: Delivery) -> MailMessage:
    """The same message again (same headers, Message-ID and bodies) for a retry after a temporary failure."""
    headers = dict(delivery.headers or {})
    return MailMessage(sender=parseaddr(headers.get("From", ""))[1], recipients=[delivery.to_address],
                       data=compose(list(headers.items()), delivery.text_body, delivery.html_body),
                       message_id=delivery.message_id or headers.get("Message-ID", ""), headers=headers)


def record_outcomes(session: Session, results: Sequence[tuple[Outgoing, MailError | None]], now: datetime) -> None:
    """Transaction 2 for a batch: what the mail server said about each message. The sent ones are
    recorded set-based (record_sent); failures one by one: deferred (temporary failure: retried),
    bounced (5xx for the address: suppressed and stopped), unknown (connection lost after the data)
    or failed."""
    sent = [outgoing for outgoing, error in results if error is None]
    if sent:
        recorded = {claim.id for claim in record_sent(session, [outgoing.delivery for outgoing in sent], now)}
        for outgoing in sent:
            if outgoing.final and outgoing.delivery.id in recorded:
                complete_if_done(session, outgoing.enrolment, now)
    for outgoing, error in results:
        if error is not None:
            _record_failure(session, outgoing, now, error)


def record_sent(session: Session, claims: Sequence[Claim], now: datetime, sent_at: datetime | None = None,
                **note: Any) -> list[Claim]:
    """Messages the server accepted (250), set-based: the claims that still stand (status sending, same
    attempt) become sent, their steps sent, and each gets its timeline entry (message id, time,
    template, language); `note` adds to the entry's data. Returns the claims recorded (also used by
    the scheduler for a dead worker's message its journal shows as sent)."""
    won = _settle_claims(session, claims, status="sent", sent_at=sent_at or now, error=None)
    recorded = [claim for claim in claims if claim.id in won]
    step_ids = [claim.step_id for claim in recorded if claim.step_id is not None]
    if step_ids:
        steps = ScheduledStep.__table__
        session.execute(update(steps).where(among(session.connection(), steps.c.id, step_ids))
                        .values(status=StepStatus.SENT.value, last_error=None))
    history.record_many(session, [
        dict(lead_id=c.lead_id, kind=history.SENT, summary=f"Email sent: {c.subject}", at=now,
             data=dict(delivery_id=c.id, step_id=c.step_id, message_id=c.message_id, template=c.template,
                       language=c.language, sequence=c.sequence, **note))
        for c in recorded])
    return recorded


def record_uncertain(session: Session, claim: Claim, now: datetime, error: str, step_error: str | None = None) -> bool:
    """The message was handed over and no answer came (connection lost, or its worker died after the
    data): "unknown", never sent again, flagged for a person to check. False when the claim no longer stood."""
    if not settle_claim(session, claim, status="unknown", error=error[:2000]):
        return False
    if claim.step_id is not None:
        _mark_step(session, claim.step_id, status=StepStatus.FAILED.value, last_error=(step_error or error)[:2000])
    history.record(session, claim.lead_id, history.UNCERTAIN,
                   f"Email \u201c{claim.subject}\u201d may not have been sent; check before resending", now,
                   delivery_id=claim.id, template=claim.template, error=error[:500])
    history.flag(session, claim.lead_id, "email-uncertain")
    return True


def _settle_claims(session: Session, claims: Sequence[Claim], **values: object) -> set[int]:
    """settle_claim for many: the delivery ids whose claim (status sending, same attempt) still stood."""
    table = Delivery.__table__
    by_attempt: dict[int, list[int]] = {}
    for claim in claims:
        by_attempt.setdefault(claim.attempts, []).append(claim.id)
    won: set[int] = set()
    for attempts, ids in by_attempt.items():
        won.update(session.scalars(
            update(table).where(among(session.connection(), table.c.id, ids), table.c.status == "sending",
                                table.c.attempts == attempts)
            .values(**values).returning(table.c.id)))
    return won


def _record_failure(session: Session, outgoing: Outgoing, now: datetime, error: MailError) -> None:
    """One message the server did not take (plain UPDATEs by id: no re-read, no unit-of-work flush)."""
    delivery, step = outgoing.delivery, outgoing.step
    problem = str(error)[:2000]
    if isinstance(error, TemporaryMailError):
        if not settle_claim(session, delivery, status="deferred", error=problem):
            return
        _mark_step(session, step.id, last_error=problem, queued_at=now)
        history.record(session, delivery.lead_id, history.DEFERRED,
                       f"Email delayed (attempt {delivery.attempts}): the mail server is unavailable; retrying",
                       now, delivery_id=delivery.id, error=str(error)[:500])
        return
    if isinstance(error, PermanentMailError) and error.recipient:
        if not settle_claim(session, delivery, status="bounced", error=problem):
            return
        _mark_step(session, step.id, status=StepStatus.FAILED.value, last_error=f"bounced: {error}"[:2000])
        record_bounce(session, delivery.lead_id, "smtp", now, detail=str(error)[:500])
    elif isinstance(error, UncertainDeliveryError):
        if not record_uncertain(session, delivery, now, str(error)):
            return
    else:
        if not settle_claim(session, delivery, status="failed", error=problem):
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
