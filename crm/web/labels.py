"""What a consultant reads in place of the keys the CRM stores: timeline kinds and lines, email steps,
sequence names, stop reasons, consent sources, classification triggers and the lead's form answers.

Each function takes the stored value and the interface language and returns display text (English
phrases, translated through crm/data/i18n/web.fr.yaml). A value without a label is shown as stored, so
nothing new is ever hidden. Stored rows are not changed: older rows render the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from crm.classify.classifier import BASE_POINTS
from crm.countries import country_name
from crm.db import utcnow
from crm.i18n import translate
from crm.intake.provinces import PROVINCES, province_name
from crm.models import ConsentKind
from crm.sequences.consent import implied_consent_until
from crm.sequences.enrolment import AGED_OUT
from crm.web.common import language_name, local_day, stream_label

# Activity kinds (crm/workspace/actions.py, crm/intake, crm/classify, crm/sequences/history.py).
KIND_LABELS = {
    "inquiry": "Inquiry", "classified": "Classification", "classification-failed": "Classification failed",
    "status": "Status", "note": "Note", "assignment": "Assignment", "reclassify": "Reclassification",
    "erased": "Data erased", "email-sent": "Email sent", "email-skipped": "Email not sent",
    "email-failed": "Email failed", "email-deferred": "Email delayed", "email-uncertain": "Email uncertain",
    "bounced": "Email bounced", "complained": "Spam complaint", "unsubscribed": "Unsubscribed from emails",
    "replied": "Reply received", "sequence": "Email sequence",
}

# Email step templates (crm/sequences/data/sequences.yaml): what each step is about.
TEMPLATE_LABELS = {
    "answer-iec": "Answer to the inquiry", "answer-worker": "Answer to the inquiry",
    "answer-in-canada": "Answer to the inquiry", "answer-entrepreneur": "Answer to the inquiry",
    "answer-employer": "Answer to the inquiry", "answer-review": "Answer to the inquiry",
    "answer-no-permit": "Answer to the inquiry",
    "documents": "Document checklist", "iec-fit": "How IEC works", "job-offer": "What makes a job offer work",
    "status-timing": "Dates to watch", "business-plan": "The business plan", "consultation": "Consultation offer",
    "checkin": "Check-in", "employer-options": "Hiring routes for employers", "more-info": "Details we need",
}

# Sequences named other than by their stream's slug (crm/sequences/data/sequences.yaml). The others are
# named by the stream: a sequence named after a flag would otherwise show the flag's lower-case label.
SEQUENCE_LABELS = {"employer": "Employers", "no-permit-needed": "No work permit needed"}

STOP_REASONS = {
    "consultant": "by a consultant", "replied": "the lead replied", "unsubscribed": "the lead unsubscribed",
    "complaint": "the lead marked an email as spam", "bounced": "the email address bounced",
    "spam": "marked as spam", "reclassified": "moved to another sequence after a new classification",
    "erased": "personal data erased", "no-consent": "no consent to marketing emails",
    "consent-expired": "implied consent has expired",
    AGED_OUT: "the lead passed the IEC age limit",
}

CONSENT_KINDS = {"implied": "Implied consent", "express": "Express consent", "withdrawn": "Consent withdrawn"}
CONSENT_SOURCES = {"intake": "inquiry form", "one-click": "one-click unsubscribe",
                   "unsubscribe-link": "unsubscribe link", "complaint": "spam complaint", "smtp": "mail server",
                   "event": "email provider"}

TRIGGERS = {"intake": "after the first inquiry", "new-inquiry": "after a new inquiry",
            "reclassify": "reclassification requested", "retry": "automatic retry", "sweep": "automatic retry",
            "aged-out": "after the lead passed the IEC age limit"}

# The lead's answers (crm/intake/normalise.py FACT_FIELDS) and their enumerated values (crm/intake/schema.py).
FACT_LABELS = {
    "french_ability": "French level", "english_ability": "English level", "interest": "Wants to",
    "occupation": "Occupation", "noc_code": "NOC code", "job_offer": "Canadian job offer",
    "job_offer_province": "Province of the job offer", "employer_name": "Current employer",
    "company_name": "Company", "years_with_employer": "Years with the employer",
    "employer_has_canadian_office": "Employer has an office in Canada", "owns_business": "Owns or starts a business",
    "enrolled_in_post_secondary": "Post-secondary student", "studied_in_canada": "Graduated in Canada",
    "spouse_status_in_canada": "Spouse or partner in Canada",
    "pr_application_pending": "Applied for permanent residence",
    "message": "Message",
}
FACT_VALUES = {
    "french_ability": {"none": "none", "basic": "basic", "intermediate": "intermediate", "advanced": "advanced",
                       "native": "native"},
    "interest": {"work": "work in Canada", "hire": "hire a foreign worker", "business": "run a business in Canada",
                 "study": "study, or work after studies", "family": "join a spouse or partner",
                 "other": "something else"},
    "spouse_status_in_canada": {"none": "not in Canada", "worker": "a worker", "student": "a student",
                                "permanent_resident": "a permanent resident or citizen"},
}
FACT_VALUES["english_ability"] = FACT_VALUES["french_ability"]


def _t(text: str, lang: str, **values: Any) -> str:
    return translate(text, lang, **values)


# How the intake read an inquiry's ambiguous answers (crm/intake/normalise.py, crm/intake/service.py).
INTAKE_NOTES = {
    "citizenship-read-as": "Citizenship \u201c{typed}\u201d read as {country}",
    "residence-read-as": "Country of residence \u201c{typed}\u201d read as {country}",
    "province-not-read": "Job offer province \u201c{typed}\u201d not recognised: ask the lead",
    "birth-date-over-age": "Both a date of birth and an age were given: the date of birth is used",
    "birth-date-and-age-disagree": ("The date of birth ({date_of_birth}, aged {age_from_birth_date}) and the age "
                                    "given ({age}) disagree: the date of birth is used; check with the lead"),
    "consent-without-wording": ("The consent box was ticked but the form did not send the wording shown: "
                                "recorded as implied consent"),
    "reopened-after-honeypot": "Back in the queue: an earlier inquiry from this address had filled in the honeypot",
    "reopened-after-lost": "Back in the queue: the lead was marked lost and has written again",
}


def intake_note(note: Any, lang: str) -> str:
    """One note of how an inquiry was read; a note stored as text (older rows) is shown as stored."""
    if not isinstance(note, dict) or note.get("note") not in INTAKE_NOTES:
        return str(note)
    values = {key: str(value) for key, value in note.items() if key != "note"}
    if "country" in values:
        values["country"] = country_name(values["country"], lang)
    try:
        return _t(INTAKE_NOTES[note["note"]], lang, **values)
    except (KeyError, IndexError):
        return str(note)


def kind_label(kind: str, lang: str) -> str:
    return _t(KIND_LABELS[kind], lang) if kind in KIND_LABELS else kind


def step_label(template: str | None, content_key: str | None, lang: str) -> str:
    if template in TEMPLATE_LABELS:
        return _t(TEMPLATE_LABELS[template], lang)
    return content_key or template or ""


def sequence_label(name: str | None, lang: str) -> str:
    if not name:
        return ""
    if name in SEQUENCE_LABELS:
        return _t(SEQUENCE_LABELS[name], lang)
    return stream_label(name, lang)


# The aged-out skip line rows stored before the reason became the key and the detail data:
# "aged out of IEC (IE: over 35 since 2026-12-01)".
_AGED_OUT_TEXT = re.compile(r"aged out of IEC \((?P<country>[A-Z]{2}): over (?P<max_age>\d+)"
                            r"(?: since (?P<since>\d{4}-\d{2}-\d{2}))?\)\Z")


def aged_out_text(data: dict[str, Any] | None, lang: str) -> str:
    """The aged-out stop in words, with the IEC country (by name), its limit and the day when the data
    has them (crm.sequences.content.AgedOut.data)."""
    data = data or {}
    country, max_age = data.get("country"), data.get("max_age")
    if not isinstance(country, str) or not isinstance(max_age, int | str) or not str(max_age).isdigit():
        return _t(STOP_REASONS[AGED_OUT], lang)
    values = {"country": country_name(country, lang), "max_age": max_age}
    if isinstance(data.get("since"), str) and data["since"]:
        return _t("the lead passed the IEC age limit on {day} ({country}: over {max_age})", lang,
                  day=data["since"], **values)
    return _t("the lead passed the IEC age limit ({country}: over {max_age})", lang, **values)


def stop_reason(reason: str | None, lang: str, data: dict[str, Any] | None = None) -> str:
    """A stored stop or skip reason in words; `data` is the timeline entry's (the aged-out detail)."""
    if not reason:
        return ""
    if reason == AGED_OUT:
        return aged_out_text(data, lang)
    if reason in STOP_REASONS:
        return _t(STOP_REASONS[reason], lang)
    if found := _AGED_OUT_TEXT.match(reason):
        return aged_out_text(found.groupdict(), lang)
    key, _, value = reason.partition(":")
    if key == "status" and value:
        return _t("the status changed to {status}", lang, status=stream_label(value, lang))
    if key == "suppressed" and value:
        return _t("address on the do-not-email list ({why})", lang, why=stop_reason(value, lang))
    if key == "sequence stopped" and value:
        return stop_reason(value.strip(), lang)
    return reason


