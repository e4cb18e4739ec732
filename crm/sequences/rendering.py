"""Rendering: each step is one Jinja template per language (templates/email/steps/<name>.<lang>.j2)
with a `subject` block and a `body` written once with the filters in markup.py. The same source is
rendered twice: as plain text (no escaping, wrapped at 76 columns) and as HTML (autoescaped, inline
styles, on layout.j2), so the text part is always complete on its own.

Lead-supplied text never reaches a header unchecked: CR, LF, NUL and other control characters are
replaced before the email.message API sees them (which would refuse them anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from crm.config import PROJECT_ROOT
from crm.i18n import translate, translator
from crm.mail.message import MailMessage, address, compose
from crm.sequences import markup
from crm.text import NOT_ONE_LINE

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "email"
# Runs of white space become one space, except a no-break space, which French punctuation keeps (" :" in a subject).
_SPACES = re.compile(r"[^\S\u00a0]+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def header_safe(value: str, limit: int = 300) -> str:
    """One line of text for a header: control characters (CR, LF, NUL, bidi overrides, ...) become spaces
    (text stored before the intake refused them, or from elsewhere than the intake)."""
    return _SPACES.sub(" ", NOT_ONE_LINE.sub(" ", value or "")).strip()[:limit]


def _date(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if lang == "fr":
        months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre")
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {months[value.month - 1]} {value.year}"
    return f"{value:%B} {value.day}, {value.year}"


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_in_words(text: str, lang: str) -> str:
    """Text for the lead with its ISO dates written in the lead's language ("Since 2025-01-21" ->
    "Since January 21, 2025", "21 janvier 2025"): program descriptions in the ruleset carry dates."""

    def word(found: re.Match[str]) -> str:
        try:
            return _date(date(int(found[1]), int(found[2]), int(found[3])), lang)
        except ValueError:
            return found[0]

    return _ISO_DATE.sub(word, text)


def de(value: Any) -> str:
    """French "de" before a name, elided before a vowel: "d'EIC Vacances-Travail", "de Mobilité francophone";
    contracted with an article `le` put there: "du Volet des talents mondiaux", "des mutations..."."""
    text = str(value)
    if text.startswith("le "):
        return "du " + text[3:]
    if text.startswith("les "):
        return "des " + text[4:]
    return ("d'" if text[:1].lower() in "aeiouyàâéèêëîïôùûœ" else "de ") + text


# The article a French program name takes in a sentence ("l'essentiel sur le permis de travail postdiplôme",
# "pour les mutations à l'intérieur d'une société"), by the name's first word: (article, whether the name is a
# common noun, written in lower case after it). A name not listed (IEC's: "EIC Vacances-Travail") takes none.
_FRENCH_ARTICLES = {
    "volet": ("le ", False), "mobilité": ("la ", False), "permis": ("le ", True), "mutations": ("les ", True),
    "professionnels": ("les ", True), "entrepreneurs": ("les ", True), "emploi": ("l'", True),
    "avantage": ("l'", True), "examen": ("l'", True),
}


def le(value: Any) -> str:
    """A French program name with its article, for "sur"/"pour"/"à" phrases: "le Volet des talents mondiaux",
    "le permis de travail postdiplôme (PTPD)", "l'emploi réciproque", "EIC Vacances-Travail" (no article)."""
    return _with_article(str(value), _FRENCH_ARTICLES)


# The same for English program names in a sentence ("the documents to gather for the post-graduation work permit
# (PGWP)", "the essentials about intra-company transferees"): (article, whether the name is a common noun, written
# in lower case). Names not listed (IEC's, "Francophone Mobility (Mobilité francophone)") stay as they are.
_ENGLISH_ARTICLES = {
    "global": ("the ", False), "open": ("the ", True), "post-graduation": ("the ", True), "bridging": ("the ", True),
    "entrepreneurs": ("", True), "intra-company": ("", True), "reciprocal": ("", True), "free": ("", True),
    "significant": ("", True),
}


def the(value: Any) -> str:
    """An English program name as a sentence needs it after "for"/"about": "the Global Talent Stream (...)", "the
    bridging open work permit", "intra-company transferees", "IEC Working Holiday" (no article)."""
    return _with_article(str(value), _ENGLISH_ARTICLES)


def _with_article(text: str, articles: dict[str, tuple[str, bool]]) -> str:
    """`text` with the article its first word takes in `articles`, lower-cased when the name is a common noun."""
    found = articles.get(text.split(" ", 1)[0].lower())
    if found is None:
        return text
    article, common = found
    return article + (text[:1].lower() + text[1:] if common else text)


