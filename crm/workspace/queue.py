"""The consultant queue: filters, keyset pagination, counts per stream and CSV export.

Order: best score first, then the lead waiting longest. The sort key is (queue_rank, last_inquiry_at,
id), all ascending (queue_rank is minus the score, computed by the database), so that the page after a
row is one row-value comparison on one index: no OFFSET, constant work per page at any table size.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, literal, or_, select, tuple_, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from crm.countries import is_known_code
from crm.db import utcnow
from crm.models import Classification, Lead, LeadFlag, LeadStatus, User
from crm.models.lead import OPEN_STATUS_VALUES
from crm.sequences.enrolment import language_of
from crm.text import name_key, search_key
from crm.workspace.leadview import score_reasons_in

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 1_000
FLAG_FILTERS = ("age-out-soon", "needs-review", "email-failed")
# Statuses where nobody has spoken to the lead yet: these can be overdue.
AWAITING_CONTACT = frozenset({LeadStatus.RECEIVED.value, LeadStatus.CLASSIFIED.value, LeadStatus.FAILED.value})
SCOPES = ("mine", "all", "unassigned", "assigned-to-me")
# The stream slugs of the public contract (docs/intake-contract.md), in the order the queue shows them.
STREAMS = (
    "iec-working-holiday", "iec-young-professionals", "iec-co-op", "iec-recognized-organization",
    "global-talent-stream", "entrepreneur", "intra-company-transferee", "francophone-mobility",
    "reciprocal-employment", "free-trade-professional", "spousal-open-work-permit",
    "post-graduation-work-permit", "bridging-open-work-permit", "significant-benefit", "needs-review",
)


# Status filter values as the queue shows them: a classified lead is shown as "new" (crm/web/common.py
# LABELS_EN), so `?status=new` means the stored `classified` rather than "Filter ignored".
STATUS_ALIASES = {"new": "classified"}


@dataclass(frozen=True)
class QueueFilter:
    """What the consultant asked for. `scope` "mine" = my leads plus the unassigned ones."""

    scope: str = "mine"
    status: str = "open"  # "open", "any" or one LeadStatus value
    stream: str | None = None
    nationality: str | None = None
    language: str | None = None
    consultant: int | None = None  # a user id; overrides scope
    flag: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    # The zone whose days `date_from` and `date_to` are (CRM_TIMEZONE, the zone the workspace shows).
    zone: str = "UTC"

    @classmethod
    def from_args(cls, args: Mapping[str, str], zone: str = "UTC") -> QueueFilter:
        """Read the filter from query-string values; unusable values are ignored, never an error."""

        def text(name: str, limit: int = 100) -> str | None:
            value = (args.get(name) or "").strip()
            return value[:limit] or None

        def day(name: str) -> date | None:
            try:
                value = date.fromisoformat(text(name, 10) or "")
            except ValueError:
                return None
            # The filter adds a day to the end date: the last representable day cannot be one.
            return value if date.min < value < date.max else None

        scope = text("scope") or "mine"
        stream = text("stream", 64)
        status = text("status") or "open"
        status = STATUS_ALIASES.get(status, status)
        if status not in {"open", "any"} | {s.value for s in LeadStatus}:
            status = "open"
        consultant = text("consultant")
        flag = text("flag")
        language = text("language", 2)
        nationality = text("nationality", 60)
        return cls(
            scope=scope if scope in SCOPES else "mine",
            status=status,
            stream=stream if stream in STREAMS else None,
            nationality=nationality.upper() if nationality and is_country_code(nationality) else None,
            language=language.lower() if language else None,
            consultant=_small_int(consultant),
            flag=flag if flag in FLAG_FILTERS else None,
            date_from=day("from"),
            date_to=day("to"),
            q=text("q", 200),
            zone=zone,
        )

    def as_args(self) -> dict[str, str]:
        """The query-string form, without defaults (for links: next page, CSV export, stream tabs)."""
        values = {
            "scope": self.scope if self.scope != "mine" else None,
            "status": self.status if self.status != "open" else None,
            "stream": self.stream, "nationality": self.nationality, "language": self.language,
            "consultant": str(self.consultant) if self.consultant else None, "flag": self.flag,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None, "q": self.q,
        }
        return {key: value for key, value in values.items() if value}

    @classmethod
    def ignored(cls, args: Mapping[str, str]) -> list[tuple[str, str]]:
        """The filters given a value from_args could not use and dropped, as (name, value given), so that
        the page can say so rather than silently show another list."""
        used = cls.from_args(args).as_args()
        defaults = {"scope": "mine", "status": "open"}
        found = []
        for name in ("scope", "status", "stream", "nationality", "language", "consultant", "flag", "from", "to"):
            given = (args.get(name) or "").strip()
            if given and name not in used and given != defaults.get(name):
                found.append((name, given[:60]))
        return found

    def without_stream(self) -> QueueFilter:
        return replace(self, stream=None)


@dataclass
class QueueRow:
    lead: Lead
    assignee_email: str | None
    waiting: timedelta
    overdue: bool
    assignee_name: str | None = None  # shown in the queue (the email when the user has no name)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    filter: QueueFilter
    now: datetime = field(default_factory=utcnow)
    # The search found nothing at the start of a name or email and matched a later word of the name
    # ("bhriain" for "Siobhán Ní Bhriain"): the page can say so.
    matched_inside_names: bool = False


def is_country_code(text: str) -> bool:
    """An ISO 3166-1 alpha-2 code (any case), the codes citizenships are stored as, or the code of one
    ISO does not list (XK, Kosovo: crm.countries)."""
    return len(text) == 2 and text.isascii() and text.isalpha() and is_known_code(text.upper())


def business_deadline(received: datetime) -> datetime:
    """One business day after `received` (Saturdays and Sundays do not count)."""
    deadline = received + timedelta(days=1)
    while deadline.weekday() >= 5:
        deadline += timedelta(days=1)
    return deadline


def is_overdue(lead: Lead, now: datetime) -> bool:
    return lead.status in AWAITING_CONTACT and now > business_deadline(lead.last_inquiry_at)


def encode_cursor(lead: Lead, inside_names: bool = False) -> str:
    key: list[Any] = [lead.queue_rank, lead.last_inquiry_at.isoformat(), lead.id]
    # The next pages (and the CSV export's batches) keep the search the first page fell back to, without
    # asking the database again; a cursor without it is a prefix search, as cursors were before.
    raw = json.dumps([*key, 1] if inside_names else key).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _small_int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def decode_cursor(cursor: str | None) -> tuple[int, datetime, str] | None:
    """The sort key of the last row seen, or None for a missing or malformed cursor."""
    found = _decode_cursor(cursor)
    return found[0] if found else None


def _decode_cursor(cursor: str | None) -> tuple[tuple[int, datetime, str], bool] | None:
    """The sort key of the last row seen and whether the search matched inside names."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) not in (3, 4) or values[3:] not in ([], [1]):
            return None
        rank, at, lead_id = values[:3]
        moment = datetime.fromisoformat(at)
        if not isinstance(rank, int) or not isinstance(lead_id, str) or moment.tzinfo is None:
            return None
        if not -(2**31) < rank < 2**31 or len(lead_id) > 64:
            return None  # no real cursor looks like this (the score is 0-100)
        return (rank, moment.astimezone(UTC), lead_id), len(values) == 4
    except (ValueError, TypeError, OverflowError, binascii.Error, json.JSONDecodeError):
        return None


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _citizenship_clause(session: Session, code: str) -> Any:
    """The lead is a citizen of `code`: by the form, or as read from the message (the form gave none).
    On PostgreSQL both columns are in the queue indexes' INCLUDE list: still checked on index entries."""
    if session.get_bind().dialect.name == "postgresql":
        return or_(type_coerce(Lead.citizenships, JSONB).contains([code]),
                   type_coerce(Lead.message_citizenships, JSONB).contains([code]))
    clauses = []
    for column in (Lead.citizenships, Lead.message_citizenships):
        each = func.json_each(column).table_valued("value")
        clauses.append(exists(select(literal(1)).select_from(each).where(each.c.value == code)))
    return or_(*clauses)


