"""send_step: render and send one scheduled email step, exactly once; and the scheduler's tick
that queues due steps. Thin: the rules live in crm.sequences, the transports in crm.mail."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

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
from crm.mail.journal import writer as journal_writer
from crm.sequences.scheduling import CLAIM_STALE_AFTER, claim_due_steps, requeue_stuck, settle_claims
from crm.sequences.sending import prepare_send, record_outcome
from workers.middleware import current_session

log = logging.getLogger(__name__)

# A worker never starts the SMTP DATA later than this after its claim committed: past it, the
# scheduler may already be treating the claim as dead and sending the email again. Well inside the
# stale-claim delay (90 s by default) and no longer than the actor's 60 s time limit.
HANDOVER_DEADLINE = min(timedelta(seconds=60), max(CLAIM_STALE_AFTER - timedelta(seconds=30),
                                                    CLAIM_STALE_AFTER / 2))

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
    claimed = time.monotonic()  # no later than claimed_at: the hand-over deadline counts from here
    journal = journal_writer()
    journal.open()  # this host's journal folder exists before any claim of ours does
    try:
        with session.begin():
            outgoing = prepare_send(session, step_id, settings, moment)
    except IntegrityError:
        return "nothing"  # another worker claimed this email a moment ago: it sends it, we do not
    if outgoing is None:
        return "nothing"
    message_id, attempt = outgoing.message.message_id, outgoing.delivery.attempts

    def handover() -> None:
        # The point of no return: journaled (os.write, survives SIGKILL) before the DATA goes out, so
        # whoever settles this claim if we die knows whether the message can have left.
        if time.monotonic() - claimed > HANDOVER_DEADLINE.total_seconds():
            raise TemporaryMailError("too late to hand this email over: its claim may be settled as dead")
        journal.handed_over(message_id, attempt)

    error: MailError | None = None
    try:
        transport.send(outgoing.message, handover=handover)
    except MailError as exc:
        error = exc
    else:
        journal.sent(message_id, attempt)  # the server said 250: recorded before the outcome commit
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
    """The scheduler's periodic task: settle dead claims, queue due steps, re-send lost ones."""
    explicit = {"now": now.isoformat()} if now is not None else {}
    now = now or utcnow()
    with runtime.database().transaction() as session:
        settled = settle_claims(session, now)  # first: a released claim's step is queued just now
        step_ids = sorted(set(claim_due_steps(session, now) + requeue_stuck(session, now) + settled.resend))
    for step_id in step_ids:
        # A step whose message fails to send here stays queued and is sent again by requeue_stuck.
        send_step.send(step_id=step_id, **explicit)
    if step_ids:
        log.info("queued %d email steps", len(step_ids))
    if settled.sent or settled.uncertain or settled.resend:
        log.warning("settled dead email claims: %d sent, %d uncertain, %d sent again",
                    settled.sent, settled.uncertain, len(settled.resend))
    return len(step_ids)