def _series(values: Any, lang: str) -> str:
    """A list in a sentence: "A, B and C" ("A, B et C" in French)."""
    items = [str(value) for value in values]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if lang == "fr" else " and ") + items[-1]


def _capfirst(value: Any) -> str:
    """The first letter upper-case, the rest as it is (Jinja's capitalize lowers the rest)."""
    text = str(value)
    return text[:1].upper() + text[1:]


# Names a plain dict has as attributes (items, get, keys...): for those, `d.name` in a template must
# still mean the method, as in Jinja's own lookup.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's environment with a shortcut for `value.name` on the plain dicts the email context is made
    of. Jinja tries getattr() first, which raises (and catches) an AttributeError for every key looked up
    on a dict: dozens per email. Same results: a dict attribute still wins, a missing key is undefined."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _environment(html: bool) -> Environment:
    env = _Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, auto_reload=False)
    env.globals.update(html=html, list_start=markup.list_start(html), list_end=markup.list_end(html))
    env.filters.update(markup.filters(html))
    env.filters["longdate"] = _date
    env.filters["de"] = de
    env.filters["le"] = le
    env.filters["the"] = the
    env.filters["series"] = _series
    env.filters["capfirst"] = _capfirst
    env.filters["tr"] = translate
    return env


@cache
def _envs() -> tuple[Environment, Environment]:
    return _environment(html=False), _environment(html=True)


@cache
def _templates(name: str, lang: str) -> tuple[Template, Template]:
    text_env, html_env = _envs()
    path = f"steps/{name}.{lang}.j2"
    return text_env.get_template(path), html_env.get_template(path)


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    step: int | None = None
    status: str = "scheduled"  # sent, scheduled, queued, skipped, failed, ...
    due_at: datetime | None = None
    sent_at: datetime | None = None
    template: str = ""
    content_key: str = ""
    language: str = "en"
    message_id: str | None = None
    note: str | None = None


def render(template: str, lang: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) for one step. Raises jinja2 errors for a broken template."""
    text_template, html_template = _templates(template, lang)
    values = {**context, "t": translator(lang), "lang": lang}
    # One context for the subject block and the text body (what Template.render does, minus a second context).
    text_ctx = text_template.new_context(values)
    try:
        subject = markup.french_spaces(header_safe("".join(text_template.blocks["subject"](text_ctx))))
        text = "".join(text_template.root_render_func(text_ctx))
    except Exception:
        text_template.environment.handle_exception()  # re-raises with the template's line numbers, as render() does
    text = _BLANK_LINES.sub("\n\n", text).strip() + "\n"
    values["subject"] = subject
    html = html_template.render(values)
    return subject, text, html


# A lead's whole name (first and last, up to 100 characters each, and the space between): the To line never
# cuts it; the composer folds a long one.
NAME_LIMIT = 201


@lru_cache(maxsize=16)
def _date_header(now: datetime) -> str:
    """The Date header (a batch of emails shares its moment)."""
    return format_datetime(now)


@cache
def address_parts(mail_from: str) -> tuple[str, str, str]:
    """(display name, local part, domain) of CRM_MAIL_FROM."""
    name, addr = parseaddr(mail_from)
    local, _, domain = addr.partition("@")
    return header_safe(name), local or "no-reply", domain or "localhost"


def build_message(*, subject: str, text: str, html: str, mail_from: str, to_name: str, to_address: str,
                  reply_token: str, unsubscribe_url: str, now: datetime, message_id: str | None = None,
                  extra: dict[str, str] | None = None) -> MailMessage:
    """A multipart/alternative message with the CASL and RFC 8058 headers."""
    name, local, domain = address_parts(mail_from)
    sender = f"{local}@{domain}"
    message_id = message_id or make_msgid(domain=domain)
    headers = {
        "From": address(name, sender),
        "To": address(header_safe(to_name, NAME_LIMIT), header_safe(to_address, 320)),
        # Replies go to the firm's own mailbox (plus-addressing) and carry the lead's token for matching.
        "Reply-To": address(name, f"{local}+{reply_token}@{domain}"),
        "Subject": header_safe(subject),
        "Date": _date_header(now),
        "Message-ID": message_id,
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    for key, value in (extra or {}).items():
        headers[key] = header_safe(value)
    return MailMessage(sender=sender, recipients=[header_safe(to_address, 320)],
                       data=compose(list(headers.items()), text, html), message_id=message_id, headers=headers)
