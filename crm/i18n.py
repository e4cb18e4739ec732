"""Interface text in English and French. Keys are English phrases; missing French falls back."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

CATALOG_DIR = Path(__file__).parent / "data" / "i18n"
LANGUAGES = ("en", "fr")


@cache
def _catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob(f"*.{language}.yaml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def translate(text: str, language: str, **values: object) -> str:
    translated = _catalog(language).get(text, text) if language != "en" else text
    return translated.format(**values) if values else translated


def translator(language: str) -> Callable[..., str]:
    def t(text: str, **values: object) -> str:
        return translate(text, language, **values)

    return t
