"""send_step: render and send one scheduled email step, exactly once; and the scheduler's tick
that queues due steps. Thin: the rules live in crm.sequences, the transports in crm.mail."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import dramatiq
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import workers.broker  # noqa: F401  (the broker must be set before the actor is declared)
from crm import runtime
from crm.config import Settings
from crm.db import utcnow
from crm.mail import (
    MailError,
    PermanentMailError,
    TemporaryMailError,
    Transport,
    UncertainDeliveryError,
    transport_from_url,
)
from crm.sequences.scheduling import claim_due_steps, requeue_stuck, settle_uncertain
from crm.sequences.sending import prepare_send, record_outcome
from workers.middleware import current_session

log = logging.getLogger(__name__)

_transports: dict[str, Transport] = {}
_transports_lock = threading.Lock()


def transport_for(settings: Settings) -> Transport:
    """One transport per mail URL per process, so SMTP connections are reused across messages."""
    with _transports_lock:
        transport = _transports.get(settings.mail_url)
        if transport is None:
            transport = _transports[settings.mail_url] = transport_from_url(settings.mail_url)
        return transport


def close_transports() -> None:
    with _transports_lock:
        found = list(_transports.values())
        _transports.clear()
    for transport in found:
        transport.close()


def deliver(session: Session, step_id: int, settings: Settings, transport: Transport,
            now: datetime | None = None) -> str:
    """Claim (committed), send, record (committed). Returns what happened: sent, nothing, or the
    failure's class name. Raises TemporaryMailError after recording it, so the caller retries."""
    moment = now or utcnow()
    try:
        with session.begin():
            outgoing = prepare_send(session, step_id, settings, moment)
    except IntegrityError:
        return "nothing"  # another worker claimed this email a moment ago: it sends it, we do not
    if outgoing is None:
        return "nothing"
    error: MailError | None = None
    try:
        transport.send(outgoing.message)
    except MailError as exc:
        error = exc
    with session.begin():
        record_outcome(session, outgoing, utcnow() if now is None else now, error)
    if isinstance(error, TemporaryMailError):
        raise error
    return "sent" if error is None else type(error).__name__


@dramatiq.actor(actor_name="send_step", max_retries=8, min_backoff=5_000,
                max_backoff=600_000, time_limit=60_000,
                throws=(PermanentMailError, UncertainDeliveryError))
def send_step(step_id: int, now: str | None = None) -> None:
    """Send one scheduled step. Idempotent: duplicate messages and concurrent workers send once.

    `now` (ISO 8601) is for tests and simulations that move time forward; production leaves it out.
    Temporary mail failures raise and are retried with backoff (Dramatiq Retries); once retries are
    exhausted the step stays queued and the scheduler sends it again later, so nothing is lost.
    """
    settings = runtime.settings()
    moment = datetime.fromisoformat(now) if now else None
    deliver(current_session(), step_id, settings, transport_for(settings), moment)


def due_steps_tick(now: datetime | None = None) -> int:
    """The scheduler's periodic task: queue due steps, re-send lost ones, settle dead claims."""
    explicit = {"now": now.isoformat()} if now is not None else {}
    now = now or utcnow()
    with runtime.database().transaction() as session:
        step_ids = claim_due_steps(session, now) + requeue_stuck(session, now)
        settle_uncertain(session, now)
    for step_id in step_ids:
        # A step whose message fails to send here stays queued and is sent again by requeue_stuck.
        send_step.send(step_id=step_id, **explicit)
    if step_ids:
        log.info("queued %d email steps", len(step_ids))
    return len(step_ids)