def _midnight(day: date, zone: str) -> datetime:
    """The first moment of `day` in `zone`, in UTC."""
    return datetime.combine(day, time.min, ZoneInfo(zone)).astimezone(UTC)


# A search that is a phone number as people write one: "+1 416 555 0199", "(416) 555-0199", "416.555".
_PHONE_QUERY = re.compile(r"\+?[0-9 ().\-/]+")
# At most this many words are tried as the start of the last name ("garcia lopez maria").
_LAST_NAME_FIRST_WORDS = 3


def phone_digits(q: str) -> str | None:
    """The digits of a search that is (the start of) a phone number, else None."""
    text = q.strip()
    digits = re.sub(r"[^0-9]", "", text)
    return digits if len(digits) >= 3 and text.isascii() and _PHONE_QUERY.fullmatch(text) else None


def _phone_prefixes(q: str, digits: str) -> list[str]:
    """The starts of E.164 numbers (`Lead.phone_e164`) a phone search means: with its country code when
    it starts with "+", "00" or "011" (the prefixes dialled abroad), else either with its country code
    or as a North American number without one ("416 555" is "+1416555...", as the intake reads it)."""
    if q.strip().startswith("+"):
        return ["+" + digits]
    for abroad in ("011", "00"):
        if digits.startswith(abroad) and len(digits) > len(abroad):
            return ["+" + digits[len(abroad):]]
    return ["+" + digits, "+1" + digits]


