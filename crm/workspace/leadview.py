"""Everything the lead page and the JSON API show about one lead, read in a few queries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.classify.ages import age_on
from crm.countries import country_name
from crm.i18n import translate
from crm.models import (
    OPEN_STATUSES,
    Activity,
    Classification,
    ConsentRecord,
    Delivery,
    Enrolment,
    Inquiry,
    Lead,
    ScheduledStep,
    StepStatus,
    Suppression,
    User,
)

CANDIDATE_KEYS = ("stream", "exemption_code", "verdict", "reasons", "missing")


def current_classification(session: Session, lead_id: str) -> Classification | None:
    return session.scalars(
        select(Classification).where(Classification.lead_id == lead_id, Classification.is_current.is_(True))
        .order_by(Classification.created_at.desc(), Classification.id.desc()).limit(1)
    ).first()


def current_enrolment(session: Session, lead_id: str) -> Enrolment | None:
    return session.scalars(
        select(Enrolment).where(Enrolment.lead_id == lead_id)
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc()).limit(1)
    ).first()


def next_step(session: Session, enrolment: Enrolment) -> ScheduledStep | None:
    return session.scalars(
        select(ScheduledStep).where(ScheduledStep.enrolment_id == enrolment.id,
                                    ScheduledStep.status == StepStatus.SCHEDULED.value)
        .order_by(ScheduledStep.due_at).limit(1)
    ).first()


def shown_flags(session: Session, leads: list[Lead]) -> dict[str, list[str]]:
    """Each lead's flags as the queue row shows them: the lead's stored flags (the ones the queue filters
    on) and its current classification's, where flags such as no-permit-needed are kept only."""
    ids = [lead.id for lead in leads]
    shown = {lead.id: set(lead.flag_names) for lead in leads}
    if ids:
        for lead_id, flags in session.execute(select(Classification.lead_id, Classification.flags).where(
                Classification.lead_id.in_(ids), Classification.is_current.is_(True))):
            shown[lead_id].update(str(flag) for flag in flags or [])
    return {lead_id: sorted(flags) for lead_id, flags in shown.items()}


def team_open_leads(session: Session, user_id: int) -> int:
    """Open leads assigned to someone else: what a queue of "my leads and unassigned" does not show."""
    return session.scalar(select(func.count()).select_from(Lead).where(
        Lead.status.in_([status.value for status in OPEN_STATUSES]), Lead.assignee_id.is_not(None),
        Lead.assignee_id != user_id)) or 0


def any_lead(session: Session) -> bool:
    return session.scalar(select(Lead.id).limit(1)) is not None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def classification_json(row: Classification | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "primary_stream": row.primary_stream,
        "lead_type": row.lead_type,
        "candidates": [{key: candidate.get(key) for key in CANDIDATE_KEYS} for candidate in row.candidates or []],
        "score": row.score,
        "flags": list(row.flags or []),
        "ruleset": row.ruleset_version,
        "classified_at": _iso(row.created_at),
    }


def _in_language(stored: Any, texts: Any, key: str, language: str) -> list[str]:
    """A stored list of texts (in the lead's language), or its translation into `language` when the
    classification kept one of the same length (classifier.add_texts); rows stored before have none."""
    found = list(stored or [])
    translated = texts.get(language) if isinstance(texts, dict) else None
    other = translated.get(key) if isinstance(translated, dict) else None
    if isinstance(other, list) and len(other) == len(found):
        return [str(text) for text in other]
    return [str(text) for text in found]


def candidates_in(candidates: list[dict[str, Any]] | None, language: str) -> list[dict[str, Any]]:
    """The candidates with their reasons and missing facts in the workspace's language (review reasons
    are the needs-review candidate's). The stored ones are in the lead's language, for the emails."""
    shown = []
    for candidate in candidates or []:
        if not isinstance(candidate, dict):
            continue
        texts = candidate.get("texts")
        shown.append({**candidate, "reasons": _in_language(candidate.get("reasons"), texts, "reasons", language),
                      "missing": _in_language(candidate.get("missing"), texts, "missing", language)})
    return shown


def score_reasons_in(score_reasons: list[str] | None, candidates: list[dict[str, Any]] | None,
                     language: str) -> list[str]:
    """The score's reasons in the workspace's language: their translation is kept on the first candidate."""
    first = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
    return _in_language(score_reasons, first.get("texts"), "score_reasons", language)


def sequence_json(session: Session, lead_id: str) -> dict[str, Any] | None:
    enrolment = current_enrolment(session, lead_id)
    if enrolment is None:
        return None
    step = next_step(session, enrolment)
    return {"name": enrolment.sequence, "status": enrolment.status,
            "next_send_at": _iso(step.due_at) if step and enrolment.status == "active" else None}


