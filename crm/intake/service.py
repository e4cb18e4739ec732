"""Storing an inquiry: lead, inquiry, consent, timeline entry and classification job in one go.

`receive_inquiry` works inside the caller's transaction and never commits. Concurrent duplicates
are settled by unique constraints (lead email, idempotency key, dedupe key): the loser's commit
fails with IntegrityError and the caller runs it again, when it finds the winner's rows.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    CTE,
    BindParameter,
    Column,
    Connection,
    Insert,
    Row,
    String,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, lazyload

from crm.db import new_id, utcnow
from crm.i18n import message_language
from crm.intake.driver import BoundStatement, DriverStatement
from crm.intake.normalise import NormalisedInquiry, NormaliseError, normalise, normalise_email
from crm.intake.parsing import storable
from crm.intake.schema import field_errors, validate_fields
from crm.jobs import detached_job, insert_job, job_values, pending_job
from crm.models import (
    Activity,
    ConsentKind,
    ConsentRecord,
    Inquiry,
    Job,
    Lead,
    LeadFlag,
    LeadStatus,
    ReplayedKey,
)
from crm.models.lead import last_name_key
from crm.sequences.timezones import lead_zone
from crm.text import company_key, company_of, search_text_of

REPLAY_WINDOW = timedelta(hours=24)
# Fields that change on every page load of the same form and so must not defeat the replay check.
VOLATILE_FIELDS = frozenset({"form_token", "_form_token", "csrf_token"})


class IntakeError(Exception):
    """A client mistake, with the HTTP status the contract names and field-level messages."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


@dataclass
class IntakeRequest:
    body: bytes
    content_type: str
    fields: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    remote_addr: str | None = None
    idempotency_key: str | None = None
    form_language: str | None = None  # "fr" when the form itself was the French one
    # The consent wording our own /apply page showed (server-side, not what the browser sent back).
    consent_wording: str | None = None
    _prepared: Prepared | None = field(default=None, init=False, repr=False, compare=False)
    _new_person: tuple[tuple[datetime, str, str], NewPersonWrite] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def request_hash(self) -> str:
        return hashlib.sha256(self.content_type.encode() + b"\n" + self.body).hexdigest()

    def prepare(self) -> Prepared:
        """The work that needs no database, done once (before the transaction, see `Prepared`)."""
        if self._prepared is None:
            payload = storable(self.fields)
            outcome: tuple[NormalisedInquiry, str] | IntakeError
            try:
                data = _validate(self.fields)
                outcome = (data, _dedupe_key_of_storable(data.email_key, payload))
            except IntakeError as exc:
                outcome = exc
            self._prepared = Prepared(self.request_hash, outcome, payload, storable(self.headers))
        return self._prepared

    def prepare_writes(self, now: datetime, dialect: Dialect) -> None:
        """`prepare`, and for a valid request that is not spam its rows as a new person received at
        `now`: what `receive_inquiry(..., now)` would otherwise do inside the transaction."""
        if not isinstance(self.prepare().outcome, IntakeError) and not self.is_spam:
            self.new_person(now, dialect)

    def new_person(self, now: datetime, dialect: Dialect) -> NewPersonWrite:
        """This valid, non-spam request's rows as a new person received at `now` (built once per time
        and dialect: the caller builds them before its transaction, `receive_inquiry` reuses them)."""
        built = self._new_person
        if built is None or built[0] != (now, dialect.name, dialect.driver):
            data, key = self.prepare().outcome  # type: ignore[misc]
            built = self._new_person = ((now, dialect.name, dialect.driver),
                                        NewPersonWrite(self, data, key, now, dialect))
        return built[1]

    @property
    def is_spam(self) -> bool:
        """The honeypot field is filled in: any text but blanks. A form builder that sends an untouched
        field as JSON false, 0 or an empty list has not filled it in."""
        value = self.fields.get("website")
        if isinstance(value, str):
            return bool(value.strip())
        return value not in (None, False, 0, [], {})


