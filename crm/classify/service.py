"""Classifying stored leads: read them, run the classifier, keep the results with their history.

Works inside the caller's transaction (an actor or a CLI command commits). A `classify_lead` message
classifies its own lead and, in the same transaction, other leads whose classification job is open
(a batch): every write is one set-based statement for the whole batch, so a message costs a few round
trips whatever the batch size, and the later messages of leads already done find no open job and
return after one query. Idempotent: a second run with no open job finds the lead classified and does
nothing; a run whose result equals the current classification only closes the jobs.

Locks (PostgreSQL): the message's own lead and its open jobs are locked and waited for; other jobs and
their leads are claimed with SKIP LOCKED (never waited for); the consultants' rows are locked last, for
the round-robin (see assign.py). A transaction therefore waits at most for its own lead, its own jobs and
the consultants, in that order, and never while holding the consultants: no deadlock between workers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Integer, Row, Table, bindparam, case, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crm import bulk
from crm.classify.ages import stated_age_day
from crm.classify.assign import AssignRequest, assign_many
from crm.classify.classifier import add_texts, classify
from crm.classify.model import ClassificationResult, LeadInput
from crm.classify.ruleset import Ruleset, load_ruleset
from crm.db import UTCDateTime
from crm.jobs import record_job
from crm.models import Activity, Classification, Inquiry, Job, JobStatus, Lead, LeadFlag, LeadStatus
from crm.sequences.enrolment import Classified, on_classified_many
from crm.sequences.timezones import lead_zone, zone_for

log = logging.getLogger(__name__)

KIND = "classify_lead"
# The flags this module owns on a lead; others (spam, email-failed, ...) belong to other features.
CLASSIFIER_FLAGS = frozenset({"age-out-soon", "unconfirmed-rule", "unknown-country", "needs-review",
                              "contradiction", "free-text", "classification-failed"})
OPEN_JOB = (JobStatus.PENDING.value, JobStatus.RUNNING.value)
# The timeline line (kind "classified", data {"unchanged": true, ...}) when a reclassification a consultant
# asked for finds the same result: nothing new is stored, but the request did run.
UNCHANGED_SUMMARY = "Reclassified: no change"
# Leads classified per transaction by one message: its own plus up to BATCH_SIZE - 1 others.
BATCH_SIZE = 200
MESSAGES_PER_LEAD = 5

_leads: Table = Lead.__table__  # type: ignore[assignment]
_jobs: Table = Job.__table__  # type: ignore[assignment]
_classifications: Table = Classification.__table__  # type: ignore[assignment]
_flags: Table = LeadFlag.__table__  # type: ignore[assignment]
_activities: Table = Activity.__table__  # type: ignore[assignment]
_inquiries: Table = Inquiry.__table__  # type: ignore[assignment]

_LEAD_COLUMNS = [_leads.c[name] for name in (
    "id", "email_key", "citizenships", "country_of_residence", "date_of_birth", "stated_age", "stated_age_on",
    "facts", "unknown_countries", "preferred_language", "status", "classified_at", "first_inquiry_at",
    "last_inquiry_at", "assignee_id", "primary_stream", "unsubscribed_at", "message_citizenships", "anonymised_at")]
_OPEN_JOB_OF_LEAD = exists().where(_jobs.c.lead_id == _leads.c.id, _jobs.c.kind == KIND,
                                   or_(*(_jobs.c.status == status for status in OPEN_JOB)))
# The one query a message for an already classified lead costs.
_PROBE = select(_leads.c.status, _leads.c.classified_at, _leads.c.primary_stream,
                _OPEN_JOB_OF_LEAD.label("has_open_job")).where(_leads.c.id == bindparam("lead_id"))
# On PostgreSQL the same query also returns which of the next NEARBY_JOBS jobs after the message's own
# are done (jobs are numbered and their messages sent in that order, so these are the messages that
# come next; in a backlog, batches have classified most of them): see DoneJobs.
NEARBY_JOBS = 256
_JOB_ID = bindparam("job_id", type_=Integer)
_DONE_NEARBY = (select(_jobs.c.id).where(_jobs.c.id >= _JOB_ID, _jobs.c.id < _JOB_ID + NEARBY_JOBS,
                                         _jobs.c.kind == KIND, _jobs.c.status == JobStatus.DONE.value)
                .scalar_subquery())
# Compiled once for psycopg from the statement above (one source), run on the driver (see settled()).
_PROBE_COMPILED = _PROBE.add_columns(func.array(_DONE_NEARBY).label("done_nearby")).compile(
    dialect=postgresql_psycopg.dialect())
_PROBE_SQL = str(_PROBE_COMPILED)
_PROBE_PARAMS = dict(_PROBE_COMPILED.params)
_NOW = bindparam("b_now", type_=UTCDateTime())
_REOPENABLE = (LeadStatus.RECEIVED.value, LeadStatus.FAILED.value)
# Written out, not IN (...): an expanding IN cannot be part of an executemany statement.
_WAS_OPEN = or_(_leads.c.status == _REOPENABLE[0], _leads.c.status == _REOPENABLE[1])
_STATUS_AFTER = {"classified_at": _NOW, "updated_at": _NOW,
                 "status": case((_WAS_OPEN, LeadStatus.CLASSIFIED.value), else_=_leads.c.status),
                 "status_changed_at": case((_WAS_OPEN, _NOW), else_=_leads.c.status_changed_at)}
# message_citizenships: what the classification read from the message, replaced by each stored one.
_LEAD_RESULT = ("primary_stream", "lead_type", "score", "assignee_id", "message_citizenships")
# SQLite: executemany. PostgreSQL: one UPDATE ... FROM jsonb_to_recordset for the whole batch.
_UPDATE_LEAD = (
    update(_leads).where(_leads.c.id == bindparam("b_id"))
    .values(**{name: bindparam(f"b_{name}") for name in _LEAD_RESULT}, **_STATUS_AFTER)
)
_RESULTS = bulk.recordset(_leads, ("id", *_LEAD_RESULT))
_UPDATE_LEADS = (
    update(_leads).where(_leads.c.id == _RESULTS.c.id)
    .values(**{name: _RESULTS.c[name] for name in _LEAD_RESULT}, **_STATUS_AFTER)
)


@dataclass
class Outcome:
    status: str  # classified, unchanged, spam, erased, duplicate, missing, skipped
    primary_stream: str | None = None
    previous_stream: str | None = None
    # The jobs the transaction closed (on the message's own outcome): once it has committed, the
    # caller passes the outcome to `remember_closed` so that their messages cost no query here.
    closed_jobs: list[int] = field(default_factory=list)

    @property
    def changed_stream(self) -> bool:
        return self.status in ("classified", "unchanged") and self.previous_stream != self.primary_stream


@dataclass
class _Claim:
    """A lead locked by this transaction, the trigger to record and its open jobs to close."""

    lead: Row[Any]
    trigger: str
    job_ids: list[int] = field(default_factory=list)


class DoneJobs:
    """Classification jobs of one database this process has seen done, for `ttl` seconds: a message
    carrying such a job's id is a duplicate (a batch classified its lead) and is dropped without a query.

    A job that is done stays done, so an entry is never wrong while the database keeps its commits. The
    entries expire because a commit made with synchronous_commit off (see _relax_commit) is visible
    before it is durable: if PostgreSQL crashed before the flush, the job would be pending again and the
    sweep would re-send it, at the earliest its threshold (minutes) after the message was sent; by then
    the entry is gone and the message classifies the lead.
    """

    def __init__(self, ttl: float = 30.0, capacity: int = 200_000) -> None:
        self.ttl, self.capacity = ttl, capacity
        self._until: dict[int, float] = {}
        self._lock = threading.Lock()

    def add(self, job_ids: Iterable[int]) -> None:
        until = time.monotonic() + self.ttl
        with self._lock:
            if len(self._until) >= self.capacity:
                now = time.monotonic()
                self._until = {job: end for job, end in self._until.items() if end > now}
                if len(self._until) >= self.capacity // 2:
                    self._until = {}
            for job_id in job_ids:
                self._until[job_id] = until

    def __contains__(self, job_id: object) -> bool:
        end = self._until.get(job_id)  # type: ignore[call-overload]
        return end is not None and end > time.monotonic()


_done_jobs: weakref.WeakKeyDictionary[Any, DoneJobs] = weakref.WeakKeyDictionary()
_done_jobs_lock = threading.Lock()


def done_jobs(session: Session) -> DoneJobs:
    """The done jobs seen through the session's engine (one per engine: job ids belong to a database)."""
    bind = session.get_bind()
    found = _done_jobs.get(bind)
    if found is None:
        with _done_jobs_lock:
            found = _done_jobs.setdefault(bind, DoneJobs())
    return found