def lead_json(session: Session, lead: Lead) -> dict[str, Any]:
    """GET /api/leads/<id>: exactly the shape in docs/intake-contract.md."""
    return {
        "id": lead.id,
        "status": lead.status,
        "email": lead.email,
        "first_name": lead.first_name,
        "citizenships": list(lead.citizenships or []),
        "message_citizenships": list(lead.message_citizenships or []),
        "preferred_language": lead.preferred_language,
        "classification": classification_json(current_classification(session, lead.id)),
        "sequence": sequence_json(session, lead.id),
    }


def lead_summary_json(lead: Lead, assignee_email: str | None, overdue: bool) -> dict[str, Any]:
    """One row of GET /api/leads."""
    return {
        "id": lead.id, "status": lead.status, "email": lead.email, "first_name": lead.first_name,
        "last_name": lead.last_name, "citizenships": list(lead.citizenships or []),
        "message_citizenships": list(lead.message_citizenships or []),
        "preferred_language": lead.preferred_language, "primary_stream": lead.primary_stream,
        "score": lead.score, "flags": lead.flag_names, "assignee": assignee_email,
        "last_inquiry_at": _iso(lead.last_inquiry_at), "overdue": overdue,
    }


def raw_body_text(inquiry: Inquiry) -> str:
    """The stored body as text for display (pretty-printed when it is JSON); the template escapes it."""
    text = bytes(inquiry.raw_body or b"").decode("utf-8", errors="replace")
    if "json" in (inquiry.content_type or ""):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    return text


@dataclass
class LeadPage:
    lead: Lead
    assignee: User | None
    inquiries: list[Inquiry]
    consents: list[ConsentRecord]
    suppressed: Suppression | None
    classifications: list[Classification]
    activities: list[Activity]
    enrolments: list[Enrolment]
    steps: list[ScheduledStep]
    deliveries: list[Delivery]
    # People as the page names them (their name, else their email, as the header does): timeline authors,
    # and every user by email for the stored round-robin sentences, which name the assignee by email.
    authors: dict[int, str] = field(default_factory=dict)
    names_by_email: dict[str, str] = field(default_factory=dict)

    @property
    def classification(self) -> Classification | None:
        current = [c for c in self.classifications if c.is_current]
        return current[0] if current else None

    def inquiry_message(self, activity: Activity) -> str | None:
        """What the person wrote in the inquiry an `inquiry` timeline entry records (None when it said
        nothing, was erased, or is older than the inquiries the page loaded): a second inquiry is news."""
        inquiry_id = (activity.data or {}).get("inquiry_id") if activity.kind == "inquiry" else None
        for inquiry in self.inquiries if inquiry_id else []:
            if inquiry.id == inquiry_id:
                message = (inquiry.payload or {}).get("message")
                return message.strip() or None if isinstance(message, str) else None
        return None

    @property
    def enrolment(self) -> Enrolment | None:
        return self.enrolments[0] if self.enrolments else None

    @property
    def latest_assignment(self) -> Activity | None:
        """The assignment a person made last (assign, claim, return to the pool), when it is the lead's
        latest assignment: the classification's round-robin sentence is older news once someone assigned
        the lead by hand, and a reclassification that kept the assignee says nothing of who chose them."""
        manual = next((a for a in self.activities if a.kind == "assignment"), None)
        current = self.classification
        if manual is None or current is None or not current.assignment_reason:
            return manual
        if manual.at >= current.created_at or current.assignment_reason.startswith("Kept the current assignee"):
            return manual
        return None


def lead_page(session: Session, lead: Lead) -> LeadPage:
    lead_id = lead.id
    activities = list(session.scalars(select(Activity).where(Activity.lead_id == lead_id)
                                      .order_by(Activity.at.desc(), Activity.id.desc()).limit(500)))
    # A firm's team is a few dozen accounts at most: all of them, so that any assignee named by id
    # (an activity's data) or by email (a stored round-robin sentence) gets the name the header uses.
    people = session.execute(select(User.id, User.email, User.name)).all()
    authors = {user_id: (name or "").strip() or email for user_id, email, name in people}
    names_by_email = {email: (name or "").strip() or email for _user_id, email, name in people}
    return LeadPage(
        lead=lead,
        assignee=session.get(User, lead.assignee_id) if lead.assignee_id else None,
        inquiries=list(session.scalars(select(Inquiry).where(Inquiry.lead_id == lead_id)
                                       .order_by(Inquiry.received_at.desc()).limit(100))),
        consents=list(session.scalars(select(ConsentRecord).where(ConsentRecord.lead_id == lead_id)
                                      .order_by(ConsentRecord.recorded_at.desc()))),
        suppressed=session.scalars(select(Suppression).where(Suppression.email_key == lead.email_key)).first(),
        classifications=list(session.scalars(select(Classification).where(Classification.lead_id == lead_id)
                                             .order_by(Classification.created_at.desc(),
                                                       Classification.id.desc()).limit(50))),
        activities=activities,
        enrolments=list(session.scalars(select(Enrolment).where(Enrolment.lead_id == lead_id)
                                        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc()))),
        steps=list(session.scalars(select(ScheduledStep).where(ScheduledStep.lead_id == lead_id)
                                   .order_by(ScheduledStep.due_at))),
        deliveries=list(session.scalars(select(Delivery).where(Delivery.lead_id == lead_id)
                                        .order_by(Delivery.created_at.desc()))),
        authors=authors,
        names_by_email=names_by_email,
    )


