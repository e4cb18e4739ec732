"""Every classification a lead has had; the newest is the current one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, JSONType, UTCDateTime, utcnow


class Classification(Base):
    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    primary_stream: Mapped[str] = mapped_column(String(64))
    lead_type: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    score_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # [{stream, exemption_code, verdict, reasons, missing, confidence, ...}], best first.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    assignment_reason: Mapped[str | None] = mapped_column(Text)
    # What started it: intake, new-inquiry, reclassify, aged-out, sweep, retry (docs/classification.md)
    trigger: Mapped[str] = mapped_column(String(32), default="intake")

    __table_args__ = (Index("ix_classifications_lead_created", "lead_id", "created_at"),)
