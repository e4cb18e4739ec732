"""classify_lead: a thin actor around crm.classify.service (the message carries the lead id and, when
sent for a recorded job, the job's id)."""

from __future__ import annotations

import logging

import dramatiq

from crm.classify.service import classify_pending, record_failure, remember_closed, settled
from crm.db import utcnow
from workers.middleware import current_session

log = logging.getLogger(__name__)

MAX_RETRIES = 3
MAX_ATTEMPTS = MAX_RETRIES + 1  # counted on the Job row, so re-sent duplicates count too


class ClassificationAbandoned(Exception):
    """Raised after the last attempt has been recorded as failed: Dramatiq must not retry it."""


@dramatiq.actor(actor_name="classify_lead", max_retries=MAX_RETRIES, min_backoff=2_000, max_backoff=60_000,
                time_limit=60_000, throws=(ClassificationAbandoned,))
def classify_lead(lead_id: str, trigger: str = "intake", job_id: int | None = None) -> None:
    """Classify the lead (and, in the same transaction, a batch of other leads whose job is open).

    Running it twice changes nothing the second time. If the batch fails, the lead is tried once more
    on its own, so another lead's problem never counts as this lead's failed attempt.
    """
    session = current_session()
    try:
        if settled(session, lead_id, job_id) is not None:
            return  # most messages: a batch already classified the lead (no query, or one)
        try:
            with session.begin():
                outcome = classify_pending(session, lead_id, trigger, utcnow())
        except Exception as exc:
            session.rollback()
            # The exception's type only: its text may quote a lead's data.
            log.warning("classification batch failed (%s); classifying lead %s alone", type(exc).__name__, lead_id)
            with session.begin():
                outcome = classify_pending(session, lead_id, trigger, utcnow(), batch_size=1)
        remember_closed(session, outcome)  # committed: their messages need no query here
    except BaseException as exc:  # includes Dramatiq's TimeLimitExceeded; always re-raised below
        session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        with session.begin():
            gave_up = record_failure(session, lead_id, error, utcnow(), MAX_ATTEMPTS)
        if gave_up:
            raise ClassificationAbandoned(error) from exc
        raise