# What the contact card may take from the free-text message when the form left the field out.
CARD_SIGNALS = ("citizenship", "residence", "age")


def latest_signals(session: Session, lead_id: str) -> list[dict[str, Any]]:
    """What the latest classification read from the lead's messages ({"kind", "value", "quote"} each).

    The classifier keeps these on its timeline entry (not on the lead: form fields stay the lead's
    facts), so this is exactly what its reasons were based on. An erased lead's entries are emptied.
    """
    data = session.scalars(
        select(Activity.data).where(Activity.lead_id == lead_id, Activity.kind == "classified")
        .order_by(Activity.at.desc(), Activity.id.desc()).limit(1)
    ).first()
    return [signal for signal in (data or {}).get("signals") or [] if isinstance(signal, dict)]


def message_signals(session: Session, lead_id: str,
                    signals: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The contact card's facts the latest classification read from the messages, by kind."""
    found: dict[str, dict[str, Any]] = {}
    for signal in latest_signals(session, lead_id) if signals is None else signals:
        if signal.get("kind") in CARD_SIGNALS and signal.get("value") is not None:
            found.setdefault(str(signal["kind"]), signal)
    return found


def message_quotes(signals: list[dict[str, Any]]) -> list[str]:
    """The message's words the classification read facts from, each once, in the order it read them: what
    the "read from the message" flag rests on, for the consultant to check."""
    quotes: dict[str, None] = {}
    for signal in signals:
        quote = " ".join(str(signal.get("quote") or "").split())
        if quote:
            quotes.setdefault(quote, None)
    return list(quotes)


@dataclass(frozen=True)
class Fact:
    """One line of the contact card; `quote` holds the message's words when it was read from them."""

    text: str
    quote: str | None = None


@dataclass(frozen=True)
class ContactCard:
    citizenships: list[Fact]
    residence: Fact | None
    age: Fact | None


def _country(code: str, language: str) -> str:
    name = country_name(code, language)
    return f"{name} ({code})" if name != code else code


def contact_card(lead: Lead, signals: dict[str, dict[str, Any]], language: str, today: date) -> ContactCard:
    """Citizenship, residence and age as the form gave them, else as read from the message (marked so)."""
    def said(kind: str, text: str) -> Fact:
        return Fact(text, str(signals[kind].get("quote") or ""))

    citizenships = [Fact(_country(code, language)) for code in lead.citizenships or [] if code]
    if not citizenships and lead.message_citizenships:
        # Every citizenship read from the message (the lead's column, as the queue shows them: "française
        # et italienne" is FR and IT), the message's words once, after the last.
        read = [code for code in lead.message_citizenships if code]
        quote = str(signals.get("citizenship", {}).get("quote") or "") or None
        citizenships = [Fact(_country(code, language), quote if index == len(read) - 1 else None)
                        for index, code in enumerate(read)]
    elif not citizenships and "citizenship" in signals:  # a lead classified before the column existed
        citizenships = [said("citizenship", _country(str(signals["citizenship"]["value"]), language))]
    residence: Fact | None = None
    if lead.country_of_residence:
        residence = Fact(_country(lead.country_of_residence, language))
    elif "residence" in signals:
        residence = said("residence", _country(str(signals["residence"]["value"]), language))
    age: Fact | None = None
    if lead.date_of_birth is not None:
        age = Fact(f"{lead.date_of_birth.isoformat()} · "
                   + translate("aged {age} today", language, age=age_on(lead.date_of_birth, today)))
    elif lead.stated_age is not None:
        age = Fact(translate("stated age {age}", language, age=lead.stated_age))
    elif "age" in signals:
        age = said("age", translate("stated age {age}", language, age=signals["age"]["value"]))
    return ContactCard(citizenships, residence, age)
