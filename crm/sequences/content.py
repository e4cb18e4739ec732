"""What personalises an email: the lead, its classification and the ruleset data (never facts
typed into templates). Builds the template context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from crm.bulk import among
from crm.classify.ages import AgeKnowledge, add_months, known_age, stated_age_day
from crm.classify.iec import age_fit, chosen_country
from crm.classify.ruleset import CATEGORY_STREAM, IecCountry, Ruleset, StreamRule, load_ruleset
from crm.classify.signals import read_message
from crm.config import Settings
from crm.countries import country_in_text, country_name, demonym_index, fold, name_index
from crm.i18n import LANGUAGES, translate
from crm.intake.provinces import PROVINCES, province_name
from crm.models import Classification, Lead
from crm.sequences.definitions import SequenceDef
from crm.sequences.rendering import dates_in_words
from crm.sequences.timezones import lead_zone, zone_citizenships
from crm.sequences.timezones import local_date as zone_local_date

# Facts from the inquiry that templates may mention (plain values; the HTML renderer escapes them).
FACT_KEYS = ("occupation", "job_offer", "job_offer_province", "employer_name", "company_name", "interest",
             "studied_in_canada", "pr_application_pending", "spouse_status_in_canada", "owns_business")


@dataclass(frozen=True)
class Sender:
    """The CASL identification every message carries (from Settings)."""

    name: str
    address: str
    contact: str
    licence: str
    mail_from: str
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Sender:
        return cls(settings.business_name, settings.business_address, settings.business_contact,
                   settings.licence_number, settings.mail_from, settings.base_url)


def current_classification(session: Session, lead_id: str) -> Classification | None:
    return session.scalars(
        select(Classification).where(Classification.lead_id == lead_id, Classification.is_current.is_(True))
        .order_by(Classification.created_at.desc(), Classification.id.desc()).limit(1)
    ).first()


def current_classifications(session: Session, lead_ids: list[str]) -> dict[str, Classification]:
    """current_classification for several leads in one query."""
    found: dict[str, Classification] = {}
    for row in session.scalars(
            select(Classification)
            .options(load_only(Classification.lead_id, Classification.primary_stream, Classification.candidates,
                               Classification.created_at))
            .where(among(session.connection(), Classification.lead_id, sorted(set(lead_ids))),
                   Classification.is_current.is_(True))
            .order_by(Classification.created_at.desc(), Classification.id.desc())):
        found.setdefault(row.lead_id, row)
    return found


def stream_view(rule: StreamRule | None, lang: str) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "slug": rule.slug,
        "name": rule.name.get(lang) or rule.name.get("en", rule.slug),
        # Dates in the ruleset's words are written for the lead ("Since January 21, 2025", not 2025-01-21)
        "description": dates_in_words(rule.description.get(lang) or rule.description.get("en", ""), lang),
        "documents": [dates_in_words(document, lang)
                      for document in rule.documents.get(lang) or rule.documents.get("en") or []],
        "codes": list(rule.exemption_codes),
        # The generic tip about slow police certificates only where the list has one (en and fr say "police").
        "police": any("police" in document.lower() for document in rule.documents.get("en") or []),
        "sponsored": False,
    }


# The ruleset is immutable once loaded: views of it are built once per (ruleset, stream, language).
_views: dict[tuple[int, str, str], dict[str, Any] | None] = {}


def _stream(ruleset: Ruleset, slug: str | None, lang: str) -> dict[str, Any] | None:
    if not slug:
        return None
    key = (id(ruleset), slug, lang)
    if key not in _views:
        rule = ruleset.streams_by_slug.get(slug)
        _views[key] = stream_view(rule, lang) if rule else None
    return _views[key]


def _route(ruleset: Ruleset, slug: str | None, code: str | None, lang: str) -> dict[str, Any] | None:
    """The view of a candidate's route: the stream's, except for the sponsored spouse's open work permit (ruleset
    `sponsored_spouse`), which shares the spousal stream but not its texts (those speak of the spouses of workers
    and students, C41/C42)."""
    rule = ruleset.sponsored_spouse_rule
    if slug != "spousal-open-work-permit" or rule is None or code is None or code != ruleset.sponsored_spouse_code:
        return _stream(ruleset, slug, lang)
    key = (id(ruleset), f"{slug}:{code}", lang)
    if key not in _views:
        _views[key] = {**stream_view(rule, lang), "sponsored": True}  # type: ignore[dict-item]
    return _views[key]




def local_date(lead: Lead, now: datetime) -> date:
    """The lead's own date at `now`, in the time zone its send window uses (crm.sequences.timezones): the
    age-limit day is a day where the lead lives, not in UTC."""
    return zone_local_date(now, lead.country_of_residence, zone_citizenships(lead))


def iec_basis(candidates: list[dict[str, Any]] | None, stream: str | None) -> dict[str, Any] | None:
    """The stored IEC candidate the emails go by, so they name the country the classifier chose and go
    by the same age: the candidate for `stream` when it is an IEC category, else the classifier's best
    IEC candidate (stored best first). None for a classification stored before candidates carried their
    country (Candidate.country): then crm.classify.iec.chosen_country ranks the citizenships again."""
    found = [c for c in candidates or [] if isinstance(c, dict) and isinstance(c.get("country"), str)]
    if stream in CATEGORY_STREAM.values():
        return next((c for c in found if c.get("stream") == stream), None)
    return found[0] if found else None


def lead_age(lead: Lead, today: date, basis: dict[str, Any] | None = None) -> AgeKnowledge | None:
    """The lead's age as the classifier takes it (crm.classify.ages.known_age): the form's date of birth or
    stated age, else the age the classifier read from the message (stored on the IEC candidate)."""
    said = (basis or {}).get("message_age")
    said_age, said_on = None, None
    if isinstance(said, dict) and isinstance(said.get("age"), int) and isinstance(said.get("on"), str):
        try:
            said_age, said_on = said["age"], date.fromisoformat(said["on"])
        except ValueError:
            said_age, said_on = None, None
    stated_on = stated_age_day(lead.stated_age_on, lead.last_inquiry_at, lead_zone(lead))
    age = known_age(today, lead.date_of_birth, lead.stated_age, stated_on, said_age, said_on)
    return age if age is not None and age.plausible else None


def _iec_country(ruleset: Ruleset, lead: Lead, age: AgeKnowledge | None, stream: str | None,
                 basis: dict[str, Any] | None) -> IecCountry | None:
    stored = ruleset.iec_country(basis["country"]) if basis is not None else None
    if stored is not None and stored.status == "active":
        return stored
    return chosen_country(ruleset, list(lead.citizenships or []), age, stream)


def iec_view(ruleset: Ruleset, lead: Lead, lang: str, today: date, stream: str | None = None,
             candidates: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The lead's IEC country and its limits: the citizenship the classifier rests `stream` (the primary
    stream) on, as stored on its candidates, so a dual citizen reads the rules of the country that made
    them eligible. `today` is the lead's local date. None for a Recognized Organization lead (no partner
    citizenship it could use)."""
    if stream == "iec-recognized-organization":
        return None
    basis = iec_basis(candidates, stream)
    age = lead_age(lead, today, basis)
    country = _iec_country(ruleset, lead, age, stream, basis)
    if country is None:
        return None
    categories, slugs = [], []
    for category in country.categories:
        slug = f"iec-{category}"
        view = _stream(ruleset, slug, lang)
        categories.append(view["name"] if view else category)
        slugs.append(slug)
    ages_out = age.ages_out_on(country.max_age) if age and country.max_age is not None else None
    verdict = age_fit(country, age)[0]
    return {
        "code": country.code,
        "country": country_name(country.code, lang),
        "country_the": country_in_text(country.code, lang),  # "the United Kingdom" (English, in a sentence)
        "categories": categories,
        "category_slugs": slugs,
        "min_age": country.min_age,
        "max_age": country.max_age,
        "max_duration_months": country.max_duration_months,
        "unconfirmed": country.confidence == "unconfirmed",
        "age": age.low if age and age.exact else None,
        "ages_out_on": ages_out,
        # Only a date of birth gives the day; from a stated age it is the earliest possible day.
        "ages_out_exact": bool(age and age.exact),
        # Only while the day is ahead (from a stated age: the earliest possible day), by days, not months.
        "age_out_soon": ages_out is not None
        and today < ages_out <= add_months(today, ruleset.age_out_warning_months),
        # From a stated age, once that earliest day has passed: the lead may already be over the limit
        # (not certainly: then the sequence stops), so the emails ask for the date of birth again.
        "may_be_over": ages_out is not None and not (age and age.exact) and ages_out <= today
        and verdict != "ineligible",
        # Certainly over the upper limit today (not too young): the review email says age limits matter.
        "over_limit": verdict == "ineligible" and age is not None and age.low >= (country.min_age or 0),
    }


