"""The intake contract's fields (shared/docs/intake-contract.md), validated with pydantic.

Validation only checks shapes and ranges; turning names into codes is normalise.py's job, so that
an unknown country is kept as typed (and flagged later) rather than refused.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from crm.countries import fold_words, lookup_country
from crm.text import NOT_ONE_LINE

LIST_FIELDS = frozenset({"citizenships"})
BOOLEAN_FIELDS = frozenset(
    {"job_offer", "employer_has_canadian_office", "owns_business", "enrolled_in_post_secondary",
     "studied_in_canada", "pr_application_pending", "consent_marketing"}
)
# Characters that never belong in a one-line field: they would let a value break out of an email
# header or a CSV cell. Multi-line fields (message, consent wording) only refuse NUL.
_NUL = re.compile(r"\x00")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _strip(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.strip() if isinstance(value, str) else value


# Characters that show nothing by themselves: controls, format characters (zero-width space and
# joiners, soft hyphen, bidi marks, BOM), separators (spaces of every width) and combining marks without
# a letter to sit on (variation selectors, the grapheme joiner).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def _visible(text: str) -> bool:
    return any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)


def _name(value: Any) -> Any:
    """Trimmed, in Unicode's composed form (NFC) before its length is checked: the form that is stored,
    searched and emailed. Some letters (Devanagari क़) become two code points in NFC; counted as typed,
    a name under the limit could be over it once stored. A name of invisible characters only ("\u200b")
    is no name: blank, as an empty one."""
    value = _strip(value)
    if isinstance(value, str) and not _visible(value):
        return None
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


# Booleans as French forms send them too ("oui"/"non"), beside what pydantic reads (true/false/yes/no/on/1/0).
_FRENCH_BOOLEANS = {"oui": True, "vrai": True, "non": False, "faux": False}


def _boolean(value: Any) -> Any:
    """Trimmed like every other field (" yes " is yes), in either language."""
    value = _strip(value)
    if isinstance(value, str):
        return _FRENCH_BOOLEANS.get(value.lower(), value)
    return value


# A website's language select often posts the language's name, or its three-letter ISO 639-2 code,
# rather than a tag: a lead is not refused for writing "Français" where "fr" was expected.
_LANGUAGE_NAMES = {
    "english": "en", "anglais": "en", "eng": "en",
    "french": "fr", "francais": "fr", "fra": "fr", "fre": "fr",
}


def _language_tag(value: Any) -> Any:
    """'fr-CA', 'fr_CA', 'EN-us' -> 'fr' / 'en': a browser's or a form builder's language tag names its
    language first (BCP 47); the region is dropped. 'Français', 'English', 'fra' name one too."""
    value = _lower(value)
    if isinstance(value, str):
        folded = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
        return _LANGUAGE_NAMES.get(folded, re.split(r"[-_]", value, maxsplit=1)[0])
    return value


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    if NOT_ONE_LINE.search(value):
        raise ValueError("must be a single line without control characters")
    if _SURROGATE.search(value):
        raise ValueError("contains invalid Unicode")
    return value


def _wording(value: Any) -> Any:
    """The consent wording, trimmed; one of invisible characters only ("\u200b") proves nothing was
    shown, so it is no wording: the consent is then implied, as without one."""
    value = _strip(value)
    return None if isinstance(value, str) and not _visible(value) else value


def _multi_line(value: str | None) -> str | None:
    if value is None:
        return None
    if _NUL.search(value):
        raise ValueError("must not contain NUL characters")
    if _SURROGATE.search(value):
        raise ValueError("contains invalid Unicode")
    return value


def _text_length(max_length: int) -> Any:
    """A multi-line field's length limit with a line break counted as one character, CRLF included:
    browsers send a textarea's line breaks as CRLF while its maxlength counts each as one, so a full
    textarea would be over the limit. The value itself is kept as sent."""
    def check(value: str | None) -> str | None:
        if value is not None and len(value) - value.count("\r\n") > max_length:
            raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                      {"max_length": max_length})
        return value
    return AfterValidator(check)


def _as_list(value: Any) -> Any:
    """'FR, IE' or ['FR', 'IE'] -> ['FR', 'IE']; a form's repeated field arrives as a list already."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if isinstance(item, str) and not item.strip():
                # An unused select ("Second citizenship: None" on /apply) posts an empty value.
                continue
            if isinstance(item, str) and "," in item and lookup_country(item, allow_close=False) is None:
                # "France, Ireland" is two countries; "Korea, Republic of" is one ISO name, also in a list.
                items.extend(_comma_list(item))
            elif isinstance(item, str):
                items.append(item.strip())
            else:
                items.append(item)
        return items
    return value


