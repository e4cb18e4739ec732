"""Loads tests/classify/corpus.yaml into classifier inputs (shared by the tests and the benchmark)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from crm.classify.model import LeadInput
from crm.countries import lookup_country

CORPUS_FILE = Path(__file__).parent / "corpus.yaml"


def load_corpus() -> tuple[date, list[dict[str, Any]]]:
    data = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
    return data["today"], data["leads"]


def lead_input(spec: dict[str, Any], today: date) -> LeadInput:
    """What intake would have stored for this lead: typed countries resolved or kept as unknown."""
    citizenships = list(spec.get("citizenships") or [])
    unknown: list[str] = []
    for typed in spec.get("typed_citizenships") or []:
        match = lookup_country(typed)
        if match is None:
            unknown.append(typed)
        elif match.code not in citizenships:
            citizenships.append(match.code)
    return LeadInput(
        citizenships=citizenships, country_of_residence=spec.get("country_of_residence"),
        date_of_birth=spec.get("date_of_birth"), stated_age=spec.get("stated_age"),
        stated_age_on=spec.get("stated_age_on"), facts=dict(spec.get("facts") or {}), unknown_countries=unknown,
        messages=list(spec.get("messages") or []), language=spec.get("language", "en"), today=today,
        is_spam=bool(spec.get("is_spam")),
    )
