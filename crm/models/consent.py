"""Proof of consent (CASL) and the suppression list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow


class ConsentKind(StrEnum):
    EXPRESS = "express"  # the lead ticked the opt-in box: lasts until withdrawn
    IMPLIED = "implied"  # an inquiry: lasts 6 months from the inquiry
    WITHDRAWN = "withdrawn"  # unsubscribe: recorded with its time and source


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wording: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64), default="intake")  # intake, unsubscribe-link, one-click, ...
    ip_address: Mapped[str | None] = mapped_column(String(64))
    form_id: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))


class Suppression(Base):
    """Addresses that must never be emailed again; kept even when a lead is erased."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(32))  # unsubscribed, bounced, complaint, erased
    source: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
