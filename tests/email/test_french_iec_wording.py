"""The French IEC emails say what the English ones say (lead trial): iec-fit told each lead 'Vous pouvez
participer à : EIC Vacances-Travail, EIC Jeunes professionnels et EIC Stage coop international' where the
English says the country's citizens can take part, and the first answer wrote the awkward 'En tant que
citoyen(ne) de ce pays (France)'. Fails without the fix."""

from __future__ import annotations

from crm.config import Settings
from crm.db import Database
from tests.email.test_iec_ages import NOV, _emails, _lead
from tests.email.test_wording import _flat


def test_the_french_iec_emails_speak_of_the_countrys_citizens_in_natural_french(db: Database,
                                                                               settings: Settings) -> None:
    # An Irish lead of 27 with no job offer: Working Holiday open, the other categories are the country's
    lead_id = _lead(db, NOV, first_name="Aoife", email="aoife.fr.wording@example.ie", citizenships=["IE"],
                    country_of_residence="IE", date_of_birth="1998-04-12", preferred_language="fr")
    emails = _emails(db, settings, lead_id, NOV)
    fit = _flat(emails["iec-fit"].text).replace("\u00a0", " ")
    assert "Vous pouvez participer à" not in fit
    assert ("Les citoyens de ce pays peuvent participer à : EIC Vacances-Travail, EIC Jeunes professionnels et EIC "
            "Stage coop international.") in fit, fit
    answer = _flat(emails["answer-iec"].text).replace("\u00a0", " ")
    assert "citoyen(ne)" not in answer and "En tant que" not in answer
    assert "Grâce à votre citoyenneté (Irlande), vous pouvez présenter une demande pour : EIC Vacances-Travail" \
        in answer, answer
