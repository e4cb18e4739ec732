"""Enrolment: which sequence a lead is in, its steps' due times, and the ways a sequence ends.

Every function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session, lazyload

from crm.bulk import among, insert_rows
from crm.db import utcnow
from crm.models import (
    Activity,
    Delivery,
    Enrolment,
    EnrolmentStatus,
    Lead,
    LeadStatus,
    ScheduledStep,
    StepStatus,
    Suppression,
)
from crm.sequences import history
from crm.sequences.consent import consent_state
from crm.sequences.definitions import SequenceDef, definitions
from crm.sequences.timezones import lead_zone, next_window

LIVE = (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.PAUSED.value)
# The stop reason when a lead passed the IEC age limit during an IEC sequence (sending._check): the
# lead is re-classified, and a consultant takes it from there (no automated sequence restarts it).
AGED_OUT = "aged-out-of-iec"
# A consultant has taken over (or the lead is out): the automated sequence stops.
STOP_STATUSES = frozenset({LeadStatus.CONTACTED.value, LeadStatus.CONSULTATION_BOOKED.value,
                           LeadStatus.RETAINED.value, LeadStatus.LOST.value, LeadStatus.SPAM.value})


def live_enrolment(session: Session, lead_id: str) -> Enrolment | None:
    return session.scalars(
        select(Enrolment).where(Enrolment.lead_id == lead_id, Enrolment.status.in_(LIVE))
        .order_by(Enrolment.id.desc()).limit(1)
    ).first()


def latest_enrolment(session: Session, lead_id: str) -> Enrolment | None:
    return session.scalars(
        select(Enrolment).where(Enrolment.lead_id == lead_id).order_by(Enrolment.id.desc()).limit(1)
    ).first()


def _attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


@dataclass(frozen=True)
class Decision:
    """What a classification means for a lead's email sequence (see `decide`)."""

    # "enrol" (in `sequence`; a live enrolment elsewhere is stopped first), "stop" (spam: end the live
    # enrolment), "keep" (the live enrolment is the right one), "none" (not enrolled, nothing to end)
    action: str
    sequence: SequenceDef | None = None


NOTHING = Decision("none")
KEEP = Decision("keep")


def decide(primary_stream: str | None, lead_type: str | None, flags: Sequence[str], status: str,
           live_sequence: str | None, completed: Callable[[str], bool], held: bool = False) -> Decision:
    """The enrolment rule, shared by `on_classified` and `on_classified_many` (consent is checked after).

    Spam ends the live enrolment; a lead a consultant has taken over is left alone; a lead already in its
    sequence stays; a sequence the lead completed is not run again (`completed(name)`, asked only when
    nothing is live); otherwise the lead is enrolled in it (moved, when another one is live). A lead whose
    sequence stopped because they aged out of IEC, with no inquiry since (`held`), is the consultant's:
    re-classifying it enrols it nowhere (no second answer to the same inquiry).
    """
    if primary_stream == "spam" or "spam" in flags or status == LeadStatus.SPAM.value:
        return Decision("stop") if live_sequence is not None else NOTHING
    if status in STOP_STATUSES:
        return NOTHING
    if held and live_sequence is None:
        return NOTHING
    sequence = definitions().for_lead(primary_stream, lead_type, flags)
    if live_sequence == sequence.name:
        return KEEP
    if live_sequence is None and completed(sequence.name):
        return NOTHING
    return Decision("enrol", sequence)


def language_of(preferred_language: str | None) -> str:
    """The language of a lead's emails: its preferred one when we write in it, else English."""
    return preferred_language if preferred_language in ("en", "fr") else "en"


def held_since_aged_out(session: Session, lead_id: str, last_inquiry_at: datetime | None) -> bool:
    """The lead's sequence stopped because they aged out of IEC, after its answer went, and no inquiry
    came in since."""
    found = session.execute(
        select(Enrolment.ended_at, ScheduledStep.status, ScheduledStep.last_error)
        .outerjoin(ScheduledStep, (ScheduledStep.enrolment_id == Enrolment.id) & (ScheduledStep.step_index == 0))
        .where(Enrolment.lead_id == lead_id, Enrolment.status == EnrolmentStatus.STOPPED.value,
               Enrolment.stop_reason == AGED_OUT).order_by(Enrolment.id.desc()).limit(1)).first()
    if found is None:
        return False
    return _held(found.ended_at, last_inquiry_at, answered=_answered(found.status, found.last_error))


def _answered(status: str | None, last_error: str | None) -> bool:
    """Whether the answer step (step 0) of a stopped enrolment reached the lead (or is in flight): False
    only when it was skipped without the content having gone before (the stop came first)."""
    return status != StepStatus.SKIPPED.value or last_error == "content already sent"