def remember_closed(session: Session, outcome: Outcome) -> None:
    """After the commit of a classify_pending transaction: its closed jobs are done for good."""
    if outcome.closed_jobs:
        done_jobs(session).add(outcome.closed_jobs)


def lead_input(lead: Any, messages: list[str], today: date, message_dates: list[date | None] | None = None,
               zone: ZoneInfo | None = None) -> LeadInput:
    """The classifier's input from a lead (an ORM `Lead` or a row with the same column names); `zone` is the one
    `today` is the date of (a stated age is dated there too: crm.classify.ages.stated_age_day)."""
    stated_on = lead.stated_age_on if zone is None else stated_age_day(lead.stated_age_on, lead.last_inquiry_at, zone)
    return LeadInput(
        citizenships=list(lead.citizenships or []), country_of_residence=lead.country_of_residence,
        date_of_birth=lead.date_of_birth, stated_age=lead.stated_age, stated_age_on=stated_on,
        facts=dict(lead.facts or {}), unknown_countries=list(lead.unknown_countries or []), messages=messages,
        message_dates=list(message_dates or []), language=lead.preferred_language or "en", today=today,
        is_spam=lead.status == LeadStatus.SPAM.value,
    )


def _recent_messages(connection: Connection, lead_ids: list[str], limit: int = MESSAGES_PER_LEAD
                     ) -> dict[str, list[tuple[str, datetime]]]:
    """For each lead, the messages of its latest `limit` inquiries (not spam), newest first, each with
    the time its inquiry was received."""
    if not lead_ids:
        return {}
    rank = func.row_number().over(partition_by=_inquiries.c.lead_id,
                                  order_by=(_inquiries.c.received_at.desc(), _inquiries.c.id.desc())).label("rank")
    latest = (select(_inquiries.c.lead_id, _inquiries.c.normalised, _inquiries.c.received_at, rank)
              .where(bulk.among(connection, _inquiries.c.lead_id, lead_ids), _inquiries.c.is_spam.is_(False))
              .subquery())
    found: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for lead_id, normalised, received_at in connection.execute(
        select(latest.c.lead_id, latest.c.normalised, latest.c.received_at).where(latest.c.rank <= limit)
        .order_by(latest.c.lead_id, latest.c.rank)
    ):
        if isinstance(normalised, dict) and isinstance(normalised.get("message"), str):
            found[lead_id].append((normalised["message"], received_at))
    return found


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _without_texts(candidates: Any) -> Any:
    """The candidates without their texts in the other language (classifier.add_texts): those follow
    from the rest, and rows stored before them have none."""
    if not isinstance(candidates, list):
        return candidates
    return [{key: value for key, value in candidate.items() if key != "texts"} if isinstance(candidate, dict)
            else candidate for candidate in candidates]