@dataclass(frozen=True)
class Prepared:
    """Validation, normalisation and hashes of a request: pure CPU work.

    The caller runs `IntakeRequest.prepare()` before it opens the transaction: on SQLite a write
    transaction holds the database's write lock from its first statement, so every millisecond spent
    inside it is a millisecond that every other writer waits. `receive_inquiry` prepares on its own
    when the caller did not, and raises a validation error at the same point as before.
    """

    request_hash: str
    outcome: tuple[NormalisedInquiry, str] | IntakeError  # (data, dedupe key) or the 422 to raise
    payload: Any  # the fields as stored (see parsing.storable)
    headers: Any


@dataclass
class IntakeResult:
    lead_id: str
    inquiry_id: str
    created: bool  # False: a replay of an earlier request, nothing new stored
    language: str
    jobs: list[Job] = field(default_factory=list)
    # The first inquiry of a new person (not spam): the only one the automatic answer email follows.
    new_lead: bool = False

    def as_json(self) -> dict[str, str]:
        return {"id": self.lead_id, "inquiry_id": self.inquiry_id, "status": "received"}


def dedupe_key(email_key: str, fields: dict[str, Any]) -> str:
    return _dedupe_key_of_storable(email_key, storable(fields))


def _dedupe_key_of_storable(email_key: str, payload: dict[str, Any]) -> str:
    """dedupe_key of fields already passed through `storable` (which changes nothing the second time).

    The email is compared as the lead's identity (`email_key`), not as typed: "Ana@Example.com" and
    "ana@example.com" are the same person, so the same submission from either is a replay.
    """
    stable = {k: v for k, v in payload.items() if k not in VOLATILE_FIELDS and k != "email"}
    # NFC: the same text typed with combining accents or composed ones is the same submission.
    canonical = unicodedata.normalize("NFC", json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str))
    return hashlib.sha256(f"{email_key}\n{canonical}".encode("utf-8", "replace")).hexdigest()


def _validate(fields: dict[str, Any]) -> NormalisedInquiry:
    try:
        validated = validate_fields(fields)
    except ValidationError as exc:
        errors = field_errors(exc)
        email = fields.get("email")
        if "email" not in errors and isinstance(email, str) and email.strip():
            try:
                normalise_email(email.strip())
            except NormaliseError as email_error:
                errors.update(email_error.errors)
        raise IntakeError(422, errors) from exc
    try:
        return normalise(validated)
    except NormaliseError as exc:
        raise IntakeError(422, exc.errors) from exc


def _replay(earlier: Row[Any]) -> IntakeResult:
    return IntakeResult(earlier.lead_id, earlier.id, created=False, language=earlier.language)