@dataclass(frozen=True)
class AgedOut:
    """Why an IEC sequence stops: the IEC country the classification rests on, its upper age limit, and
    the day the lead passed it (None from a stated age: only a date of birth gives the day). Stored as
    data on the timeline (`data()`), with the stop key crm.sequences.enrolment.AGED_OUT as the reason:
    the lead page words it in the consultant's language (crm.web.labels)."""

    country: str
    max_age: int
    since: date | None = None

    def data(self) -> dict[str, Any]:
        return {"country": self.country, "max_age": self.max_age,
                "since": self.since.isoformat() if self.since else None}


def iec_aged_out(lead: Lead, stream: str, today: date, ruleset: Ruleset | None = None,
                 candidates: list[dict[str, Any]] | None = None) -> AgedOut | None:
    """For a lead in an IEC sequence: why it must stop (AgedOut) when the lead is now certainly over the
    upper age limit of the IEC country the classification rests on (the best one they could use; from a date
    of birth, or a stated age long enough ago), else None. `today` is the lead's local date; `candidates`
    the current classification's. Later steps would promote a program the lead can no longer apply to."""
    if not stream.startswith("iec-") or stream == "iec-recognized-organization":
        return None
    ruleset = ruleset or load_ruleset()
    basis = iec_basis(candidates, stream)
    age = lead_age(lead, today, basis)
    if age is None:
        return None
    country = _iec_country(ruleset, lead, age, stream, basis)
    if country is None or country.max_age is None:
        return None
    verdict, _, out = age_fit(country, age)
    if verdict != "ineligible" or age.low < (country.min_age or 0):
        return None
    return AgedOut(country.code, country.max_age, out if age.exact else None)