def _held(ended_at: datetime | None, last_inquiry_at: datetime | None, answered: bool = True) -> bool:
    """An aged-out stop holds the lead (no automated sequence) until a new inquiry, unless the stop came
    before the answer went: a valid inquiry always gets its answer, so the re-classification enrols the
    lead again (the answer of its new stream, e.g. the review answer)."""
    return ended_at is not None and answered and (last_inquiry_at is None or last_inquiry_at <= ended_at)


def on_classified(session: Session, lead: Lead, classification: Any, now: datetime) -> Enrolment | None:
    """Enrol the lead in the sequence for its classification, or move it there.

    Idempotent: classifying twice into the same sequence changes nothing. A move stops the old
    enrolment; content the lead already received is skipped in the new one. Spam leads, leads a
    consultant has taken over and leads without any consent are not enrolled.
    """
    current = live_enrolment(session, lead.id)

    def completed(name: str) -> bool:
        return session.scalars(select(Enrolment.id).where(
            Enrolment.lead_id == lead.id, Enrolment.sequence == name,
            Enrolment.status == EnrolmentStatus.COMPLETED.value).limit(1)).first() is not None

    decision = decide(_attr(classification, "primary_stream"), _attr(classification, "lead_type"),
                      _attr(classification, "flags") or [], lead.status,
                      current.sequence if current is not None else None, completed,
                      held=current is None and held_since_aged_out(session, lead.id, lead.last_inquiry_at))
    if decision.action == "stop":
        stop(session, lead.id, "spam", now=now)
        return None
    if decision.action == "keep":
        return current
    if decision.sequence is None:
        return None
    sequence = decision.sequence
    refusal = consent_state(session, lead).refusal(marketing=False, at=now)
    if refusal is not None:
        history.record(session, lead.id, history.SKIPPED, f"Not enrolled in {sequence.name}: {refusal}", now,
                        sequence=sequence.name, reason=refusal)
        return None
    if current is not None:
        stop(session, lead.id, "reclassified", now=now, moved_to=sequence.name)
    return enrol(session, lead, sequence, now)


@dataclass(frozen=True)
class Classified:
    """One lead just classified, as `on_classified_many` needs it (no ORM object required)."""

    lead_id: str
    email_key: str
    status: str  # the lead's status after the classification
    preferred_language: str | None
    country_of_residence: str | None
    citizenships: list[str]
    unsubscribed: bool  # lead.unsubscribed_at is set
    primary_stream: str
    lead_type: str
    flags: list[str]
    last_inquiry_at: datetime | None = None
    # Those the classifier read from the messages: the send window's zone when `citizenships` is empty
    message_citizenships: list[str] = field(default_factory=list)


def on_classified_many(session: Session, leads: Sequence[Classified], now: datetime) -> None:
    """`on_classified` for a batch of leads, set-based: a few statements for the whole batch.

    The same rule (`decide`) as `on_classified`. The common case (no live enrolment, no unsubscribe, address not
    suppressed) is written with bulk inserts; a lead that must be moved from another sequence, stopped,
    or whose consent needs the full check goes through `on_classified` itself.
    """
    if not leads:
        return
    connection = session.connection()
    ids = [lead.lead_id for lead in leads]
    enrolments = Enrolment.__table__.c
    live: dict[str, tuple[int, str]] = {}
    completed: dict[str, set[str]] = defaultdict(set)
    aged_out: dict[str, tuple[int, datetime | None]] = {}  # the latest stop because the lead aged out of IEC
    for row in connection.execute(
        select(enrolments.id, enrolments.lead_id, enrolments.sequence, enrolments.status, enrolments.ended_at)
        .where(among(connection, enrolments.lead_id, ids),
               or_(among(connection, enrolments.status, [*LIVE, EnrolmentStatus.COMPLETED.value]),
                   enrolments.stop_reason == AGED_OUT))
        .order_by(enrolments.id)
    ):
        if row.status == EnrolmentStatus.COMPLETED.value:
            completed[row.lead_id].add(row.sequence)
        elif row.status in LIVE:
            live[row.lead_id] = (row.id, row.sequence)  # the latest live one, as live_enrolment()
        elif row.status == EnrolmentStatus.STOPPED.value:
            aged_out[row.lead_id] = (row.id, row.ended_at)
    # Whether those stopped enrolments' answers went (one more read, only when there are any).
    answered: dict[int, bool] = {}
    if aged_out:
        steps = ScheduledStep.__table__.c
        answered = {enrolment_id: _answered(status, last_error) for enrolment_id, status, last_error in
                    connection.execute(select(steps.enrolment_id, steps.status, steps.last_error).where(
                        among(connection, steps.enrolment_id, [found[0] for found in aged_out.values()]),
                        steps.step_index == 0))}
    keys = sorted({lead.email_key for lead in leads})
    suppressed = set(connection.execute(
        select(Suppression.__table__.c.email_key).where(among(connection, Suppression.__table__.c.email_key, keys))
    ).scalars())
    fresh: list[tuple[Classified, SequenceDef]] = []
    slow: list[Classified] = []
    for lead in leads:
        current = live.get(lead.lead_id)
        decision = decide(lead.primary_stream, lead.lead_type, lead.flags, lead.status,
                          current[1] if current is not None else None, completed[lead.lead_id].__contains__,
                          held=current is None and lead.lead_id in aged_out
                          and _held(aged_out[lead.lead_id][1], lead.last_inquiry_at,
                                    answered=answered.get(aged_out[lead.lead_id][0], True)))
        if decision.action == "stop":
            slow.append(lead)
        elif decision.sequence is not None:
            if current is not None or lead.unsubscribed or lead.email_key in suppressed:
                slow.append(lead)  # a move, or consent to check in full: the one-lead path
            else:
                fresh.append((lead, decision.sequence))
    for lead in slow:
        stored = session.get(Lead, lead.lead_id, options=[lazyload(Lead.flags)])
        if stored is not None:
            on_classified(session, stored, {"primary_stream": lead.primary_stream, "lead_type": lead.lead_type,
                                            "flags": lead.flags}, now)
    _enrol_many(session, fresh, now)


