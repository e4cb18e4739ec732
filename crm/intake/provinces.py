"""Canadian provinces and territories by code, English name and French name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from crm.countries import fold

CITIES_FILE = Path(__file__).parent.parent / "data" / "canadian_cities.yaml"
FOREIGN_CITIES_FILE = Path(__file__).parent.parent / "data" / "foreign_cities.yaml"

PROVINCES: dict[str, tuple[str, str]] = {
    "AB": ("Alberta", "Alberta"),
    "BC": ("British Columbia", "Colombie-Britannique"),
    "MB": ("Manitoba", "Manitoba"),
    "NB": ("New Brunswick", "Nouveau-Brunswick"),
    "NL": ("Newfoundland and Labrador", "Terre-Neuve-et-Labrador"),
    "NS": ("Nova Scotia", "Nouvelle-Écosse"),
    "NT": ("Northwest Territories", "Territoires du Nord-Ouest"),
    "NU": ("Nunavut", "Nunavut"),
    "ON": ("Ontario", "Ontario"),
    "PE": ("Prince Edward Island", "Île-du-Prince-Édouard"),
    "QC": ("Quebec", "Québec"),
    "SK": ("Saskatchewan", "Saskatchewan"),
    "YT": ("Yukon", "Yukon"),
}

# Other names and the traditional abbreviations people write (Canada Post's older forms, the
# Translation Bureau's French ones), dots and hyphens left out: "B.C." and "C.-B." are "bc" and "cb".
_EXTRA = {
    "newfoundland": "NL", "terre neuve": "NL", "nfld": "NL", "labrador": "NL", "tnl": "NL", "nf": "NL",
    "pei": "PE", "ipe": "PE", "idupe": "PE", "ile du prince edouard": "PE",
    "nwt": "NT", "tno": "NT",
    "yukon territory": "YT", "yuk": "YT", "yn": "YT",
    "la belle province": "QC", "que": "QC", "pq": "QC",
    "alta": "AB", "alb": "AB",
    "cb": "BC",
    "man": "MB",
    "ont": "ON",
    "sask": "SK",
    "nvt": "NU", "nun": "NU",
}


def _compact(text: str) -> str:
    """`fold` without the spaces between letters: 'B.C.', 'b c' and 'BC' are all 'bc'."""
    return fold(text).replace(" ", "")


def _index() -> dict[str, str]:
    index = {_compact(code): code for code in PROVINCES}
    for code, (english, french) in PROVINCES.items():
        index[_compact(english)] = code
        index[_compact(french)] = code
    index.update({_compact(name): code for name, code in _EXTRA.items()})
    return index


_BY_NAME = _index()


def lookup_province(text: str) -> str | None:
    return _BY_NAME.get(_compact(text))


def province_name(code: str, language: str = "en") -> str:
    english, french = PROVINCES.get(code, (code, code))
    return french if language == "fr" else english


@cache
def _cities() -> dict[str, str]:
    """crm/data/canadian_cities.yaml, less the names that are also large cities abroad ("London")."""
    canadian: dict[str, str] = yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8"))["cities"]
    foreign = set(yaml.safe_load(FOREIGN_CITIES_FILE.read_text(encoding="utf-8"))["cities"])
    return {fold(name): code for name, code in canadian.items() if fold(name) not in foreign}


def canadian_city(text: str) -> str | None:
    """The province of a large Canadian city named in `text` ("Regina", "Trois-Rivières"), else None."""
    return _cities().get(fold(text))