def _candidate(classification: Classification | None, slug: str | None, lang: str = "en") -> dict[str, Any]:
    for candidate in (classification.candidates if classification else None) or []:
        if candidate.get("stream") == slug:
            # The reasons the classifier marked as the consultant's (an age-out day to act on) are not the lead's.
            hidden = candidate.get("consultant_only") or []
            return {"verdict": candidate.get("verdict"),
                    # A quote is the lead's own words: a date in it stays as they wrote it.
                    "reasons": [reason if "“" in reason or "«" in reason else dates_in_words(reason, lang)
                                for reason in candidate.get("reasons") or [] if reason not in hidden],
                    "missing": [item for item in candidate.get("missing") or [] if item not in hidden],
                    "code": candidate.get("exemption_code"),
                    # Why no work permit is needed ("citizen"), on the review candidate of such a lead
                    "no_permit": candidate.get("no_permit")}
    return {"verdict": None, "reasons": [], "missing": [], "code": None, "no_permit": None}


def _message_offer(classification: Classification | None) -> dict[str, Any] | None:
    """The job offer the classifier read from the message (stored on each candidate), if any."""
    for candidate in (classification.candidates if classification else None) or []:
        if isinstance(candidate, dict) and isinstance(candidate.get("message_job_offer"), dict):
            return candidate["message_job_offer"]
    return None