def _enrol_many(session: Session, leads: list[tuple[Classified, SequenceDef]], now: datetime) -> None:
    """`enrol` for many leads: one INSERT each for enrolments, steps and timeline entries."""
    if not leads:
        return
    connection = session.connection()
    enrolments: Table = Enrolment.__table__  # type: ignore[assignment]
    created = insert_rows(connection, enrolments, [
        {"lead_id": lead.lead_id, "sequence": sequence.name, "status": EnrolmentStatus.ACTIVE.value,
         "language": language_of(lead.preferred_language),
         "enrolled_at": now} for lead, sequence in leads], returning=("id", "lead_id"))
    enrolment_ids = {row.lead_id: row.id for row in created}
    deliveries = Delivery.__table__.c
    already_sent: dict[str, set[str]] = defaultdict(set)
    for lead_id, content_key in connection.execute(
        select(deliveries.lead_id, deliveries.content_key).where(among(connection, deliveries.lead_id,
                                                                       list(enrolment_ids)))
    ):
        already_sent[lead_id].add(content_key)
    due_cache: dict[tuple[ZoneInfo, int], datetime] = {}
    steps: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for lead, sequence in leads:
        enrolment_id = enrolment_ids[lead.lead_id]
        zone = lead_zone(lead)
        sent = already_sent.get(lead.lead_id, set())
        for step in sequence.steps:
            due = due_cache.get((zone, step.day))
            if due is None:
                due = now if step.day == 0 else next_window(now + timedelta(days=step.day), zone)
                due_cache[(zone, step.day)] = due
            repeat = step.content_key in sent
            steps.append({"enrolment_id": enrolment_id, "lead_id": lead.lead_id, "step_index": step.index,
                          "content_key": step.content_key, "template": step.template, "due_at": due,
                          "status": StepStatus.SKIPPED.value if repeat else StepStatus.SCHEDULED.value,
                          "last_error": "content already sent" if repeat else None, "attempts": 0})
        entries.append({"lead_id": lead.lead_id, "at": now, "kind": history.SEQUENCE,
                        "summary": f"Enrolled in the {sequence.name} sequence", "user_id": None,
                        "data": {"sequence": sequence.name, "enrolment_id": enrolment_id, "event": "enrolled"}})
    insert_rows(connection, ScheduledStep.__table__, steps)  # type: ignore[arg-type]
    insert_rows(connection, Activity.__table__, entries)  # type: ignore[arg-type]


def enrol(session: Session, lead: Lead, sequence: SequenceDef, now: datetime) -> Enrolment:
    """Create the enrolment and one row per step with its due time (step 0: now)."""
    enrolment = Enrolment(lead_id=lead.id, sequence=sequence.name, language=language_of(lead.preferred_language),
                          status=EnrolmentStatus.ACTIVE.value, enrolled_at=now)
    session.add(enrolment)
    session.flush()
    already_sent = set(session.scalars(select(Delivery.content_key).where(Delivery.lead_id == lead.id)))
    zone = lead_zone(lead)
    for step in sequence.steps:
        due = now if step.day == 0 else next_window(now + timedelta(days=step.day), zone)
        repeat = step.content_key in already_sent
        session.add(ScheduledStep(
            enrolment_id=enrolment.id, lead_id=lead.id, step_index=step.index, content_key=step.content_key,
            template=step.template, due_at=due,
            status=StepStatus.SKIPPED.value if repeat else StepStatus.SCHEDULED.value,
            last_error="content already sent" if repeat else None,
        ))
    history.record(session, lead.id, history.SEQUENCE, f"Enrolled in the {sequence.name} sequence", now,
                    sequence=sequence.name, enrolment_id=enrolment.id, event="enrolled")
    return enrolment


