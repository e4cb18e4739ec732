"""send_steps (a batch) and send_step (one): render and send scheduled email steps, each exactly once,
and the scheduler's tick that queues due steps in batches. Thin: the rules live in crm.sequences."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import dramatiq
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
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
from crm.sequences.scheduling import CLAIM_STALE_AFTER, claim_due_steps, claim_room, requeue_stuck, settle_claims
from crm.sequences.sending import Outgoing, prepare_batch, record_outcomes, record_prepare_failure
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


# A batch stops starting new messages this long after its claim: the rest are deferred untouched (no
# hand-over, nothing sent) and go with the batch's retry, well before the hand-over deadline.
BATCH_SEND_BUDGET = HANDOVER_DEADLINE / 2
# Steps per send_steps message: the scheduler's tick splits what it claimed into batches of this size.
BATCH_SIZE = max(1, int(os.environ.get("CRM_MAIL_BATCH_SIZE", "") or 50))


def deliver(session: Session, step_id: int, settings: Settings, transport: Transport,
            now: datetime | None = None) -> str:
    """One step: claim (committed), send, record (committed). Returns what happened: sent, nothing, or
    the failure's class name. Raises TemporaryMailError after recording it, so the caller retries."""
    return deliver_batch(session, [step_id], settings, transport, now)[step_id]


def deliver_batch(session: Session, step_ids: Sequence[int], settings: Settings, transport: Transport,
                  now: datetime | None = None) -> dict[int, str]:
    """Claim the batch's steps (one committed transaction), hand each message over on this thread's
    reused connection, journaling each one's point of no return, then record every outcome (one
    committed transaction). Returns, per step id: sent, nothing (not sendable, or another worker has
    it), or the failure's class name. Raises the first TemporaryMailError after recording all
    outcomes, so that Dramatiq retries the batch: the retry re-sends only the deferred messages,
    because the others' claims are recorded (sent, bounced, failed) and a claim is never sent twice.
    """
    moment = now or utcnow()
    claimed = time.monotonic()  # no later than claimed_at: the hand-over deadline counts from here
    journal = journal_writer()
    journal.open()  # this host's journal folder exists before any claim of ours does
    outcome = {step_id: "nothing" for step_id in step_ids}
    unprepared: list[int] = []
    try:
        with session.begin():
            batch = prepare_batch(session, step_ids, settings, moment)
    except Exception as exc:
        session.rollback()
        # One step's unexpected problem (or a DB error on one row of the claim INSERT) must not hold
        # back the others: claim them one at a time, so a poison step only ever fails itself.
        log.warning("claiming a batch of %d email steps failed (%s); claiming them one at a time",
                    len(step_ids), type(exc).__name__)
        batch, unprepared = _prepare_one_by_one(session, step_ids, settings, moment, outcome)
    results: list[tuple[Outgoing, MailError | None]] = []
    unreachable: TemporaryMailError | None = None
    try:
        for outgoing in batch:
            if unreachable is None and time.monotonic() - claimed > BATCH_SEND_BUDGET.total_seconds():
                unreachable = TemporaryMailError("this batch ran out of time before the message was handed over")
            if unreachable is not None:
                results.append((outgoing, unreachable))  # never handed over: certainly not sent
                continue
            message_id, attempt = outgoing.message.message_id, outgoing.delivery.attempts

            def handover(message_id: str = message_id, attempt: int = attempt) -> None:
                # The point of no return: journaled (os.write, survives SIGKILL) before the DATA goes out,
                # so whoever settles this claim if we die knows whether the message can have left.
                if time.monotonic() - claimed > HANDOVER_DEADLINE.total_seconds():
                    raise TemporaryMailError("too late to hand this email over: its claim may be settled as dead")
                journal.handed_over(message_id, attempt)

            try:
                transport.send(outgoing.message, handover=handover)
            except MailError as exc:
                results.append((outgoing, exc))
                if isinstance(exc, TemporaryMailError) and exc.code is None:
                    # The server cannot be reached (or it is too late): the rest of the batch is deferred
                    # without trying, instead of waiting for a timeout per message.
                    unreachable = exc
            else:
                journal.sent(message_id, attempt)  # the server said 250: recorded before the outcome commit
                results.append((outgoing, None))
    finally:
        # Also when interrupted (time limit, shutdown): what is known is recorded; a claim left
        # "sending" (the message in flight, the ones not reached) is settled from the journal.
        with session.begin():
            record_outcomes(session, results, utcnow() if now is None else now)
    retry: TemporaryMailError | None = None
    for outgoing, error in results:
        outcome[outgoing.step.id] = "sent" if error is None else type(error).__name__
        if retry is None and isinstance(error, TemporaryMailError):
            retry = error
    if retry is not None:
        raise retry
    if unprepared:
        raise StepNotPrepared(f"{len(unprepared)} email step(s) could not be claimed; retrying them")
    return outcome