def _search_clause(q: str, inside_names: bool) -> Any:
    def like(column: Any, start: str, anywhere: str = "") -> Any:
        return column.like(anywhere + _like_prefix(start), escape="\\")

    # Each clause is a prefix served by its own index: the email address (as typed, its punctuation
    # kept), the name without punctuation ("obrien", "jean pierre": first name, or "first last"), the
    # last name, the company, the phone number.
    name = name_key(q)
    clauses = [like(Lead.email_key, search_key(q.strip()))]
    if name:
        clauses += [like(Lead.search_text, name), like(Lead.last_name_key, name), like(Lead.company_key, name)]
        # The last name first ("obrien siobhan", "garcia lopez maria"): the last name's index, then the
        # rest as the start of the first name.
        words = name.split()
        for n in range(1, min(len(words), _LAST_NAME_FIRST_WORDS + 1)):
            clauses.append(and_(like(Lead.last_name_key, " ".join(words[:n])),
                                like(Lead.search_text, " ".join(words[n:]))))
    digits = phone_digits(q)
    if digits:
        clauses += [like(Lead.phone_e164, start) for start in _phone_prefixes(q, digits)]
    if not inside_names:
        return or_(*clauses)
    # The start of a later word of the name or company: "bhriain" (Ní Bhriain), "dijk" (Van Dijk), "lopez"
    # (García López), "exupery" (Saint-Exupéry), "brien" (O'Brien), "logistics"; part of an email address;
    # digits anywhere in the phone number ("0199"). No index serves these (a scan of the filtered leads),
    # which is why they are only tried when the prefixes find nothing.
    if name:
        clauses.append(like(Lead.search_text, name, "% "))
    email = search_key(q.strip())
    if len(email) >= 3 and ("@" in email or "." in email):
        # Part of an address: its domain ("@example.ie", "example.ie") or a later part of it.
        clauses.append(like(Lead.email_key, email, "%"))
    if digits and len(digits) >= 4:
        clauses.append(like(Lead.phone_e164, digits, "%"))
        if digits.startswith("0") and not digits.startswith("00") and len(digits) >= 5:
            # A national number with its trunk 0 ("087 123 4567" in Ireland, "06 12 34 56 78" in France)
            # is the end of the E.164 number, after a country code the search cannot know.
            clauses.append(Lead.phone_e164.like("%" + digits[1:]))
    return or_(*clauses)


def apply_filter(session: Session, query: Select[Any], flt: QueueFilter, user: User,
                 include_stream: bool = True, inside_names: bool = False) -> Select[Any]:
    """The queue's filters on `query`. `inside_names`: the search also matches the start of any word of
    the name, as `queue_page` and `stream_counts` do when the prefix search finds nothing."""
    # An erased lead (PIPEDA) is never in the queue. Erasing closes it (crm/workspace/privacy.py), so the
    # open queue leaves it out by its status, on its partial index alone; other statuses say so.
    if flt.status == "open":
        query = query.where(Lead.status.in_(OPEN_STATUS_VALUES))
    else:
        query = query.where(Lead.anonymised_at.is_(None))
        if flt.status != "any":
            query = query.where(Lead.status == flt.status)
    if flt.consultant is not None:
        query = query.where(Lead.assignee_id == flt.consultant)
    elif flt.scope == "mine":
        query = query.where(or_(Lead.assignee_id == user.id, Lead.assignee_id.is_(None)))
    elif flt.scope == "assigned-to-me":
        query = query.where(Lead.assignee_id == user.id)
    elif flt.scope == "unassigned":
        query = query.where(Lead.assignee_id.is_(None))
    if include_stream and flt.stream:
        query = query.where(Lead.primary_stream == flt.stream)
    if flt.language:
        query = query.where(Lead.preferred_language == flt.language)
    if flt.nationality:
        query = query.where(_citizenship_clause(session, flt.nationality))
    if flt.flag:
        query = query.where(exists().where(LeadFlag.lead_id == Lead.id, LeadFlag.flag == flt.flag))
    # Days in the workspace's zone: "from 2026-11-26" starts at midnight there, not in UTC.
    if flt.date_from:
        query = query.where(Lead.last_inquiry_at >= _midnight(flt.date_from, flt.zone))
    if flt.date_to:
        query = query.where(Lead.last_inquiry_at < _midnight(flt.date_to + timedelta(days=1), flt.zone))
    if flt.q and flt.q.strip():
        query = query.where(_search_clause(flt.q, inside_names))
    return query


