"""Country names, aliases, nationality adjectives and ISO codes, in English and French.

ISO 3166 comes from pycountry (names, official names, common names and their French
translations); everyday names it lacks are data in crm/data/country_aliases.yaml, and so are the
citizenships ISO does not list (Kosovo, XK: `unlisted_countries`).
"""

from __future__ import annotations

import difflib
import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

ALIASES_FILE = Path(__file__).parent / "data" / "country_aliases.yaml"
ARTICLES_FILE = Path(__file__).parent / "data" / "country_articles.yaml"


def fold_words(text: str) -> list[str]:
    """The words of a text lower-cased, without accents or punctuation: 'Côte d’Ivoire' -> ['cote', 'd', 'ivoire']."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", stripped.casefold()).split()


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Côte d’Ivoire' -> 'cote d ivoire'."""
    words = fold_words(text)
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class CountryMatch:
    code: str
    name: str
    how: str  # code, name, alias, demonym, close-match


@cache
def _index() -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                for name in (value, french.gettext(value)):
                    names.setdefault(fold(name), country.alpha_2)
                    # ISO writes "Korea, Republic of" / "Corée, République de"; people write it the
                    # other way round, which a close match would otherwise read as another country
                    # ("République de Corée" came out as Cyprus).
                    head, comma, tail = name.partition(", ")
                    if comma:
                        names.setdefault(fold(f"{tail} {head}"), country.alpha_2)
    for code, unlisted in _unlisted().items():
        for language in ("en", "fr"):
            names.setdefault(fold(unlisted[language]), code)
    data = _aliases_file()
    for section in ("aliases", "demonyms"):
        for word, code in data[section].items():
            # YAML 1.1 reads an unquoted NO (Norway) as false: a bad value must stop here, not turn
            # every inquiry that names the country into a 500 at lookup time.
            if not isinstance(code, str) or not is_known_code(code):
                raise ValueError(f"{ALIASES_FILE.name}: {section} {word!r} maps to {code!r}, "
                                 "not an ISO 3166-1 alpha-2 code (quote codes such as \"NO\") "
                                 "nor one of unlisted_countries")
    for alias, code in data["aliases"].items():
        names[fold(alias)] = code
    for code, shown in _display_names().items():
        for name in shown.values():
            names.setdefault(fold(name), code)
    demonyms = {fold(word): code for word, code in data["demonyms"].items()}
    return names, demonyms


@cache
def _aliases_file() -> dict[str, Any]:
    """crm/data/country_aliases.yaml, read once."""
    data: dict[str, Any] = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))
    return data


@cache
def _unlisted() -> dict[str, dict[str, str]]:
    """Citizenships ISO 3166-1 does not list, by their user-assigned code: {"XK": {"en": ..., "fr": ...,
    "alpha_3": ...}}. A code ISO has taken since would be read twice: refused."""
    unlisted: dict[str, dict[str, str]] = _aliases_file().get("unlisted_countries") or {}
    for code, entry in unlisted.items():
        if (not isinstance(code, str) or len(code) != 2 or not code.isupper()
                or pycountry.countries.get(alpha_2=code) is not None
                or not all(isinstance(entry.get(key), str) for key in ("en", "fr", "alpha_3"))):
            raise ValueError(f"{ALIASES_FILE.name}: unlisted_countries {code!r} needs a two-letter code "
                             "that ISO 3166-1 does not list, and en, fr and alpha_3")
    return unlisted


def is_known_code(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code, or the code of a citizenship ISO does not list (XK, Kosovo)."""
    return pycountry.countries.get(alpha_2=code) is not None or code in _unlisted()


@cache
def _display_names() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = _aliases_file().get("display_names") or {}
    for code in names:
        if not isinstance(code, str) or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{ALIASES_FILE.name}: display_names {code!r} is not an ISO 3166-1 alpha-2 code")
    return names


@cache
def country_name(code: str, language: str = "en") -> str:
    """The name people use for a country, in English or French (the ISO name unless display_names in
    crm/data/country_aliases.yaml gives an everyday one)."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        unlisted = _unlisted().get(code)
        return unlisted.get(language, unlisted["en"]) if unlisted else code
    shown = _display_names().get(code, {}).get(language)
    if shown:
        return shown
    if language == "fr":
        french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
        return french.gettext(country.name)
    return getattr(country, "common_name", None) or country.name


@cache
def _takes_the() -> frozenset[str]:
    data = yaml.safe_load(ARTICLES_FILE.read_text(encoding="utf-8")) or {}
    return frozenset(str(code).upper() for code in data.get("en_the") or [])


def country_in_text(code: str, language: str) -> str:
    """The country's name as a sentence writes it after "of" or "for": "the United Kingdom", "France"
    (crm/data/country_articles.yaml). French puts the name after a colon or in parentheses: no article."""
    name = country_name(code, language)
    return f"the {name}" if language == "en" and code.upper() in _takes_the() else name


@lru_cache(maxsize=4096)
def lookup_country(text: str, *, allow_close: bool = True) -> CountryMatch | None:
    """Resolve what a person typed to an ISO alpha-2 code, or None when it is not a country.

    Cached: the answer depends on the text alone (the tables are fixed), and intake asks the same
    few questions ("France", "Ireland") over and over; a close match costs a difflib scan.
    """
    if not text or len(text) > 100:
        return None
    stripped = text.strip()
    if len(stripped) in (2, 3) and stripped.isascii() and stripped.isalpha():
        upper = stripped.upper()
        if upper == "UK":
            return CountryMatch("GB", country_name("GB"), "alias")
        country = pycountry.countries.get(alpha_2=upper) if len(upper) == 2 else None
        country = country or (pycountry.countries.get(alpha_3=upper) if len(upper) == 3 else None)
        if country is not None:
            return CountryMatch(country.alpha_2, country_name(country.alpha_2), "code")
        for code, unlisted in _unlisted().items():
            if upper in (code, unlisted["alpha_3"]):
                return CountryMatch(code, country_name(code), "code")
    key = fold(stripped)
    if not key:
        return None
    names, demonyms = _index()
    if key in names:
        return CountryMatch(names[key], country_name(names[key]), "name")
    if key in demonyms:
        return CountryMatch(demonyms[key], country_name(demonyms[key]), "demonym")
    if allow_close and len(key) >= 5:
        close = difflib.get_close_matches(key, list(names) + list(demonyms), n=1, cutoff=0.84)
        if close:
            code = names.get(close[0]) or demonyms[close[0]]
            return CountryMatch(code, country_name(code), "close-match")
    return None


def demonym_index() -> dict[str, str]:
    """Folded nationality adjectives to ISO codes (for reading free text)."""
    return dict(_index()[1])


def name_index() -> dict[str, str]:
    """Folded country names and aliases to ISO codes (for reading free text)."""
    return dict(_index()[0])


@cache
def all_country_options(language: str) -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name in that language, for select boxes."""
    codes = [country.alpha_2 for country in pycountry.countries] + list(_unlisted())
    options = [(code, country_name(code, language)) for code in codes]
    return sorted(options, key=lambda option: fold(option[1]))