def database_unavailable(exc: BaseException) -> bool:
    """The database (connection, server, lock wait) failed rather than the step itself: an outage must
    never use up a step's attempts."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


class StepNotPrepared(Exception):
    """Some steps of a batch could not be claimed even one at a time (attempts left): Dramatiq retries
    the batch, whose other steps are already claimed or recorded and are not sent again."""


# Attempts (counted on the step) to claim a step that fails on its own before it is marked failed.
MAX_PREPARE_ATTEMPTS = 3


def _prepare_one_by_one(session: Session, step_ids: Sequence[int], settings: Settings, moment: datetime,
                        outcome: dict[int, str]) -> tuple[list[Outgoing], list[int]]:
    """Claim each step in its own transaction. A step that still fails gets the attempt counted on it
    (failed for good after MAX_PREPARE_ATTEMPTS, see record_prepare_failure); the others are claimed.
    Returns the claims and the steps left for a retry."""
    batch: list[Outgoing] = []
    unprepared: list[int] = []
    rolled_back = False
    for step_id in sorted(set(step_ids)):
        try:
            with session.begin():
                batch.extend(prepare_batch(session, [step_id], settings, moment))
            continue
        except Exception as exc:
            session.rollback()
            rolled_back = True
            error_type = type(exc).__name__  # the type only: the text may quote a lead's data
            blame_step = not database_unavailable(exc)
        log.warning("email step %d could not be claimed (%s)", step_id, error_type)
        outcome[step_id] = error_type
        if not blame_step:
            unprepared.append(step_id)  # the database failed, not the step: no attempt is counted
            continue
        try:
            with session.begin():
                gave_up = record_prepare_failure(session, step_id, error_type, moment, MAX_PREPARE_ATTEMPTS)
        except Exception as exc:  # the database itself is failing: keep the step for the retry
            session.rollback()
            log.warning("could not record the failed claim of email step %d (%s)", step_id, type(exc).__name__)
            gave_up = False
        if not gave_up:
            unprepared.append(step_id)
    if batch and rolled_back:
        # A rollback expires every object of the session, also the claimed steps loaded before it:
        # reload them (their committed state) in one short transaction, not one lazy load at a time.
        with session.begin():
            for outgoing in batch:
                session.refresh(outgoing.step)
                session.refresh(outgoing.enrolment)
    batch.sort(key=lambda o: o.step.id)
    return batch, unprepared


@dramatiq.actor(actor_name="send_steps", max_retries=8, min_backoff=5_000,
                max_backoff=600_000, time_limit=60_000)
def send_steps(step_ids: list[int], now: str | None = None) -> None:
    """Send a batch of scheduled steps (what the scheduler enqueues): claimed together, sent over one
    reused SMTP connection, recorded together. Idempotent like send_step: duplicate messages and
    concurrent workers send each step once. A temporary failure of some messages raises after the
    others were recorded, so Dramatiq's retry (with backoff) sends only those again.
    """
    settings = runtime.settings()
    moment = datetime.fromisoformat(now) if now else None
    deliver_batch(current_session(), step_ids, settings, transport_for(settings), moment)


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


def enqueue_steps(step_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send the steps to the workers as send_steps messages of BATCH_SIZE steps each."""
    explicit = {"now": now.isoformat()} if now is not None else {}
    ordered = sorted(step_ids)
    for start in range(0, len(ordered), BATCH_SIZE):
        # A batch whose message fails to send here stays queued and is sent again by requeue_stuck.
        send_steps.send(step_ids=ordered[start:start + BATCH_SIZE], **explicit)
    return len(ordered)


def due_steps_tick(now: datetime | None = None) -> int:
    """The scheduler's periodic task: settle dead claims, queue due steps, re-send lost ones."""
    explicit_now = now
    now = now or utcnow()
    with runtime.database().transaction() as session:
        settled = settle_claims(session, now)  # first: a released claim's step is queued just now
        # New due steps only into the room left under MAX_IN_FLIGHT: the broker holds a few ticks of work.
        room = claim_room(session)
        due = claim_due_steps(session, now, limit=room) if room > 0 else []
        step_ids = sorted(set(due + requeue_stuck(session, now) + settled.resend))
    enqueue_steps(step_ids, explicit_now)
    if step_ids:
        log.info("queued %d email steps", len(step_ids))
    if settled.sent or settled.uncertain or settled.resend:
        log.warning("settled dead email claims: %d sent, %d uncertain, %d sent again",
                    settled.sent, settled.uncertain, len(settled.resend))
    return len(step_ids)
