"""The scheduler's side: claim due steps (conditional UPDATE, so two schedulers never both get a
step), re-send steps whose message went missing, and settle claims whose worker died.

Settling a dead claim reads the hand-over journal of the claim's host (crm/mail/journal.py):
sent -> recorded as sent; handed over without a reply -> "unknown" for a person to check; never handed
over -> certainly not sent, so it is sent again. A claim whose host journal this process cannot read is
left to a process on that host, and only after `orphan_after` settled as "unknown" (never resent blind).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.mail.journal import HANDED_OVER, SENT, JournalView, read_journals
from crm.models import Delivery, Enrolment, EnrolmentStatus, ScheduledStep, StepStatus
from crm.sequences.enrolment import complete_if_done
from crm.sequences.sending import Claim, record_sent, record_uncertain, settle_claim


def _seconds(name: str, default: float) -> timedelta:
    return timedelta(seconds=float(os.environ.get(name, "") or default))


# A queued step whose message has not arrived in this long is sent again (the actor is idempotent:
# a duplicate message finds the claim and sends nothing). Backlog in the broker only costs a no-op.
STUCK_AFTER = _seconds("CRM_MAIL_STALE_QUEUED_SECONDS", 120)
# ...except a step whose last attempt failed temporarily: Dramatiq retries it with backoff (up to
# 10 minutes), so the scheduler steps in only when those retries have run out.
RETRYING_STUCK_AFTER = _seconds("CRM_MAIL_STALE_RETRY_SECONDS", 900)
# A claim ("sending") older than this belongs to a dead worker: the actor's time limit is 60 s, and
# a worker never starts the DATA later than 60 s after its claim (see workers/actors/email.py).
CLAIM_STALE_AFTER = _seconds("CRM_MAIL_STALE_CLAIM_SECONDS", 90)
# A dead claim whose host journal no process here can read (a worker host gone for good).
ORPHAN_AFTER = _seconds("CRM_MAIL_ORPHAN_CLAIM_SECONDS", 600)
# Due steps claimed per tick (every 5 s): more than the workers send in one tick interval (a few
# hundred per second), so a backlog (an import, the end of an outage) never waits on the scheduler.
CLAIM_PER_TICK = int(os.environ.get("CRM_MAIL_CLAIM_PER_TICK", "") or 5000)
# At most this many steps are queued for the workers and not yet attempted (status queued, no error):
# the scheduler claims new due steps only into the room left, so the broker holds a few ticks of work,
# not a whole backlog, and requeue_stuck (STUCK_AFTER) does not re-send steps that are merely waiting
# behind a backlog, as long as the workers send at least MAX_IN_FLIGHT / STUCK_AFTER per second
# (5,000 / 120 s: about 42 emails per second). Slower setups lower CRM_MAIL_MAX_IN_FLIGHT.
MAX_IN_FLIGHT = int(os.environ.get("CRM_MAIL_MAX_IN_FLIGHT", "") or 5000)


def claim_room(session: Session) -> int:
    """How many due steps the scheduler may claim now: CLAIM_PER_TICK, less what would take the steps
    queued and not yet attempted (status queued, last_error empty) over MAX_IN_FLIGHT."""
    waiting = session.scalar(
        select(func.count()).select_from(ScheduledStep)
        .where(ScheduledStep.status == StepStatus.QUEUED.value, ScheduledStep.last_error.is_(None))
    ) or 0
    return max(0, min(CLAIM_PER_TICK, MAX_IN_FLIGHT - waiting))


def claim_due_steps(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    """Move due steps of active enrolments from scheduled to queued; the ids this call won."""
    candidates = list(session.scalars(
        select(ScheduledStep.id)
        .join(Enrolment, Enrolment.id == ScheduledStep.enrolment_id)
        .where(ScheduledStep.status == StepStatus.SCHEDULED.value, ScheduledStep.due_at <= now,
               Enrolment.status == EnrolmentStatus.ACTIVE.value)
        .order_by(ScheduledStep.due_at).limit(limit or CLAIM_PER_TICK)
    ))
    if not candidates:
        return []
    result = session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(candidates), ScheduledStep.status == StepStatus.SCHEDULED.value)
        .values(status=StepStatus.QUEUED.value, queued_at=now)
        .returning(ScheduledStep.id)
    )
    return sorted(row[0] for row in result)


def requeue_stuck(session: Session, now: datetime, older_than: timedelta | None = None,
                  retrying_older_than: timedelta | None = None, limit: int = 500) -> list[int]:
    """Queued steps whose message seems lost (broker restart, worker crash): claim them again."""
    fresh_cutoff = now - (older_than if older_than is not None else STUCK_AFTER)
    retry_cutoff = now - (retrying_older_than if retrying_older_than is not None
                          else max(RETRYING_STUCK_AFTER, older_than or STUCK_AFTER))
    stale = ((ScheduledStep.last_error.is_(None) & (ScheduledStep.queued_at < fresh_cutoff))
             | (ScheduledStep.last_error.is_not(None) & (ScheduledStep.queued_at < retry_cutoff)))
    candidates = list(session.scalars(
        select(ScheduledStep.id)
        .where(ScheduledStep.status == StepStatus.QUEUED.value, ScheduledStep.queued_at < fresh_cutoff, stale)
        .order_by(ScheduledStep.queued_at).limit(limit)
    ))
    if not candidates:
        return []
    result = session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(candidates), ScheduledStep.status == StepStatus.QUEUED.value, stale)
        .values(queued_at=now)
        .returning(ScheduledStep.id)
    )
    return sorted(row[0] for row in result)


@dataclass
class Settled:
    sent: int = 0  # the journal showed the server's 250: recorded as sent
    uncertain: int = 0  # handed over without a reply (or host journal unreadable too long): review
    resend: list[int] = field(default_factory=list)  # never handed over: step ids to send again


def settle_claims(session: Session, now: datetime, journals: JournalView | None = None,
                  older_than: timedelta | None = None, orphan_after: timedelta | None = None,
                  limit: int = 200) -> Settled:
    """Claims whose worker died between claiming and recording the outcome, settled from its journal."""
    stale_cutoff = now - (older_than if older_than is not None else CLAIM_STALE_AFTER)
    orphan_cutoff = now - (orphan_after if orphan_after is not None else ORPHAN_AFTER)
    stale = list(session.scalars(
        select(Delivery).where(Delivery.status == "sending", Delivery.claimed_at < stale_cutoff)
        .order_by(Delivery.claimed_at).limit(limit)
    ))
    settled = Settled()
    if not stale:
        return settled
    view = journals if journals is not None else read_journals()
    for delivery in stale:
        if view.readable(delivery.claimed_by):
            state = view.state(delivery.message_id, delivery.attempts)
        elif delivery.claimed_at is not None and delivery.claimed_at < orphan_cutoff:
            state = HANDED_OVER  # nobody here can tell: at-most-once, for a person to check
        else:
            continue  # a process on the claim's own host settles it
        if state == SENT:
            settled.sent += _record_sent(session, delivery, now)
        elif state == HANDED_OVER:
            settled.uncertain += record_uncertain(
                session, Claim.of(delivery), now, step_error="outcome unknown (worker stopped mid-send)",
                error="the worker stopped after handing this email to the mail server and before its answer; "
                      "it may or may not have been sent, so it is not sent again")
        elif _release(session, delivery, now):
            settled.resend.append(delivery.step_id)  # type: ignore[arg-type]
    return settled


def _record_sent(session: Session, delivery: Delivery, now: datetime) -> int:
    """The outcome its worker could not record: the server answered 250."""
    if not record_sent(session, [Claim.of(delivery)], now, sent_at=delivery.claimed_at or now, recorded_by="journal"):
        return 0
    step = session.get(ScheduledStep, delivery.step_id) if delivery.step_id is not None else None
    enrolment = session.get(Enrolment, step.enrolment_id) if step is not None else None
    if enrolment is not None:
        complete_if_done(session, enrolment, now)
    return 1


def _release(session: Session, delivery: Delivery, now: datetime) -> bool:
    """Never handed over: make the claim re-sendable ("deferred": the actor re-claims it, same
    Message-ID, next attempt number) and queue its step again."""
    if delivery.step_id is None or not settle_claim(
            session, delivery, status="deferred",
            error="the worker stopped before handing this email over; sending it again"):
        return False
    session.execute(update(ScheduledStep).where(ScheduledStep.id == delivery.step_id,
                                                ScheduledStep.status == StepStatus.QUEUED.value)
                    .values(queued_at=now, last_error=None))
    return True