def _comma_list(text: str) -> list[str]:
    """'Korea, Republic of, France' -> ['Korea, Republic of', 'France']: comma-separated countries, where
    a part and the one after it that together make a country name (ISO writes some so) stay together."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    items: list[str] = []
    index = 0
    while index < len(parts):
        pair = ", ".join(parts[index:index + 2])
        if index + 1 < len(parts) and lookup_country(pair, allow_close=False) is not None:
            items.append(pair)
            index += 2
            continue
        items.append(parts[index])
        index += 1
    return items


def _date_string(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        # Written right, but no such day ("1998-02-29", "2000-13-01"): the format is not the mistake.
        raise ValueError("this date does not exist: check the day and the month") from None


def _past_date(value: date | None) -> date | None:
    if value is None:
        return None
    if value > date.today():
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be in 1900 or later")
    return value


def _lower(value: Any) -> Any:
    value = _strip(value)
    return value.lower() if isinstance(value, str) else value


# The obvious other spellings of the enumerated fields' values, as websites' selects post them: the
# English and French labels of the /apply page's options, and everyday words in both languages.
# Keys are written as _choice_key makes them (lower case, no accents, words joined by "_").
ABILITY_WORDS = {
    "aucun": "none", "aucune": "none", "nothing": "none", "rien": "none",
    "notions": "basic", "beginner": "basic", "debutant": "basic", "debutante": "basic", "elementary": "basic",
    "elementaire": "basic", "de_base": "basic", "basique": "basic",
    "intermediaire": "intermediate",
    "avance": "advanced", "avancee": "advanced",
    "langue_maternelle": "native", "maternelle": "native", "natif": "native", "mother_tongue": "native",
    "native_speaker": "native", "first_language": "native",
}
INTEREST_WORDS = {
    "work_in_canada": "work", "working": "work", "travail": "work", "travailler": "work",
    "travailler_au_canada": "work", "emploi": "work",
    "hire_a_foreign_worker_i_am_an_employer": "hire", "hiring": "hire", "employer": "hire",
    "embaucher": "hire", "embaucher_un_travailleur_etranger_je_suis_employeur": "hire", "employeur": "hire",
    "recruter": "hire",
    "start_or_run_a_business_in_canada": "business", "affaires": "business", "entreprise": "business",
    "creer_ou_exploiter_une_entreprise_au_canada": "business",
    "study_or_work_after_my_studies": "study", "studies": "study", "studying": "study", "etudes": "study",
    "etudier": "study", "etudier_ou_travailler_apres_mes_etudes": "study",
    "join_my_spouse_or_partner_in_canada": "family", "famille": "family",
    "rejoindre_mon_conjoint_ou_ma_conjointe_au_canada": "family",
    "something_else": "other", "autre": "other", "autre_chose": "other",
}
SPOUSE_WORDS = {
    "no": "none", "non": "none", "aucun": "none", "aucune": "none", "n_a": "none", "not_applicable": "none",
    "sans_objet": "none", "not_in_canada": "none", "not_in_canada_not_applicable": "none",
    "pas_au_canada": "none", "pas_au_canada_sans_objet": "none",
    "travailleur": "worker", "travailleuse": "worker", "travailleur_ou_travailleuse": "worker",
    "etudiant": "student", "etudiante": "student", "etudiant_ou_etudiante": "student",
    # /apply offers "a permanent resident or citizen" as one choice: a citizen spouse reads the same.
    "pr": "permanent_resident", "permanent_resident_or_citizen": "permanent_resident",
    "resident_permanent": "permanent_resident", "residente_permanente": "permanent_resident",
    "resident_permanent_ou_citoyen": "permanent_resident", "rp": "permanent_resident",
    "citizen": "permanent_resident", "canadian_citizen": "permanent_resident",
    "citoyen": "permanent_resident", "citoyenne": "permanent_resident",
    "citoyen_canadien": "permanent_resident", "citoyenne_canadienne": "permanent_resident",
}
_ARTICLES = frozenset({"a", "an", "un", "une"})


def _choice_key(text: str) -> str:
    """'Permanent Resident', 'permanent-resident', ' a permanent resident ' -> 'permanent_resident';
    'Résident permanent' -> 'resident_permanent'."""
    words = fold_words(text)
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return "_".join(words)


def _choice(words: dict[str, str]) -> Any:
    """An enumerated field read the way booleans are: trimmed, any case, spaces or hyphens for the
    underscores, and the other words in `words`. Anything else is left for the Literal to refuse."""
    def read(value: Any) -> Any:
        value = _strip(value)
        if not isinstance(value, str):
            return value
        key = _choice_key(value)
        return words.get(key, key) if key else value
    return read


def _no_float_age(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value.strip() if isinstance(value, str) else value


def _integer_as_text(value: Any) -> Any:
    """A whole number where text is expected (a website's number input, a spreadsheet column sent as
    JSON numbers: `"phone": 4165550101`) is read as its digits. A decimal number or a boolean says
    nothing certain about the digits meant (4.1e9, true): refused with a message saying what is read."""
    if isinstance(value, bool | float):
        raise ValueError("must be text or a whole number")
    if isinstance(value, int) and value >= 0:
        return str(value)
    return _strip(value)


def _noc_digits(value: Any) -> Any:
    """A NOC code sent as a JSON number has lost its leading zeros (00012 arrives as 12): every NOC
    2021 code has five digits, so a whole number is padded back to five; a longer one stays refused."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return f"{value:05d}"
    return _ascii_digits(_integer_as_text(value))


