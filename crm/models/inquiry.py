"""Each submission of the intake form, stored exactly as received."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import Base, JSONType, UTCDateTime, new_id, utcnow

if TYPE_CHECKING:
    from crm.models.lead import Lead


class Inquiry(Base):
    __tablename__ = "inquiries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The request body byte for byte, and how it was sent.
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # The body parsed into fields (lists for repeated form fields), before validation.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The validated, normalised fields that were applied to the lead.
    normalised: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Hash of (email, payload): the same submission again within 24 hours is a replay. Cleared once
    # the window has passed so that the unique constraint only guards the window.
    dedupe_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="en")
    form_id: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    is_spam: Mapped[bool] = mapped_column(Boolean, default=False)
    spam_reason: Mapped[str | None] = mapped_column(String(200))

    lead: Mapped[Lead] = relationship(back_populates="inquiries")


class ReplayedKey(Base):
    """An Idempotency-Key first seen on a request that the 24-hour replay check answered with an
    earlier inquiry (stored without that key, or under another one).

    Recorded so that the key means that inquiry from then on: the same body under it is a replay,
    another body a 422, as for a key stored on the inquiry itself (`Inquiry.idempotency_key`).
    """

    __tablename__ = "replayed_keys"

    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    # The hash of the request that carried the key (its own body, which may differ in bytes from the
    # earlier inquiry's, e.g. the email typed in another letter case).
    request_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
