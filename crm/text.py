"""Text rules shared by the intake (what a one-line field may hold) and the emails (what a header may)."""

from __future__ import annotations

import re
import unicodedata

# Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional embedding,
# override and isolate controls: one-line text is printed in email subjects and headers, where U+202E
# ("right-to-left override") would reverse the rest of the line. Right-to-left names need none of them.
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# Latin letters that Unicode does not decompose into a base letter and an accent, as people type them
# on a keyboard without them ("Østergaard" as "ostergaard", "Yılmaz" as "yilmaz"), and the typographic
# apostrophes and dashes that phones and word processors put in names ("O’Brien", "Saint–Exupéry") as
# the ASCII ones a keyboard types. The same query is matched against email addresses, whose ASCII
# hyphens and apostrophes stay as they are (an address holds no curly ones).
_AS_TYPED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                           "ħ": "h", "ŧ": "t", "\u2019": "'", "\u2018": "'", "\u02bc": "'",
                           "\u2010": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})


def search_key(text: str) -> str:
    """Text as the queue's search compares it: accents dropped, case folded and letters written as
    people type them without accents, so that "hernandez" finds "Hernández", "ostergaard" finds
    "Østergaard" and "ZOË" finds "Zoë" on SQLite as on PostgreSQL (SQLite's lower() folds ASCII only)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_AS_TYPED)


# Apostrophes are dropped inside a name ("O'Brien" is typed "obrien", "D'Angelo" "dangelo"); any other
# character that is not a letter or a digit separates words ("Jean-Pierre" is "jean pierre", "St. John"
# "st john", "García,  María" "garcia maria").
_APOSTROPHES = re.compile(r"['`]")
_WORD = re.compile(r"[^\W_]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def name_key(text: str) -> str:
    """A name (or a company's) as the queue's search compares it: `search_key`, without apostrophes,
    its words separated by one space."""
    return " ".join(_WORD.findall(_APOSTROPHES.sub("", search_key(text))))


def search_text_of(first_name: str | None, last_name: str | None, company: str | None = None,
                   email_key: str | None = None) -> str:
    """`Lead.search_text`: the name as typed without punctuation ("siobhan obrien", whose start the
    indexed search matches), then the words an apostrophe joined ("o brien": "brien" finds O'Brien when
    the search looks at later words), the German spelling without umlauts ("juergen mueller"), the
    company's name (its later words: "logistics") and the email address (as it was: its own index,
    `Lead.email_key`, serves the search; kept whole, its dots and dashes start no word)."""
    name = " ".join(part for part in (first_name, last_name) if part)
    key = name_key(name)
    # German names as written without umlauts: "mueller" finds Müller among later words.
    german = name_key(unicodedata.normalize("NFC", name).translate(_UMLAUTS))
    variants = dict.fromkeys(part for part in (_split_words(name), german, name_key(company or ""),
                                               _split_words(company or "")) if part and part != key)
    return " ".join(part for part in (key, *variants, search_key(email_key or "")) if part)


def _split_words(text: str) -> str:
    """The words of `text` with an apostrophe separating them too ("o brien", "l etoile")."""
    return " ".join(_WORD.findall(search_key(text)))


def company_of(facts: dict[str, object] | None, lead_type: str | None) -> str | None:
    """The company a lead stands for, as the lead page's header names it: the form's company name, else
    the employer named by someone who wants to hire (a worker's current employer is not their company)."""
    facts = facts or {}
    company = facts.get("company_name")
    if not company and (lead_type == "employer" or facts.get("interest") == "hire"):
        company = facts.get("employer_name")
    return company if isinstance(company, str) and company.strip() else None


def company_key(company: str | None) -> str | None:
    """`Lead.company_key`: the company's name as the search compares it (None when there is none)."""
    return name_key(company)[:100] or None if company else None
