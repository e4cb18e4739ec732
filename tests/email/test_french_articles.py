"""French program names take their article after "sur" and "pour" (lead trial: "l'essentiel sur Volet des talents
mondiaux", "pour Permis de travail postdiplôme", "sur Mutations à l'intérieur d'une société"), from one table
(crm.sequences.rendering.le). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.rendering import de, le
from tests.email.helpers import T0, new_lead
from tests.email.test_in_canada_answer import _flat


def test_a_french_program_name_takes_its_article() -> None:
    assert le("Volet des talents mondiaux (Programme des travailleurs étrangers temporaires)") == \
        "le Volet des talents mondiaux (Programme des travailleurs étrangers temporaires)"
    assert le("Permis de travail postdiplôme (PTPD)") == "le permis de travail postdiplôme (PTPD)"
    assert le("Mutations à l'intérieur d'une société") == "les mutations à l'intérieur d'une société"
    assert le("Mobilité francophone") == "la Mobilité francophone"
    assert le("Emploi réciproque") == "l'emploi réciproque"
    assert le("EIC Vacances-Travail") == "EIC Vacances-Travail"  # IEC's names take none
    assert de(le("Volet des talents mondiaux")) == "du Volet des talents mondiaux"
    assert de(le("Mutations à l'intérieur d'une société")) == "des mutations à l'intérieur d'une société"
    assert de(le("Emploi réciproque")) == "de l'emploi réciproque"


@pytest.mark.parametrize(("stream", "phrases"), [
    ("post-graduation-work-permit", ["les documents à réunir pour le permis de travail postdiplôme (PTPD).",
                                     "ce qu'il faut réunir pour le permis de travail postdiplôme (PTPD).",
                                     "Les dates à surveiller pour le permis de travail postdiplôme (PTPD)",
                                     "l'essentiel sur le permis de travail postdiplôme (PTPD).",
                                     "vous nous avez interrogés sur le permis de travail postdiplôme (PTPD)."]),
    ("global-talent-stream", ["le dossier pour le Volet des talents mondiaux",
                              "l'essentiel sur le Volet des talents mondiaux",
                              "Pour le Volet des talents mondiaux (Programme des travailleurs étrangers "
                              "temporaires),"]),
    ("intra-company-transferee", ["les documents à réunir pour les mutations à l'intérieur d'une société.",
                                  "l'essentiel sur les mutations à l'intérieur d'une société."]),
])
def test_french_emails_write_the_article_before_a_program_name(db: Database, smtp_settings: Settings, stream: str,
                                                               phrases: list[str]) -> None:
    lead_id = new_lead(db, stream, email=f"article.{stream}@example.com", preferred_language="fr",
                       citizenships=["India"], country_of_residence="Canada")
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        text = " ".join(_flat(email.subject + " " + email.text)
                        for email in preview(session, lead, settings=smtp_settings, now=T0)).replace("\u00a0", " ")
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    for bare in ("sur Volet", "pour Volet", "pour Permis", "sur Permis", "pour Mutations", "sur Mutations"):
        assert bare not in text, (bare, text)