# The hot path runs Core statements built once at import: building and cache-keying a select, or
# flushing ORM objects through the unit of work, costs several times more than the SQL itself (see
# docs/benchmarks.md, Intake). The ORM is still used where a lead that already exists is updated.
_INQUIRIES = Inquiry.__table__
_LEADS = Lead.__table__
_REPLAYED_KEYS = ReplayedKey.__table__
# The inquiry a key means: the one stored under it, else the one a replay under it answered (one
# statement either way, so that a request with a key still costs one round trip).
_INQUIRY_BY_IDEMPOTENCY_KEY = union_all(
    select(_INQUIRIES.c.id, _INQUIRIES.c.lead_id, _INQUIRIES.c.language, _INQUIRIES.c.request_hash,
           literal(0).label("rank"))
    .where(_INQUIRIES.c.idempotency_key == bindparam("key")),
    select(_INQUIRIES.c.id, _INQUIRIES.c.lead_id, _INQUIRIES.c.language, _REPLAYED_KEYS.c.request_hash,
           literal(1).label("rank"))
    .join_from(_REPLAYED_KEYS, _INQUIRIES, _INQUIRIES.c.id == _REPLAYED_KEYS.c.inquiry_id)
    .where(_REPLAYED_KEYS.c.idempotency_key == bindparam("key")),
).order_by("rank")
_INSERT_REPLAYED_KEY = insert(_REPLAYED_KEYS)
# PostgreSQL: requests under one Idempotency-Key take turns until their transaction ends. A key is
# recorded in one of two tables (the inquiry's own column, or replayed_keys when a 24-hour replay
# answered it), and no unique constraint spans both: without the lock a replay recording the key and a
# new inquiry stored under it, with another body, could both commit. SQLite serialises writers already.
_LOCK_IDEMPOTENCY_KEY = text("SELECT pg_advisory_xact_lock(1229210957, hashtext(:key))")  # 1229210957: b"IDEM"
# One round trip answers both "is this a repeat?" and "is this a known lead?" (mostly: neither).
_PROBE = select(
    select(_INQUIRIES.c.id).where(_INQUIRIES.c.dedupe_key == bindparam("key")).scalar_subquery()
    .label("earlier_id"),
    select(_LEADS.c.id).where(_LEADS.c.email_key == bindparam("email_key")).scalar_subquery().label("lead_id"),
)
_INQUIRY_BY_ID = select(
    _INQUIRIES.c.id, _INQUIRIES.c.lead_id, _INQUIRIES.c.language, _INQUIRIES.c.received_at
).where(_INQUIRIES.c.id == bindparam("id"))
_INSERT_LEAD = insert(_LEADS)
_INSERT_LEAD_FLAG = insert(LeadFlag.__table__)
_INSERT_INQUIRY = insert(_INQUIRIES)
_INSERT_CONSENT = insert(ConsentRecord.__table__)
_INSERT_ACTIVITY = insert(Activity.__table__)


def _insertable(table: Table) -> list[Column[Any]]:
    """The columns an INSERT writes: all but computed ones and an integer id the database assigns."""
    return [c for c in table.columns if c.computed is None and c is not table.autoincrement_column]


def _cte_insert(table: Table, prefix: str, columns: list[Column[Any]]) -> Insert:
    return insert(table).values({c.name: bindparam(prefix + c.name, type_=c.type) for c in columns})


_LEAD_COLUMNS = _insertable(_LEADS)
_INQUIRY_COLUMNS = _insertable(_INQUIRIES)
_CONSENT_COLUMNS = _insertable(ConsentRecord.__table__)
_ACTIVITY_COLUMNS = _insertable(Activity.__table__)
_JOB_COLUMNS = _insertable(Job.__table__)
# PostgreSQL: a new lead's five rows in one statement (WITH ... INSERT ...), returning the job's id.
_NEW_LEAD_ROWS = (
    _cte_insert(Job.__table__, "job_", _JOB_COLUMNS).returning(Job.__table__.c.id).add_cte(
        _cte_insert(_LEADS, "lead_", _LEAD_COLUMNS).cte("new_lead"),
        _cte_insert(_INQUIRIES, "inquiry_", _INQUIRY_COLUMNS).cte("new_inquiry"),
        _cte_insert(ConsentRecord.__table__, "consent_", _CONSENT_COLUMNS).cte("new_consent"),
        _cte_insert(Activity.__table__, "activity_", _ACTIVITY_COLUMNS).cte("new_activity"),
    )
)


