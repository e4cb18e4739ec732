"""Classifying a stored lead: read it, run the classifier, keep the result with its history.

Works inside the caller's transaction (an actor or a CLI command commits). Idempotent: a second run
with no pending job finds the current classification and does nothing; a run whose result equals the
current classification only closes the jobs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, lazyload

from crm.classify.assign import assign
from crm.classify.classifier import classify
from crm.classify.model import ClassificationResult, LeadInput
from crm.classify.ruleset import Ruleset, load_ruleset
from crm.jobs import record_job
from crm.models import Activity, Classification, Inquiry, Job, JobStatus, Lead, LeadFlag, LeadStatus
from crm.sequences.enrolment import on_classified

KIND = "classify_lead"
# The flags this module owns on a lead; others (spam, email-failed, ...) belong to other features.
CLASSIFIER_FLAGS = frozenset({"age-out-soon", "unconfirmed-rule", "unknown-country", "needs-review",
                              "contradiction", "free-text", "classification-failed"})
OPEN_JOB = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


@dataclass
class Outcome:
    status: str  # classified, unchanged, spam, duplicate, missing
    classification: Classification | None = None
    previous_stream: str | None = None

    @property
    def changed_stream(self) -> bool:
        return self.classification is not None and self.previous_stream != self.classification.primary_stream


def lead_input(lead: Lead, messages: list[str], today: date) -> LeadInput:
    return LeadInput(
        citizenships=list(lead.citizenships or []), country_of_residence=lead.country_of_residence,
        date_of_birth=lead.date_of_birth, stated_age=lead.stated_age, stated_age_on=lead.stated_age_on,
        facts=dict(lead.facts or {}), unknown_countries=list(lead.unknown_countries or []), messages=messages,
        language=lead.preferred_language or "en", today=today, is_spam=lead.status == LeadStatus.SPAM.value,
    )


def recent_messages(session: Session, lead_id: str, limit: int = 5) -> list[str]:
    """The messages of the lead's latest inquiries, newest first."""
    rows = session.scalars(
        select(Inquiry.normalised).where(Inquiry.lead_id == lead_id, Inquiry.is_spam.is_(False))
        .order_by(Inquiry.received_at.desc()).limit(limit)
    ).all()
    return [row["message"] for row in rows if isinstance(row, dict) and isinstance(row.get("message"), str)]


def _open_jobs(session: Session, lead_id: str) -> list[Job]:
    return list(session.scalars(
        select(Job).where(Job.kind == KIND, Job.lead_id == lead_id, Job.status.in_(OPEN_JOB)).order_by(Job.id)
    ))


def _current(session: Session, lead_id: str) -> Classification | None:
    return session.scalars(
        select(Classification).where(Classification.lead_id == lead_id, Classification.is_current.is_(True))
        .order_by(Classification.id.desc()).limit(1)
    ).first()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _same(row: Classification, result: ClassificationResult) -> bool:
    return (row.primary_stream, row.lead_type, row.score, row.ruleset_version) == \
        (result.primary_stream, result.lead_type, result.score, result.ruleset_version) and \
        _canonical([row.flags, row.score_reasons, row.candidates]) == \
        _canonical([result.flags, result.score_reasons, result.candidates_json()])