def _ascii_digits(value: Any) -> Any:
    """'２１２３１' (full-width, from an East Asian keyboard) -> '21231'.

    The ruleset's NOC lists are ASCII: a code kept in other digits would be accepted and then match
    nothing. Only decimal digits are mapped; the pattern refuses anything else.
    """
    value = _strip(value)
    if isinstance(value, str):
        return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)
    return value


_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")  # "1,500" is no decimal: refused as before


def _no_bool_number(value: Any) -> Any:
    # pydantic would read true as 1 year; "nan" and "inf" are refused by allow_inf_nan=False.
    value = _blank_to_none(value)
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, str):
        value = value.strip()
        # "1,5": a decimal comma, as French (and most of the world's) forms write numbers.
        return value.replace(",", ".") if _DECIMAL_COMMA.match(value) else value
    return value


def _optional_text(max_length: int, after: Any = _one_line, before: Any = _strip) -> Any:
    """An optional string: blank means absent; the length limit applies to strings only."""
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, BeforeValidator(before),
                     AfterValidator(after)]


def _multi_line_text(max_length: int, before: Any = _strip) -> Any:
    """An optional multi-line string: blank means absent; a CRLF counts as one character of the limit."""
    return Annotated[str | None, BeforeValidator(before), AfterValidator(_multi_line), _text_length(max_length)]


Name = Annotated[Annotated[str, Field(max_length=100)] | None, BeforeValidator(_name), AfterValidator(_one_line)]
Short = _optional_text(200)
Url = _optional_text(2000)
Bool = Annotated[bool | None, BeforeValidator(_boolean)]
Ability = Annotated[Literal["none", "basic", "intermediate", "advanced", "native"] | None,
                    BeforeValidator(_choice(ABILITY_WORDS))]
CountryText = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_one_line)]