def _prefixed(prefix: str, columns: list[Column[Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Bind values for one of `_NEW_LEAD_ROWS`'s inserts: every column, its default when not given."""
    return {prefix + c.name: values[c.name] if c.name in values else _default(c) for c in columns}


def _all_prefixed(rows: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """Bind values for all five of a new lead's rows (lead, inquiry, consent, activity, job) at once."""
    values: dict[str, Any] = {}
    for (prefix, columns, _statement), row in zip(_NEW_LEAD_INSERTS_ON_DRIVER, rows, strict=True):
        values.update(_prefixed(prefix, columns, row))
    return values


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:  # type: ignore[attr-defined]
        return default.arg  # type: ignore[attr-defined]
    return default.arg(None)  # type: ignore[attr-defined]


# The probe and a new lead's rows run on the driver's cursor (crm/intake/driver.py). PostgreSQL: the
# five rows in one statement and one round trip (data-modifying CTEs; foreign keys are checked at the
# end of the statement, when every row is there). SQLite: one INSERT per row, the job's id from the
# cursor.
_PROBE_ON_DRIVER = DriverStatement(_PROBE)
_NEW_LEAD_ROWS_ON_DRIVER = DriverStatement(_NEW_LEAD_ROWS)
_NEW_LEAD_INSERTS_ON_DRIVER = tuple(
    (prefix, columns, DriverStatement(_cte_insert(table, prefix, columns)))
    for prefix, table, columns in (
        ("lead_", _LEADS, _LEAD_COLUMNS), ("inquiry_", _INQUIRIES, _INQUIRY_COLUMNS),
        ("consent_", ConsentRecord.__table__, _CONSENT_COLUMNS),
        ("activity_", Activity.__table__, _ACTIVITY_COLUMNS), ("job_", Job.__table__, _JOB_COLUMNS),
    )
)


def _binds(prefix: str, columns: list[Column[Any]]) -> list[BindParameter[Any]]:
    return [bindparam(prefix + c.name, type_=c.type) for c in columns]


def _insert_lead_if_new(dialect_insert: Any) -> Any:
    """INSERT the lead unless its email is known or the same submission is on record (then: no row).

    Folds the probe into the insert: the usual case, a new person, needs no SELECT first. Either
    condition sends the request down the probing path, in the same transaction, nothing written.
    Under concurrency the unique index on the email key decides (ON CONFLICT waits for the other
    transaction on PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE).
    """
    no_earlier_submission = ~exists().where(_INQUIRIES.c.dedupe_key == bindparam("probe_dedupe_key",
                                                                                 type_=String))
    return dialect_insert(_LEADS).from_select(
        [c.name for c in _LEAD_COLUMNS], select(*_binds("lead_", _LEAD_COLUMNS)).where(no_earlier_submission)
    ).on_conflict_do_nothing()


def _insert_after_lead(new_lead: CTE, table: Table, prefix: str, columns: list[Column[Any]]) -> Insert:
    return insert(table).from_select([c.name for c in columns], select(*_binds(prefix, columns)).select_from(new_lead))


_LEAD_IF_NEW_ON_SQLITE = DriverStatement(_insert_lead_if_new(sqlite_insert))
_NEW_LEAD_CTE = _insert_lead_if_new(postgresql_insert).returning(_LEADS.c.id).cte("new_lead")
# PostgreSQL: the five rows in one statement when the lead is new, else none (no job id returned).
_ROWS_IF_NEW_LEAD_ON_POSTGRESQL = DriverStatement(
    _insert_after_lead(_NEW_LEAD_CTE, Job.__table__, "job_", _JOB_COLUMNS).returning(Job.__table__.c.id).add_cte(
        _NEW_LEAD_CTE,
        _insert_after_lead(_NEW_LEAD_CTE, _INQUIRIES, "inquiry_", _INQUIRY_COLUMNS).cte("new_inquiry"),
        _insert_after_lead(_NEW_LEAD_CTE, ConsentRecord.__table__, "consent_", _CONSENT_COLUMNS).cte("new_consent"),
        _insert_after_lead(_NEW_LEAD_CTE, Activity.__table__, "activity_", _ACTIVITY_COLUMNS).cte("new_activity"),
    )
)


class NewPersonWrite:
    """A new person's five rows (lead, inquiry, consent, timeline entry, job) with their parameters
    bound for one dialect: all the work of writing them but the SQL itself.

    Built before the transaction (see `IntakeRequest.new_person`): on SQLite the transaction holds
    the database's write lock, which every other writer waits for. `execute` then writes the rows
    unless the email is known or the same submission is on record; then nothing is written.
    """

    def __init__(self, request: IntakeRequest, data: NormalisedInquiry, key: str, now: datetime,
                 dialect: Dialect) -> None:
        prepared = request.prepare()
        self.language = _new_lead_language(data, request)
        lead = _new_lead_values(data, self.language, now, is_spam=False)
        inquiry, consent, activity = _inquiry_rows(request, prepared, data, key, lead["id"], self.language,
                                                   list(data.notes), is_new_lead=True, is_spam=False, now=now)
        self.job = job_values("classify_lead", lead["id"], {"lead_id": lead["id"], "trigger": "intake"}, now=now)
        self.lead_id, self.inquiry_id = lead["id"], inquiry["id"]
        rows = (lead, inquiry, consent, activity, self.job)
        self._on_postgresql = dialect.name == "postgresql"
        if self._on_postgresql:
            # The five rows in one statement when the lead is new, else none (no job id returned).
            self._statements = [_ROWS_IF_NEW_LEAD_ON_POSTGRESQL.bind(
                dialect, {"probe_dedupe_key": key, **_all_prefixed(rows)})]
        else:
            self._statements = [_LEAD_IF_NEW_ON_SQLITE.bind(
                dialect, {"probe_dedupe_key": key, **_prefixed("lead_", _LEAD_COLUMNS, lead)})]
            self._statements += [statement.bind(dialect, _prefixed(prefix, columns, row)) for
                                 (prefix, columns, statement), row in zip(_NEW_LEAD_INSERTS_ON_DRIVER[1:], rows[1:],
                                                                          strict=True)]

    def execute(self, connection: Connection) -> int | None:
        """Write the rows unless the lead is known or the submission on record: the job's id, else None."""
        first, *rest = self._statements
        with closing(first.execute(connection)) as cursor:
            if self._on_postgresql:
                written = cursor.fetchone()
                return None if written is None else int(written[0])
            if cursor.rowcount != 1:
                return None
        return _run_inserts(connection, rest)


def _run_inserts(connection: Connection, statements: Iterable[BoundStatement]) -> int:
    """Run bound INSERTs in order; the last one's row id (the job's)."""
    last_id = 0
    for statement in statements:
        with closing(statement.execute(connection)) as cursor:
            last_id = cursor.lastrowid
    return int(last_id)


def _insert_rows(connection: Connection, rows: tuple[dict[str, Any], ...],
                 statements: tuple[tuple[str, list[Column[Any]], DriverStatement], ...]) -> int:
    """One INSERT per row; the last row's id (the job's)."""
    return _run_inserts(connection, (statement.bind(connection.dialect, _prefixed(prefix, columns, row))
                                     for (prefix, columns, statement), row in zip(statements, rows, strict=True)))


def _insert_new_lead(connection: Connection, lead: dict[str, Any], inquiry: dict[str, Any],
                     consent: dict[str, Any], activity: dict[str, Any], job: dict[str, Any]) -> int:
    """Write a new lead with its inquiry, consent record, timeline entry and job; the job's id."""
    rows = (lead, inquiry, consent, activity, job)
    if connection.dialect.name == "postgresql":
        with closing(_NEW_LEAD_ROWS_ON_DRIVER.execute(connection, _all_prefixed(rows))) as cursor:
            return int(cursor.fetchone()[0])
    return _insert_rows(connection, rows, _NEW_LEAD_INSERTS_ON_DRIVER)


def _new_lead_language(data: NormalisedInquiry, request: IntakeRequest) -> str:
    """The language a new lead asked for, else its form's, else the one its message is written in, else English."""
    return (data.preferred_language or request.form_language
            or message_language(data.facts.get("message")) or "en")


def _earlier_with_key(connection: Connection, idempotency_key: str | None, request_hash: str) -> Row[Any] | None:
    """The inquiry stored under this Idempotency-Key, if any; IntakeError 422 if it was another body."""
    if not idempotency_key:
        return None
    earlier = connection.execute(_INQUIRY_BY_IDEMPOTENCY_KEY, {"key": idempotency_key}).first()
    if earlier is not None and earlier.request_hash != request_hash:
        raise IntakeError(422, {"Idempotency-Key": ["This key was already used for a different request body."]})
    return earlier


def receive_inquiry(session: Session, request: IntakeRequest, now: datetime | None = None) -> IntakeResult:
    """Validate and store one submission, or find the earlier one it repeats.

    Raises IntakeError for invalid input; nothing is written then.
    """
    now = now or utcnow()
    prepared = request.prepare()
    request_hash = prepared.request_hash
    if request.idempotency_key and session.connection().dialect.name == "postgresql":
        session.connection().execute(_LOCK_IDEMPOTENCY_KEY, {"key": request.idempotency_key})
    earlier_by_key = _earlier_with_key(session.connection(), request.idempotency_key, request_hash)
    if earlier_by_key is not None:
        return _replay(earlier_by_key)

    if isinstance(prepared.outcome, IntakeError):
        raise prepared.outcome
    data, key = prepared.outcome
    connection = session.connection()
    is_spam = request.is_spam
    if not is_spam:
        # The usual case first: a new person, written without probing (nothing written otherwise).
        new_person = request.new_person(now, connection.dialect)
        job_id = new_person.execute(connection)
        if job_id is not None:
            return IntakeResult(new_person.lead_id, new_person.inquiry_id, created=True,
                                language=new_person.language, jobs=[detached_job(job_id, new_person.job)],
                                new_lead=True)

    with closing(_PROBE_ON_DRIVER.execute(connection, {"key": key, "email_key": data.email_key})) as cursor:
        earlier_id, known_lead_id = cursor.fetchone()
    if earlier_id is not None:
        # A twin may have committed while this request waited on the lead's unique index; its
        # Idempotency-Key, read again now, decides between a replay and a 422 as it would in sequence.
        earlier_by_key = _earlier_with_key(connection, request.idempotency_key, request_hash)
        if earlier_by_key is not None:
            return _replay(earlier_by_key)
        earlier = connection.execute(_INQUIRY_BY_ID, {"id": earlier_id}).one()
        if earlier.received_at > now - REPLAY_WINDOW:
            if request.idempotency_key:
                # The key now means this inquiry: a later request under it replays it or, with
                # another body, is the contract's 422. A twin recording it at the same time makes
                # this commit fail, and the retry finds the key.
                connection.execute(_INSERT_REPLAYED_KEY, {
                    "idempotency_key": request.idempotency_key, "inquiry_id": earlier.id,
                    "request_hash": request_hash, "recorded_at": now})
            return _replay(earlier)
        # Outside the window the same submission is a new inquiry; free the key for it.
        session.execute(update(Inquiry).where(Inquiry.id == earlier.id).values(dedupe_key=None))

    lead_id: str | None = known_lead_id
    is_new_lead = lead_id is None
    notes = list(data.notes)  # this attempt's (a retry after a lost race starts again from the data)
    new_lead = None
    if lead_id is None:
        language = _new_lead_language(data, request)
        new_lead = _new_lead_values(data, language, now, is_spam)
        lead_id = new_lead["id"]
        lead_is_spam = is_spam
    else:
        # Flags are not needed here; their selectin loader would cost a query. The lead's row is locked
        # (PostgreSQL): a classification batch holding it has read the old facts, and its job must be
        # seen closed, after that batch commits, so that this inquiry records a new job.
        lead = session.get_one(Lead, lead_id, options=[lazyload(Lead.flags)], with_for_update={"key_share": True})
        language = data.preferred_language or lead.preferred_language or request.form_language or "en"
        if not is_spam:
            _apply_to_lead(lead, data, language, now)
            reopened = _reopen(session, lead, now)
            if reopened:
                notes.append(reopened)
        lead_is_spam = lead.status == LeadStatus.SPAM.value

    inquiry, consent, activity = _inquiry_rows(request, prepared, data, key, lead_id, language, notes,
                                               is_new_lead=is_new_lead, is_spam=is_spam, now=now)
    job: dict[str, Any] | None = None
    if not is_spam and not lead_is_spam:
        trigger = "intake" if is_new_lead else "new-inquiry"
        # A brand-new lead cannot have a pending job yet: skip the lookup.
        if is_new_lead or pending_job(session, "classify_lead", lead_id) is None:
            job = job_values("classify_lead", lead_id, {"lead_id": lead_id, "trigger": trigger}, now=now)

    jobs: list[Job] = []
    if new_lead is not None and job is not None:
        # A new person after all (its rows through statements compiled once, driver.py).
        jobs.append(detached_job(_insert_new_lead(connection, new_lead, inquiry, consent, activity, job), job))
    else:
        if new_lead is not None:
            connection.execute(_INSERT_LEAD, new_lead)
            if is_spam:
                connection.execute(_INSERT_LEAD_FLAG, {"lead_id": lead_id, "flag": "spam"})
        connection.execute(_INSERT_INQUIRY, inquiry)
        connection.execute(_INSERT_CONSENT, consent)
        connection.execute(_INSERT_ACTIVITY, activity)
        if job is not None:
            jobs.append(insert_job(session, "classify_lead", lead_id, job["args"], now=now))
    session.flush()
    return IntakeResult(lead_id, inquiry["id"], created=True, language=language, jobs=jobs,
                        new_lead=is_new_lead and not is_spam)


def _inquiry_rows(request: IntakeRequest, prepared: Prepared, data: NormalisedInquiry, key: str, lead_id: str,
                  language: str, notes: list[dict[str, str]], *, is_new_lead: bool, is_spam: bool,
                  now: datetime) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The column values of the inquiry, its consent record and its timeline entry (`notes` may grow)."""
    wording = request.consent_wording or data.consent_text
    if data.consent_marketing and not wording:
        notes.append({"note": "consent-without-wording"})
    inquiry_id = new_id()
    form_id = request.fields.get("form_id") if isinstance(request.fields.get("form_id"), str) else None
    source_url = _text(request.fields.get("source_url"), 2000)
    inquiry = {
        "id": inquiry_id, "lead_id": lead_id, "received_at": now, "raw_body": request.body,
        "content_type": request.content_type[:255], "headers": prepared.headers,
        "remote_addr": request.remote_addr, "payload": prepared.payload,
        "normalised": data.as_json() | {"language": language, "notes": notes},
        "idempotency_key": request.idempotency_key,
        "dedupe_key": key, "request_hash": prepared.request_hash, "language": language, "form_id": form_id,
        "source_url": source_url, "utm_source": _text(request.fields.get("utm_source"), 200),
        "utm_medium": _text(request.fields.get("utm_medium"), 200),
        "utm_campaign": _text(request.fields.get("utm_campaign"), 200),
        "is_spam": is_spam, "spam_reason": "honeypot field filled in" if is_spam else None,
    }
    consent = {
        "lead_id": lead_id, "inquiry_id": inquiry_id, "recorded_at": now,
        # Express consent must be provable with the wording shown (CASL): without it, the inquiry
        # itself is the only consent on record, which is implied consent.
        "kind": (ConsentKind.EXPRESS if data.consent_marketing and wording else ConsentKind.IMPLIED).value,
        "wording": wording, "source": "intake", "ip_address": request.remote_addr,
        "form_id": form_id, "source_url": source_url,
    }
    activity = {
        "lead_id": lead_id, "at": now, "kind": "inquiry", "user_id": None,
        "summary": ("Spam inquiry (honeypot filled in)" if is_spam
                    else "First inquiry" if is_new_lead else "New inquiry from a known lead"),
        "data": {"inquiry_id": inquiry_id, "source_url": source_url, "form_id": form_id,
                 "spam": is_spam, "notes": notes},
    }
    return inquiry, consent, activity


def _reopen(session: Session, lead: Lead, now: datetime) -> dict[str, str] | None:
    """A genuine inquiry brings a lead back to the queue when it was closed without a person's say-so
    (spam by the honeypot: anyone can fill it in with someone else's address) or marked lost."""
    if lead.status == LeadStatus.SPAM.value:
        honeypot = session.scalars(select(LeadFlag.flag).where(LeadFlag.lead_id == lead.id,
                                                               LeadFlag.flag == "spam")).first()
        if honeypot is None:
            return None  # a consultant marked it spam: that decision stands (the inquiry is on the timeline)
        session.execute(delete(LeadFlag).where(LeadFlag.lead_id == lead.id, LeadFlag.flag == "spam"))
        note = {"note": "reopened-after-honeypot"}
    elif lead.status == LeadStatus.LOST.value:
        note = {"note": "reopened-after-lost"}
    else:
        return None
    lead.status, lead.status_changed_at = LeadStatus.RECEIVED.value, now
    return note


def _new_lead_values(data: NormalisedInquiry, language: str, now: datetime, is_spam: bool) -> dict[str, Any]:
    """The column values of a new lead with the inquiry's answers applied (as `_apply_to_lead` does)."""
    values = SimpleNamespace(
        id=new_id(), email=data.email, email_key=data.email_key, first_name=data.first_name, last_name=None,
        country_of_residence=None, preferred_language=language, first_inquiry_at=now, last_inquiry_at=now,
        created_at=now, status_changed_at=now, facts={}, citizenships=[], unknown_countries=[],
        status=LeadStatus.SPAM.value if is_spam else LeadStatus.RECEIVED.value,
    )
    _apply_to_lead(values, data, language, now)
    values.last_name_key = last_name_key(values.last_name)  # a Lead sets it itself (Lead._last_name_set)
    return vars(values)


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _apply_to_lead(lead: Lead | SimpleNamespace, data: NormalisedInquiry, language: str, now: datetime) -> None:
    """The newest inquiry's answers win; answers it leaves out keep their earlier values.

    `lead` is a Lead, or for a new lead the namespace of column values that `_insert_lead` writes.
    """
    lead.first_name = data.first_name
    lead.last_name = data.last_name or lead.last_name
    lead.email = data.email
    if data.phone:
        lead.phone, lead.phone_e164 = data.phone, data.phone_e164
    if data.citizenships:
        lead.citizenships = data.citizenships
    if data.citizenships or data.unknown_countries:
        lead.unknown_countries = data.unknown_countries
    lead.country_of_residence = data.country_of_residence or lead.country_of_residence
    if data.date_of_birth:
        lead.date_of_birth, lead.stated_age, lead.stated_age_on = data.date_of_birth, None, None
    elif data.stated_age is not None:
        # The day the lead said it, in the lead's own zone (as the classifier and the emails count days).
        lead.date_of_birth, lead.stated_age = None, data.stated_age
        lead.stated_age_on = now.astimezone(lead_zone(lead)).date()
    if data.preferred_language:
        lead.preferred_language = data.preferred_language
    elif not lead.preferred_language:
        lead.preferred_language = language
    # A fact the new inquiry gives as None (an answer we could not read) replaces, so removes, the old one.
    lead.facts = {key: value for key, value in {**(lead.facts or {}), **data.facts}.items() if value is not None}
    lead.last_inquiry_at = now
    company = company_of(lead.facts, getattr(lead, "lead_type", None))
    lead.search_text = search_text_of(lead.first_name, lead.last_name, company, lead.email_key)
    lead.company_key = company_key(company)