def _close_jobs(session: Session, lead_id: str, now: datetime) -> int:
    """Mark the lead's open classify jobs done in one statement; undone with the transaction on failure."""
    result = session.execute(
        update(Job).where(Job.kind == KIND, Job.lead_id == lead_id, Job.status.in_(OPEN_JOB))
        .values(status=JobStatus.DONE.value, finished_at=now, started_at=func.coalesce(Job.started_at, now),
                attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _messages(session: Session, lead: Lead) -> list[str]:
    """The latest message is on the lead's facts; older inquiries are read only when there are some."""
    if lead.first_inquiry_at != lead.last_inquiry_at:
        return recent_messages(session, lead.id)
    message = (lead.facts or {}).get("message")
    return [message] if isinstance(message, str) else []


def classify_and_store(session: Session, lead_id: str, trigger: str, now: datetime,
                       ruleset: Ruleset | None = None, force: bool = False) -> Outcome:
    """Classify one lead and store the result. `force` re-runs even without a pending job (reclassify)."""
    # One classification of a lead at a time. Flags are written with set-based statements below, so
    # they are not loaded (each round trip counts: see docs/benchmarks.md).
    lead = session.get(Lead, lead_id, with_for_update=True, options=[lazyload(Lead.flags)])
    if lead is None:
        return Outcome("missing")
    _relax_commit(session)
    open_jobs = _close_jobs(session, lead_id, now)
    if lead.status == LeadStatus.SPAM.value:
        return Outcome("spam")
    classified_before = lead.classified_at is not None and lead.status != LeadStatus.RECEIVED.value
    if classified_before and not open_jobs and not force:
        return Outcome("duplicate", None, lead.primary_stream)  # a re-sent or duplicated message
    # A lead never classified nor failed carries none of this module's flags: nothing to remove.
    first_time = lead.classified_at is None and lead.status == LeadStatus.RECEIVED.value
    current = _current(session, lead_id) if lead.classified_at is not None else None
    result = classify(lead_input(lead, _messages(session, lead), now.date()), ruleset or load_ruleset())
    previous = current.primary_stream if current is not None else None
    if current is not None and _same(current, result) and lead.status != LeadStatus.FAILED.value:
        return Outcome("unchanged", current, previous)

    if current is not None:
        session.execute(update(Classification).where(Classification.lead_id == lead_id,
                                                     Classification.is_current.is_(True)).values(is_current=False))
    row = Classification(
        lead_id=lead_id, created_at=now, is_current=True, ruleset_version=result.ruleset_version,
        primary_stream=result.primary_stream, lead_type=result.lead_type, score=result.score,
        score_reasons=result.score_reasons, flags=result.flags, candidates=result.candidates_json(),
        trigger=trigger[:32],
    )
    row.assignment_reason = assign(session, lead, result.primary_stream, now)
    session.add(row)
    lead.primary_stream, lead.lead_type, lead.score = result.primary_stream, result.lead_type, result.score
    lead.classified_at = now
    if lead.status in (LeadStatus.RECEIVED.value, LeadStatus.FAILED.value):
        lead.status, lead.status_changed_at = LeadStatus.CLASSIFIED.value, now
    _write_flags(session, lead_id, set(result.flags), remove_others=not first_time)
    session.add(Activity(lead_id=lead_id, at=now, kind="classified", summary=_summary(result, previous),
                         data={"primary_stream": result.primary_stream, "previous_stream": previous,
                               "score": result.score, "flags": result.flags, "trigger": trigger,
                               "ruleset_version": result.ruleset_version, "signals": result.signals,
                               "assignment": row.assignment_reason}))
    session.flush()
    # In the same transaction: the lead is enrolled in (or moved to) its stream's email sequence, so a
    # crash can never leave a classified lead without its enrolment or the other way round.
    on_classified(session, lead, row, now)
    return Outcome("classified", row, previous)


def _summary(result: ClassificationResult, previous: str | None) -> str:
    verdict = result.candidates[0].verdict if result.candidates else "needs_info"
    text = f"Classified as {result.primary_stream} ({verdict}), {result.lead_type}, score {result.score}"
    if previous and previous != result.primary_stream:
        text += f"; was {previous}"
    if result.flags:
        text += "; flags: " + ", ".join(result.flags)
    return text


def _relax_commit(session: Session) -> None:
    """Do not wait for the WAL flush at commit (PostgreSQL). Safe here: if the server crashed before
    the flush, this transaction's job update would be lost with it, the job would still be pending and
    the sweep would send it again; any later synchronous commit flushes this one first."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _write_flags(session: Session, lead_id: str, wanted: set[str], remove_others: bool) -> None:
    """Set the classifier's flags on the lead in at most two statements; other features' flags stay."""
    wanted = {flag for flag in wanted if flag in CLASSIFIER_FLAGS}
    if remove_others:
        session.execute(delete(LeadFlag).where(LeadFlag.lead_id == lead_id,
                                               LeadFlag.flag.in_(sorted(CLASSIFIER_FLAGS - wanted))))
    if wanted:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(LeadFlag).values([{"lead_id": lead_id, "flag": flag} for flag in sorted(wanted)])
                        .on_conflict_do_nothing())


def _sync_flags(lead: Lead, wanted: set[str]) -> None:
    wanted = {flag for flag in wanted if flag in CLASSIFIER_FLAGS}
    have = {flag.flag for flag in lead.flags}
    lead.flags = [flag for flag in lead.flags if flag.flag not in CLASSIFIER_FLAGS or flag.flag in wanted]
    lead.flags.extend(LeadFlag(lead_id=lead.id, flag=name) for name in sorted(wanted - have))


def record_failure(session: Session, lead_id: str, error: str, now: datetime, max_attempts: int) -> bool:
    """Count a failed attempt on the lead's open jobs; after `max_attempts` give up visibly.

    Returns True when the lead has now failed for good (job failed, lead `failed`, timeline entry).
    """
    lead = session.get(Lead, lead_id, with_for_update=True)
    if lead is None:
        return True
    jobs = _open_jobs(session, lead_id) or [record_job(session, KIND, lead_id, {"lead_id": lead_id,
                                                                                 "trigger": "retry"})]
    gave_up = False
    for job in jobs:
        job.attempts = (job.attempts or 0) + 1
        job.last_error = error[:2000]
        job.enqueued_at = now  # the retry is a fresh send: the sweep must not duplicate it
        if job.attempts >= max_attempts:
            job.status, job.finished_at = JobStatus.FAILED.value, now
            gave_up = True
    if gave_up:
        if lead.status == LeadStatus.RECEIVED.value:
            lead.status, lead.status_changed_at = LeadStatus.FAILED.value, now
        _sync_flags(lead, {f.flag for f in lead.flags} | {"classification-failed"})
        session.add(Activity(lead_id=lead_id, at=now, kind="classification-failed",
                             summary=f"Classification failed after {max_attempts} attempts: {error[:300]}",
                             data={"error": error[:2000], "attempts": max_attempts}))
    return gave_up