class IntakeFields(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    # Field before the validators: its limits then apply to the string itself (string_too_long), not
    # as a generic length check after them ("Value should have at most 100 items").
    first_name: Annotated[str, Field(min_length=1, max_length=100), BeforeValidator(_name),
                          AfterValidator(_one_line)]
    last_name: Name = None
    email: Annotated[str, Field(max_length=320), BeforeValidator(_strip), AfterValidator(_one_line)]
    phone: _optional_text(64, before=_integer_as_text) = None
    citizenships: Annotated[list[CountryText], BeforeValidator(_as_list), Field(max_length=5)] = []
    nationality: Annotated[CountryText | None, BeforeValidator(_strip)] = None
    country_of_residence: Annotated[CountryText | None, BeforeValidator(_strip)] = None
    date_of_birth: Annotated[date | None, BeforeValidator(_date_string), AfterValidator(_past_date)] = None
    age: Annotated[Annotated[int, Field(ge=0, le=120)] | None, BeforeValidator(_no_float_age)] = None
    preferred_language: Annotated[Literal["en", "fr"] | None, BeforeValidator(_language_tag)] = None
    french_ability: Ability = None
    english_ability: Ability = None
    interest: Annotated[Literal["work", "hire", "business", "study", "family", "other"] | None,
                        BeforeValidator(_choice(INTEREST_WORDS))] = None
    occupation: Short = None
    noc_code: Annotated[Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None, BeforeValidator(_noc_digits)] = None
    job_offer: Bool = None
    job_offer_province: _optional_text(60) = None
    employer_name: Short = None
    company_name: Short = None
    years_with_employer: Annotated[Annotated[float, Field(ge=0, le=70, allow_inf_nan=False)] | None,
                                   BeforeValidator(_no_bool_number)] = None
    employer_has_canadian_office: Bool = None
    owns_business: Bool = None
    enrolled_in_post_secondary: Bool = None
    studied_in_canada: Bool = None
    spouse_status_in_canada: Annotated[
        Literal["none", "worker", "student", "permanent_resident"] | None, BeforeValidator(_choice(SPOUSE_WORDS))
    ] = None
    pr_application_pending: Bool = None
    message: _multi_line_text(5000, _blank_to_none) = None
    consent_marketing: Bool = None
    consent_text: _multi_line_text(2000, _wording) = None
    source_url: Url = None
    utm_source: Short = None
    utm_medium: Short = None
    utm_campaign: Short = None
    form_id: Short = None
    # Honeypot: any value at all marks the submission as spam; never an error.
    website: Any = None


_MESSAGES = {
    "missing": "This field is required.",
    "string_type": "Must be a string.",
    "bool_parsing": "Must be true or false (true/false, yes/no, on, 1/0).",
    "bool_type": "Must be true or false (true/false, yes/no, on, 1/0).",
    "int_parsing": "Must be a whole number.",
    "int_type": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "float_parsing": "Must be a number.",
    "float_type": "Must be a number.",
    "list_type": "Must be a list of strings.",
    "date_from_datetime_parsing": "Must be a date written YYYY-MM-DD.",
    "date_parsing": "Must be a real date written YYYY-MM-DD.",
    "date_type": "Must be a date written YYYY-MM-DD.",
    "string_pattern_mismatch": "Must be a NOC 2021 code of five digits.",
    "int_parsing_size": "Must be a whole number.",
    "string_unicode": "Must be valid text.",
    "finite_number": "Must be a finite number.",
}


# Messages with a value of the error filled in (the French /apply page translates them by these
# templates): pydantic's error type -> the template, whose placeholder is the error's context key.
MESSAGE_TEMPLATES = {
    "string_too_long": "Must be at most {max_length} characters.",
    "too_long": "Must have at most {max_length} items.",
    "less_than_equal": "Must be at most {le}.",
    "greater_than_equal": "Must be at least {ge}.",
    "literal_error": "Must be one of: {expected}.",
}


def _limit_text(value: Any) -> str:
    """A limit as a person writes it: pydantic gives a float field's bounds as floats ("0.0", "70.0"),
    and writes a literal's choices "'a', 'b' or 'c'" (a plain list reads in either language)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(" or ", ", ")


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as {field: [message, ...]}: the contract's 422 body."""
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "body"
        kind = item["type"]
        if kind == "string_type" and item.get("input") is None and len(item["loc"]) == 1:
            message = _MESSAGES["missing"]
        elif kind in _MESSAGES:
            message = _MESSAGES[kind]
        elif kind in MESSAGE_TEMPLATES:
            values = {key: _limit_text(value) for key, value in item.get("ctx", {}).items()}
            message = MESSAGE_TEMPLATES[kind].format_map(values)
        elif kind == "value_error":
            text = str(item["ctx"]["error"]).rstrip(".")
            message = text[:1].upper() + text[1:] + "."
        else:
            message = item["msg"].rstrip(".") + "."
        if len(item["loc"]) > 1 and isinstance(item["loc"][1], int):
            message = f"Item {item['loc'][1] + 1}: {message}"
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return errors


def validate_fields(payload: dict[str, Any]) -> IntakeFields:
    """Raise pydantic.ValidationError for invalid fields; unknown fields are ignored."""
    return IntakeFields.model_validate(payload)