def consent_kind(kind: str, lang: str) -> str:
    return _t(CONSENT_KINDS[kind], lang) if kind in CONSENT_KINDS else kind


def consent_heading(kind: str, wording: str | None, lang: str) -> str:
    """What a consent record is. An implied-consent record from the form that still has the checkbox's
    wording is one whose box was not ticked (crm/intake/service.py records a ticked box with its wording
    as express consent): shown bare, the wording read as an opt-in that was never given."""
    if kind == ConsentKind.IMPLIED.value and wording:
        return _t("Box not ticked: implied consent", lang)
    return consent_kind(kind, lang)


def implied_consent_end(kind: str, recorded_at: datetime | None, lang: str, now: datetime | None = None) -> str:
    """When the implied consent of this record runs out (6 months after its inquiry,
    crm/sequences/consent.py), "" for any other kind. A later inquiry starts a record of its own."""
    if kind != ConsentKind.IMPLIED.value or recorded_at is None:
        return ""
    end = implied_consent_until(recorded_at)
    day = local_day(end)
    if end.replace(tzinfo=end.tzinfo or UTC) <= (now or utcnow()):
        return _t("expired on {day}", lang, day=day)
    return _t("expires on {day}", lang, day=day)


def consent_source(source: str | None, lang: str) -> str:
    if not source:
        return ""
    return _t(CONSENT_SOURCES[source], lang) if source in CONSENT_SOURCES else source