def _same(row: Any, result: ClassificationResult) -> bool:
    """Whether the result is the stored classification again (then no new row). Compared in the lead's
    language only: the texts in the other language are a translation of the same result."""
    return (row.primary_stream, row.lead_type, row.score, row.ruleset_version) == \
        (result.primary_stream, result.lead_type, result.score, result.ruleset_version) and \
        _canonical([row.flags, row.score_reasons, _without_texts(row.candidates)]) == \
        _canonical([result.flags, result.score_reasons, result.candidates_json()])  # no texts yet: add_texts runs after


def classify_pending(session: Session, lead_id: str, trigger: str, now: datetime, ruleset: Ruleset | None = None,
                     batch_size: int | None = None) -> Outcome:
    """What a `classify_lead` message does: classify its lead if it has an open job (or was never
    classified), together with up to `batch_size - 1` other leads whose job is open; the lead's outcome."""
    return _run(session, lead_id, trigger, now, ruleset, force=False, batch_size=batch_size or BATCH_SIZE)


def classify_and_store(session: Session, lead_id: str, trigger: str, now: datetime,
                       ruleset: Ruleset | None = None, force: bool = False) -> Outcome:
    """Classify one lead and store the result. `force` re-runs even without an open job (reclassify)."""
    return _run(session, lead_id, trigger, now, ruleset, force=force, batch_size=1)