def stop(session: Session, lead_id: str, reason: str, by_user_id: int | None = None,
         now: datetime | None = None, **data: Any) -> Enrolment | None:
    """End the live enrolment; its steps not yet sent are skipped. A no-op when nothing is live."""
    now = now or utcnow()
    enrolment = live_enrolment(session, lead_id)
    if enrolment is None:
        return None
    enrolment.status = EnrolmentStatus.STOPPED.value
    enrolment.stop_reason = reason[:64]
    enrolment.ended_at = now
    enrolment.paused_at = None
    session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.enrolment_id == enrolment.id, ScheduledStep.status == StepStatus.SCHEDULED.value)
        .values(status=StepStatus.SKIPPED.value, last_error=f"sequence stopped: {reason}"[:500])
    )
    history.record(session, lead_id, history.SEQUENCE, f"Sequence {enrolment.sequence} stopped: {reason}", now,
                    user_id=by_user_id, sequence=enrolment.sequence, event="stopped", reason=reason, **data)
    return enrolment


def pause(session: Session, lead_id: str, by_user_id: int | None, reason: str = "",
          now: datetime | None = None) -> Enrolment | None:
    now = now or utcnow()
    enrolment = live_enrolment(session, lead_id)
    if enrolment is None or enrolment.status == EnrolmentStatus.PAUSED.value:
        return enrolment
    enrolment.status = EnrolmentStatus.PAUSED.value
    enrolment.paused_at = now
    history.record(session, lead_id, history.SEQUENCE, f"Sequence {enrolment.sequence} paused"
                    + (f": {reason}" if reason else ""), now, user_id=by_user_id,
                    sequence=enrolment.sequence, event="paused", reason=reason)
    return enrolment


def resume(session: Session, lead_id: str, by_user_id: int | None, reason: str = "",
           now: datetime | None = None) -> Enrolment | None:
    """Resume a paused sequence; the remaining steps move later by the time spent paused."""
    now = now or utcnow()
    enrolment = live_enrolment(session, lead_id)
    if enrolment is None or enrolment.status != EnrolmentStatus.PAUSED.value:
        return enrolment
    paused_for = now - (enrolment.paused_at or now)
    lead = session.get(Lead, lead_id)
    zone = lead_zone(lead)
    for step in session.scalars(select(ScheduledStep).where(
            ScheduledStep.enrolment_id == enrolment.id, ScheduledStep.status == StepStatus.SCHEDULED.value)):
        due = max(step.due_at + paused_for, now)
        step.due_at = due if step.step_index == 0 else next_window(due, zone)
    enrolment.status = EnrolmentStatus.ACTIVE.value
    enrolment.paused_at = None
    history.record(session, lead_id, history.SEQUENCE, f"Sequence {enrolment.sequence} resumed", now,
                    user_id=by_user_id, sequence=enrolment.sequence, event="resumed", reason=reason)
    return enrolment


def on_status_changed(session: Session, lead: Lead, old_status: str, new_status: str, now: datetime,
                      by_user_id: int | None = None) -> None:
    """A consultant took the lead over (contacted, booked, retained) or closed it (lost, spam): stop."""
    if new_status in STOP_STATUSES and old_status != new_status:
        stop(session, lead.id, f"status:{new_status}", by_user_id=by_user_id, now=now)


def complete_if_done(session: Session, enrolment: Enrolment, now: datetime) -> None:
    """Mark an active enrolment completed once none of its steps is waiting or in flight."""
    if enrolment.status != EnrolmentStatus.ACTIVE.value:
        return
    open_steps = session.scalars(select(ScheduledStep.id).where(
        ScheduledStep.enrolment_id == enrolment.id,
        ScheduledStep.status.in_([StepStatus.SCHEDULED.value, StepStatus.QUEUED.value])).limit(1)).first()
    if open_steps is not None:
        return
    # Conditional: a stop recorded meanwhile by another transaction (unsubscribe, reply) wins.
    done = session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.status == EnrolmentStatus.ACTIVE.value)
        .values(status=EnrolmentStatus.COMPLETED.value, ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        history.record(session, enrolment.lead_id, history.SEQUENCE, f"Sequence {enrolment.sequence} completed",
                       now, sequence=enrolment.sequence, event="completed")
