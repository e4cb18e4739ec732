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