# Words before a country's name that make it where the workers come from ("bakers from France", "des
# travailleurs de France"); a demonym names them ("French bakers") unless it is a language ("French-speaking").
_FROM_WORDS = frozenset({"from", "of", "de", "du", "des", "d"})
_LANGUAGE_AFTER = frozenset({"speaking", "speaker", "speakers", "language", "languages", "test", "level", "skills",
                             "parlant", "parlants", "parlante", "parlantes", "langue", "office", "offices", "branch",
                             "company", "subsidiary", "parent", "headquarters", "team", "market", "client", "clients",
                             "bureau", "bureaux", "filiale", "siege", "societe", "entreprise", "equipe", "marche"})
# Countries where French is an official or everyday language: Mobilité francophone is named to an employer
# hiring from one of them (or from countries it did not say) for a job outside Quebec.
_FRENCH_SPEAKING = frozenset({"FR", "BE", "CH", "LU", "MC", "SN", "CI", "CM", "MA", "TN", "DZ", "HT", "CD", "CG", "GA",
                              "ML", "BF", "NE", "TD", "GN", "BJ", "TG", "MG", "RW", "BI", "DJ", "KM", "CF", "SC", "MU",
                              "LB", "VU"})
_LANGUAGE_BEFORE = frozenset({"speak", "speaks", "speaking", "parle", "parlent", "parlant", "parlants", "in", "en",
                              "langue", "bilingual", "bilingue", "bilingues"})


_NOT_PLURAL = frozenset({"sommes", "etions", "avons", "etes", "vous", "nous", "deux", "trois", "plus", "always",
                         "bureaux", "this", "process", "business", "address", "express"})


def _plural(word: str) -> bool:
    """A plural noun (for people): 'bakers', 'cuisiniers', 'travailleurs'; not a short or common word."""
    return len(word) > 3 and word[-1] in "sx" and word not in _NOT_PLURAL and not word.endswith("ss")


def hire_countries(message: str) -> list[str]:
    """The countries an employer's message says its workers come from (ISO codes, in order): a country named
    after "from"/"de", or a demonym beside a plural noun that is not a language or a business. Canada is never
    one."""
    names, demonyms = name_index(), demonym_index()
    words = fold(message or "").split()
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            key = " ".join(words[i:i + size])
            if len(words[i:i + size]) < size:
                continue
            before = words[i - 1] if i else ""
            after = words[i + size] if i + size < len(words) else ""
            code = None
            if key in names and len(key) > 2 and (before in _FROM_WORDS
                                                  or (before == "the" and i > 1 and words[i - 2] in _FROM_WORDS)):
                code = names[key]
            elif key in demonyms and after not in _LANGUAGE_AFTER and before not in _LANGUAGE_BEFORE and (
                    _plural(after) or _plural(before)):
                # Beside people ("Filipino caregivers", "boulangers français"), not a business ("a French bakery",
                # "une boulangerie française", "an Indian restaurant")
                code = demonyms[key]
            if code and code != "CA":
                if code not in found:
                    found.append(code)
                i += size - 1
                break
        i += 1
    return found


_HIRING_ROUTES = ("global-talent-stream", "intra-company-transferee")


