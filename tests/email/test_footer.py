"""The plain-text footer is wrapped at 76 columns like the rest of the text (lead trial: the unsubscribe line was
78 characters in English, 81 in French), and an employer's footer says it asked about hiring, not 'about working
in Canada'. Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.rendering import RenderedEmail
from tests.email.helpers import T0, classified_inquiry


def _all(db: Database, settings: Settings, lead_id: str) -> list[RenderedEmail]:
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return preview(session, lead, settings=settings, now=T0)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_plain_text_line_fits_76_columns(db: Database, smtp_settings: Settings, language: str) -> None:
    lead_id = classified_inquiry(db, first_name="Aoife", email=f"aoife.footer.{language}@example.ie",
                                 citizenships=["IE"], date_of_birth="1998-04-12", preferred_language=language)
    for email in _all(db, smtp_settings, lead_id):
        long = [line for line in email.text.splitlines() if len(line) > 76 and not line.startswith("http")]
        assert not long, (email.template, long)
        assert email.html.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("language", "why", "not_why"), [
    ("en", "You receive this email because you asked us about hiring a foreign worker.", "about working in Canada"),
    ("fr", "Vous recevez ce courriel parce que vous nous avez écrit au sujet de l'embauche d'un travailleur étranger.",
     "au sujet du travail au Canada"),
])
def test_an_employers_footer_says_it_asked_about_hiring(db: Database, smtp_settings: Settings, language: str,
                                                        why: str, not_why: str) -> None:
    lead_id = classified_inquiry(db, first_name="Marc", email=f"marc.footer.{language}@example.ca", interest="hire",
                                 company_name="Boulangerie Tremblay", preferred_language=language)
    emails = _all(db, smtp_settings, lead_id)
    assert emails and emails[0].template == "answer-employer"
    for email in emails:
        assert why in " ".join(email.text.split()), email.template
        assert why.replace("'", "&#39;") in email.html or why in email.html, email.template
        assert not_why not in email.text and not_why not in email.html
