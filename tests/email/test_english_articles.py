"""English program names read as English in a sentence (lead trial: "the documents to gather for Bridging open work
permit", "Dates to watch for Post-graduation work permit (PGWP)", "the essentials about Intra-company transferees",
"For Entrepreneurs and self-employed owner-operators, your business plan"), from one table
(crm.sequences.rendering.the), as French names take theirs (|le). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.rendering import the
from tests.email.helpers import T0, new_lead
from tests.email.test_in_canada_answer import _flat


def test_an_english_program_name_takes_its_article() -> None:
    assert the("Global Talent Stream (Temporary Foreign Worker Program)") == \
        "the Global Talent Stream (Temporary Foreign Worker Program)"
    assert the("Post-graduation work permit (PGWP)") == "the post-graduation work permit (PGWP)"
    assert the("Bridging open work permit") == "the bridging open work permit"
    assert the("Intra-company transferees") == "intra-company transferees"
    assert the("Entrepreneurs and self-employed owner-operators") == "entrepreneurs and self-employed owner-operators"
    assert the("IEC Working Holiday") == "IEC Working Holiday"  # a name of its own: as it is
    assert the("Francophone Mobility (Mobilité francophone)") == "Francophone Mobility (Mobilité francophone)"


@pytest.mark.parametrize(("stream", "phrases"), [
    ("post-graduation-work-permit", ["the documents to gather for the post-graduation work permit (PGWP).",
                                     "what to gather for the post-graduation work permit (PGWP).",
                                     "Dates to watch for the post-graduation work permit (PGWP)",
                                     "the essentials about the post-graduation work permit (PGWP).",
                                     "you asked us about the post-graduation work permit (PGWP)."]),
    ("global-talent-stream", ["the file for the Global Talent Stream",
                              "the essentials about the Global Talent Stream",
                              "For the Global Talent Stream (Temporary Foreign Worker Program),"]),
    ("entrepreneur", ["For entrepreneurs and self-employed owner-operators, your business plan",
                      "the essentials about entrepreneurs and self-employed owner-operators."]),
])
def test_english_emails_write_a_program_name_as_english_does(db: Database, smtp_settings: Settings, stream: str,
                                                            phrases: list[str]) -> None:
    lead_id = new_lead(db, stream, email=f"article.{stream}@example.com", preferred_language="en",
                       citizenships=["India"], country_of_residence="Canada")
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        text = " ".join(_flat(email.subject + " " + email.text)
                        for email in preview(session, lead, settings=smtp_settings, now=T0))
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    for bare in ("for Post-graduation", "about Post-graduation", "for Global Talent", "about Global Talent",
                 "For Global Talent", "about Entrepreneurs", "For Entrepreneurs"):
        assert bare not in text, (bare, text)
