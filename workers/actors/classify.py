"""classify_lead: a thin actor around crm.classify.service (the message carries the lead id only)."""

from __future__ import annotations

import dramatiq

from crm.classify.service import classify_and_store, record_failure
from crm.db import utcnow
from workers.middleware import current_session

MAX_RETRIES = 3
MAX_ATTEMPTS = MAX_RETRIES + 1  # counted on the Job row, so re-sent duplicates count too


class ClassificationAbandoned(Exception):
    """Raised after the last attempt has been recorded as failed: Dramatiq must not retry it."""


@dramatiq.actor(actor_name="classify_lead", max_retries=MAX_RETRIES, min_backoff=2_000, max_backoff=60_000,
                time_limit=60_000, throws=(ClassificationAbandoned,))
def classify_lead(lead_id: str, trigger: str = "intake") -> None:
    """Classify one lead and store the result; running it twice changes nothing the second time."""
    session = current_session()
    try:
        with session.begin():
            classify_and_store(session, lead_id, trigger, utcnow())
    except BaseException as exc:  # includes Dramatiq's TimeLimitExceeded; always re-raised below
        session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        with session.begin():
            gave_up = record_failure(session, lead_id, error, utcnow(), MAX_ATTEMPTS)
        if gave_up:
            raise ClassificationAbandoned(error) from exc
        raise
