"""A lead is one person (or one employer contact), identified by a normalised email address."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Computed, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from crm.db import Base, JSONType, UTCDateTime, new_id, utcnow
from crm.text import name_key

if TYPE_CHECKING:
    from crm.models.inquiry import Inquiry
    from crm.models.user import User


class LeadStatus(StrEnum):
    RECEIVED = "received"  # stored, waiting for classification
    CLASSIFIED = "classified"  # classified, nobody has contacted the lead yet ("new" in the queue)
    CONTACTED = "contacted"
    CONSULTATION_BOOKED = "consultation_booked"
    RETAINED = "retained"
    LOST = "lost"
    SPAM = "spam"
    FAILED = "failed"  # classification failed repeatedly; the error is on the lead's timeline


OPEN_STATUSES = frozenset(
    {LeadStatus.RECEIVED, LeadStatus.CLASSIFIED, LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED,
     LeadStatus.FAILED}
)

# Which status a consultant may move a lead to from each status. The system itself moves
# received -> classified | failed | spam (classification) and back to received (reclassify).
ALLOWED_TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.RECEIVED: frozenset({LeadStatus.CONTACTED, LeadStatus.SPAM, LeadStatus.LOST}),
    LeadStatus.CLASSIFIED: frozenset(
        {LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED, LeadStatus.LOST, LeadStatus.SPAM}
    ),
    LeadStatus.CONTACTED: frozenset(
        {LeadStatus.CONSULTATION_BOOKED, LeadStatus.RETAINED, LeadStatus.LOST, LeadStatus.SPAM}
    ),
    LeadStatus.CONSULTATION_BOOKED: frozenset(
        {LeadStatus.CONTACTED, LeadStatus.RETAINED, LeadStatus.LOST}
    ),
    LeadStatus.RETAINED: frozenset({LeadStatus.LOST}),
    LeadStatus.LOST: frozenset({LeadStatus.CONTACTED}),
    LeadStatus.SPAM: frozenset({LeadStatus.CLASSIFIED}),
    LeadStatus.FAILED: frozenset({LeadStatus.CONTACTED, LeadStatus.LOST, LeadStatus.SPAM}),
}


# The queue's partial index predicate; queries that filter on exactly these statuses can use it.
OPEN_STATUS_VALUES: tuple[str, ...] = tuple(sorted(status.value for status in OPEN_STATUSES))
_QUEUE_FILTER_COLUMNS = ["assignee_id", "primary_stream", "preferred_language", "citizenships",
                         "message_citizenships"]
_OPEN_SQL = "status IN (" + ", ".join(f"'{value}'" for value in OPEN_STATUS_VALUES) + ")"


def can_transition(current: str, target: str) -> bool:
    try:
        return LeadStatus(target) in ALLOWED_TRANSITIONS[LeadStatus(current)]
    except ValueError:
        return False


def last_name_key(last_name: str | None) -> str | None:
    """The `Lead.last_name_key` of a last name (also for rows written without the ORM)."""
    return name_key(last_name)[:100] or None if last_name else None


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    # The identity used for de-duplication: the normalised address, lower-cased. Unique through
    # uq_leads_email_key below, which also serves the queue's prefix search on PostgreSQL.
    email_key: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(64))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    citizenships: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The citizenships the classifier read from the lead's messages (ISO codes), when the form gave none:
    # written by each stored classification (crm/classify/service.py), replaced each time. Kept apart
    # from the form's `citizenships` (the provenance shows: "FR (message)"); the queue's nationality
    # filter and the dashboard count both.
    message_citizenships: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=text("'[]'"))
    unknown_countries: Mapped[list[str]] = mapped_column(JSONType, default=list)
    country_of_residence: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    stated_age: Mapped[int | None] = mapped_column(Integer)
    stated_age_on: Mapped[date | None] = mapped_column(Date)
    preferred_language: Mapped[str] = mapped_column(String(2), default="en")
    # The latest value of every structured field across the lead's inquiries.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    # Lookups by status use ix_leads_rank_queue (status first).
    status: Mapped[str] = mapped_column(String(32), default=LeadStatus.RECEIVED.value)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    primary_stream: Mapped[str | None] = mapped_column(String(64), index=True)
    lead_type: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Indexed for the dashboard, which aggregates the leads of the last weeks.
    first_inquiry_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_inquiry_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Opaque token placed in Reply-To addresses so that replies can be matched to the lead.
    reply_token: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_id().replace("-", ""))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes_count: Mapped[int] = mapped_column(Integer, default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Minus the score, computed by the database: the queue sorts by (queue_rank, last_inquiry_at, id)
    # ascending, so that one row comparison gives keyset pagination on one index.
    queue_rank: Mapped[int] = mapped_column(Integer, Computed("0 - score", persisted=True))
    # The last name as the queue's search compares it (crm.text.name_key), so that it finds "Murphy"
    # by "mur" and "Hernández" by "hernandez"; set with the last name (see `_last_name_set`).
    last_name_key: Mapped[str | None] = mapped_column(String(100))
    # The company an employer lead stands for (crm.text.company_of), as the search compares it
    # (crm.text.company_key): set by the intake, so that "northwind" finds Northwind Logistics.
    company_key: Mapped[str | None] = mapped_column(String(100))

    inquiries: Mapped[list[Inquiry]] = relationship(
        back_populates="lead", order_by="Inquiry.received_at", cascade="all, delete-orphan"
    )
    flags: Mapped[list[LeadFlag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    @validates("last_name")
    def _last_name_set(self, _key: str, value: str | None) -> str | None:
        self.last_name_key = last_name_key(value)
        return value

    # Every index here is written by each new lead (intake's hot path), so each one must serve a query
    # (EXPLAIN the queue's queries on PostgreSQL before adding or dropping one). Not kept: one on status
    # alone (ix_leads_rank_queue starts with it), one on (status, score, ...) and one on (assignee_id,
    # score, ...) (the queue orders by queue_rank, so they served no order; ix_leads_assignee_id serves
    # the assignee filters), and a second index on email_key for prefix search (uq_leads_email_key does both).
    __table_args__ = (
        # The default queue (open leads, best score first, longest waiting first) walks this
        # partial index in order and stops after one page: keyset pagination at any table size.
        # The INCLUDE columns let PostgreSQL apply the queue's filters to index entries alone (an
        # index-only scan) and fetch just the page's rows from the table.
        Index("ix_leads_open_queue", "queue_rank", "last_inquiry_at", "id",
              postgresql_where=text(_OPEN_SQL), sqlite_where=text(_OPEN_SQL),
              postgresql_include=_QUEUE_FILTER_COLUMNS),
        # The queue filtered on one status, in queue order (and any lookup by status).
        Index("ix_leads_rank_queue", "status", "queue_rank", "last_inquiry_at", "id"),
        # A stream tab of the queue: the same order within one stream.
        Index("ix_leads_stream_queue", "primary_stream", "queue_rank", "last_inquiry_at", "id",
              postgresql_where=text(_OPEN_SQL), sqlite_where=text(_OPEN_SQL),
              postgresql_include=_QUEUE_FILTER_COLUMNS),
        # Prefix search on names and email (text_pattern_ops: LIKE 'x%' on a non-C collation).
        Index("ix_leads_search_text", "search_text", postgresql_ops={"search_text": "text_pattern_ops"}),
        # One index both keeps email_key unique (equality is in text_pattern_ops too) and serves the
        # prefix search on it.
        Index("uq_leads_email_key", "email_key", unique=True, postgresql_ops={"email_key": "text_pattern_ops"}),
        Index("ix_leads_last_name_key", "last_name_key", postgresql_ops={"last_name_key": "text_pattern_ops"}),
        # Prefix search on the company and the phone number (E.164: "416 555" is searched as "+1416555").
        # Partial: a lead without one writes no index entry.
        Index("ix_leads_company_key", "company_key", postgresql_ops={"company_key": "text_pattern_ops"},
              postgresql_where=text("company_key IS NOT NULL"), sqlite_where=text("company_key IS NOT NULL")),
        Index("ix_leads_phone_e164", "phone_e164", postgresql_ops={"phone_e164": "text_pattern_ops"},
              postgresql_where=text("phone_e164 IS NOT NULL"), sqlite_where=text("phone_e164 IS NOT NULL")),
    )

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def flag_names(self) -> list[str]:
        return sorted(flag.flag for flag in self.flags)


class LeadFlag(Base):
    """One flag on a lead (age-out-soon, needs-review, email-failed, spam, ...), for queue filters."""

    __tablename__ = "lead_flags"

    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    flag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
