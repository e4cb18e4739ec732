"""Turn validated fields into the values stored on a lead: ISO countries, E.164 phones, ages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from crm.countries import CountryMatch, country_name, lookup_country
from crm.intake.provinces import canadian_city, lookup_province
from crm.intake.schema import IntakeFields

# Fields copied onto the lead's facts as they are (after validation).
FACT_FIELDS = (
    "french_ability", "english_ability", "interest", "occupation", "noc_code", "job_offer",
    "employer_name", "company_name", "years_with_employer", "employer_has_canadian_office",
    "owns_business", "enrolled_in_post_secondary", "studied_in_canada", "spouse_status_in_canada",
    "pr_application_pending", "message",
)


# How a free-text citizenship field lists several countries ("France / Ireland", "British and Irish",
# "France et Irlande"). Not the hyphen: "French-Canadian" is one Canadian, not two citizenships.
_COUNTRY_SEPARATORS = re.compile(r"\s*[;/&|+]\s*|\s+(?:and|et)\s+", re.IGNORECASE)


def countries_in(text: str) -> list[CountryMatch] | None:
    """The countries a citizenship answer names: the whole text as one country, else every part of a
    list written with ';', '/', '&', 'and', 'et'..., each an exact name, code or demonym (no guessing at
    misspellings once the text is cut up). None when it is not read."""
    match = lookup_country(text)
    if match is not None:
        return [match]
    parts = [part for part in _COUNTRY_SEPARATORS.split(text) if part.strip()]
    if len(parts) < 2:
        return None
    matches = [lookup_country(part, allow_close=False) for part in parts]
    return None if None in matches else [m for m in matches if m is not None]


def residence_in(text: str) -> CountryMatch | None:
    """The country of residence, also when written after the city ("Paris, France", "Montréal, Canada").

    A Canadian province or territory typed where the country was asked ("Québec", "Ontario", "BC",
    "Toronto, ON") is Canada, `how` "province" (the inquiry notes it); a country's own name or code
    comes first ("NL" is the Netherlands, "PE" Peru), a guess at a misspelt country after; after a large
    Canadian city a province code is the province ("Regina, SK").
    """
    match = lookup_country(text, allow_close=False) or _in_a_province(text) or lookup_country(text)
    if match is None and "," in text:
        head, tail = text.rsplit(",", 1)
        # A Canadian city makes the code after it a province, not the country sharing it ("Regina, SK",
        # "Halifax, NL"); "Bratislava, SK" and "Amsterdam, NL" keep their country.
        canadian = canadian_city(head) is not None and lookup_province(tail) is not None
        match = (_in_a_province(tail) if canadian else None) or lookup_country(tail, allow_close=False) \
            or _in_a_province(tail)
    return match


def _in_a_province(text: str) -> CountryMatch | None:
    return CountryMatch("CA", country_name("CA"), "province") if lookup_province(text) else None


class NormaliseError(ValueError):
    """Field-level problems found while normalising (same shape as a 422 body)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class NormalisedInquiry:
    first_name: str
    last_name: str | None
    email: str
    email_key: str
    phone: str | None
    phone_e164: str | None
    citizenships: list[str]
    unknown_countries: list[str]
    country_of_residence: str | None
    date_of_birth: date | None
    stated_age: int | None
    preferred_language: str | None
    job_offer_province: str | None
    consent_marketing: bool
    consent_text: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    # How ambiguous input was read: {"note": code, ...values} (crm.web.labels.intake_note has the words).
    notes: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = {
            "first_name": self.first_name, "last_name": self.last_name, "email": self.email,
            "phone": self.phone, "phone_e164": self.phone_e164, "citizenships": self.citizenships,
            "unknown_countries": self.unknown_countries, "country_of_residence": self.country_of_residence,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "age": self.stated_age, "preferred_language": self.preferred_language,
            "job_offer_province": self.job_offer_province, "consent_marketing": self.consent_marketing,
            "notes": self.notes,
        }
        data.update(self.facts)
        return data


def normalise_email(address: str) -> tuple[str, str]:
    """(address to write to, identity key). Raises NormaliseError when it is not an address."""
    try:
        # Mail servers without SMTPUTF8 cannot deliver to a non-ASCII mailbox name: refuse it now rather
        # than accept a lead we can never answer. Internationalised domains become their ASCII form.
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise NormaliseError({"email": [str(exc)]}) from exc
    normalised = result.ascii_email or result.normalized
    return normalised, normalised.casefold()


