"""Email sequences in the database: enrolments, their scheduled steps, and deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, JSONType, UTCDateTime, utcnow


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"


class StepStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its due time
    QUEUED = "queued"  # claimed by the scheduler, message sent to send_step
    SENT = "sent"
    SKIPPED = "skipped"  # not sent: content already sent, no consent, sequence stopped
    FAILED = "failed"  # gave up; the error is kept


class Enrolment(Base):
    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default=EnrolmentStatus.ACTIVE.value)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while paused, so that resuming shifts the remaining steps by the time spent paused.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The target of the steps' foreign key (enrolment_id, lead_id): a step's lead is its enrolment's.
    __table_args__ = (UniqueConstraint("id", "lead_id"),)


class ScheduledStep(Base):
    __tablename__ = "scheduled_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by the unique (enrolment_id, step_index) below.
    enrolment_id: Mapped[int] = mapped_column(Integer)
    lead_id: Mapped[str] = mapped_column(String(36), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    # What the step says, independent of the sequence: re-enrolment skips content already sent.
    content_key: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.SCHEDULED.value)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # One foreign key for both columns, checked once per row (two separate ones cost two checks):
        # the enrolment exists and belongs to the same lead (which the enrolment's own key ties to leads).
        # Deleting a lead deletes its enrolments, and these with them.
        ForeignKeyConstraint(["enrolment_id", "lead_id"], ["enrolments.id", "enrolments.lead_id"],
                             ondelete="CASCADE"),
        UniqueConstraint("enrolment_id", "step_index"),
        Index("ix_scheduled_steps_status_due_at", "status", "due_at"),
    )


class Delivery(Base):
    """One email to one lead. Unique per (lead, content): claimed before sending, so never sent twice."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_steps.id", ondelete="SET NULL"))
    content_key: Mapped[str] = mapped_column(String(100))
    sequence: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    # sending: claimed, outcome not yet known; deferred: a temporary failure, to be retried;
    # sent; bounced; failed; unknown: a worker died after handing the data over and before reading the
    # reply, so the server may or may not have accepted it. Never resent; flagged for a consultant.
    status: Mapped[str] = mapped_column(String(16), default="sending")
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text, default="")
    # Exactly what was sent, so that the preview shows what the lead got even after templates change.
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a worker last claimed it for sending: a claim older than the actor's time limit means that
    # worker died between the claim and recording the outcome.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The host of the worker holding the claim: its hand-over journal (crm/mail/journal.py) says
    # whether a dead worker's message left, so only a process that can read that host's journal settles it.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("lead_id", "content_key"),)