def _prefix_finds_any(session: Session, user: User, flt: QueueFilter) -> bool:
    """The prefix search finds a lead for the filter, its stream ignored. The search falls back to words
    inside names only when it does not: decided on the filter without its stream, as the stream counts
    decide it, so that a stream tab never lists leads that the tabs' counts (prefix matches in other
    streams) leave out."""
    query = apply_filter(session, select(literal(1)).select_from(Lead), flt.without_stream(), user)
    return session.execute(query.limit(1)).first() is not None


def _finds_any(session: Session, user: User, flt: QueueFilter) -> bool:
    query = apply_filter(session, select(literal(1)).select_from(Lead), flt, user)
    return session.execute(query.limit(1)).first() is not None


def wider_search(session: Session, user: User, flt: QueueFilter) -> tuple[str, QueueFilter] | None:
    """For a search that finds no lead with the page's filters: the nearest wider view where it finds
    some, as (what was widened, that filter): "streams" (the search without the stream tab), "team"
    (everyone's leads, every stream) or "filters" (the search alone, every status). None when the search
    finds nothing anywhere. Prefix matches only (each check is one indexed `LIMIT 1` query): whether a
    later word matches elsewhere would cost a scan of every lead."""
    if not _has_search(flt):
        return None
    everything = QueueFilter(scope="all", status="any", q=flt.q, zone=flt.zone)
    if flt == everything or not _finds_any(session, user, everything):
        return None
    candidates = []
    if flt.stream:
        candidates.append(("streams", flt.without_stream()))
    if flt.scope != "all" or flt.consultant is not None:
        candidates.append(("team", replace(flt, stream=None, scope="all", consultant=None)))
    for kind, wider in candidates:
        # The widest view is known to find leads; it is named by what the page would widen to reach it.
        if wider == everything or _finds_any(session, user, wider):
            return kind, wider
    return "filters", everything


def _has_search(flt: QueueFilter) -> bool:
    return bool(flt.q and flt.q.strip())


ORDER = (Lead.queue_rank, Lead.last_inquiry_at, Lead.id)


