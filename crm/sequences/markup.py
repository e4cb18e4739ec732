"""The building blocks of email bodies, as Jinja filters: each step's body is written once with them
and rendered twice, as plain text (wrapped, no markup) and as HTML (inline styles, since many mail
clients ignore <style>). Plain Python filters rather than Jinja macros: several times faster.

In a template: {% filter p %}...{% endfilter %} (paragraph), {% filter li %} (list item between
{{ list_start() }} and {{ list_end() }}), {% filter note %} (highlighted box), {{ "Title"|h }},
{{ items|ul }} (a whole list), {{ name|b }} (bold).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from markupsafe import Markup, escape

FONT = "font-family:Arial,Helvetica,sans-serif;"
P_STYLE = f"{FONT}margin:0 0 16px;font-size:16px;line-height:1.55;color:#1f2933;"
H_STYLE = f"{FONT}margin:24px 0 12px;font-size:18px;line-height:1.3;color:#102a43;"
UL_STYLE = f"{FONT}margin:0 0 16px;padding:0 0 0 22px;font-size:16px;line-height:1.55;color:#1f2933;"
LI_STYLE = "margin:0 0 6px;"
NOTE_STYLE = (f"{FONT}padding:12px 16px;background-color:#fff7e6;border-left:4px solid #d97706;font-size:15px;"
              "line-height:1.5;color:#1f2933;")


def squash(value: Any) -> str:
    """Collapse the template's line breaks and indentation into single spaces: runs of space, tab, CR
    and LF become one space (exactly re.sub(r"[ \t\r\n]+", " ", value).strip(), several times faster
    with str.replace: this runs for every paragraph of every email)."""
    text = str(value).replace("\n", " ").replace("\t", " ").replace("\r", " ")
    while "  " in text:
        text = text.replace("    ", " ").replace("  ", " ")
    return text.strip()


def french_spaces(text: str) -> str:
    """French puts a space before : ; ! ? and inside guillemets; a line must never start with that mark,
    so those spaces become no-break spaces (on squashed text: single spaces only)."""
    for mark in ":;!?»":
        text = text.replace(" " + mark, "\u00a0" + mark)
    return text.replace("« ", "«\u00a0")


@cache
def _wrapper(width: int) -> re.Pattern[str]:
    # A line is up to `width` characters ending at a space; a longer word (a URL) is a line of its own.
    # Only plain spaces break lines: no-break spaces keep French punctuation with its word.
    return re.compile(r"(.{1," + str(width) + r"})(?: +|$)|([^ ]+)(?: +|$)")


def wrap(text: str, indent: str = "", width: int = 76) -> str:
    """Greedy word wrap in one regular-expression pass (textwrap.fill is several times slower);
    long words (URLs) are never broken."""
    text = french_spaces(squash(text))
    if len(text) + len(indent) <= width:
        return indent + text
    hang = "\n" + " " * len(indent)
    lines = [a or b for a, b in _wrapper(width - len(indent)).findall(text)]
    return indent + hang.join(line for line in lines if line)


def _text_filters() -> dict[str, Callable[..., Any]]:
    return {
        "p": lambda s: wrap(squash(s)) + "\n\n",
        "li": lambda s: wrap(squash(s), "  - ") + "\n",
        "note": lambda s: wrap(squash(s), "> ") + "\n\n",
        "h": lambda s: squash(s).upper() + "\n\n",
        "ul": lambda items: "".join(wrap(squash(i), "  - ") + "\n" for i in items) + "\n",
        "b": lambda s: s,
        "squash": squash,
        "wrap": wrap,
    }


def _safe(value: Any) -> Markup:
    """Markup from a filter block is already escaped; anything else (data) is escaped here. French spacing as in
    the text part: a browser wraps HTML lines too, and must not start one with a colon."""
    if isinstance(value, Markup):
        return Markup(french_spaces(squash(value)))
    return Markup(french_spaces(str(escape(squash(value)))))


def _html_ul(items: Iterable[Any]) -> Markup:
    inner = "".join(f'<li style="{LI_STYLE}">{_safe(i)}</li>\n' for i in items)
    return Markup(f'<ul style="{UL_STYLE}">\n{inner}</ul>\n')


def _html_filters() -> dict[str, Callable[..., Any]]:
    return {
        "p": lambda s: Markup(f'<p style="{P_STYLE}">{_safe(s)}</p>\n'),
        "li": lambda s: Markup(f'<li style="{LI_STYLE}">{_safe(s)}</li>\n'),
        "note": lambda s: Markup('<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
                                 f'style="margin:0 0 16px;"><tr><td style="{NOTE_STYLE}">{_safe(s)}</td></tr>'
                                 "</table>\n"),
        "h": lambda s: Markup(f'<h2 style="{H_STYLE}">{_safe(s)}</h2>\n'),
        "ul": _html_ul,
        "b": lambda s: Markup(f"<strong>{escape(s)}</strong>"),
        "squash": _safe,
        "wrap": lambda s, *_a: s,
    }


def filters(html: bool) -> dict[str, Callable[..., Any]]:
    return _html_filters() if html else _text_filters()


def list_start(html: bool) -> Callable[[], str]:
    return (lambda: Markup(f'<ul style="{UL_STYLE}">\n')) if html else (lambda: "")


def list_end(html: bool) -> Callable[[], str]:
    return (lambda: Markup("</ul>\n")) if html else (lambda: "\n")
