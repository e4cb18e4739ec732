"""Users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from crm.db import utcnow
from crm.models import OPEN_STATUSES, Activity, ApiToken, Lead, Role, User
from crm.workspace import WorkspaceError

MIN_PASSWORD_LENGTH = 10
PASSWORD_METHOD = "scrypt"
# Verified against when the email is unknown, so that a wrong email costs as much time as a wrong
# password and the response time does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8), method=PASSWORD_METHOD)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WorkspaceError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
                             field="password")
    if not password.strip():
        raise WorkspaceError("The password cannot be only spaces.", field="password")
    return generate_password_hash(password, method=PASSWORD_METHOD)


def _codes(values: Iterable[str] | None) -> list[str]:
    return sorted({value.strip().lower() for value in values or [] if value and value.strip()})


def _coverage(languages: Iterable[str] | None, streams: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """Validated languages and stream slugs a consultant covers (empty: all)."""
    from crm.workspace.queue import STREAMS

    langs, slugs = _codes(languages), _codes(streams)
    if set(langs) - {"en", "fr"}:
        raise WorkspaceError("Languages are en and fr.", field="languages")
    unknown = set(slugs) - set(STREAMS)
    if unknown:
        raise WorkspaceError(f"Unknown stream: {', '.join(sorted(unknown))}.", field="streams")
    return langs, slugs


def check_new_user(session: Session, email: str, role: str, languages: Iterable[str] | None = None,
                   streams: Iterable[str] | None = None) -> tuple[str, list[str], list[str]]:
    """WorkspaceError unless a user can be created with these details (all but the password, so that
    the CLI can say so before asking for one): the normalised email, languages and stream slugs."""
    email = normalise_email(email)
    if "@" not in email:
        raise WorkspaceError("Give a valid email address.", field="email")
    if role not in {r.value for r in Role}:
        raise WorkspaceError("The role must be admin or consultant.", field="role")
    if session.scalars(select(User).where(User.email == email)).first() is not None:
        raise WorkspaceError("A user with this email already exists.", status=409, field="email")
    langs, slugs = _coverage(languages, streams)
    return email, langs, slugs


def create_user(session: Session, email: str, role: str, password: str, *, name: str = "",
                languages: Iterable[str] | None = None, streams: Iterable[str] | None = None,
                ui_language: str = "en") -> User:
    email, langs, slugs = check_new_user(session, email, role, languages, streams)
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password), active=True,
                languages=langs, streams=slugs,
                ui_language=ui_language if ui_language in ("en", "fr") else "en")
    session.add(user)
    session.flush()
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> User | None:
    """The active user with this email and password, else None (same work either way)."""
    user = user_by_email(session, email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = now or utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise WorkspaceError("The current password is not correct.", status=403, field="current_password")
    user.password_hash = hash_password(new)


def update_coverage(user: User, languages: Iterable[str] | None, streams: Iterable[str] | None) -> None:
    user.languages, user.streams = _coverage(languages, streams)


def deactivate_user(session: Session, user: User, by_user_id: int | None = None,
                    now: datetime | None = None) -> int:
    """Deactivate the user, revoke their tokens, and return their open leads to the unassigned pool.

    Returns how many leads were released.
    """
    now = now or utcnow()
    # The leads are locked before the user's row is written: classification locks leads, then the
    # consultants (round-robin); the opposite order here could deadlock with a running batch.
    lead_ids = list(session.scalars(
        select(Lead.id).where(Lead.assignee_id == user.id, Lead.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Lead.id).with_for_update(key_share=True)
    ))
    user.active = False
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    if lead_ids:
        session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(assignee_id=None, updated_at=now))
        session.add_all(Activity(lead_id=lead_id, at=now, kind="assignment", user_id=by_user_id,
                                 summary="Returned to the unassigned pool (consultant deactivated)",
                                 data={"from": user.id, "to": None}) for lead_id in lead_ids)
    return len(lead_ids)


def reactivate_user(user: User) -> None:
    user.active = True


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> str:
    """A new API token for the user. Only its SHA-256 is stored: the token is returned once."""
    if not user.active:
        raise WorkspaceError("This user is deactivated.", field="user")
    token = "crm_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), name=name[:100]))
    session.flush()
    return token


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    if not token:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now or utcnow()
    return user


def active_consultants(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)))


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