def employer_view(ruleset: Ruleset, classification: Classification | None, facts: dict[str, Any],
                  lang: str) -> dict[str, Any]:
    """What the employer emails say for an employer lead: the routes the classification found for its hire
    (the Global Talent Stream only for a Global Talent occupation, a transfer only with a Canadian office or
    a transfer named), the IEC limits of the workers' countries the message names (IEC is listed for every
    employer), where the job is and what the employer already told us, so that no email asks it again."""
    candidates = [c for c in (classification.candidates if classification else None) or [] if isinstance(c, dict)]
    routes = []
    for candidate in candidates:
        slug = candidate.get("stream")
        if slug in _HIRING_ROUTES and candidate.get("verdict") in ("eligible", "likely"):
            view = _stream(ruleset, slug, lang)
            if view:
                routes.append(view)
    message = str(facts.get("message") or "")
    signals = read_message(message) if message else []
    province = facts.get("job_offer_province")
    if not (isinstance(province, str) and province in PROVINCES):
        province = next((s.value for s in signals if s.kind == "province" and s.value in PROVINCES), None)
    countries = hire_countries(message)
    iec = []
    if any(str(c.get("stream") or "").startswith("iec-") for c in candidates):
        for code in countries:
            country = ruleset.iec_country(code)
            if country is None or country.status != "active":
                continue
            names = []
            for category in country.categories:
                view = _stream(ruleset, f"iec-{category}", lang)
                names.append(view["name"] if view else category)
            iec.append({"country": country_in_text(code, lang), "categories": names,
                        "kinds": list(country.categories),  # "working-holiday", ...: what the employer prepares
                        "min_age": country.min_age, "max_age": country.max_age})
    occupation = facts.get("occupation") or facts.get("noc_code")
    gts = next((s for s in signals if s.kind == "tech"), None)
    return {
        "routes": routes,
        "gts": any(route["slug"] == "global-talent-stream" for route in routes),
        "countries": [country_in_text(code, lang) for code in countries],
        "iec": iec,
        # Mobilité francophone is for a job outside Quebec (the classifier does not list it for employers)
        "francophone": _stream(ruleset, "francophone-mobility", lang)
        if province and province != "QC" and (not countries or _FRENCH_SPEAKING.intersection(countries)) else None,
        "province": province_name(province, lang) if province else None,
        "known": {"job": bool(occupation or gts), "citizenship": bool(countries), "province": bool(province)},
    }


def _without_birth_date(items: list[str]) -> list[str]:
    """The classifier's missing items less its "Date of birth" (stored in the language of the lead's texts)."""
    birth = {translate("Date of birth", code) for code in LANGUAGES}
    return [item for item in items if item not in birth]


