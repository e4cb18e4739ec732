"""A lease row held by one process at a time, renewed while it lives (e.g. the active scheduler)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.db import Database, utcnow
from crm.models import Lease


def try_acquire(db: Database, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl."""
    now = now or utcnow()
    with db.transaction() as session:
        if _renew(session, name, holder, ttl, now):
            return True
    try:
        with db.transaction() as session:
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def _renew(session: Session, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(db: Database, name: str, holder: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=utcnow())
        )
