"""The classifier's input and output: plain dataclasses, no database or web types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

VERDICTS = ("eligible", "likely", "needs_info", "ineligible")
VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
CONFIDENCE_RANK = {"official": 0, "secondary": 1, "unconfirmed": 2}
LEAD_TYPES = ("worker", "employer", "entrepreneur")


@dataclass
class LeadInput:
    """Everything the classifier may use, copied from a lead and its inquiries."""

    citizenships: list[str] = field(default_factory=list)  # ISO alpha-2
    country_of_residence: str | None = None
    date_of_birth: date | None = None
    stated_age: int | None = None
    stated_age_on: date | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # the intake contract's fields
    unknown_countries: list[str] = field(default_factory=list)  # kept as typed
    messages: list[str] = field(default_factory=list)  # newest first
    # The day each message was received (the lead's own date), in the order of `messages`; an age read
    # from a message was said that day. Missing (or None): the day of the classification (`today`).
    message_dates: list[date | None] = field(default_factory=list)
    language: str = "en"
    today: date = field(default_factory=date.today)
    is_spam: bool = False
    # The language of the texts (reasons, missing facts, score reasons) when not the lead's: the same
    # classification written for a consultant who reads the other language. Never changes a verdict:
    # `language` stays the lead's ("wrote to us in French" is about the lead).
    text_language: str | None = None


@dataclass
class Candidate:
    stream: str
    exemption_code: str | None
    verdict: str
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    confidence: str = "official"
    source: str = ""
    priority: int = 50  # among equal verdicts and confidence, lower comes first
    # IEC through a partner country: the citizenship this candidate rests on (ISO code) and, when the age
    # came from the message, (age, day read): the emails name the same country and go by the same age.
    country: str | None = None
    message_age: tuple[int, date] | None = None
    # On the first candidate of a lead who needs no work permit (ruleset `no_work_permit_needed`): the review
    # candidate, or the spouse's route when the lead asks about a spouse. The status that rule rests on ("citizen",
    # "permanent-resident"), so the emails speak to it rather than sell a permit.
    no_permit: str | None = None
    # A job offer read from the message when the form said nothing of one: (has one?, province code or None),
    # so that the emails speak of the offer as the classifier took it ("You mentioned a job offer in Alberta").
    message_offer: tuple[bool, str | None] | None = None
    # Reasons (also in `reasons`) that speak to the consultant (an ISO day, "ask for ..."), and items of `missing`
    # that the consultant checks rather than the lead answers: the emails to the lead leave them out.
    for_consultant: list[str] = field(default_factory=list)
    # The same texts in the other interface language(s), by language: {"reasons": [...], "missing": [...]}
    # in the same order as `reasons` and `missing` (the first candidate also carries the score reasons).
    # Only the workspace reads them; the emails read `reasons` and `missing`, in the lead's language.
    texts: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def note_for_consultant(self, reason: str) -> None:
        """A reason the consultant reads (workspace, API) but the lead is never shown."""
        self.reasons.append(reason)
        self.for_consultant.append(reason)

    def sort_key(self) -> tuple[int, int, int]:
        return VERDICT_RANK[self.verdict], CONFIDENCE_RANK.get(self.confidence, 2), self.priority

    @property
    def viable(self) -> bool:
        return self.verdict in ("eligible", "likely")

    def as_dict(self) -> dict[str, Any]:
        """The contract's candidate shape (stream, exemption_code, verdict, reasons, missing) plus extras."""
        found = {"stream": self.stream, "exemption_code": self.exemption_code, "verdict": self.verdict,
                 "reasons": list(self.reasons), "missing": list(self.missing), "confidence": self.confidence,
                 "source": self.source}
        if self.country is not None:
            found["country"] = self.country
        if self.for_consultant:
            found["consultant_only"] = list(self.for_consultant)
        if self.no_permit is not None:
            found["no_permit"] = self.no_permit
        if self.message_offer is not None:
            found["message_job_offer"] = {"has": self.message_offer[0], "province": self.message_offer[1]}
        if self.message_age is not None:
            found["message_age"] = {"age": self.message_age[0], "on": self.message_age[1].isoformat()}
        if self.texts:
            found["texts"] = {language: {key: list(values) for key, values in texts.items()}
                              for language, texts in sorted(self.texts.items())}
        return found


@dataclass
class ClassificationResult:
    primary_stream: str
    lead_type: str
    score: int
    score_reasons: list[str]
    flags: list[str]
    candidates: list[Candidate]
    ruleset_version: str
    language: str
    signals: list[dict[str, Any]] = field(default_factory=list)  # what was read from the message
    # The citizenships (ISO codes) the classification took from the message: only when the form gave none.
    message_citizenships: list[str] = field(default_factory=list)

    def candidates_json(self) -> list[dict[str, Any]]:
        return [candidate.as_dict() for candidate in self.candidates]

    def comparable(self) -> tuple[Any, ...]:
        """What must differ for a new classification to be worth storing."""
        return (self.primary_stream, self.lead_type, self.score, tuple(self.score_reasons), tuple(self.flags),
                repr(self.candidates_json()), self.ruleset_version)