def settled(session: Session, lead_id: str, job_id: int | None = None) -> Outcome | None:
    """What most messages cost: an Outcome when the lead has nothing to do (its job `job_id` seen done
    by this process, classified before and no open job, spam without an open job, or gone), None when
    it must be classified.

    A message whose job is in `done_jobs` costs no query. Otherwise one query: call it outside a
    transaction (it ends its own). A stale answer is harmless: a job opened later has its own message.
    On PostgreSQL it runs in autocommit (no BEGIN or COMMIT round trip) and straight on a pooled driver
    connection: the SQLAlchemy statement and session machinery costs more CPU than the query itself,
    and this runs for nearly every message. There it also notes the done jobs among the next ones.
    """
    seen_done = done_jobs(session)
    if job_id is not None and job_id in seen_done:
        return Outcome("duplicate")
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        probe = _probe_on_driver(bind, lead_id, job_id)
        if probe is not None and probe[4]:
            seen_done.add(probe[4])
    else:
        try:
            probe = session.connection().execute(_PROBE, {"lead_id": lead_id}).first()
        finally:
            session.rollback()
    if probe is None:
        return Outcome("missing")
    status, classified_at, primary_stream, has_open_job = probe[:4]
    if not has_open_job and status == LeadStatus.SPAM.value:
        return Outcome("spam")
    if not has_open_job and _classified_before(classified_at, status):
        return Outcome("duplicate", primary_stream, primary_stream)
    return None


def _probe_on_driver(engine: Engine, lead_id: str, job_id: int | None) -> Any:
    """The probe on a pooled psycopg connection in autocommit. On an error the connection is
    discarded and the probe runs again through SQLAlchemy, which judges the error: a disconnect (the
    database restarted; a worker's engine does not pre-ping) invalidates the whole pool and raises,
    so the message is retried on fresh connections."""
    params = {**_PROBE_PARAMS, "lead_id": lead_id, "job_id": job_id}
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        driver.autocommit = True
        try:
            return driver.execute(_PROBE_SQL, params).fetchone()
        finally:
            driver.autocommit = False
    except Exception as exc:
        raw.invalidate(exc)
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.exec_driver_sql(_PROBE_SQL, params).fetchone()


def _run(session: Session, lead_id: str, trigger: str, now: datetime, ruleset: Ruleset | None, force: bool,
         batch_size: int) -> Outcome:
    connection = session.connection()
    # One classification of a lead at a time: its row is locked until the commit.
    lead = connection.execute(select(*_LEAD_COLUMNS).where(_leads.c.id == lead_id)
                              .with_for_update(key_share=True)).first()
    if lead is None:
        return Outcome("missing")
    _relax_commit(session)
    own_jobs = list(connection.execute(
        select(_jobs.c.id).where(_jobs.c.kind == KIND, _jobs.c.lead_id == lead_id, _jobs.c.status.in_(OPEN_JOB))
        .order_by(_jobs.c.id).with_for_update()
    ).scalars())
    if lead.status == LeadStatus.SPAM.value or lead.anonymised_at is not None:
        # Spam is not classified; an erased lead (PIPEDA) has nothing left to classify and must not
        # take a consultant's turn: its jobs are closed.
        _close_jobs(connection, own_jobs, now)
        return Outcome("spam" if lead.anonymised_at is None else "erased", closed_jobs=own_jobs)
    if _classified_before(lead.classified_at, lead.status) and not own_jobs and not force:
        return Outcome("duplicate", lead.primary_stream, lead.primary_stream)  # a re-sent or duplicated message
    claims = [_Claim(lead, trigger, own_jobs)]
    if batch_size > 1:
        claims.extend(_claim_others(connection, lead_id, batch_size - 1, now))
    outcomes = _classify_claims(session, claims, now, ruleset or load_ruleset(), own_id=lead_id)
    return outcomes[lead_id]


