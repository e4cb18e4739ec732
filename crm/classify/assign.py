"""Round-robin assignment of classified leads to the consultants who cover their language and stream.

Admins are not in the rotation: they get a lead only when no active consultant covers it (a firm whose
only user is its admin still gets its leads), by the same round-robin among the admins who cover it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from crm.models import Role, User

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
_users: Table = User.__table__  # type: ignore[assignment]
_CONSULTANTS = (
    select(_users.c.id, _users.c.email, _users.c.role, _users.c.languages, _users.c.streams,
           _users.c.last_assigned_at)
    .where(_users.c.active.is_(True), _users.c.role.in_([Role.CONSULTANT.value, Role.ADMIN.value]))
    .order_by(_users.c.id)
)
_STAMP = update(_users).where(_users.c.id == bindparam("b_id")).values(last_assigned_at=bindparam("b_at"))


@dataclass(frozen=True)
class AssignRequest:
    assignee_id: int | None  # the lead's current assignee
    language: str
    stream: str


@dataclass(frozen=True)
class Assignment:
    assignee_id: int | None
    reason: str  # the explanation stored on the classification


def assign_many(session: Session, requests: Sequence[AssignRequest], now: datetime) -> list[Assignment]:
    """Give each lead, in order, to the matching consultant assigned longest ago; one answer per request.

    A lead that already has an active assignee keeps them. The caller owns the transaction. The matching
    consultants' rows are locked until it ends (on PostgreSQL; SQLite's write lock serialises anyway),
    so two workers never read the same "longest ago" and the round-robin holds across workers. Each
    assignment is stamped strictly after the latest one seen, so leads assigned in one transaction keep
    their order too.
    """
    connection = session.connection()
    kept_ids = sorted({request.assignee_id for request in requests if request.assignee_id is not None})
    kept: dict[int, str] = {}
    if kept_ids:
        kept = {row.id: row.email for row in connection.execute(
            select(_users.c.id, _users.c.email).where(_users.c.id.in_(kept_ids), _users.c.active.is_(True)))}
    if all(request.assignee_id in kept for request in requests):
        return [Assignment(request.assignee_id, f"Kept the current assignee ({kept[request.assignee_id]}).")
                for request in requests if request.assignee_id is not None]
    # FOR NO KEY UPDATE: waits for another assigning transaction, but not for rows merely referencing a user.
    users = [dict(row._mapping) for row in connection.execute(_CONSULTANTS.with_for_update(key_share=True))]
    stamp = max([now, *((user["last_assigned_at"] + _TICK) for user in users if user["last_assigned_at"])])
    stamped: dict[int, datetime] = {}
    answers: list[Assignment] = []
    for request in requests:
        if request.assignee_id is not None and request.assignee_id in kept:
            answers.append(Assignment(request.assignee_id, f"Kept the current assignee ({kept[request.assignee_id]})."))
            continue
        language, stream = request.language, request.stream
        if not users:
            answers.append(Assignment(None, "Unassigned: there is no active consultant."))
            continue
        covering = [user for user in users if _covers(user, language, stream)]
        matching = [user for user in covering if user["role"] != Role.ADMIN.value]
        admins = [user for user in covering if user["role"] == Role.ADMIN.value]
        if not matching and not admins:
            answers.append(Assignment(
                None, f"Unassigned: no active consultant covers language {language} and stream {stream}."))
            continue
        chosen = min(matching or admins, key=lambda user: (user["last_assigned_at"] or _EPOCH, user["id"]))
        chosen["last_assigned_at"] = stamped[chosen["id"]] = stamp
        stamp += _TICK
        if matching:
            reason = (f"Round-robin among {len(matching)} active consultant(s) covering language {language} and "
                      f"stream {stream}: {chosen['email']} was assigned longest ago.")
        else:
            reason = (f"No active consultant covers language {language} and stream {stream}; round-robin among "
                      f"{len(admins)} active admin(s): {chosen['email']} was assigned longest ago.")
        answers.append(Assignment(chosen["id"], reason))
    if stamped:
        connection.execute(_STAMP, [{"b_id": user_id, "b_at": at} for user_id, at in stamped.items()])
    return answers


def _covers(user: dict[str, Any], language: str, stream: str) -> bool:
    languages, streams = user["languages"], user["streams"]
    return (not languages or language in languages) and (not streams or stream in streams)