def queue_page(session: Session, user: User, flt: QueueFilter, cursor: str | None = None,
               limit: int = PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """One page of the queue after `cursor` (the last row of the previous page)."""
    now = now or utcnow()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    decoded = _decode_cursor(cursor)
    after, inside_names = decoded if decoded else (None, False)

    def page_ids(inside: bool) -> list[str]:
        # The page's ids, from the queue index alone where the filters allow (index-only scan).
        ids_query = apply_filter(session, select(Lead.id), flt, user, inside_names=inside)
        if after is not None:
            ids_query = ids_query.where(tuple_(*ORDER) > tuple_(
                literal(after[0]), literal(after[1], Lead.last_inquiry_at.type), literal(after[2])))
        return list(session.scalars(ids_query.order_by(*ORDER).limit(limit + 1)))

    # Step 1: the page's ids. A search whose prefix finds leads costs what it did: the fallback is tried
    # only on an empty first page (a later page keeps the first page's choice, carried by the cursor).
    ids = page_ids(inside_names)
    # Without a stream, the empty page already says that the prefix search finds nothing.
    if not ids and after is None and _has_search(flt) and (
            flt.stream is None or not _prefix_finds_any(session, user, flt)):
        inside_names = True
        ids = page_ids(True)
    # Step 2: those rows only.
    rows = session.execute(
        select(Lead, User.email, User.name).outerjoin(User, User.id == Lead.assignee_id)
        .where(Lead.id.in_(ids[:limit])).order_by(*ORDER)
    ).all() if ids else []
    leads = [(lead, email, name) for lead, email, name in rows]
    page_rows = [QueueRow(lead, email, now - lead.last_inquiry_at, is_overdue(lead, now), (name or "").strip() or None)
                 for lead, email, name in leads]
    next_cursor = encode_cursor(leads[-1][0], inside_names) if len(ids) > limit and leads else None
    return QueuePage(page_rows, next_cursor, flt, now, matched_inside_names=inside_names)


def score_reasons(session: Session, leads: list[Lead], language: str | None = None) -> dict[str, list[str]]:
    """Why each lead has its score (the current classification's reasons), in one query for a page, so
    that the queue's "who to call first" comes with the why. In `language` (the interface's) when given:
    the stored reasons are in the lead's language, their translation is on the first candidate; the
    candidates are read only for the page's leads written in another language."""
    if not leads:
        return {}
    other = {lead.id for lead in leads if language is not None and language_of(lead.preferred_language) != language}
    columns = [Classification.lead_id, Classification.score_reasons]
    if other:
        columns.append(Classification.candidates)
    # Oldest first, so that the newest current row wins (as in sequences.content.current_classification).
    rows = session.execute(select(*columns).where(
        Classification.lead_id.in_([lead.id for lead in leads]), Classification.is_current.is_(True))
        .order_by(Classification.created_at, Classification.id))
    found: dict[str, list[str]] = {}
    for row in rows:
        if row.lead_id in other and language is not None:
            found[row.lead_id] = score_reasons_in(row.score_reasons, row.candidates, language)
        else:
            found[row.lead_id] = [str(reason) for reason in row.score_reasons or []]
    return found


def stream_counts(session: Session, user: User, flt: QueueFilter, cap: int = COUNT_CAP) -> dict[str, int]:
    """Leads per stream for the filter (ignoring its stream), each count stopping at `cap`.

    Capping keeps the cost bounded on a large table: "10,000+" is as useful as an exact figure.
    A search that finds nothing by prefix counts what the page then shows (words inside names), in one
    grouped query: these patterns have no index, so one scan rather than one per stream.
    """
    counts: dict[str, int] = {}
    for stream in STREAMS:
        inner = apply_filter(session, select(literal(1)).select_from(Lead), flt.without_stream(), user)
        inner = inner.where(Lead.primary_stream == stream).limit(cap + 1).subquery()
        count = int(session.execute(select(func.count()).select_from(inner)).scalar_one())
        if count:
            counts[stream] = count
    if counts or not _has_search(flt) or _prefix_finds_any(session, user, flt):
        return counts
    grouped = apply_filter(session, select(Lead.primary_stream, func.count()).select_from(Lead),
                           flt.without_stream(), user, inside_names=True)
    for stream, count in session.execute(grouped.where(Lead.primary_stream.in_(STREAMS))
                                         .group_by(Lead.primary_stream)):
        counts[stream] = min(int(count), cap + 1)
    return {stream: counts[stream] for stream in STREAMS if stream in counts}


def iter_filtered(session: Session, user: User, flt: QueueFilter,
                  batch: int = 500) -> Iterator[tuple[Lead, str | None]]:
    """Every lead the filter matches, in queue order, fetched page by page (for the CSV export)."""
    cursor: str | None = None
    while True:
        page = queue_page(session, user, flt, cursor, limit=min(batch, MAX_PAGE_SIZE))
        for row in page.rows:
            yield row.lead, row.assignee_email
        session.expunge_all()  # keep memory flat on a long export
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


CSV_COLUMNS = ("id", "first_name", "last_name", "email", "phone", "status", "primary_stream", "score",
               "citizenships", "message_citizenships", "preferred_language", "assignee", "first_inquiry_at_utc",
               "last_inquiry_at_utc", "flags")


# A phone number in E.164 form: digits after the plus, nothing a spreadsheet could run as a formula.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs cells starting with these as formulas: quote them (CSV injection). A strict E.164
    # number starts with "+" but holds no letters, operators or parentheses: quoting it would only put an
    # apostrophe before every phone number in the file.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _E164.fullmatch(text):
        return "'" + text
    return text


def csv_lines(session: Session, user: User, flt: QueueFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    # A byte order mark first: Excel on Windows reads a CSV without one in the ANSI code page ("HÃ©lÃ¨ne"
    # for "Hélène"); with it, as UTF-8. Other readers (Python's utf-8-sig, LibreOffice, Numbers) skip it.
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()
    for lead, assignee in iter_filtered(session, user, flt):
        writer.writerow([_cell(v) for v in (
            lead.id, lead.first_name, lead.last_name, lead.email, lead.phone_e164 or lead.phone, lead.status,
            lead.primary_stream, lead.score, " ".join(lead.citizenships or []),
            " ".join(lead.message_citizenships or []), lead.preferred_language, assignee,
            lead.first_inquiry_at.isoformat(), lead.last_inquiry_at.isoformat(), " ".join(lead.flag_names))])
        yield flush()

