"""Rendering: each step is one Jinja template per language (templates/email/steps/<name>.<lang>.j2)
with a `subject` block and a `body` written once with the macros in _macros.j2. The same source is
rendered twice: as plain text (no escaping, wrapped at 76 columns) and as HTML (autoescaped, inline
styles, on layout.j2), so the text part is always complete on its own.

Lead-supplied text never reaches a header unchecked: CR, LF, NUL and other control characters are
replaced before the email.message API sees them (which would refuse them anyway).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from crm.config import PROJECT_ROOT
from crm.i18n import translate, translator

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "email"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def header_safe(value: str, limit: int = 300) -> str:
    """One line of text for a header: control characters (CR, LF, NUL, ...) become spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value or "")).strip()[:limit]


def _squash(value: Any) -> Any:
    text = _SPACES.sub(" ", str(value)).strip()
    return Markup(text) if isinstance(value, Markup) else text


def _wrap(value: str, indent: str = "", width: int = 76) -> str:
    return textwrap.fill(str(value), width=width, initial_indent=indent,
                         subsequent_indent=" " * len(indent), break_long_words=False, break_on_hyphens=False)


def _date(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if lang == "fr":
        months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre")
        return f"{value.day} {months[value.month - 1]} {value.year}"
    return f"{value:%B} {value.day}, {value.year}"


def _environment(html: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, auto_reload=False)
    env.globals["html"] = html
    env.filters["squash"] = _squash
    env.filters["wrap"] = _wrap
    env.filters["longdate"] = _date
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
    subject_ctx = text_template.new_context(values)
    subject = header_safe("".join(text_template.blocks["subject"](subject_ctx)))
    text = _BLANK_LINES.sub("\n\n", text_template.render(values)).strip() + "\n"
    html = html_template.render({**values, "subject": subject})
    return subject, text, html


def address_parts(mail_from: str) -> tuple[str, str, str]:
    """(display name, local part, domain) of CRM_MAIL_FROM."""
    name, addr = parseaddr(mail_from)
    local, _, domain = addr.partition("@")
    return header_safe(name), local or "no-reply", domain or "localhost"


def build_message(*, subject: str, text: str, html: str, mail_from: str, to_name: str, to_address: str,
                  reply_token: str, unsubscribe_url: str, now: datetime, message_id: str | None = None,
                  extra: dict[str, str] | None = None) -> EmailMessage:
    """A multipart/alternative message with the CASL and RFC 8058 headers."""
    name, local, domain = address_parts(mail_from)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(display_name=name, username=local, domain=domain)
    to_local, _, to_domain = to_address.partition("@")
    message["To"] = Address(display_name=header_safe(to_name, 100), username=header_safe(to_local),
                            domain=header_safe(to_domain))
    # Replies go to the firm's own mailbox (plus-addressing) and carry the lead's token for matching.
    message["Reply-To"] = Address(display_name=name, username=f"{local}+{reply_token}", domain=domain)
    message["Subject"] = header_safe(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    for key, value in (extra or {}).items():
        message[key] = header_safe(value)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def headers_of(message: EmailMessage) -> dict[str, str]:
    return {key: str(value) for key, value in message.items()
            if key.lower() not in ("content-type", "content-transfer-encoding", "mime-version")}
