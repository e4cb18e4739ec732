"""email-validator's messages about an internationalised domain, in the /apply page's language.

email-validator words them "The part after the @-sign is invalid (<the idna library's error>)."; the
library's error is technical English ("Codepoint U+2615 at position 1 of '☕' not allowed"). The French
page says the same in French: the head by the catalogue, the detail by the kind of error it names.
"""

from __future__ import annotations

import re
import unicodedata

from crm.i18n import translate

# email-validator's heads (crm/data/i18n/apply.fr.yaml translates each, with its {detail}).
_HEADS = tuple(
    (template, re.compile(re.escape(template).replace(r"\{detail\}", "(?P<detail>.+)")))
    for template in (
        "The part after the @-sign contains invalid characters ({detail}).",
        "The part after the @-sign is invalid ({detail}).",
        "The part after the @-sign is not valid IDNA ({detail}).",
        "The part after the @-sign became invalid after normalizing to international characters ({detail}).",
    )
)

# The idna library's errors by kind -> the catalogue's wording of that kind ({code}, {char} filled in).
_CODEPOINT = re.compile(r"(?:Codepoint|Joiner) U\+(?P<hex>[0-9A-F]{4,6}) (?:at position|not allowed)")
_DETAILS = (
    (re.compile(r"Unknown codepoint adjacent to joiner"), "IDNA: a joining character in the wrong place"),
    (re.compile(r"A-label|Punycode"), "IDNA: a Punycode (xn--) part that is not valid"),
    (re.compile(r"directionality|direction for codepoint|numeral types"),
     "IDNA: right-to-left and left-to-right writing mixed in one part"),
    (re.compile(r"illegal combining character"), "IDNA: a part that begins with an accent on its own"),
    (re.compile(r"Normalization Form C"), "IDNA: characters not in their composed form (NFC)"),
    (re.compile(r"hyphens in 3rd and 4th position"), "IDNA: hyphens in the 3rd and 4th positions"),
    (re.compile(r"start or end with a hyphen"), "IDNA: a part that begins or ends with a hyphen"),
    (re.compile(r"too long"), "IDNA: a part that is too long"),
    (re.compile(r"Empty"), "IDNA: an empty part"),
)
_SHOWABLE = frozenset("LNPS")  # letters, digits, punctuation, symbols: what can be shown by itself


def translated_idna_error(message: str, language: str) -> str | None:
    """`message` in `language` when it is one of email-validator's messages about the domain with the
    idna library's detail in parentheses; None for any other message."""
    for template, pattern in _HEADS:
        matched = pattern.fullmatch(message)
        if matched is not None:
            return translate(template, language, detail=_detail(matched["detail"], language))
    return None


def _detail(detail: str, language: str) -> str:
    codepoint = _CODEPOINT.match(detail)
    if codepoint is not None:
        code = f"U+{codepoint['hex']}"
        char = chr(int(codepoint["hex"], 16))
        if unicodedata.category(char)[0] in _SHOWABLE:
            return translate("IDNA: the character {char} ({code}) is not allowed", language, char=char, code=code)
        return translate("IDNA: the invisible character {code} is not allowed", language, code=code)
    for pattern, wording in _DETAILS:
        if pattern.search(detail):
            return translate(wording, language)
    return detail  # a kind not listed here: the library's own words rather than none


# The characters people paste into an address without seeing them, described in the page's language
# (crm/data/i18n/apply.fr.yaml); email-validator names them by their English Unicode names.
_DESCRIBED = {
    "SPACE": "character: space",
    "NO-BREAK SPACE": "character: no-break space",
    "NARROW NO-BREAK SPACE": "character: narrow no-break space",
    "SOFT HYPHEN": "character: soft hyphen",
    "ZERO WIDTH SPACE": "character: zero width space",
    "ZERO WIDTH NON-JOINER": "character: zero width non-joiner",
    "ZERO WIDTH JOINER": "character: zero width joiner",
    "WORD JOINER": "character: word joiner",
    "ZERO WIDTH NO-BREAK SPACE": "character: byte order mark",
    "CHARACTER TABULATION": "character: tab",
}
_CODE = re.compile(r"U\+[0-9A-F]{4,8}")


def translated_characters(detail: str, language: str) -> str:
    """email-validator's list of the characters it refused ("ZERO WIDTH NON-JOINER, 'é'."), in `language`.

    A character shown by itself (quoted) stays as it is; one named by its English Unicode name becomes
    its code point, with a description for the usual invisible ones: "U+200C (antiliant sans chasse)".
    """
    if language == "en":
        return detail
    body, dot = (detail[:-1], ".") if detail.endswith(".") else (detail, "")
    return ", ".join(_character(item, language) for item in body.split(", ")) + dot


def _character(item: str, language: str) -> str:
    if item[:1] in "'\"" or _CODE.fullmatch(item):
        return item
    try:
        char = unicodedata.lookup(item)
    except KeyError:
        return item  # not a character name: the library's own words rather than none
    code = f"U+{ord(char):04X}"
    description = _DESCRIBED.get(unicodedata.name(char, ""))
    return f"{code} ({translate(description, language)})" if description else code