def build_context(lead: Lead, classification: Classification | None, sequence: SequenceDef, lang: str,
                  sender: Sender, unsubscribe_url: str, now: datetime,
                  ruleset: Ruleset | None = None) -> dict[str, Any]:
    ruleset = ruleset or load_ruleset()
    primary_slug = classification.primary_stream if classification else sequence.stream
    alternatives = []
    beside_iec = []  # the IEC answer names the lead's IEC categories itself: the other routes
    other_routes = []  # the same routes with what the classification found: why they fit, what to ask
    for candidate in (classification.candidates if classification else None) or []:
        slug = candidate.get("stream")
        if slug and slug not in (primary_slug, "needs-review") and candidate.get("verdict") in ("eligible", "likely"):
            view = _route(ruleset, slug, candidate.get("exemption_code"), lang)
            if view:
                alternatives.append(view)
                if not slug.startswith("iec-"):
                    beside_iec.append(view)
                other_routes.append({**view, **_candidate(classification, slug, lang)})
    facts = dict(lead.facts or {})
    read_offer = _message_offer(classification)
    if facts.get("job_offer") is None and read_offer is not None:
        # The form said nothing of an offer and the message did: the emails go by what the classifier read.
        facts["job_offer"] = read_offer.get("has") is True
        if facts["job_offer"] and not facts.get("job_offer_province"):
            facts["job_offer_province"] = read_offer.get("province")
    candidate = _candidate(classification, primary_slug, lang)
    primary = _route(ruleset, primary_slug, candidate["code"], lang)
    stream = primary if sequence.stream == primary_slug else _stream(ruleset, sequence.stream, lang)
    iec = iec_view(ruleset, lead, lang, local_date(lead, now), primary_slug,
                   classification.candidates if classification else None)
    if iec is not None:
        # "You can apply to" names only the categories the classification found open; the others are
        # what the country takes part in.
        verdicts = {c.get("stream"): c.get("verdict") for c in (classification.candidates if classification else None)
                    or []}
        named = list(zip(iec["category_slugs"], iec["categories"], strict=True))
        iec["open"] = [name for slug, name in named if verdicts.get(slug) in ("eligible", "likely")]
        iec["other_categories"] = [name for slug, name in named if verdicts.get(slug) not in ("eligible", "likely")]
    for_employer = sequence.name == "employer" or (classification is not None
                                                    and classification.lead_type == "employer")
    employer = employer_view(ruleset, classification, facts, lang) if for_employer else None
    known = {"citizenship": bool(lead.citizenships), "date_of_birth": lead.date_of_birth is not None,
             "age": lead.date_of_birth is not None or lead.stated_age is not None,
             "occupation": bool(facts.get("occupation")), "job_offer": facts.get("job_offer") is not None,
             "studies": facts.get("studied_in_canada") is not None
             or facts.get("enrolled_in_post_secondary") is not None,
             "family": facts.get("spouse_status_in_canada") is not None}
    if known["age"] and not (iec and (iec["may_be_over"] or iec["age_out_soon"])):
        # The classifier lists a date of birth as missing after any stated age; the emails ask for it only when
        # the age matters (an IEC limit in doubt or near), as the review and more-info steps do.
        candidate["missing"] = _without_birth_date(candidate["missing"])
        other_routes = [{**route, "missing": _without_birth_date(route["missing"])} for route in other_routes]
    return {
        "lang": lang,
        # For an employer lead: its routes, workers' countries, the job's place and what it told us (else None)
        "employer": employer,
        "lead": {"first_name": lead.first_name, "last_name": lead.last_name or "", "full_name": lead.full_name},
        "stream": stream,
        "primary": primary,
        "candidate": candidate,
        # The exemption code the classification chose (a U.S. citizen fits T36, not every agreement's code),
        # else the program's codes.
        "codes": [candidate["code"]] if candidate["code"] else list((primary or stream or {}).get("codes") or []),
        # The Global Talent Stream's document list is the employer's LMIA file: a worker reads it as what
        # the employer prepares, not as a list of their own.
        "employer_file": sequence.stream == "global-talent-stream" and sequence.name != "employer",
        "alternatives": alternatives[:3],
        # {name, description, code, reasons, missing, ...} of those routes: the in-Canada answer says why each
        # may fit (a graduate of a Canadian school whose primary permit is another one reads about the PGWP)
        "other_routes": other_routes[:3],
        # Everything still to ask, the primary stream's first, then the other routes' (each once)
        "to_ask": list(dict.fromkeys([*candidate["missing"], *(item for route in other_routes[:3]
                                                                 for item in route["missing"])])),
        "routes_beside_iec": beside_iec[:3],
        "iec": iec,
        "facts": {key: facts.get(key) for key in FACT_KEYS},
        # What the lead already gave, so that no email asks for it again.
        "known": known,
        # Where the offer is (the form's "employer" field is the lead's current employer, not the offer's).
        "offer_province": province_name(facts["job_offer_province"], lang)
        if isinstance(facts.get("job_offer_province"), str) and facts["job_offer_province"] in PROVINCES else None,
        "residence": country_name(lead.country_of_residence, lang) if lead.country_of_residence else None,
        # True in Canada, False abroad, None unknown: the in-Canada emails speak of applying from inside Canada
        # (status, working without a gap) only to a lead there, and conditionally to one whose residence is unknown.
        "in_canada": (lead.country_of_residence.upper() == "CA") if lead.country_of_residence else None,
        "consultant": (lead.assignee.name or None) if lead.assignee_id is not None and lead.assignee is not None
        else None,
        "business": {"name": sender.name, "address": sender.address, "contact": sender.contact,
                     "licence": sender.licence, "website": sender.base_url},
        "unsubscribe_url": unsubscribe_url,
    }