def normalise_phone(raw: str, region: str | None, other_region: str | None = None) -> str | None:
    """E.164, or None when it does not parse as a valid number. A national number is read in `region`
    (Canada when unknown), else in `other_region`; "00 33 ..." is read as "+33 ...", the prefix most of
    the world dials abroad with (Canada's is 011, so in Canada's plan "0033" is not international)."""
    number = _valid_number(raw, region or "CA")
    if number is None and other_region:
        number = _valid_number(raw, other_region)
    if number is None and raw.lstrip().startswith("00"):
        number = _valid_number("+" + raw.lstrip()[2:], None)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid_number(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise(fields: IntakeFields, today: date | None = None) -> NormalisedInquiry:
    errors: dict[str, list[str]] = {}
    notes: list[dict[str, str]] = []
    email = email_key = ""
    try:
        email, email_key = normalise_email(fields.email)
    except NormaliseError as exc:
        errors.update(exc.errors)

    citizenships: list[str] = []
    unknown: list[str] = []
    typed = [*fields.citizenships, *([fields.nationality] if fields.nationality else [])]
    for text in typed:
        matches = countries_in(text)
        if matches is None:
            if text not in unknown:
                unknown.append(text)
            continue
        for match in matches:
            if match.how == "close-match":
                notes.append({"note": "citizenship-read-as", "typed": text, "country": match.code})
            if match.code not in citizenships:
                citizenships.append(match.code)

    residence: str | None = None
    if fields.country_of_residence:
        match = residence_in(fields.country_of_residence)
        if match is None:
            # Once, when the citizenship was the same unread name: the consultant reviews it once.
            if fields.country_of_residence not in unknown:
                unknown.append(fields.country_of_residence)
        else:
            residence = match.code
            if match.how in ("close-match", "province"):
                notes.append({"note": "residence-read-as", "typed": fields.country_of_residence,
                              "country": match.code})

    province: str | None = None
    if fields.job_offer_province:
        province = lookup_province(fields.job_offer_province)
        if province is None:
            # Kept as typed in the inquiry, like an unknown country: the lead is not refused for it.
            notes.append({"note": "province-not-read", "typed": fields.job_offer_province})

    if fields.date_of_birth and fields.age is not None:
        born, on = fields.date_of_birth, today or datetime.now(UTC).date()
        from_birth = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if abs(from_birth - fields.age) > 1:  # a year apart is a birthday near the day, not a contradiction
            notes.append({"note": "birth-date-and-age-disagree", "date_of_birth": born.isoformat(),
                          "age": str(fields.age), "age_from_birth_date": str(from_birth)})
        else:
            notes.append({"note": "birth-date-over-age"})

    if errors:
        raise NormaliseError(errors)

    # A national number is read where the lead lives (Canada when not given), else in their one
    # country of citizenship ("06 12 34 56 78" from a French citizen who gave no residence).
    citizenship = citizenships[0] if len(citizenships) == 1 and not residence else None
    phone_e164 = normalise_phone(fields.phone, residence, citizenship) if fields.phone else None
    facts = {name: getattr(fields, name) for name in FACT_FIELDS if getattr(fields, name) is not None}
    if fields.job_offer_province:
        # None when unreadable: the lead's earlier province, if any, is no longer known to be right.
        facts["job_offer_province"] = province
    return NormalisedInquiry(
        # One spelling per name (a name typed with combining accents equals its composed form, made so
        # by validation): for search, de-duplication and the emails; the raw body keeps what was sent.
        first_name=fields.first_name,  # NFC already (see schema._name)
        last_name=fields.last_name,
        email=email,
        email_key=email_key,
        phone=fields.phone,
        phone_e164=phone_e164,
        citizenships=citizenships,
        unknown_countries=unknown,
        country_of_residence=residence,
        date_of_birth=fields.date_of_birth,
        stated_age=None if fields.date_of_birth else fields.age,
        preferred_language=fields.preferred_language,
        job_offer_province=province,
        consent_marketing=bool(fields.consent_marketing),
        consent_text=fields.consent_text,
        facts=facts,
        notes=notes,
    )
