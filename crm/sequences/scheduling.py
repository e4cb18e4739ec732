"""The scheduler's side: claim due steps (conditional UPDATE, so two schedulers never both get a
step), re-send steps whose message went missing, and settle claims whose worker died."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.models import Delivery, Enrolment, EnrolmentStatus, ScheduledStep, StepStatus
from crm.sequences import history

# A queued step whose message has not finished in this long is sent again (the actor is
# idempotent); longer than the actor's longest retry backoff, so retries in flight are left alone.
STUCK_AFTER = timedelta(minutes=15)
# A claim ("sending") older than this belongs to a worker that died: the actor's time limit is 1 min.
UNCERTAIN_AFTER = timedelta(minutes=10)


def claim_due_steps(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Move due steps of active enrolments from scheduled to queued; the ids this call won."""
    candidates = list(session.scalars(
        select(ScheduledStep.id)
        .join(Enrolment, Enrolment.id == ScheduledStep.enrolment_id)
        .where(ScheduledStep.status == StepStatus.SCHEDULED.value, ScheduledStep.due_at <= now,
               Enrolment.status == EnrolmentStatus.ACTIVE.value)
        .order_by(ScheduledStep.due_at).limit(limit)
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


def requeue_stuck(session: Session, now: datetime, older_than: timedelta = STUCK_AFTER,
                  limit: int = 500) -> list[int]:
    """Queued steps whose message seems lost (broker restart, worker crash): claim them again."""
    cutoff = now - older_than
    candidates = list(session.scalars(
        select(ScheduledStep.id)
        .where(ScheduledStep.status == StepStatus.QUEUED.value, ScheduledStep.queued_at < cutoff)
        .order_by(ScheduledStep.queued_at).limit(limit)
    ))
    if not candidates:
        return []
    result = session.execute(
        update(ScheduledStep)
        .where(ScheduledStep.id.in_(candidates), ScheduledStep.status == StepStatus.QUEUED.value,
               ScheduledStep.queued_at < cutoff)
        .values(queued_at=now)
        .returning(ScheduledStep.id)
    )
    return sorted(row[0] for row in result)


def settle_uncertain(session: Session, now: datetime, older_than: timedelta = UNCERTAIN_AFTER) -> int:
    """Claims whose worker died between claiming and recording the outcome.

    The SMTP server may or may not have accepted the message. We choose at-most-once: the delivery
    becomes "unknown", the step fails with that reason, and the lead is flagged for a person to check.
    """
    cutoff = now - older_than
    stale = list(session.scalars(
        select(Delivery).where(Delivery.status == "sending", Delivery.claimed_at < cutoff).limit(200)
    ))
    for delivery in stale:
        claimed = session.execute(
            update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "sending")
            .values(status="unknown", error="the worker stopped after claiming this email; it may or may not "
                                            "have been sent, so it is not sent again")
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if delivery.step_id is not None:
            session.execute(
                update(ScheduledStep).where(ScheduledStep.id == delivery.step_id)
                .values(status=StepStatus.FAILED.value, last_error="outcome unknown (worker stopped mid-send)")
            )
        history.record(session, delivery.lead_id, history.UNCERTAIN,
                        f"Email \u201c{delivery.subject}\u201d may not have been sent; check before resending",
                        now, delivery_id=delivery.id, template=delivery.template)
        history.flag(session, delivery.lead_id, "email-uncertain")
    return len(stale)
