"""Interface text in English and French. Keys are English phrases; missing French falls back."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

CATALOG_DIR = Path(__file__).parent / "data" / "i18n"
LANGUAGES = ("en", "fr")


@cache
def _catalog(language: str) -> dict[str, str | dict[str, str]]:
    merged: dict[str, str | dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob(f"*.{language}.yaml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


# Which count takes a language's singular form: French writes "0 ignoré" and "1 ignoré", "2 ignorés".
_SINGULAR = {"fr": lambda count: count < 2}


def translate(text: str, language: str, **values: object) -> str:
    """`text` (an English phrase, the catalogue key) in `language`, with `values` filled in.

    A catalogue entry may give plural forms, `{one: ..., other: ..., by: name}`: the form is chosen by
    the value named `by` (default `count`) with that language's rule.
    """
    entry = _catalog(language).get(text, text) if language != "en" else text
    if isinstance(entry, dict):
        count = values.get(entry.get("by", "count"))
        singular = isinstance(count, int) and _SINGULAR.get(language, lambda n: n == 1)(count)
        entry = entry["one"] if singular else entry["other"]
    return entry.format(**values) if values else entry


def translator(language: str) -> Callable[..., str]:
    def t(text: str, **values: object) -> str:
        return translate(text, language, **values)

    return t


# Short, frequent words of each language (articles, pronouns, greetings): enough to tell a French
# message from an English one without a language model. Words both languages use ("a", "on") are left out.
_FRENCH_WORDS = frozenset({"je", "j", "suis", "et", "le", "la", "les", "des", "du", "une", "un", "pour",
    "avec", "bonjour", "merci", "nous", "vous", "est", "dans", "que", "qui", "pas", "mon", "ma", "mes", "ai",
    "au", "aux", "ce", "cette", "sur", "votre", "notre", "voudrais", "souhaite"})
_ENGLISH_WORDS = frozenset({"i", "i'm", "im", "am", "the", "and", "to", "is", "my", "for", "with", "hello",
    "hi", "thanks", "have", "you", "we", "are", "in", "of", "an", "this", "our", "your", "it", "be", "would",
    "like"})
_WORD = re.compile(r"[^\W\d_]+(?:'m)?")


def message_language(text: str | None) -> str | None:
    """The language ("fr" or "en") a message is clearly written in: three or more of that language's
    common words and at least twice as many as of the other's; else None."""
    if not text:
        return None
    words = _WORD.findall(text.casefold().replace("\u2019", "'"))
    french = sum(word in _FRENCH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if french >= 3 and french >= 2 * english:
        return "fr"
    if english >= 3 and english >= 2 * french:
        return "en"
    return None
