"""What the classifier knows about one lead once form fields and message signals are combined.

Form fields always win; a message signal is used only where the matching field is missing, and
every reason built from one quotes the words it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from crm.classify.ages import AgeKnowledge, known_age
from crm.classify.model import LeadInput
from crm.classify.ruleset import Ruleset
from crm.classify.signals import Signal, keyword_pattern, normalise, read_message
from crm.countries import country_in_text, country_name
from crm.i18n import message_language, translate
from crm.intake.provinces import province_name

FRENCH_LEVELS = {"none": 0, "basic": 1, "intermediate": 2, "advanced": 3, "native": 4}


@cache
def name_of(code: str, language: str) -> str:
    return country_name(code, language)


@dataclass(frozen=True)
class NoPermit:
    """Why a lead needs no work permit: the status ("citizen", "permanent-resident"), the reasons, and the rule's
    confidence and source."""

    status: str
    reasons: list[str]
    confidence: str
    source: str


class Context:
    def __init__(self, lead: LeadInput, ruleset: Ruleset) -> None:
        self.lead = lead
        self.rs = ruleset
        # The lead's language (a fact about the lead: "wrote to us in French") and the language the texts
        # are written in: the lead's, unless another was asked for (see LeadInput.text_language).
        self.lead_lang = lead.language if lead.language in ("en", "fr") else "en"
        self.lang = lead.text_language if lead.text_language in ("en", "fr") else self.lead_lang
        self.today: date = lead.today
        self.facts: dict[str, Any] = lead.facts or {}
        self.flags: set[str] = set()
        self.review_reasons: list[str] = []
        # Reasons only the consultant reads, put on the first candidate (Candidate.note_for_consultant).
        self.consultant_notes: list[str] = []
        self.signals: dict[str, Signal] = {}
        self.citizen_signals: list[Signal] = []
        self.age_said_on: date | None = None  # the day the message the age was read from was received
        for index, message in enumerate(lead.messages[:5]):  # newest first: the latest words win
            if message:
                # "expires in 2 months" counts from the day the message came in, never from a later classification
                received = lead.message_dates[index] if index < len(lead.message_dates) else None
                received = min(received, self.today) if received is not None else self.today
                for signal in read_message(message, ruleset.gts_keywords, _programs(ruleset), received):
                    if signal.kind not in self.signals:
                        self.signals[signal.kind] = signal
                        if signal.kind == "age" and index < len(lead.message_dates):
                            self.age_said_on = lead.message_dates[index]
                    if signal.kind == "citizenship":
                        self.citizen_signals.append(signal)
        self.citizenships = self._citizenships()
        self.residence = lead.country_of_residence or self._signal_value("residence")
        self.message_age: tuple[int, date] | None = None  # (age, day read) when the age came from the message
        self.age = self._age()
        self.lead_type, self.lead_type_reason = self._lead_type()

    # -- helpers ----------------------------------------------------------------------------------
    def t(self, text: str, **values: object) -> str:
        if self.lang == "en":  # English phrases are the catalog keys: skip the lookup (hot path)
            return text.format(**values) if values else text
        return translate(text, self.lang, **values)

    def country(self, code: str) -> str:
        return name_of(code, self.lang)

    def country_after_of(self, code: str) -> str:
        """The name as it follows "of" in a sentence: "Citizen of the United States"."""
        return country_in_text(code, self.lang)

    def province(self, code: str) -> str:
        return province_name(code, self.lang)

    def _signal_value(self, kind: str) -> Any:
        signal = self.signals.get(kind)
        return signal.value if signal else None

    def wrote_in(self, language: str) -> bool:
        """One of the lead's messages is clearly written in `language` (crm.i18n.message_language)."""
        return any(message_language(message) == language for message in self.lead.messages[:5])

    def said(self, kind: str) -> str | None:
        """The quoted words for a message signal, or None."""
        signal = self.signals.get(kind)
        return signal.quote if signal and signal.value is not False else None

    def quote_reason(self, kind: str) -> str:
        return self.t("The message says “{quote}”", quote=self.signals[kind].quote)

    def fact(self, name: str) -> Any:
        return self.facts.get(name)

    def number(self, name: str) -> float | None:
        """A numeric fact, or None when it is missing or not a number (facts may come from old inquiries)."""
        value = self.facts.get(name)
        if isinstance(value, bool) or value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None  # NaN or infinity is not a number of years

    def flag(self, name: str) -> None:
        self.flags.add(name)

    def note(self, reason: str) -> None:
        if reason not in self.consultant_notes:
            self.consultant_notes.append(reason)

    def review(self, reason: str) -> None:
        if reason not in self.review_reasons:
            self.review_reasons.append(reason)

    # -- derived facts ----------------------------------------------------------------------------
    def _citizenships(self) -> list[tuple[str, str | None]]:
        """(ISO code, quote) pairs; the quote is None when the form gave the citizenship."""
        found: list[tuple[str, str | None]] = [(code, None) for code in self.lead.citizenships if code]
        if not found:
            for signal in self.citizen_signals:
                if signal.value not in [code for code, _ in found]:
                    found.append((signal.value, signal.quote))
            canadian = self.signals.get("canadian_citizen")  # read apart: see signals.PATTERNS
            if canadian is not None and "CA" not in [code for code, _ in found]:
                found.append(("CA", canadian.quote))
        for typed in self.lead.unknown_countries:
            self.flag("unknown-country")
            self.review(self.t("Country “{typed}” was not recognised; it is kept as typed", typed=typed[:60]))
        return found

    def _age(self) -> AgeKnowledge | None:
        lead = self.lead
        said = self.signals.get("age")
        # One rule with the emails (crm.classify.ages.known_age): the form wins, the message fills in. An
        # age from the message was said the day that inquiry came in (never later than today), so the
        # lead ages from there and a re-classification on another day finds the same classification.
        said_on = min(self.age_said_on, self.today) if self.age_said_on is not None else self.today
        knowledge = known_age(self.today, lead.date_of_birth, lead.stated_age, lead.stated_age_on,
                              int(said.value) if said is not None else None, said_on)
        if knowledge is not None and knowledge.source != "message" and said is not None \
                and not (knowledge.low - 1 <= said.value <= knowledge.high + 1):
            self.flag("contradiction")
            self.review(self.t("The age in the message (“{quote}”) does not match the form ({age})",
                               quote=said.quote, age=knowledge.low))
        if knowledge is not None and not knowledge.plausible:
            self.flag("contradiction")
            self.review(self.t("The date of birth gives an impossible age ({age})", age=knowledge.low))
            return None
        if knowledge is not None and knowledge.source == "message" and said is not None:
            self.message_age = (int(said.value), said_on)
        return knowledge

    def _lead_type(self) -> tuple[str, str]:
        interest = self.fact("interest")
        if interest == "hire":
            return "employer", self.t("Wants to hire (from the form)")
        if self.fact("owns_business") or interest == "business":
            return "entrepreneur", self.t("Owns, is buying or is starting a business (from the form)")
        if interest in (None, "other"):
            if self.said("hire"):
                return "employer", self.quote_reason("hire")
            if self.said("staff_transfer"):  # moving its own staff to its Canadian entity
                return "employer", self.quote_reason("staff_transfer")
            if self.said("owns_business"):
                return "entrepreneur", self.quote_reason("owns_business")
        return "worker", ""

    def no_permit_needed(self) -> NoPermit | None:
        """Why the lead needs no work permit at all (ruleset `no_work_permit_needed`): a Canadian citizen (the
        form's citizenships or the message's own words), else a permanent resident of Canada (the message's
        words: the intake has no field for it) unless a pending PR application says otherwise (then the flag
        `contradiction`); None when nothing says so."""
        held = [code for code, _ in self.citizenships if code in self.rs.no_permit_citizenships]
        said = self.said("canadian_citizen") if "CA" in self.rs.no_permit_citizenships else None
        if held or said:
            reasons = [self.t("Canadian citizen: no work permit needed")]
            if said and not any(quote is None for code, quote in self.citizenships if code in held):
                reasons.append(self.quote_reason("canadian_citizen"))
            return NoPermit("citizen", reasons, self.rs.no_permit_confidence, self.rs.no_permit_source)
        if self.said("permanent_resident_elsewhere") and not self.said("permanent_resident"):
            # Not read as Canada's (a place abroad is named, Canada is not): a question for the consultant only.
            self.note(self.t("The message speaks of permanent residence (“{quote}”) beside a place outside Canada: "
                             "not taken as Canadian permanent residence; check which country's it is",
                             quote=self.signals["permanent_resident_elsewhere"].quote))
        if self.rs.no_permit_permanent_residents and self.said("permanent_resident"):
            # A pending PR application (form or message) beside PR said to be held: the lead may well need a permit
            # (a bridging permit, say), so the evidence is reported to the consultant and the permit routes stay.
            pending = _pending_reason(self)
            if pending is not None:
                self.flag("contradiction")
                self.review(self.quote_reason("permanent_resident"))
                self.review(pending)
                return None
            return NoPermit("permanent-resident", [self.t("Permanent resident of Canada: no work permit needed"),
                                                   self.quote_reason("permanent_resident")],
                            self.rs.no_permit_pr_confidence, self.rs.no_permit_pr_source)
        return None

    @property
    def job_offer(self) -> bool | None:
        if self.fact("job_offer") and "job_offer_province" in self.facts and not self.fact("job_offer_province"):
            # The form named a province the intake could not read ("Texas"): whether the offer is Canadian is open.
            return None
        value = self.fact("job_offer")
        if value is None and "job_offer" in self.signals:
            return bool(self.signals["job_offer"].value)
        return value if value is None else bool(value)

    @property
    def permit_expiry(self) -> date | None:
        """The current work permit's expiry day, as the message states it (the intake has no field for it)."""
        value = self._signal_value("permit_expiry")
        return date.fromisoformat(value) if isinstance(value, str) else None

    @property
    def permit_expiry_estimated(self) -> bool:
        """Whether the expiry day was worked out from words relative to the message's day ("in 2 months")."""
        signal = self.signals.get("permit_expiry")
        return signal is not None and signal.estimated

    @property
    def job_province(self) -> str | None:
        return self.fact("job_offer_province") or self._signal_value("province")

    @property
    def french_level(self) -> int | None:
        value = self.fact("french_ability")
        return FRENCH_LEVELS.get(value) if value else None

    def tech_reason(self) -> str | None:
        """Why the lead's occupation looks like a Global Talent occupation, or None."""
        noc = self.fact("noc_code")
        if noc and noc in self.rs.gts_noc_codes:
            return self.t("NOC {noc} is on the Global Talent Occupations List", noc=noc)
        occupation = str(self.fact("occupation") or "")
        if occupation:
            pattern = keyword_pattern(self.rs.gts_keywords)
            if pattern is not None and pattern.search(normalise(occupation)):
                return self.t("Occupation “{occupation}” is on the Global Talent Occupations List",
                              occupation=occupation[:80])
        if self.said("tech"):
            return self.t("The message mentions “{quote}”, a Global Talent occupation",
                          quote=self.signals["tech"].quote)
        return None


def _programs(ruleset: Ruleset) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The PR programs' words as signals.read_message takes them (hashable: its pattern is cached on them)."""
    return tuple((program.key, program.words) for program in ruleset.pr_programs)


def _pending_reason(ctx: Context) -> str | None:
    """Why a PR application is pending (the form's `pr_application_pending`, else the message's words), or None."""
    if ctx.fact("pr_application_pending"):
        return ctx.t("Has applied for permanent residence")
    return ctx.quote_reason("pr_pending") if ctx.said("pr_pending") else None
