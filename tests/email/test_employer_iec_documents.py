"""An employer's documents step names the IEC paperwork of the categories its workers' countries take part in (lead
trial: a sugar shack hiring Belgians, who can only come on IEC Working Holiday, read how to enter a Young
Professionals or Co-op offer in the Employer Portal and pay the compliance fee). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails

PORTAL = {"en": "IRCC Employer Portal", "fr": "Portail des employeurs d'IRCC"}
OPEN = {"en": "For IEC Working Holiday (an open permit)", "fr": "Pour EIC Vacances-Travail (un permis ouvert)"}
MESSAGE = {"en": "We want to hire workers from {country} for the season in New Brunswick.",
           "fr": "Nous voulons embaucher des travailleurs de {country} pour la saison au Nouveau-Brunswick."}
COUNTRY = {"BE": {"en": "Belgium", "fr": "Belgique"}, "CH": {"en": "Switzerland", "fr": "Suisse"},
           "FR": {"en": "France", "fr": "France"}}


@pytest.mark.parametrize(("code", "portal", "open_permit"), [("BE", False, True), ("CH", True, False),
                                                              ("FR", True, True)])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_iec_paperwork_follows_the_workers_countries(db: Database, smtp_settings: Settings, language: str,
                                                         code: str, portal: bool, open_permit: bool) -> None:
    emails = _emails(db, smtp_settings, first_name="Julie", email=f"iecdocs.{code}.{language}@example.ca",
                     interest="hire", company_name="Érablière Lévesque", preferred_language=language,
                     message=MESSAGE[language].format(country=COUNTRY[code][language]))
    documents = emails["documents"].replace("\u00a0", " ")
    assert (PORTAL[language] in documents) is portal, documents
    assert (OPEN[language] in documents) is open_permit, documents