def _classified_before(classified_at: datetime | None, status: str) -> bool:
    return classified_at is not None and status != LeadStatus.RECEIVED.value


def _claim_others(connection: Connection, own_id: str, limit: int, now: datetime) -> list[_Claim]:
    """Lock up to `limit` other open, due classification jobs and their leads, skipping any row another
    transaction holds (that transaction, or the job's own message, classifies it). Jobs that have
    failed before are left to their own message, so one broken lead never fails a batch twice.

    Newest first: the broker delivers the oldest messages first, so a batch takes the leads whose
    messages are furthest back in the queue. Taking the oldest would lock exactly the leads whose
    messages the other worker threads are about to process, and they would all wait for this batch.
    No lead waits longer than without batches: its own message still classifies it at the latest."""
    jobs = connection.execute(
        select(_jobs.c.id, _jobs.c.lead_id, _jobs.c.args)
        .where(_jobs.c.kind == KIND, _jobs.c.status == JobStatus.PENDING.value, _jobs.c.last_error.is_(None),
               _jobs.c.lead_id.is_not(None), _jobs.c.lead_id != own_id, _jobs.c.enqueued_at <= now)
        .order_by(_jobs.c.enqueued_at.desc(), _jobs.c.id.desc()).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not jobs:
        return []
    by_lead: dict[str, list[Any]] = defaultdict(list)
    for job in jobs:
        by_lead[job.lead_id].append(job)
    leads = connection.execute(select(*_LEAD_COLUMNS).where(bulk.among(connection, _leads.c.id, list(by_lead)))
                               .order_by(_leads.c.id).with_for_update(key_share=True, skip_locked=True)).all()
    claims = []
    for lead in leads:
        lead_jobs = by_lead[lead.id]
        args = lead_jobs[0].args if isinstance(lead_jobs[0].args, dict) else {}
        claims.append(_Claim(lead, str(args.get("trigger") or "intake"), [job.id for job in lead_jobs]))
    return claims


def _classify_claims(session: Session, claims: list[_Claim], now: datetime, ruleset: Ruleset, own_id: str
                     ) -> dict[str, Outcome]:
    """Classify the locked leads and store every result with set-based statements."""
    connection = session.connection()
    outcomes: dict[str, Outcome] = {}
    before = [claim.lead.id for claim in claims if claim.lead.classified_at is not None]
    current: dict[str, Any] = {}
    if before:
        for row in connection.execute(
            select(_classifications).where(bulk.among(connection, _classifications.c.lead_id, before),
                                           _classifications.c.is_current.is_(True)).order_by(_classifications.c.id)
        ):
            current[row.lead_id] = row  # the newest current one wins
    # The latest message is on the lead's facts; older inquiries are read only for leads that have some.
    messages = _recent_messages(connection, [claim.lead.id for claim in claims
                                             if claim.lead.first_inquiry_at != claim.lead.last_inquiry_at])
    done: list[int] = []
    changed: list[tuple[_Claim, ClassificationResult, Any]] = []
    unchanged: list[tuple[_Claim, ClassificationResult]] = []
    # "Today" is the lead's own date, in the time zone its send window uses: the emails' age-out
    # reminder and the aged-out stop go by the same day (crm.sequences.timezones.local_date), so the
    # classifier never calls eligible a lead the answer would stop as aged out. One date per zone.
    today_in: dict[ZoneInfo, date] = {}
    for claim in claims:
        lead = claim.lead
        if lead.status == LeadStatus.SPAM.value or lead.anonymised_at is not None:
            done.extend(claim.job_ids)
            outcomes[lead.id] = Outcome("spam" if lead.anonymised_at is None else "erased")
            continue
        zone = lead_zone(lead)  # the form's citizenships, else those read from its messages before
        today = today_in.get(zone)
        if today is None:
            today = today_in[zone] = now.astimezone(zone).date()
        # Each message with the day it came in, on the lead's date (an age read from it was said that day)
        if lead.first_inquiry_at != lead.last_inquiry_at:
            found = messages.get(lead.id, [])
            texts = [text for text, _received in found]
            received = [when for _text, when in found]
        else:
            message = (lead.facts or {}).get("message")
            texts = [message] if isinstance(message, str) else []
            received = [lead.last_inquiry_at] if texts else []
        said_on = [_local_day(when, zone) for when in received]
        try:
            facts = lead_input(lead, texts, today, said_on, zone)
            result = classify(facts, ruleset)
            read_zone = zone_for(lead.country_of_residence,
                                 list(lead.citizenships or []) or list(result.message_citizenships))
            if read_zone != zone and now.astimezone(read_zone).date() != today:
                # The first classification of a lead whose citizenship is only in its message learns its
                # zone from this very result: classified again on that zone's day, as its emails count it.
                zone = read_zone
                said_on = [_local_day(when, zone) for when in received]
                facts = lead_input(lead, texts, now.astimezone(zone).date(), said_on, zone)
                result = classify(facts, ruleset)
        except Exception:
            if lead.id == own_id:
                raise
            # Left open for its own message, which records the error (no personal data logged here).
            log.warning("classification of a batched lead failed; left to its own message", exc_info=True)
            outcomes[lead.id] = Outcome("skipped")
            continue
        done.extend(claim.job_ids)
        previous = current.get(lead.id)
        previous_stream = previous.primary_stream if previous is not None else None
        if previous is not None and _same(previous, result) and lead.status not in _REOPENABLE:
            outcomes[lead.id] = Outcome("unchanged", previous_stream, previous_stream)
            if claim.trigger == "reclassify" and claim.job_ids:
                # A consultant asked for it (a job from the workspace or the API, not the CLI's run over
                # many leads): the timeline says it ran, though nothing new is stored.
                unchanged.append((claim, result))
            if list(lead.message_citizenships or []) != result.message_citizenships:
                # A lead classified before the column was written: brought up to date, no new row.
                connection.execute(update(_leads).where(_leads.c.id == lead.id)
                                   .values(message_citizenships=result.message_citizenships))
            continue
        try:
            # Only for a result that is stored: the same texts in the workspace's other language.
            add_texts(result, facts, ruleset)
        except Exception:  # never worth losing the classification: the workspace shows the lead's texts
            log.warning("classification texts in the other language failed; stored without them", exc_info=True)
        changed.append((claim, result, previous))
        outcomes[lead.id] = Outcome("classified", result.primary_stream, previous_stream)
    _close_jobs(connection, done, now)
    if unchanged:
        bulk.insert_rows(connection, _activities, [
            {"lead_id": claim.lead.id, "at": now, "kind": "classified", "user_id": None,
             "summary": UNCHANGED_SUMMARY,
             "data": {"unchanged": True, "primary_stream": result.primary_stream,
                      "previous_stream": result.primary_stream, "score": result.score, "flags": result.flags,
                      "trigger": claim.trigger, "ruleset_version": result.ruleset_version,
                      "signals": result.signals}}
            for claim, result in unchanged])
    if changed:
        _store(session, changed, current, now)
    if own_id in outcomes:
        outcomes[own_id].closed_jobs = done
    return outcomes


def _store(session: Session, changed: list[tuple[_Claim, ClassificationResult, Any]], current: dict[str, Any],
           now: datetime) -> None:
    connection = session.connection()
    ids = [claim.lead.id for claim, _result, _previous in changed]
    # Flags: a lead never classified nor failed carries none of this module's flags.
    reflag = [claim.lead.id for claim, _result, _previous in changed
              if not (claim.lead.classified_at is None and claim.lead.status == LeadStatus.RECEIVED.value)]
    if reflag:
        connection.execute(delete(_flags).where(bulk.among(connection, _flags.c.lead_id, reflag),
                                                bulk.among(connection, _flags.c.flag, sorted(CLASSIFIER_FLAGS))))
    flag_rows = [{"lead_id": claim.lead.id, "flag": flag} for claim, result, _previous in changed
                 for flag in sorted(set(result.flags) & CLASSIFIER_FLAGS)]
    if flag_rows:
        bulk.insert_rows(connection, _flags, flag_rows, ignore_conflicts_on=("lead_id", "flag"))
    if current:
        connection.execute(update(_classifications).where(
            bulk.among(connection, _classifications.c.lead_id, [lead_id for lead_id in ids if lead_id in current]),
            _classifications.c.is_current.is_(True)).values(is_current=False))
    # In the same transaction: each lead is enrolled in (or moved to) its stream's email sequence, so a
    # crash can never leave a classified lead without its enrolment or the other way round.
    on_classified_many(session, [
        Classified(lead_id=claim.lead.id, email_key=claim.lead.email_key,
                   status=LeadStatus.CLASSIFIED.value if claim.lead.status in _REOPENABLE else claim.lead.status,
                   preferred_language=claim.lead.preferred_language,
                   country_of_residence=claim.lead.country_of_residence,
                   citizenships=list(claim.lead.citizenships or []),
                   unsubscribed=claim.lead.unsubscribed_at is not None,
                   primary_stream=result.primary_stream, lead_type=result.lead_type, flags=list(result.flags),
                   last_inquiry_at=claim.lead.last_inquiry_at,
                   message_citizenships=list(result.message_citizenships))
        for claim, result, _previous in changed], now)
    # Last: the consultants' rows are locked until the commit (round-robin without a race).
    assignments = assign_many(session, [
        AssignRequest(claim.lead.assignee_id, claim.lead.preferred_language or "en", result.primary_stream)
        for claim, result, _previous in changed], now)
    bulk.insert_rows(connection, _classifications, [
        {"lead_id": claim.lead.id, "created_at": now, "is_current": True, "ruleset_version": result.ruleset_version,
         "primary_stream": result.primary_stream, "lead_type": result.lead_type, "score": result.score,
         "score_reasons": result.score_reasons, "flags": result.flags, "candidates": result.candidates_json(),
         "assignment_reason": assignment.reason, "trigger": claim.trigger[:32]}
        for (claim, result, _previous), assignment in zip(changed, assignments, strict=True)])
    results = [{"id": claim.lead.id, "primary_stream": result.primary_stream, "lead_type": result.lead_type,
                "score": result.score, "assignee_id": assignment.assignee_id,
                "message_citizenships": list(result.message_citizenships)}
               for (claim, result, _previous), assignment in zip(changed, assignments, strict=True)]
    if connection.dialect.name == "postgresql":
        connection.execute(_UPDATE_LEADS, {**bulk.rows_param(results), "b_now": now})
    else:
        connection.execute(_UPDATE_LEAD, [{f"b_{name}": value for name, value in row.items()} | {"b_now": now}
                                          for row in results])
    bulk.insert_rows(connection, _activities, [
        {"lead_id": claim.lead.id, "at": now, "kind": "classified", "user_id": None,
         "summary": _summary(result, previous.primary_stream if previous is not None else None),
         "data": {"primary_stream": result.primary_stream,
                  "previous_stream": previous.primary_stream if previous is not None else None,
                  "score": result.score, "flags": result.flags, "trigger": claim.trigger,
                  "ruleset_version": result.ruleset_version, "signals": result.signals,
                  "assignment": assignment.reason}}
        for (claim, result, previous), assignment in zip(changed, assignments, strict=True)])


def _local_day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def _close_jobs(connection: Connection, job_ids: list[int], now: datetime) -> None:
    """Mark the jobs (locked by this transaction) done in one statement; undone with it on failure."""
    if job_ids:
        connection.execute(
            update(_jobs).where(bulk.among(connection, _jobs.c.id, job_ids))
            .values(status=JobStatus.DONE.value, finished_at=now, started_at=func.coalesce(_jobs.c.started_at, now),
                    attempts=_jobs.c.attempts + 1)
        )


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


def _open_jobs(session: Session, lead_id: str) -> list[Job]:
    return list(session.scalars(
        select(Job).where(Job.kind == KIND, Job.lead_id == lead_id, Job.status.in_(OPEN_JOB)).order_by(Job.id)
    ))


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
