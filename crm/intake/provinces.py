"""Canadian provinces and territories by code, English name and French name."""

from __future__ import annotations

from crm.countries import fold

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

_EXTRA = {"newfoundland": "NL", "pei": "PE", "nwt": "NT", "yukon territory": "YT", "la belle province": "QC"}


def _index() -> dict[str, str]:
    index = {fold(code): code for code in PROVINCES}
    for code, (english, french) in PROVINCES.items():
        index[fold(english)] = code
        index[fold(french)] = code
    index.update(_EXTRA)
    return index


_BY_NAME = _index()


def lookup_province(text: str) -> str | None:
    return _BY_NAME.get(fold(text))


def province_name(code: str, language: str = "en") -> str:
    english, french = PROVINCES.get(code, (code, code))
    return french if language == "fr" else english
