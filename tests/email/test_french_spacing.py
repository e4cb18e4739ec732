"""French emails keep a no-break space before : ; ! ? and » (and after «) in the subject and the HTML part as in the
text part (lead trial: the text part had them, the HTML part and the subject had ordinary spaces, so a mail client
could start a line with ": vos prochaines étapes"; the footer's "Numéro de permis : ..." had none in either part).
Fails without the fix."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from tests.email.helpers import T0, classified_inquiry

# An ordinary space (or a line break) where French wants a no-break space.
_BREAKABLE = re.compile(r"[ \t\r\n][:;!?»]|«[ \t\r\n]")
_TAG = re.compile(r"<[^>]*>")

LEADS: dict[str, dict[str, Any]] = {
    "iec": {"citizenships": ["France"], "date_of_birth": "1999-06-01",
            "message": "Je voudrais faire un PVT au Canada : est-ce possible ?"},
    "employer": {"interest": "hire", "company_name": "Boulangerie Tremblay",
                 "message": "Nous voulons embaucher des boulangers français pour notre boulangerie de Moncton."},
    "spouse": {"citizenships": ["Cameroon"], "spouse_status_in_canada": "worker", "interest": "family"},
    "review": {"interest": "other", "message": "Bonjour, j'ai une question."},
}


def _visible(document: str) -> str:
    """The words a reader sees in the HTML part: the body, without tags, entities decoded."""
    return html.unescape(_TAG.sub("", document.split("<body", 1)[1]))


@pytest.mark.parametrize("kind", sorted(LEADS))
def test_french_punctuation_keeps_its_no_break_space_in_both_parts(db: Database, smtp_settings: Settings,
                                                                     kind: str) -> None:
    lead_id = classified_inquiry(db, first_name="Éloïse", email=f"spacing.{kind}@example.fr", preferred_language="fr",
                                 **LEADS[kind])
    settings = Settings(**{**smtp_settings.__dict__, "licence_number": "R-123456"})
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        emails = preview(session, lead, settings=settings, now=T0)
    assert len(emails) > 1 and "Numéro de permis\u00a0: R-123456" in emails[0].html
    for email in emails:
        text = "\n".join(line for line in email.text.splitlines() if not line.startswith("http"))
        parts = (("subject", email.subject), ("Subject header", email.headers["Subject"]), ("text", text),
                 ("html", _visible(email.html)))
        for part, words in parts:
            found = [words[max(0, m.start() - 30):m.end() + 10] for m in _BREAKABLE.finditer(words)]
            assert not found, (email.template, part, found)