def trigger_label(trigger: str | None, lang: str) -> str:
    if not trigger:
        return ""
    return _t(TRIGGERS[trigger], lang) if trigger in TRIGGERS else trigger


def fact_label(name: str, lang: str) -> str:
    return _t(FACT_LABELS[name], lang) if name in FACT_LABELS else name.replace("_", " ")


def fact_value(name: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    if value is None:
        return "—"
    if isinstance(value, str) and value in FACT_VALUES.get(name, {}):
        return _t(FACT_VALUES[name][value], lang)
    if isinstance(value, list):
        return ", ".join(fact_value(name, item, lang) for item in value)
    if name == "job_offer_province" and isinstance(value, str) and value in PROVINCES:
        return province_name(value, lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "3 years with the employer", not "3.0"
    if isinstance(value, float) and lang == "fr":
        return f"{value:g}".replace(".", ",")
    return str(value)


# The assignment explanations crm/classify/assign.py stores (English sentences, no structured copy).
# The sentences crm.classify.assign stores, and what the page says for each; a (singular, plural)
# pair is chosen by the count the sentence gives.
_ASSIGNMENT = (
    (re.compile(r"Round-robin among (?P<count>\d+) active consultant\(s\) covering language (?P<code>\w+) and "
                r"stream (?P<stream>\S+): (?P<email>\S+) was assigned longest ago\.\Z"),
     ("Assigned to {email}, the only active consultant covering {language_name} and {stream}.",
      "Round-robin among the {count} active consultants covering {language_name} and {stream}: {email} "
      "was assigned longest ago.")),
    (re.compile(r"No active consultant covers language (?P<code>\w+) and stream (?P<stream>\S+); round-robin among "
                r"(?P<count>\d+) active admin\(s\): (?P<email>\S+) was assigned longest ago\.\Z"),
     ("No active consultant covers {language_name} and {stream}: assigned to {email}, the only active admin "
      "covering them.",
      "No active consultant covers {language_name} and {stream}: round-robin among the {count} active admins, "
      "{email} was assigned longest ago.")),
    (re.compile(r"Kept the current assignee \((?P<email>[^()]+)\)\.\Z"), "Kept the current assignee ({email})."),
    (re.compile(r"Unassigned: there is no active consultant\.\Z"), "Unassigned: there is no active consultant."),
    (re.compile(r"Unassigned: no active consultant covers language (?P<code>\w+) and stream (?P<stream>\S+)\.\Z"),
     "Unassigned: no active consultant covers {language_name} and {stream}."),
)


# Needs review is not a stream a consultant covers but a state of the lead ("covering English and Needs
# review" read as if it were a programme): the sentences about it name the leads instead.
_REVIEW_WORDING = {
    "Assigned to {email}, the only active consultant covering {language_name} and {stream}.":
        "Assigned to {email}, the only active consultant covering leads in {language_name} that need review.",
    "Round-robin among the {count} active consultants covering {language_name} and {stream}: {email} "
    "was assigned longest ago.":
        "Round-robin among the {count} active consultants covering leads in {language_name} that need review: "
        "{email} was assigned longest ago.",
    "No active consultant covers {language_name} and {stream}: assigned to {email}, the only active admin "
    "covering them.":
        "No active consultant covers leads in {language_name} that need review: assigned to {email}, the only "
        "active admin covering them.",
    "No active consultant covers {language_name} and {stream}: round-robin among the {count} active admins, "
    "{email} was assigned longest ago.":
        "No active consultant covers leads in {language_name} that need review: round-robin among the {count} "
        "active admins, {email} was assigned longest ago.",
    "Unassigned: no active consultant covers {language_name} and {stream}.":
        "Unassigned: no active consultant covers leads in {language_name} that need review.",
}


def assignment_text(reason: str | None, lang: str, names: dict[str, str] | None = None) -> str:
    """The stored round-robin explanation in the interface language, with the stream's name and the
    assignee's name from `names` (by email; the sentence stores the email)."""
    if not reason:
        return ""
    for pattern, text in _ASSIGNMENT:
        found = pattern.match(reason)
        if found:
            values = found.groupdict()
            if "email" in values and names:
                values["email"] = names.get(values["email"], values["email"])
            review = values.get("stream") == "needs-review"
            if "stream" in values:
                values["stream"] = stream_label(values["stream"], lang)
                if lang == "fr" and values["stream"].startswith("Volet "):
                    # The sentence says "le volet {stream}": "le volet des talents mondiaux", not "volet Volet".
                    values["stream"] = values["stream"][len("Volet "):]
            if "code" in values:
                values["language_name"] = language_name(values.pop("code"), lang)
            if isinstance(text, tuple):
                text = text[0] if values["count"] == "1" else text[1]
            if review:
                text = _REVIEW_WORDING.get(text, text)
            return _t(text, lang, **values)
    return reason


def assignment_activity_text(kind_summary: str, data: dict[str, Any] | None, by_id: int | None,
                             at: datetime, people: dict[int, str], lang: str) -> str:
    """An assignment a person made (crm/workspace/actions.assign, or a deactivation), said as the lead's
    current assignment: who has it, who decided and when, with the names the page's header uses."""
    data = data or {}
    to, day = data.get("to"), local_day(at)
    by = people.get(by_id) if by_id is not None else None
    if to is None:
        if "deactivated" in kind_summary:
            return _t("Returned to the unassigned pool on {day} (consultant deactivated).", lang, day=day)
        if by:
            return _t("Returned to the unassigned pool by {who} on {day}.", lang, who=by, day=day)
        return _t("Returned to the unassigned pool on {day}.", lang, day=day)
    assignee = people.get(to, str(to))
    if to == by_id:
        return _t("Claimed by {who} on {day}.", lang, who=assignee, day=day)
    if by:
        return _t("Assigned to {assignee} by {who} on {day}.", lang, assignee=assignee, who=by, day=day)
    return _t("Assigned to {assignee} on {day}.", lang, assignee=assignee, day=day)


_CLASSIFIED = re.compile(r"Classified as (?P<stream>\S+) \((?P<verdict>[\w-]+)\), (?P<type>[\w-]+), "
                         r"score (?P<score>-?\d+)"
                         r"(?:; was (?P<previous>\S+))?(?:; flags: (?P<flags>.*))?\Z")
_STEP = re.compile(r"Email step (?P<step>\d+) (?:not sent|failed): (?P<rest>.*)\Z", re.DOTALL)
_NOT_ENROLLED = re.compile(r"Not enrolled in (?P<sequence>\S+): (?P<reason>.*)\Z")
_DEFERRED = re.compile(r"Email delayed \(attempt (?P<attempt>\d+)\)")
_UNCERTAIN = re.compile(r"Email \u201c(?P<subject>.*)\u201d may not have been sent", re.DOTALL)
_SOURCE = re.compile(r".*\((?P<source>[\w-]+)\)\Z")
_ASSIGNED_TO = re.compile(r"Assigned to (?P<email>\S+)\Z")
_FAILED_AFTER = re.compile(r"Classification failed after (?P<attempts>\d+) attempts: (?P<error>.*)\Z", re.DOTALL)

# Summaries that are fixed English sentences (no data in them).
FIXED_SUMMARIES = frozenset({
    "First inquiry", "New inquiry from a known lead", "Spam inquiry (honeypot filled in)", "Claimed",
    "Returned to the unassigned pool", "Returned to the unassigned pool (consultant deactivated)",
    "Reclassification requested", "Personal data erased (PIPEDA request)", "The lead replied to an email",
    "Reclassified: no change",  # crm.classify.service.UNCHANGED_SUMMARY
})


def activity_text(kind: str, summary: str, data: dict[str, Any] | None, lang: str,
                  names: dict[str, str] | None = None) -> str:
    """One timeline line in the interface language, built from the activity's kind and data; the stored
    summary when the kind or its data is not one this page knows (older rows, an erased lead's). `names`
    maps a team member's email to the name the page's header uses (the stored summary has the email)."""
    data = data or {}
    if summary == "(erased)":  # crm.workspace.privacy.ERASED, whatever the kind (a note's too)
        return _t(summary, lang)
    try:
        text = _activity_text(kind, summary, data, lang, names or {})
    except (KeyError, TypeError, ValueError):
        text = None
    return text if text is not None else summary


def _activity_text(kind: str, summary: str, data: dict[str, Any], lang: str, names: dict[str, str]) -> str | None:
    if kind == "note":
        return None  # what a person wrote: never rewritten
    if summary in FIXED_SUMMARIES:
        return _t(summary, lang)
    if kind == "status" and data.get("from") and data.get("to"):
        return _t("Status: {old} → {new}", lang, old=stream_label(data["from"], lang),
                  new=stream_label(data["to"], lang))
    if kind == "assignment" and (found := _ASSIGNED_TO.match(summary)):
        return _t("Assigned to {email}", lang, email=names.get(found["email"], found["email"]))
    if kind == "classified" and (found := _CLASSIFIED.match(summary)):
        text = _t("Classified as {stream} ({verdict}), {type}, score {score}", lang,
                  stream=stream_label(found["stream"], lang), verdict=stream_label(found["verdict"], lang),
                  type=_t(found["type"], lang), score=found["score"])
        if found["previous"]:
            text += _t("; was {stream}", lang, stream=stream_label(found["previous"], lang))
        if found["flags"]:
            text += _t("; flags: {flags}", lang, flags=", ".join(
                stream_label(flag.strip(), lang) for flag in found["flags"].split(",")))
        return text
    if kind == "classification-failed" and (found := _FAILED_AFTER.match(summary)):
        return _t("Classification failed after {attempts} attempts: {error}", lang, **found.groupdict())
    if kind == "sequence" and data.get("sequence"):
        return _sequence_text(data, lang)
    if kind == "email-sent" and summary.startswith("Email sent: "):
        return _t("Email sent: {subject}", lang, subject=summary.removeprefix("Email sent: "))
    if kind == "email-skipped" and (found := _NOT_ENROLLED.match(summary)):
        return _t("Not enrolled in the {sequence} sequence: {reason}", lang,
                  sequence=sequence_label(found["sequence"], lang), reason=stop_reason(found["reason"], lang))
    if kind in ("email-skipped", "email-failed") and (found := _STEP.match(summary)):
        step = int(found["step"]) + 1  # stored 0-based; the page numbers steps from 1
        if kind == "email-failed":
            return _t("Email of step {step} failed: {error}", lang, step=step, error=found["rest"])
        return _t("Email of step {step} not sent: {reason}", lang, step=step,
                  reason=stop_reason(found["rest"], lang, data))
    if kind == "email-deferred" and (found := _DEFERRED.match(summary)):
        return _t("Email delayed (attempt {attempt}): the mail server is unavailable; retrying", lang,
                  attempt=found["attempt"])
    if kind == "email-uncertain" and (found := _UNCERTAIN.match(summary)):
        return _t("Email “{subject}” may not have been sent; check before resending", lang, subject=found["subject"])
    if kind in ("bounced", "unsubscribed", "complained"):
        source = data.get("source") or ((found := _SOURCE.match(summary)) and found["source"])
        text = {"bounced": "Email address bounced", "unsubscribed": "Unsubscribed from emails",
                "complained": "Marked an email as spam"}[kind]
        return _t(text, lang) + (f" ({consent_source(source, lang)})" if source else "")
    return None


def _sequence_text(data: dict[str, Any], lang: str) -> str | None:
    name = sequence_label(data["sequence"], lang)
    event = data.get("event")
    if event == "enrolled":
        return _t("Enrolled in the {sequence} sequence", lang, sequence=name)
    if event == "stopped":
        text = _t("Sequence {sequence} stopped", lang, sequence=name)
        if data.get("reason"):
            text += f" ({stop_reason(data['reason'], lang)})"  # the aged-out detail is on the skip line
        if data.get("moved_to"):
            text += " → " + sequence_label(data["moved_to"], lang)
        return text
    if event == "paused":
        return _t("Sequence {sequence} paused", lang, sequence=name)
    if event == "resumed":
        return _t("Sequence {sequence} resumed", lang, sequence=name)
    if event == "completed":
        return _t("Sequence {sequence} completed", lang, sequence=name)
    return None


_POINTS = re.compile(r"\s*([+-]\d+)\b")


def score_lines(score: int | None, reasons: list[str] | None, lang: str) -> list[str]:
    """The score's reasons, with the points they do not account for as a line of their own: every lead
    starts from a base (crm/classify/classifier.py), and the score is kept within 0-100. The base is the
    difference, so the lines always add up to the score shown."""
    lines = [str(reason) for reason in reasons or []]
    if score is None:
        return lines
    counted = 0
    for reason in lines:
        found = _POINTS.match(reason)
        if found is None:
            return lines  # a reason without its points: nothing to add up
        counted += int(found.group(1))
    rest = score - counted
    if score in (0, 100):
        # At a bound: the starting points, then what the 0-100 cap removed (or added), if anything.
        capped = rest - BASE_POINTS
        return ([f"{BASE_POINTS:+d} {_t('starting points of every lead', lang)}", *lines]
                + ([f"{capped:+d} {_t('kept within 0 to 100', lang)}"] if capped else []))
    if rest:
        lines.insert(0, f"{rest:+d} {_t('starting points of every lead', lang)}")
    return lines
